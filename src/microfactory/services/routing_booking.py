"""Booking a routed line into capacity rows and stock (pure helpers of the routing service).

Minutes are booked earliest day first, process by process, between the site's first day for
new work and the line's last allowed day; stock is reserved from the material, else its first
approved substitute with enough available, else as much as there is (the rest is to buy).
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from datetime import date, datetime, timedelta
from typing import Any

from microfactory.domain.inventory import Inventory, Movement
from microfactory.engines.routing import RoutingLine
from microfactory.services.routing_problem import QUALITY_TOKEN

EPS = 1e-6
CapKey = tuple[str, str, date]


def book(free: MutableMapping[CapKey, float], site_id: str, line: RoutingLine, first: date,
         last: date) -> tuple[date, dict[tuple[str, date], float]] | None:
    """Take the line's minutes from ``free`` earliest day first; (finish day, minutes per (process, day)).

    Returns None, leaving ``free`` unchanged, when the line does not fit by ``last``.
    """
    takes: dict[tuple[str, date], float] = {}
    finish = first
    for process, per_unit in sorted(line.minutes.items()):
        need = per_unit * line.qty
        day = first
        while need > EPS and day <= last:
            got = min(free.get((site_id, process, day), 0.0), need)
            if got > EPS:
                takes[(process, day)] = got
                need -= got
                finish = max(finish, day)
            day += timedelta(days=1)
        if need > EPS:
            return None
    for (process, day), m in takes.items():
        free[(site_id, process, day)] -= m
    return finish, takes


def material_plan(inv: Inventory, site_id: str, line: RoutingLine, at: datetime
                  ) -> tuple[Inventory, list[Movement], list[dict[str, Any]]]:
    """Reserve the line's materials at the site (reference: the line id); what was reserved and what to buy."""
    movements: list[Movement] = []
    plan: list[dict[str, Any]] = []
    for need in line.materials:
        if need.material_id.startswith(QUALITY_TOKEN):
            continue
        qty = need.qty_per_unit * line.qty
        chosen = next((m for m in need.acceptable if inv.available(site_id, m) >= qty - EPS), need.material_id)
        take = min(qty, max(0.0, inv.available(site_id, chosen)))
        if take > EPS:
            inv, moves = inv.reserve(site_id, chosen, take, line.id, at)
            movements.extend(moves)
        plan.append({"material": chosen, "qty": round(qty, 6), "reserved": round(take, 6),
                     "to_buy": round(max(0.0, qty - take), 6), "substitute": chosen != need.material_id})
    return inv, movements, plan


def available_stock(inv: Inventory) -> dict[tuple[str, str], float]:
    """On hand less reserved per (site, item)."""
    out: dict[tuple[str, str], float] = {}
    for (s, i, _), b in inv.lots.items():
        out[(s, i)] = out.get((s, i), 0.0) + b.qty
    for (s, i, _), q in inv.reservations.items():
        out[(s, i)] = out.get((s, i), 0.0) - q
    return out


def free_minutes(locked: Mapping[CapKey, list[float]]) -> dict[CapKey, float]:
    """Capacity less reserved per locked row (never below zero)."""
    return {k: max(0.0, cap - res) for k, (cap, res) in locked.items()}


__all__ = ["available_stock", "book", "free_minutes", "material_plan"]
