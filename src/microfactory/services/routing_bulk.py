"""Bulk routing: many orders in one solve, then capacity, stock, assignments and statuses in bulk.

:func:`route_orders_bulk` is the routing service's path for thousands of lines at once (a
campaign close, a replenishment wave). It follows the same rules as
:func:`microfactory.services.routing_commit.commit`:

1. one engine solve over the lines (against capacity already reserved and available stock);
2. the capacity rows of every production site over the horizon are created and locked in
   (site, process, day) order, then the lines (in id order); a line whose stored status or site
   changed since it was read is skipped;
3. each decided line is booked into the locked free minutes (earliest day first); one that no
   longer fits is placed again online against the locked state;
4. stock is reserved per line (reference: the line id) in one locked change per site, with
   the same material choice as the line-by-line path (the material, else its first approved
   substitute with enough available, else as much as there is);
5. capacity reservations, ``reserved_min``, assignments, line sites, statuses and order events
   (status changes, a ``promised`` note with the finish date per routed line, an ``unrouted``
   note with the reason per line left validated) are written with one statement each
   (``adapters/db/bulk_sql.py``), and the capacity rows are checked: reserved never exceeds
   capacity.

What differs from the line-by-line path is only the assignment's ``detail``: a compact record
(site, cost, finish, lateness, materials, run) instead of the engine's per-line explanation,
which re-evaluates every alternative site for each line (quadratic at this size).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, cast

from microfactory.domain.catalog import Catalog, ExplodedBom
from microfactory.domain.inventory import Inventory, Movement, MovementKind
from microfactory.domain.orders import Order, OrderStatus, StatusChanged, advance_line
from microfactory.engines.routing import RoutingLine, RoutingResult
from microfactory.services.routing import RouteRequest, _prepare, _run_id, engine_params, solve
from microfactory.services.routing_booking import EPS, available_stock
from microfactory.services.routing_commit import Decision, Placed, _book_all, _online, lock_capacity
from microfactory.services.routing_problem import (
    QUALITY_TOKEN,
    BuiltProblem,
    OpenLine,
    production_sites,
)

LOCK_CHUNK = 5000
Progress = Callable[[str], None]


class _MemoCatalog:
    """A catalog whose BOM explosions are computed once per (product, options): thousands of lines of
    a campaign share a handful of variants."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._boms: dict[tuple[str, tuple[tuple[str, str], ...]], ExplodedBom] = {}

    def explode(self, product_id: str, options: Mapping[str, str]) -> ExplodedBom:
        key = (product_id, tuple(sorted(options.items())))
        if key not in self._boms:
            self._boms[key] = self._catalog.explode(product_id, dict(options))
        return self._boms[key]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._catalog, name)


def _restrict(built: BuiltProblem, site_ids: Sequence[str] | None) -> BuiltProblem:
    if site_ids is None:
        return built
    keep = set(site_ids)
    problem = dataclasses.replace(built.problem, sites=tuple(s for s in built.problem.sites if s.id in keep))
    return dataclasses.replace(built, problem=problem)


def _lock_lines(uow: Any, ids: Sequence[str]) -> dict[str, tuple[str, str | None]]:
    ordered = sorted(set(ids))
    out: dict[str, tuple[str, str | None]] = {}
    for i in range(0, len(ordered), LOCK_CHUNK):
        out.update(uow.routing.lock_lines(ordered[i:i + LOCK_CHUNK]))
    return out


def _book(d: Decision, free: dict[tuple[str, str, date], float], result: RoutingResult,
          lines: Mapping[str, RoutingLine]) -> tuple[dict[str, Placed], list[str], dict[str, str]]:
    """Book the solve into the locked minutes; lines that no longer fit are placed again online."""
    placed, failed = _book_all(d, free, result, lines)
    reasons = {u.line_id: u.reason for u in result.unassigned}
    replaced = list(failed)
    if failed:
        again = _online(d, free, [lines[i] for i in failed])
        more, still = _book_all(d, free, again, lines)
        placed.update(more)
        reasons.update({u.line_id: u.reason for u in again.unassigned})
        reasons.update(dict.fromkeys(still, "no_capacity_before_due"))
    return placed, replaced, reasons


def stock_plans(inv: Inventory, placed: Mapping[str, Placed], lines: Mapping[str, RoutingLine], at: datetime
                ) -> tuple[Inventory, list[Movement], dict[str, list[dict[str, Any]]]]:
    """Reserve every placed line's materials at its site in one pass (running availability)."""
    avail = available_stock(inv)
    res = dict(inv.reservations)
    moves: list[Movement] = []
    plans: dict[str, list[dict[str, Any]]] = {}
    for i, p in sorted(placed.items()):
        site, line, plan = p[0], lines[i], []
        for need in line.materials:
            if need.material_id.startswith(QUALITY_TOKEN):
                continue
            qty = need.qty_per_unit * line.qty
            chosen = next((m for m in need.acceptable if avail.get((site, m), 0.0) >= qty - EPS), need.material_id)
            take = min(qty, max(0.0, avail.get((site, chosen), 0.0)))
            if take > EPS:
                avail[(site, chosen)] = avail.get((site, chosen), 0.0) - take
                res[(site, chosen, i)] = res.get((site, chosen, i), 0.0) + take
                moves.append(Movement(MovementKind.RESERVE, site, chosen, "", take, at, i))
            plan.append({"material": chosen, "qty": round(qty, 6), "reserved": round(take, 6),
                         "to_buy": round(max(0.0, qty - take), 6), "substitute": chosen != need.material_id})
        plans[i] = plan
    return Inventory(inv.lots, MappingProxyType(res)), moves, plans


def _reserve_stock(uow: Any, placed: Mapping[str, Placed], lines: Mapping[str, RoutingLine],
                   now: datetime) -> dict[str, list[dict[str, Any]]]:
    pairs = sorted({(p[0], m) for i, p in placed.items() for need in lines[i].materials for m in need.acceptable
                    if not m.startswith(QUALITY_TOKEN)})
    plans: dict[str, list[dict[str, Any]]] = {}
    if not pairs:
        return {i: [] for i in placed}

    def change(inv: Inventory) -> tuple[Inventory, list[Movement]]:
        after, moves, found = stock_plans(inv, placed, lines, now)
        plans.update(found)
        return after, moves

    uow.inventory.apply(pairs, change)
    return plans


def _detail(d: Decision, i: str, line: RoutingLine, p: Placed | None, reason: str | None,
            materials: list[dict[str, Any]]) -> dict[str, Any]:
    base: dict[str, Any] = {"line_id": i, "run_id": d.run_id, "policy": d.params.policy, "bulk": True}
    if p is None:
        return dict(base, site_id=None, reason=reason or "not_routed")
    site, finish, _takes, cost = p
    return dict(base, site_id=site, cost=round(cost, 4), finish=finish.isoformat(),
                days_late=max(0, (finish - d.built.start).days - line.due_day),
                due_by=d.built.day(line.due_day).isoformat(), materials=materials)


def _statuses(d: Decision, live: set[str], placed: Mapping[str, Placed], reasons: Mapping[str, str],
              now: datetime, actor: str) -> tuple[list[Order], list[StatusChanged], list[dict[str, Any]]]:
    """Placed lines move to routed with a ``promised`` note (finish date); the rest get ``unrouted``."""
    changed, events, notes = [], [], []
    due = {ln.id: ln.due_day for ln in d.built.problem.lines}
    for order in d.orders.values():
        current = order
        for ln in order.lines:
            if ln.id not in live:
                continue
            if ln.id in placed:
                why = d.reason(ln.id, None, placed[ln.id][0], "")
                current, evs = advance_line(current, ln.id, OrderStatus.ROUTED, now, why)
                events.extend(evs)
                site, finish = placed[ln.id][0], placed[ln.id][1]
                late = max(0, (finish - d.built.start).days - due[ln.id])
                notes.append({"order_id": order.id, "line_id": ln.id, "kind": "promised", "old": None, "new": None,
                              "at": now, "actor": actor, "reason": f"promised {finish.isoformat()} at {site}"
                              + (f" ({late} days late)" if late else "")})
            else:
                notes.append({"order_id": order.id, "line_id": ln.id, "kind": "unrouted", "old": None, "new": None,
                              "at": now, "actor": actor, "reason": reasons.get(ln.id, "not_routed")})
        if current is not order:
            changed.append(current)
    return changed, events, notes


def _write(uow: Any, d: Decision, live: set[str], placed: Mapping[str, Placed], reasons: Mapping[str, str],
           stock: Mapping[str, list[dict[str, Any]]], now: datetime, actor: str) -> None:
    lines = {ln.id: ln for ln in d.built.problem.lines}
    uow.demand.reserve_capacity([(i, p[0], proc, day, m) for i, p in sorted(placed.items())
                                 for (proc, day), m in sorted(p[2].items())])
    rows = [{"line_id": i, "site_id": placed[i][0] if i in placed else None, "run_id": d.run_id,
             "cost": round(placed[i][3], 4) if i in placed else None,
             "detail": _detail(d, i, lines[i], placed.get(i), reasons.get(i), list(stock.get(i, []))), "at": now}
            for i in sorted(live)]
    uow.demand.save_assignments(rows)
    uow.demand.set_line_sites({i: p[0] for i, p in placed.items()})
    changed, events, notes = _statuses(d, live, placed, reasons, now, actor)
    uow.demand.save_order_statuses(changed, events, actor)
    uow.demand.add_order_events(notes)


def _empty(run_id: str, req: RouteRequest) -> dict[str, Any]:
    return {"id": run_id, "policy": req.policy, "lines": 0, "status": "optimal", "objective": 0.0, "bound": 0.0,
            "runtime_s": 0.0, "seed": req.seed, "method": "none", "assigned": 0, "unassigned": 0, "late": 0,
            "replaced": 0, "skipped": 0, "cost": 0.0}


def route_orders_bulk(uow: Any, orders: Sequence[Order], *, now: datetime, actor: str = "system",
                      req: RouteRequest | None = None, site_ids: Sequence[str] | None = None,
                      progress: Progress | None = None) -> dict[str, Any]:
    """Route the validated lines of ``orders`` in one solve and store everything in bulk (module doc).

    ``orders`` are the orders as the caller holds them (e.g. just converted in this unit of
    work); ``site_ids`` restricts the sites the lines may go to. Returns the run's summary
    (status, objective, bound, runtime, seed, assigned, unassigned, late, replaced, skipped).
    """
    req = req or RouteRequest(policy="greedy", time_limit_s=30.0)
    say = progress or (lambda _msg: None)
    network = uow.network.load()
    catalog = uow.catalog.load(network)
    by_id = {o.id: o for o in orders}
    open_lines = [OpenLine(o, ln) for o in by_id.values() for ln in o.lines if ln.status is OrderStatus.VALIDATED]
    run_id = _run_id(uow, now)
    if not open_lines:
        summary = _empty(run_id, req)
    else:
        memo = cast(Catalog, _MemoCatalog(catalog))
        built = _restrict(_prepare(uow, network, memo, by_id, open_lines, now, req), site_ids)
        params = engine_params(req, built)
        say(f"solving {len(open_lines)} lines ({req.policy})")
        result = solve(built, params)
        say("reserving capacity and stock")
        free = lock_capacity(uow, network, built)
        lines = {ln.id: ln for ln in built.problem.lines}
        status = _lock_lines(uow, list(lines))
        live = {i for i, (st, site) in status.items() if st == "validated" and site is None}
        result = dataclasses.replace(result, assignments=tuple(a for a in result.assignments if a.line_id in live),
                                     unassigned=tuple(u for u in result.unassigned if u.line_id in live))
        d = Decision(built, params, result, by_id, run_id, frozenset({"validated"}), dict.fromkeys(live),
                     lambda _i, _old, new, _why: f"routed to {new} ({run_id}, {req.policy}, bulk)")
        placed, replaced, reasons = _book(d, free, result, lines)
        stock = _reserve_stock(uow, placed, lines, now)
        _write(uow, d, live, placed, reasons, stock, now, actor)
        uow.routing.check([s.id for s in production_sites(network)])
        late = sum(1 for i, p in placed.items() if (p[1] - built.start).days > lines[i].due_day)
        summary = {"id": run_id, "policy": req.policy, "lines": len(open_lines), "status": result.status,
                   "objective": round(result.objective, 4),
                   "bound": round(result.bound, 4) if result.bound > float("-inf") else None,
                   "runtime_s": round(result.runtime_s, 4), "seed": result.seed, "method": f"bulk-{result.method}",
                   "assigned": len(placed), "unassigned": len(live) - len(placed), "late": late,
                   "replaced": len(replaced), "skipped": len(lines) - len(live),
                   "cost": round(sum(p[3] for p in placed.values()), 4)}
    uow.routing.save_run(run_id, req.policy, str(summary["status"]), {k: v for k, v in summary.items() if k != "id"},
                         now)
    uow.audit.add(actor, "routing.bulk", "routing_run", run_id,
                  {k: summary[k] for k in ("policy", "lines", "assigned", "unassigned", "late")}, now)
    return summary


__all__ = ["route_orders_bulk", "stock_plans"]
