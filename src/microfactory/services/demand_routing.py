"""Routing of demand-program orders (converted pledges, replenishment, released run lines).

One small function, :func:`route_orders`, routes "like any other demand". With
``via="service"`` (the default) it uses the routing service (``services/routing.py``):
each order is placed online (``place_new_order``) when there are at most
``ONLINE_MAX`` orders, else every validated line of the orders' brands is routed in one
batch (``route_stored``, greedy policy); capacity, stock reservations, assignments and
routing events are the service's. A ``promised`` event with the assignment's finish date
is then added to each routed line. With ``via="engine"`` it calls the routing engine
directly (no capacity or stock booking, used where the service is not wanted): sites are the microfactories that are up (or the
given ones), capacity per process and day is ``Site.process_minutes`` minus what the
``capacity`` table already reserves, and every validated line is routed by the engine's
greedy policy (deterministic, fast at 10,000 lines). Each routed line moves to ``routed``
with a ``promised`` event carrying the day its site finishes it; a line no site can make
stays ``validated`` with an ``unrouted`` event and the engine's reason.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any

from microfactory.domain.catalog import Catalog
from microfactory.domain.network import Site, SiteKind
from microfactory.domain.orders import Order, OrderStatus, StatusChanged, advance_line
from microfactory.engines.routing import (
    RoutingLine,
    RoutingParams,
    RoutingProblem,
    RoutingSite,
    route_batch,
)

MAX_HORIZON = 120
ONLINE_MAX = 200


def _routing_site(site: Site, start: date, days: int, booked: dict[tuple[str, str, date], tuple[float, float]]
                  ) -> RoutingSite:
    cap: dict[str, tuple[float, ...]] = {}
    for process in sorted(site.processes):
        per_day = []
        for n in range(days):
            day = start + timedelta(days=n)
            row = booked.get((site.id, process, day))
            per_day.append(max(row[0] - row[1], 0.0) if row else site.process_minutes(process, day))
        cap[process] = tuple(per_day)
    return RoutingSite(site.id, site.location.lat, site.location.lon, cap, status=site.status.value,
                       operator=site.operator.value, brands_allowed=site.brands, min_batch=site.min_batch,
                       lead_time_days=site.lead_time_days, delivery_mode=site.delivery_mode)


def _lines(orders: list[Order], catalog: Catalog, start: date) -> list[RoutingLine]:
    cache: dict[tuple[str, tuple[tuple[str, str], ...]], Any] = {}
    out = []
    for order in orders:
        for ln in order.lines:
            if ln.status is not OrderStatus.VALIDATED:
                continue
            key = (ln.product_id, ln.options)
            if key not in cache:
                cache[key] = catalog.explode(ln.product_id, dict(ln.options))
            bom = cache[key]
            out.append(RoutingLine(ln.id, order.id, order.brand, ln.product_id, ln.sku, ln.quantity,
                                   bom.minutes_by_process(), order.customer_location.lat,
                                   order.customer_location.lon, max((order.due - start).days, 0),
                                   setup_key=bom.setup_key, channel=order.channel.value))
    return out


def route_orders(uow: Any, orders: list[Order], *, now: datetime, actor: str = "system",
                 site_ids: tuple[str, ...] | None = None, via: str = "service") -> dict[str, Any]:
    """Route the validated lines of ``orders``; statuses, sites and promise events are stored."""
    if not orders:
        return {"method": "none", "status": "optimal", "routed": 0, "unassigned": 0, "late": 0}
    if via == "engine":
        return _via_engine(uow, orders, now=now, actor=actor, site_ids=site_ids)
    from microfactory.services import routing as svc

    if len(orders) <= ONLINE_MAX:
        summary: dict[str, Any] = {"method": "online", "status": "feasible", "routed": 0, "unassigned": 0, "late": 0}
        for order in orders:
            if any(ln.status is OrderStatus.VALIDATED for ln in order.lines):
                out = svc.place_new_order(uow, order.id, now=now, actor=actor)
                for k, key in (("routed", "assigned"), ("unassigned", "unassigned"), ("late", "late")):
                    summary[k] += int(out.get(key, 0))
    else:
        summary = {"method": "batch", "routed": 0, "unassigned": 0, "late": 0, "runs": []}
        for brand in sorted({o.brand for o in orders}):
            out = svc.route_stored(uow, svc.RouteRequest(policy="greedy", brand=brand), now=now, actor=actor)
            summary["runs"].append({k: out.get(k) for k in ("id", "status", "runtime_s", "seed", "method")})
            for k, key in (("routed", "assigned"), ("unassigned", "unassigned"), ("late", "late")):
                summary[k] += int(out.get(key, 0))
        summary["status"] = summary["runs"][0]["status"] if summary["runs"] else "optimal"
    _promises(uow, orders, now, actor)
    return summary


def _promises(uow: Any, orders: list[Order], now: datetime, actor: str) -> None:
    """A ``promised`` event per routed line, with the finish date of its assignment."""
    line_ids = [ln.id for o in orders for ln in o.lines]
    found = {}
    for i in range(0, len(line_ids), 1000):
        found.update(uow.routing.assignments(line_ids[i:i + 1000]))
    order_of = {ln.id: o.id for o in orders for ln in o.lines}
    notes = []
    for line_id, a in sorted(found.items()):
        detail = a.get("detail") or {}
        site, finish = a.get("site_id"), detail.get("finish")
        if site and finish:
            late = detail.get("days_late") or 0
            notes.append(_note(order_of[line_id], line_id, "promised", now, actor,
                               f"promised {finish} at {site}" + (f" ({late} days late)" if late else "")))
    uow.demand.add_order_events(notes)


def _via_engine(uow: Any, orders: list[Order], *, now: datetime, actor: str,
                site_ids: tuple[str, ...] | None) -> dict[str, Any]:
    network = uow.network.load()
    catalog = uow.catalog.load(network)
    start = now.date()
    lines = _lines(orders, catalog, start)
    days = min(max(max((ln.due_day for ln in lines), default=0) + 15, 14), MAX_HORIZON)
    sites = [s for s in network.sites if s.kind is SiteKind.MICROFACTORY and s.is_up
             and (site_ids is None or s.id in site_ids)]
    booked = uow.demand.capacity_rows([s.id for s in sites], start, start + timedelta(days=days))
    problem = RoutingProblem(tuple(_routing_site(s, start, days, booked) for s in sites), tuple(lines))
    result = route_batch(problem, RoutingParams(policy="greedy", seed=0, time_limit_s=30.0))
    _persist(uow, orders, result, start, now, actor)
    return {"method": f"engine-{result.method}", "status": result.status, "objective": _finite(result.objective),
            "bound": _finite(result.bound), "runtime_s": round(result.runtime_s, 4), "seed": result.seed,
            "routed": len(result.assignments), "unassigned": len(result.unassigned), "late": result.late_lines}


def _persist(uow: Any, orders: list[Order], result: Any, start: date, now: datetime, actor: str) -> None:
    by_line = {a.line_id: a for a in result.assignments}
    missing = {u.line_id: u.reason for u in result.unassigned}
    changed: list[Order] = []
    events: list[StatusChanged] = []
    notes: list[dict[str, Any]] = []
    sites: dict[str, str | None] = {}
    for order in orders:
        current = order
        for ln in order.lines:
            a = by_line.get(ln.id)
            if a is None:
                if ln.id in missing:
                    notes.append(_note(order.id, ln.id, "unrouted", now, actor, missing[ln.id]))
                continue
            current, evs = advance_line(current, ln.id, OrderStatus.ROUTED, now, f"routed to {a.site_id}")
            events.extend(evs)
            sites[ln.id] = a.site_id
            promised = start + timedelta(days=a.finish_day)
            notes.append(_note(order.id, ln.id, "promised", now, actor,
                               f"promised {promised.isoformat()} at {a.site_id}"
                               + (f" ({a.days_late} days late)" if a.days_late else "")))
        if current is not order:
            changed.append(current)
    uow.demand.save_order_statuses(changed, events, actor)
    uow.demand.set_line_sites(sites)
    uow.demand.add_order_events(notes)


def _finite(x: float) -> float | None:
    """JSON-safe figure: None for an infinite or missing bound (greedy proves none)."""
    return round(x, 2) if math.isfinite(x) else None


def _note(order_id: str, line_id: str, kind: str, at: datetime, actor: str, reason: str) -> dict[str, Any]:
    return {"order_id": order_id, "line_id": line_id, "kind": kind, "old": None, "new": None, "at": at,
            "reason": reason, "actor": actor}


__all__ = ["route_orders"]
