"""The network as the simulator sees it: sites with daily capacity and products with their work.

Built once per run from the domain :class:`Network` and :class:`Catalog`:

* a :class:`SimSite` per microfactory (stores and warehouses do not produce): full capacity in
  minutes per process and day from the site's calendar, resources and skilled workers
  (``Site.process_minutes`` divided by the uptime, because the simulator draws outages itself),
  its rates, delivery mode and days, and the resources and workers the scheduler needs; the
  routing engine sees the site's money rates as the routing service computes them (staff: mean
  worker cost per hour; machine: unit-weighted mean resource cost per hour; setup: sum over
  processes of setup minutes x rate per minute), so cheaper sites attract work in the run too;
* a :class:`SimProduct` per variant (up to ``variants_per_product`` of each product): minutes per
  process, the operations in order, materials cost per unit, weight and price.

:func:`centralise` replaces every microfactory by one plant holding all their resources (the
"centralised plant" what-if).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from microfactory.domain.catalog import Catalog
from microfactory.domain.geo import Location
from microfactory.domain.network import Network, Resource, Site, SiteKind, Worker
from microfactory.engines.scheduling import Resource as SchedResource
from microfactory.engines.scheduling import Worker as SchedWorker
from microfactory.errors import InvalidInput
from microfactory.simulation.scenario import Centralise


@dataclass(frozen=True, slots=True)
class SimSite:
    """A producing site: capacity per process per day (minutes), rates and scheduler resources."""

    id: str
    lat: float
    lon: float
    capacity: dict[str, tuple[float, ...]]
    open_minutes: tuple[tuple[int, int] | None, ...]
    resources: tuple[SchedResource, ...]
    workers: tuple[SchedWorker, ...]
    rate_per_minute: dict[str, float]
    uptime: float
    secondary: bool
    operator: str
    delivery_mode: str
    delivery_days: int
    lead_time_days: int
    min_batch: int
    brands: frozenset[str] | None
    staff_rate_per_hour: float = 0.0
    machine_rate_per_hour: float = 0.0
    setup_cost: float = 0.0


@dataclass(frozen=True, slots=True)
class SimProduct:
    """One variant to make: work per unit by process, ops in order, costs, weight, price."""

    sku: str
    product: str
    brand: str
    minutes: dict[str, float]
    ops: tuple[tuple[str, float, str], ...]
    material_cost: float
    weight_kg: float
    price: float


def _minutes(t: object) -> int:
    return t.hour * 60 + t.minute  # type: ignore[attr-defined, no-any-return]


def _sim_site(site: Site, start: date, days: int, delivery_days: int) -> SimSite:
    dates = [start + timedelta(d) for d in range(days)]
    capacity = {p: tuple(site.process_minutes(p, d) / site.uptime for d in dates) for p in sorted(site.processes)}
    cal = site.calendar
    open_minutes = tuple((_minutes(cal.start), _minutes(cal.end)) if cal.is_open(d) else None for d in dates)
    resources = tuple(SchedResource(r.id, r.process, r.units, r.cost_per_hour, int(r.setup_minutes), r.automated)
                      for r in site.resources)
    workers = tuple(SchedWorker(w.id, w.skills, w.cost_per_hour) for w in site.workers)
    if not workers:  # no worker list: machines are the limit (as in Site.process_minutes), one operator each
        workers = tuple(SchedWorker(f"{r.id}-op{k + 1}", frozenset({r.process})) for r in site.resources
                        for k in range(r.units))
    units = sum(r.units for r in site.resources)
    return SimSite(
        staff_rate_per_hour=sum(w.cost_per_hour for w in site.workers) / len(site.workers) if site.workers else 0.0,
        machine_rate_per_hour=sum(r.cost_per_hour * r.units for r in site.resources) / units if units else 0.0,
        setup_cost=sum(site.setup_minutes(p) * site.rate_per_minute(p) for p in sorted(site.processes)),
        id=site.id, lat=site.location.lat, lon=site.location.lon, capacity=capacity, open_minutes=open_minutes,
        resources=resources, workers=workers,
        rate_per_minute={p: site.rate_per_minute(p) for p in site.processes}, uptime=site.uptime,
        secondary=site.secondary, operator=site.operator.value, delivery_mode=site.delivery_mode,
        delivery_days=delivery_days, lead_time_days=site.lead_time_days, min_batch=site.min_batch,
        brands=site.brands)


def sim_sites(network: Network, start: date, days: int, use_secondary: bool = True,
              delivery_days: int = 1) -> tuple[SimSite, ...]:
    """Every producing site (secondary partners only when ``use_secondary``)."""
    sites = tuple(_sim_site(s, start, days, delivery_days) for s in network.sites
                  if s.kind is SiteKind.MICROFACTORY and s.resources and (use_secondary or not s.secondary))
    if not sites:
        raise InvalidInput("the network has no producing site to simulate", field="network")
    return sites


def sim_products(catalog: Catalog, variants_per_product: int = 3) -> tuple[SimProduct, ...]:
    """Up to ``variants_per_product`` variants of every product, exploded once."""
    out: list[SimProduct] = []
    for pid in sorted(catalog.products):
        product = catalog.products[pid]
        for variant in catalog.variants(pid, limit=variants_per_product):
            bom = catalog.explode(pid, dict(variant.choices))
            minutes: dict[str, float] = {}
            for op in bom.operations:
                minutes[op.process] = minutes.get(op.process, 0.0) + op.minutes_per_unit
            ops = tuple((op.process, op.minutes_per_unit, op.setup_key or bom.sku) for op in bom.operations)
            out.append(SimProduct(sku=bom.sku, product=pid, brand=product.brand, minutes=minutes, ops=ops,
                                  material_cost=sum(m.qty * m.unit_cost for m in bom.materials),
                                  weight_kg=product.weight_kg, price=product.price))
    if not out:
        raise InvalidInput("the catalog has no product to simulate", field="catalog")
    return tuple(out)


def _renamed(site: Site) -> tuple[tuple[Resource, ...], tuple[Worker, ...]]:
    res = tuple(replace(r, id=f"{site.id}/{r.id}") for r in site.resources)
    workers = tuple(replace(w, id=f"{site.id}/{w.id}", calendar=w.calendar or site.calendar) for w in site.workers)
    return res, workers


def centralise(network: Network, plan: Centralise) -> Network:
    """The network with its microfactories merged into one plant at ``plan``'s location."""
    makers = [s for s in network.sites if s.kind is SiteKind.MICROFACTORY and s.resources]
    if not makers:
        raise InvalidInput("nothing to centralise: no microfactory", field="network_transform")
    resources: list[Resource] = []
    workers: list[Worker] = []
    for s in makers:
        r, w = _renamed(s)
        resources.extend(r)
        workers.extend(w)
    plant = replace(makers[0], id="central-plant", name="Central plant", location=Location(plan.lat, plan.lon),
                    resources=tuple(resources), workers=tuple(workers), delivery_mode=plan.delivery_mode,
                    secondary=False, brands=None, same_day_radius_km=0.0)
    others = tuple(s for s in network.sites if s not in makers)
    return replace(network, sites=(plant, *others))
