"""Routing of demand-program orders (converted pledges, replenishment, released run lines).

:func:`route_orders` routes "like any other demand", always through the routing service, so
capacity reservations, stock reservations, assignments and routing events are the service's
and the capacity invariant (reserved = sum of reservations <= capacity) holds:

- at most ``ONLINE_MAX`` orders and no site restriction: each order is placed online
  (``services.routing.place_new_order``, with the engine's full per-line explanation);
- otherwise: one bulk run (``services.routing_bulk.route_orders_bulk``, greedy policy), which
  routes only these orders' lines, optionally only to ``site_ids`` (a campaign's sites).

Each routed line gets a ``promised`` event with its assignment's finish date; a line no site
can make stays ``validated`` with the reason in its assignment (and, on the bulk path, an
``unrouted`` event).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from microfactory.domain.orders import Order, OrderStatus

ONLINE_MAX = 200


def route_orders(uow: Any, orders: list[Order], *, now: datetime, actor: str = "system",
                 site_ids: Sequence[str] | None = None, time_limit_s: float = 30.0) -> dict[str, Any]:
    """Route the validated lines of ``orders``; capacity, stock, assignments, statuses and promises stored."""
    todo = [o for o in orders if any(ln.status is OrderStatus.VALIDATED for ln in o.lines)]
    if not todo:
        return {"method": "none", "status": "optimal", "routed": 0, "unassigned": 0, "late": 0}
    from microfactory.services import routing as svc
    from microfactory.services.routing_bulk import route_orders_bulk

    if len(todo) <= ONLINE_MAX and site_ids is None:
        summary: dict[str, Any] = {"method": "online", "status": "feasible", "routed": 0, "unassigned": 0, "late": 0}
        for order in todo:
            out = svc.place_new_order(uow, order.id, now=now, actor=actor)
            for k, key in (("routed", "assigned"), ("unassigned", "unassigned"), ("late", "late")):
                summary[k] += int(out.get(key, 0))
    else:
        out = route_orders_bulk(uow, todo, now=now, actor=actor, site_ids=site_ids,
                                req=svc.RouteRequest(policy="greedy", time_limit_s=time_limit_s))
        summary = {k: out.get(k) for k in ("id", "status", "objective", "bound", "runtime_s", "seed", "method",
                                           "late", "replaced", "skipped")}
        summary.update(routed=out["assigned"], unassigned=out["unassigned"])
        return summary                      # the bulk path writes its own promise events
    _promises(uow, todo, now, actor)
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
            notes.append({"order_id": order_of[line_id], "line_id": line_id, "kind": "promised", "old": None,
                          "new": None, "at": now, "actor": actor,
                          "reason": f"promised {finish} at {site}" + (f" ({late} days late)" if late else "")})
    uow.demand.add_order_events(notes)


__all__ = ["ONLINE_MAX", "route_orders"]
