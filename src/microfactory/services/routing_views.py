"""JSON-able views of routing in the store: assignments with explanations, capacity, runs."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from microfactory.errors import InvalidInput, NotFound


def assignment_view(uow: Any, order_id: str, brand: str | None = None, site: str | None = None) -> dict[str, Any]:
    """Per line of an order: site, cost, candidates with breakdowns, reasons others were rejected.

    With ``brand`` another brand's order is not found; with ``site`` only an order with a line at
    that site is found, and only the lines assigned there are shown."""
    order = uow.orders.get(order_id, brand=brand, site=site)
    stored = uow.routing.assignments([ln.id for ln in order.lines])
    items = []
    for ln in order.lines:
        a = stored.get(ln.id)
        if site is not None and (a is None or a["site_id"] != site):
            continue
        item: dict[str, Any] = {"line_id": ln.id, "sku": ln.sku, "quantity": ln.quantity, "status": ln.status.value,
                                "site_id": None, "routed": a is not None}
        if a is not None:
            detail = a["detail"]
            item.update(site_id=a["site_id"], cost=a["cost"], run_id=a["run_id"], at=a["at"],
                        breakdown=detail.get("cost"), candidates=detail.get("alternatives", []),
                        rejected=detail.get("rejected", {}), reason=detail.get("reason"),
                        finish=detail.get("finish"), days_late=detail.get("days_late"),
                        materials=detail.get("materials", []), replaced=bool(detail.get("replaced", False)))
        items.append(item)
    return {"order_id": order.id, "status": order.status.value, "items": items, "next_cursor": None}


def explain_line(uow: Any, line_id: str) -> dict[str, Any]:
    """The stored explanation of one line's routing and its capacity reservations."""
    uow.routing.order_of_line(line_id)
    a = uow.routing.assignments([line_id]).get(line_id)
    if a is None:
        raise NotFound(f"line {line_id!r} has not been routed yet", field="line_id")
    return {"line_id": line_id, "site_id": a["site_id"], "cost": a["cost"], "run_id": a["run_id"], "at": a["at"],
            "breakdown": a["detail"].get("cost"),
            **{k: v for k, v in a["detail"].items() if k not in ("line_id", "site_id", "cost")},
            "reservations": uow.routing.line_reservations(line_id)}


def capacity_view(uow: Any, site_id: str, first: date, days: int) -> dict[str, Any]:
    """Capacity against reserved minutes per process and day (capacity from the calendar if not stored)."""
    if not 1 <= days <= 366:
        raise InvalidInput("days must be between 1 and 366", field="days")
    site = uow.network.get_site(site_id)
    last = first + timedelta(days=days - 1)
    stored = uow.demand.capacity_rows([site_id], first, last)
    return {"site_id": site_id, "status": site.status.value, "from": first.isoformat(), "days": days,
            "items": capacity_items(site, first, days, stored), "next_cursor": None}


def capacity_items(site: Any, first: date, days: int,
                   stored: dict[tuple[str, str, date], tuple[float, float]]) -> list[dict[str, Any]]:
    """Per day and process of ``site``: capacity, reserved, free minutes and utilisation. ``stored``
    holds (capacity, reserved) per (site, process, day) where routing filled the table (any sites)."""
    items = []
    for k in range(days):
        day = first + timedelta(days=k)
        for p in sorted(site.processes):
            row = stored.get((site.id, p, day))
            cap = row[0] if row else site.process_minutes(p, day)
            res = row[1] if row else 0.0
            items.append({"day": day.isoformat(), "process": p, "capacity_min": round(cap, 3),
                          "reserved_min": round(res, 3), "free_min": round(max(0.0, cap - res), 3),
                          "utilisation": round(res / cap, 4) if cap > 0 else None})
    return items


def run_view(uow: Any, run_id: str) -> dict[str, Any]:
    """A stored routing run's summary."""
    return dict(uow.routing.get_run(run_id))


__all__ = ["assignment_view", "capacity_items", "capacity_view", "explain_line", "run_view"]
