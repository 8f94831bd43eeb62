"""Writing a routing decision to the store in one transaction (used by every routing use case).

The capacity rows are locked first (fixed order), then the lines. Each decided line is booked
into the locked free minutes; a line that no longer fits (another worker took the room since
the solve) is re-placed online against the locked state. Then stock is reserved, assignments
(with their explanation) stored, lines moved to routed with order events, and the capacity
rows checked: reserved never exceeds capacity.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from microfactory.domain.inventory import Inventory, Movement
from microfactory.domain.network import Network
from microfactory.domain.orders import Order, OrderStatus, StatusChanged, advance_line
from microfactory.engines.routing import (
    RoutingLine,
    RoutingParams,
    RoutingResult,
    explain,
    initial_state,
    place_order,
)
from microfactory.services.routing_booking import CapKey, book, free_minutes, material_plan
from microfactory.services.routing_problem import BuiltProblem, production_sites

#: Where a line was booked: site, finish day, minutes per (process, day), engine cost.
Placed = tuple[str, date, dict[tuple[str, date], float], float]
#: Why a line's route changed, given (line id, old site, new site or None, reason if unplaced).
Reason = Callable[[str, str | None, str | None, str], str]


@dataclass(frozen=True)
class Decision:
    """What a use case wants stored: the engine's plan over ``built`` and how to word the events."""

    built: BuiltProblem
    params: RoutingParams
    result: RoutingResult | None             # None: place every line online under the lock
    orders: Mapping[str, Order]
    run_id: str | None
    expected: frozenset[str]                 # line statuses a line may have to be (re)routed now
    previous: Mapping[str, str | None]       # line id -> site it was at
    reason: Reason


def lock_capacity(uow: Any, network: Network, built: BuiltProblem, first: date | None = None,
                  last: date | None = None) -> dict[CapKey, float]:
    """Create and lock the capacity rows of every production site over the horizon; free minutes per row."""
    lo = min(first or built.start, built.start)
    hi = max(last or built.start, built.day(built.horizon_days - 1))
    rows: dict[CapKey, float] = {}
    sites = production_sites(network)
    for s in sites:
        day = lo
        while day <= hi:
            for p in s.processes:
                rows[(s.id, p, day)] = s.process_minutes(p, day)
            day += timedelta(days=1)
    uow.routing.ensure_capacity(rows)
    locked = uow.routing.lock_capacity([s.id for s in sites], lo, hi)
    changed = {k: m for k, m in rows.items() if k in locked and abs(locked[k][0] - m) > 1e-9}
    uow.routing.set_capacity(changed)
    for k, m in changed.items():
        locked[k][0] = m
    return free_minutes(locked)


def _online(d: Decision, free: Mapping[CapKey, float], lines: list[RoutingLine]) -> RoutingResult:
    """Place lines online against the locked free minutes (the engine's ``place_order``)."""
    b = d.built
    sites = tuple(dataclasses.replace(s, capacity={p: tuple(free.get((s.id, p, b.day(k)), 0.0)
                                                            for k in range(b.horizon_days)) for p in s.capacity})
                  for s in b.problem.sites)
    state = initial_state(sites, b.problem.cost, b.horizon_days)
    after, done, missed = place_order(state, tuple(lines), d.params)
    return RoutingResult("feasible", sum(a.cost for a in done), float("-inf"), 0.0, d.params.seed, "online",
                         done, missed, {"lines": sum(a.cost for a in done)}, after.capacity)


def _book_all(d: Decision, free: dict[CapKey, float], result: RoutingResult, lines: Mapping[str, RoutingLine]
              ) -> tuple[dict[str, Placed], list[str]]:
    b, sites = d.built, {s.id: s for s in d.built.problem.sites}
    end = b.day(b.horizon_days - 1)
    placed: dict[str, Placed] = {}
    failed: list[str] = []
    for a in sorted(result.assignments, key=lambda a: (lines[a.line_id].due_day, a.finish_day, a.line_id)):
        ln = lines[a.line_id]
        last = min(end, b.day(ln.due_day + d.params.max_late_days))
        got = book(free, a.site_id, ln, b.day(sites[a.site_id].lead_time_days), last)
        if got is None:
            failed.append(a.line_id)
        else:
            placed[a.line_id] = (a.site_id, got[0], got[1], a.cost)
    return placed, failed


def _explain(d: Decision, result: RoutingResult, line_id: str) -> dict[str, Any]:
    return explain(d.built.problem, result, line_id, d.params)


def commit(uow: Any, d: Decision, network: Network, free: dict[CapKey, float], now: datetime,
           actor: str) -> dict[str, Any]:
    """Store the decision (capacity rows already locked, ``free`` from :func:`lock_capacity`)."""
    lines = {ln.id: ln for ln in d.built.problem.lines}
    status = uow.routing.lock_lines(lines)
    live = {i for i, (st, site) in status.items() if st in d.expected and site == d.previous.get(i)}
    if d.result is None:
        result = _online(d, free, [lines[i] for i in sorted(live, key=lambda i: (lines[i].due_day, i))])
    else:
        result = dataclasses.replace(d.result, assignments=tuple(a for a in d.result.assignments if a.line_id in live),
                                     unassigned=tuple(u for u in d.result.unassigned if u.line_id in live))
    placed, failed = _book_all(d, free, result, lines)
    explanations = {i: _explain(d, result, i) for i in placed}
    for u in result.unassigned:
        explanations[u.line_id] = _explain(d, result, u.line_id)
    if failed:
        again = _online(d, free, [lines[i] for i in failed])
        more, still = _book_all(d, free, again, lines)
        placed.update(more)
        for i in failed:
            explanations[i] = dict(_explain(d, again, i), replaced=True)
        for i in still:
            explanations[i] = {"line_id": i, "site_id": None, "reason": "no_capacity_before_due", "alternatives": [],
                               "rejected": {}}
    stock = _reserve_stock(uow, placed, lines, now)
    _write(uow, d, live, placed, explanations, stock, now, actor)
    uow.routing.check([s.id for s in production_sites(network)])
    late = sum(1 for i, p in placed.items() if (p[1] - d.built.start).days > lines[i].due_day)
    return {"assigned": len(placed), "unassigned": len(live) - len(placed), "late": late,
            "replaced": len(failed), "skipped": len(lines) - len(live),
            "cost": round(sum(p[3] for p in placed.values()), 4)}


def _reserve_stock(uow: Any, placed: Mapping[str, Placed], lines: Mapping[str, RoutingLine],
                   now: datetime) -> dict[str, list[dict[str, Any]]]:
    by_site: dict[str, list[str]] = defaultdict(list)
    for i, p in sorted(placed.items()):
        by_site[p[0]].append(i)
    plans: dict[str, list[dict[str, Any]]] = {}
    for site, ids in sorted(by_site.items()):
        pairs = {(site, m) for i in ids for need in lines[i].materials for m in need.acceptable}

        def change(inv: Inventory, site: str = site, ids: list[str] = ids) -> tuple[Inventory, list[Movement]]:
            moves: list[Movement] = []
            for i in ids:
                inv, mv, plans[i] = material_plan(inv, site, lines[i], now)
                moves.extend(mv)
            return inv, moves

        uow.inventory.apply(sorted(pairs), change)
    return plans


def _write(uow: Any, d: Decision, live: Collection[str], placed: Mapping[str, Placed],
           explanations: Mapping[str, dict[str, Any]], stock: Mapping[str, list[dict[str, Any]]], now: datetime,
           actor: str) -> None:
    lines = {ln.id: ln for ln in d.built.problem.lines}
    rows, per_order = [], defaultdict(list)
    for i in sorted(live):
        per_order[lines[i].order_id].append(i)
        detail = dict(explanations.get(i, {}), run_id=d.run_id, policy=d.params.policy)
        site, cost = (placed[i][0], round(placed[i][3], 4)) if i in placed else (None, None)
        if i in placed:
            _, finish, takes, cost = placed[i]
            uow.routing.reserve(i, site, takes)
            detail.update(finish=finish.isoformat(), days_late=max(0, (finish - d.built.start).days - lines[i].due_day),
                          due_by=d.built.day(lines[i].due_day).isoformat(), materials=stock.get(i, []))
        rows.append({"line_id": i, "site_id": site, "run_id": d.run_id, "cost": cost,
                     "detail": _jsonable(detail), "at": now})
        uow.orders.set_line_site(i, site)
    uow.routing.save_assignments(rows)
    for order_id, ids in sorted(per_order.items()):
        _move(uow, d, d.orders[order_id], ids, placed, explanations, now, actor)


def _move(uow: Any, d: Decision, order: Order, ids: list[str], placed: Mapping[str, Placed],
          explanations: Mapping[str, dict[str, Any]], now: datetime, actor: str) -> None:
    events: list[StatusChanged] = []
    for i in ids:
        line = order.line(i)
        site = placed[i][0] if i in placed else None
        why = str(explanations.get(i, {}).get("reason", ""))
        text = d.reason(i, d.previous.get(i), site, why)
        if site is not None:
            order, evs = advance_line(order, i, OrderStatus.ROUTED, now, text)
        elif line.status is not OrderStatus.VALIDATED:
            order, evs = advance_line(order, i, OrderStatus.VALIDATED, now, text)
        else:
            evs = []
        events.extend(evs)
    if events:
        uow.orders.save_status(order, events, actor)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.floating, float)):
        f = float(value)
        return round(f, 4) if np.isfinite(f) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


__all__ = ["Decision", "Reason", "commit", "lock_capacity"]
