"""Build the routing engine's problem from the domain (pure: no I/O, no clock).

``build_problem`` turns a ``Network``, a ``Catalog``, open order lines, material availability
and capacity already reserved into a :class:`~microfactory.engines.routing.RoutingProblem`.
Day 0 is ``start`` (a date); every date becomes a whole-day offset from it. The formulas
(capacity, lead time, delivery days, rates, setup cost) are written down in
``docs/routing-service.md``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from microfactory.domain.catalog import Catalog, ExplodedBom
from microfactory.domain.geo import haversine_km_raw
from microfactory.domain.network import Network, Site
from microfactory.domain.orders import DeliveryKind, Order, OrderLine
from microfactory.engines.cost_model import CostParams
from microfactory.engines.routing import MaterialNeed, RoutingLine, RoutingProblem, RoutingSite
from microfactory.errors import InvalidInput

#: Prefix of the pseudo-material that carries a quality suspension (site, product family).
QUALITY_TOKEN = "quality:"
#: A quality flag: a money penalty per line, or "suspended" (the site may not make the family).
QualityFlag = float | Literal["suspended"]


@dataclass(frozen=True, slots=True)
class OpenLine:
    """An order line to route, with its order (due date, customer, delivery, brand)."""

    order: Order
    line: OrderLine


@dataclass(frozen=True, slots=True)
class BuildParams:
    """Knobs of the problem builder (days are calendar days)."""

    max_late_days: int = 7
    horizon_days: int = 0            # 0: from the latest due date + max_late_days + a week
    ship_days_near: int = 1
    ship_days_far: int = 2
    ship_near_km: float = 300.0
    pickup_transfer_days: int = 1
    min_batch_shortfall_cost: float = 2.0
    unlimited: float = 1e9           # "stock" of a material a supplier of the network sells
    cost: CostParams = field(default_factory=CostParams)

    def __post_init__(self) -> None:
        for name in ("max_late_days", "horizon_days", "ship_days_near", "ship_days_far", "pickup_transfer_days"):
            if getattr(self, name) < 0:
                raise InvalidInput(f"{name} must be >= 0", field=name)
        for name in ("ship_near_km", "min_batch_shortfall_cost", "unlimited"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise InvalidInput(f"{name} must be a finite number >= 0", field=name)


@dataclass(frozen=True, slots=True)
class BuiltProblem:
    """The engine problem, its day 0, and the quality penalties it could not price."""

    problem: RoutingProblem
    start: date
    horizon_days: int
    unpriced_penalties: Mapping[tuple[str, str], float] = field(default_factory=dict)

    def day(self, offset: int) -> date:
        """The date of a day offset."""
        return self.start + timedelta(days=offset)


def production_sites(network: Network) -> tuple[Site, ...]:
    """Sites that can make something (at least one resource), in id order."""
    return tuple(sorted((s for s in network.sites if s.resources), key=lambda s: s.id))


def site_rates(site: Site) -> tuple[float, float, float]:
    """(staff money/hour, machine money/hour, setup money per batch) of a site.

    Staff: the mean hourly cost of its workers; machine: the unit-weighted mean hourly cost
    of its resources; setup: Σ over its processes of setup minutes × rate per minute.
    """
    staff = sum(w.cost_per_hour for w in site.workers) / len(site.workers) if site.workers else 0.0
    units = sum(r.units for r in site.resources)
    machine = sum(r.cost_per_hour * r.units for r in site.resources) / units if units else 0.0
    setup = sum(site.setup_minutes(p) * site.rate_per_minute(p) for p in sorted(site.processes))
    return staff, machine, setup


def lead_days(site: Site, start: date) -> int:
    """Calendar days from ``start`` to the site's first day for new work (lead time in working days)."""
    return (site.calendar.add_working_days(start, site.lead_time_days) - start).days


def capacity_minutes(site: Site, start: date, days: int,
                     reserved: Mapping[tuple[str, str, date], float]) -> dict[str, tuple[float, ...]]:
    """Free minutes per process and day: ``Site.process_minutes`` less what is already reserved."""
    out: dict[str, tuple[float, ...]] = {}
    for p in sorted(site.processes):
        row = []
        for d in range(days):
            day = start + timedelta(days=d)
            row.append(max(0.0, site.process_minutes(p, day) - reserved.get((site.id, p, day), 0.0)))
        out[p] = tuple(row)
    return out


def delivery_days(order: Order, sites: Sequence[Site], params: BuildParams) -> int:
    """Days between the end of production and delivery: same_day 0, pickup 0 + transfer, ship 1 or 2."""
    kind = order.delivery.kind
    if kind is DeliveryKind.SAME_DAY:
        return 0
    if kind is DeliveryKind.PICKUP:
        return params.pickup_transfer_days
    loc = order.customer_location
    near = min((haversine_km_raw(s.location.lat, s.location.lon, loc.lat, loc.lon) for s in sites), default=0.0)
    return params.ship_days_near if near <= params.ship_near_km else params.ship_days_far


def _destination(order: Order, network: Network) -> tuple[float, float]:
    if order.delivery.kind is DeliveryKind.PICKUP and order.delivery.store:
        store = network.site(order.delivery.store)
        return store.location.lat, store.location.lon
    return order.customer_location.lat, order.customer_location.lon


def _line(ol: OpenLine, network: Network, catalog: Catalog, sites: Sequence[Site], start: date,
          params: BuildParams, suspended_families: frozenset[str]) -> RoutingLine:
    order, line = ol.order, ol.line
    product = catalog.product(line.product_id)
    bom: ExplodedBom = catalog.explode(line.product_id, dict(line.options))
    needs = [MaterialNeed(m.material, m.qty, m.unit_cost, m.substitutes) for m in bom.materials]
    if product.family and product.family in suspended_families:
        needs.append(MaterialNeed(QUALITY_TOKEN + product.family, 1.0))
    due = (order.due - start).days - delivery_days(order, sites, params)
    created = min(max(0, (order.created.date() - start).days), due)
    lat, lon = _destination(order, network)
    return RoutingLine(
        id=line.id, order_id=order.id, brand=order.brand, product=line.product_id, sku=line.sku,
        qty=line.quantity, minutes=bom.minutes_by_process(), lat=lat, lon=lon, due_day=due, created_day=created,
        materials=tuple(needs), setup_key=bom.setup_key, channel=order.channel.value,
        keep_together=order.id if order.keep_together else None, weight_kg=product.weight_kg,
        family=product.family)


def _materials(site: Site, stock: Mapping[tuple[str, str], float] | None, purchasable: frozenset[str],
               catalog: Catalog, quality: Mapping[tuple[str, str], QualityFlag], families: frozenset[str],
               params: BuildParams) -> dict[str, float] | None:
    if stock is None and not families:
        return None
    if stock is None:
        out = {m: params.unlimited for m in catalog.materials}
    else:
        out = {m: params.unlimited for m in purchasable}
        out.update({m: max(0.0, q) for (s, m), q in stock.items() if s == site.id and m not in purchasable})
    for fam in families:
        out[QUALITY_TOKEN + fam] = 0.0 if quality.get((site.id, fam)) == "suspended" else params.unlimited
    return out


def build_problem(network: Network, catalog: Catalog, lines: Sequence[OpenLine], start: date, *,
                  stock: Mapping[tuple[str, str], float] | None = None,
                  reserved: Mapping[tuple[str, str, date], float] | None = None,
                  quality: Mapping[tuple[str, str], QualityFlag] | None = None,
                  params: BuildParams | None = None) -> BuiltProblem:
    """The routing problem of ``lines`` from day ``start``.

    ``stock``: available (on hand less reserved) quantity per (site, material); None leaves
    materials unchecked. Materials a supplier of the network sells count as unlimited.
    ``reserved``: minutes already reserved per (site, process, date). ``quality``: per (site,
    product family) a penalty or "suspended"; suspensions are enforced (the site may not make the
    family), penalties are added to the cost of every line of that family made at that site.
    """
    params = params or BuildParams()
    reserved = reserved or {}
    quality = quality or {}
    sites = production_sites(network)
    families = frozenset(f for (_, f), flag in quality.items() if flag == "suspended")
    built = [_line(ol, network, catalog, sites, start, params, families) for ol in lines]
    horizon = params.horizon_days or (max((ln.due_day for ln in built), default=0) + params.max_late_days + 8)
    horizon = max(horizon, 1)
    purchasable = frozenset(o.material for sup in network.suppliers for o in sup.offers)
    rsites = []
    for s in sites:
        staff, machine, setup = site_rates(s)
        rsites.append(RoutingSite(
            id=s.id, lat=s.location.lat, lon=s.location.lon, capacity=capacity_minutes(s, start, horizon, reserved),
            status=s.status.value, operator=s.operator.value, brands_allowed=s.brands,
            materials=_materials(s, stock, purchasable, catalog, quality, families, params),
            min_batch=s.min_batch, min_batch_shortfall_cost=params.min_batch_shortfall_cost, setup_cost=setup,
            lead_time_days=lead_days(s, start), delivery_days=0, delivery_mode=s.delivery_mode,
            staff_rate_per_hour=staff, machine_rate_per_hour=machine))
    per_unit = {k: float(v) for k, v in quality.items() if v != "suspended"}
    # A quality penalty is money per unit of the family made at the site: per line, times its quantity.
    site_penalty = {(ln.id, site): money * ln.qty for (site, fam), money in per_unit.items() if money
                    for ln in built if ln.family == fam}
    problem = RoutingProblem(tuple(rsites), tuple(built), 0, params.cost, site_penalty=site_penalty)
    return BuiltProblem(problem, start, horizon, {})


__all__ = [
    "QUALITY_TOKEN",
    "BuildParams",
    "BuiltProblem",
    "OpenLine",
    "QualityFlag",
    "build_problem",
    "capacity_minutes",
    "delivery_days",
    "lead_days",
    "production_sites",
    "site_rates",
]
