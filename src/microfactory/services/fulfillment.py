"""Fulfillment use cases: where and when an order is ready, its delivery options, the
customer's preference center and the cadence ship groups of a site.

Ready rule (per line, the order is ready when its last line is):

1. a line already packed (or further) is ready now;
2. a line in a live batch with a planned end is ready at that end (never before now);
3. otherwise it is ready at the end of the producing site's shift on the site's
   ``lead_time_days``-th open day from today (0: today, if the shift has not ended).

Producing site: the line's assignment (``order_lines.site_id``, set by routing); a line
not yet routed falls back to the nearest microfactory that is up and serves the brand
(reported as ``site_basis: nearest``). A multi-site order is offered from the site of its
last-ready line (the consolidation of the other sites' lines is not priced).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from microfactory.adapters.carriers.port import Carrier, Party, ShipmentRequest
from microfactory.domain.catalog import Catalog
from microfactory.domain.geo import haversine_km
from microfactory.domain.network import Network, Site, SiteKind
from microfactory.domain.orders import PROGRESS, Order, OrderStatus
from microfactory.engines.delivery import (
    Cadence,
    CadenceLine,
    DeliveryOption,
    LocalRate,
    OptionsRequest,
    ShipGroup,
    SitePoint,
    Store,
    TransferRate,
    Unavailable,
    delivery_options,
    group_lines,
)
from microfactory.engines.emissions import MODE_ROWS
from microfactory.errors import InvalidInput, NotFound
from microfactory.services.ports import UnitOfWork

MIN_WEIGHT_KG = 0.1  # a parcel is never weightless
CHANNELS = ("email", "sms", "push", "none")
PACKED_OR_LATER = frozenset(PROGRESS[PROGRESS.index(OrderStatus.PACKED):])


def ff(uow: UnitOfWork) -> Any:
    """The unit of work's fulfillment repository (created lazily by the SQL unit of work)."""
    return getattr(uow, "fulfillment")  # noqa: B009 (a lazy repository, not in the UnitOfWork protocol)


@dataclass(frozen=True, slots=True)
class LineReady:
    """When and where one line is ready to leave, and on what basis."""

    line_id: str
    site_id: str
    site_basis: str      # assigned | nearest
    ready: datetime
    basis: str           # packed | batch | lead_time


def nearest_factory(network: Network, order: Order, catalog: Catalog | None = None) -> Site:
    """The nearest microfactory that is up, serves the order's brand and (given the catalog)
    has every process its products need."""
    needed: frozenset[str] = frozenset()
    if catalog is not None:
        needed = frozenset(p for ln in order.lines if ln.product_id in catalog.products
                           for p in catalog.products[ln.product_id].processes)
    sites = [s for s in network.factories if s.is_up and s.serves(order.brand) and needed <= s.processes]
    if not sites:
        raise NotFound(f"no microfactory can make order {order.id} (brand {order.brand})", field="site")
    return min(sites, key=lambda s: (haversine_km(s.location, order.customer_location), s.id))


def lead_time_ready(site: Site, now: datetime) -> datetime:
    """End of the site's shift on its lead-time-th open day from today (rule 3 above)."""
    day = site.calendar.add_working_days(now.date(), site.lead_time_days)
    ready = datetime.combine(day, site.calendar.end)
    if ready <= now:
        ready = datetime.combine(site.calendar.add_working_days(day, 1), site.calendar.end)
    return ready


def line_readiness(uow: UnitOfWork, network: Network, orders: Sequence[Order], now: datetime,
                   catalog: Catalog | None = None) -> list[LineReady]:
    """The ready time of every live line of ``orders`` (see the module docstring)."""
    repo = ff(uow)
    sites = repo.line_sites([o.id for o in orders])
    live = [(o, ln) for o in orders for ln in o.lines if ln.status is not OrderStatus.CANCELLED]
    batches = repo.line_batches([ln.id for _, ln in live])
    out = []
    for order, line in live:
        assigned = sites.get(line.id)
        site, site_basis = (network.site(assigned), "assigned") if assigned else (nearest_factory(network, order, catalog),
                                                                                  "nearest")
        batch = batches.get(line.id)
        if line.status in PACKED_OR_LATER:
            ready, basis = now, "packed"
        elif batch is not None and batch["planned_end"] is not None:
            ready, basis = max(batch["planned_end"], now), "batch"
        else:
            ready, basis = lead_time_ready(site, now), "lead_time"
        out.append(LineReady(line.id, site.id, site_basis, ready, basis))
    return out


def order_weight_kg(order: Order, catalog: Catalog) -> float:
    """Shipping weight: product weight x quantity over live lines (at least 0.1 kg)."""
    total = sum(catalog.products[ln.product_id].weight_kg * ln.quantity for ln in order.lines
                if ln.status is not OrderStatus.CANCELLED and ln.product_id in catalog.products)
    return max(total, MIN_WEIGHT_KG)


def site_point(site: Site) -> SitePoint:
    return SitePoint(site.id, site.location)


def store_of(site: Site) -> Store:
    cal = site.calendar
    return Store(site_point(site), cal.start.hour * 60 + cal.start.minute, cal.end.hour * 60 + cal.end.minute)


def local_rate(site: Site) -> LocalRate:
    """The site's own courier: its delivery mode and same-day radius, default tariff."""
    mode = site.delivery_mode if site.delivery_mode in MODE_ROWS else "van"
    return LocalRate(mode=mode, radius_km=site.same_day_radius_km)


def cadence_of(pref: dict[str, Any] | None) -> Cadence:
    if pref is None:
        return Cadence()
    return Cadence(pref["cadence"], weekday=pref["weekday"], anchor=pref["anchor"])


def party_of(order: Order) -> Party:
    return Party(order.customer_ref or order.id, order.customer_location)


@dataclass(frozen=True)
class OptionsResult:
    """Delivery options of one order and the plan facts they came from."""

    order: Order
    lines: tuple[LineReady, ...]
    site: Site
    weight_kg: float
    cadence: Cadence
    preferred: str
    options: tuple[DeliveryOption, ...]
    unavailable: tuple[Unavailable, ...]

    @property
    def ready(self) -> LineReady:
        return max(self.lines, key=lambda r: (r.ready, r.line_id))


def _consolidated_weight(uow: UnitOfWork, order: Order, catalog: Catalog) -> float:
    others = ff(uow).open_order_ids_of(order.customer_ref, exclude=order.id)
    return sum(order_weight_kg(uow.orders.get(o), catalog) for o in others)


def order_options(uow: UnitOfWork, order_id: str, now: datetime, carriers: Sequence[Carrier] = (),
                  transfer: TransferRate | None = None, brand: str | None = None) -> OptionsResult:
    """Same day, pickup at each store, parcel per carrier quote and consolidated, from the plan."""
    order = uow.orders.get(order_id, brand=brand)
    network = uow.network.load()
    catalog = uow.catalog.load(network, brand=order.brand)
    lines = line_readiness(uow, network, [order], now, catalog)
    if not lines:
        raise InvalidInput(f"order {order_id} has no live line to deliver", field="order_id")
    last = max(lines, key=lambda r: (r.ready, r.line_id))
    site = network.site(last.site_id)
    pref = ff(uow).preferences([order.customer_ref]).get(order.customer_ref)
    weight = order_weight_kg(order, catalog)
    request = ShipmentRequest(order.id, Party(site.name, site.location), party_of(order), weight)
    quotes = tuple(q for c in carriers for q in c.quote(request))
    stores = tuple(store_of(s) for s in network.stores if s.is_up and s.serves(order.brand))
    midnight = datetime.combine(now.date(), datetime.min.time())
    req = OptionsRequest(site_point(site), now.date(), int((last.ready - midnight).total_seconds() // 60),
                         order.customer_location, weight, stores, quotes, cadence_of(pref), local_rate(site),
                         transfer or TransferRate(), _consolidated_weight(uow, order, catalog))
    options, unavailable = delivery_options(req)
    store = order.delivery.store or (pref or {}).get("pickup_store")
    preferred = f"pickup:{store}" if store else ("parcel" if str(order.delivery) == "ship" else str(order.delivery))
    return OptionsResult(order, tuple(lines), site, weight, req.cadence, preferred, tuple(options),
                         tuple(unavailable))


# -- preference center ---------------------------------------------------------------------

@dataclass(frozen=True)
class PreferenceRequest:
    """A customer's delivery preferences: cadence (asap | weekly on weekday | biweekly from anchor)."""

    brand: str
    cadence: str = "asap"
    weekday: int | None = None
    anchor: date | None = None
    channel: str = "email"
    pickup_store: str | None = None


def set_preference(uow: UnitOfWork, customer_ref: str, req: PreferenceRequest, now: datetime,
                   actor: str = "system") -> dict[str, Any]:
    """Store (replace) a customer's preferences after validating them against the network."""
    if not customer_ref.strip():
        raise InvalidInput("a customer reference is required", field="customer_ref")
    cadence = Cadence(req.cadence, weekday=req.weekday if req.cadence == "weekly" else None,
                      anchor=req.anchor if req.cadence == "biweekly" else None)
    if req.channel not in CHANNELS:
        raise InvalidInput(f"channel must be one of {', '.join(CHANNELS)}", field="channel")
    network = uow.network.load()
    network.brand(req.brand)
    if req.pickup_store is not None:
        store = next((s for s in network.sites if s.id == req.pickup_store), None)
        if store is None or store.kind is not SiteKind.STORE:
            raise InvalidInput(f"{req.pickup_store!r} is not a store of the network", field="pickup_store")
    ff(uow).put_preference(customer_ref, req.brand, cadence.kind, cadence.weekday, cadence.anchor, req.channel,
                        req.pickup_store, now)
    uow.audit.add(actor, "preference.set", "customer", customer_ref,
                  {"cadence": cadence.kind, "weekday": cadence.weekday, "channel": req.channel}, now)
    return get_preference(uow, customer_ref)


def get_preference(uow: UnitOfWork, customer_ref: str, brand: str | None = None) -> dict[str, Any]:
    """A customer's stored preferences (with ``brand``: only if that brand stored them)."""
    pref = ff(uow).preferences([customer_ref], brand=brand).get(customer_ref)
    if pref is None:
        raise NotFound(f"customer {customer_ref!r} has no stored preferences", field="customer_ref")
    return {**pref, "anchor": pref["anchor"].isoformat() if pref["anchor"] else None,
            "updated_at": pref["updated_at"].isoformat()}


def customer_key(order: Order) -> str:
    """Whose lines ship together: the customer reference, or the order itself when anonymous."""
    return order.customer_ref or f"order:{order.id}"


def ship_groups(uow: UnitOfWork, site: str, day: date, now: datetime) -> list[ShipGroup]:
    """The groups of lines at ``site`` that ship on ``day``, each customer's lines together on
    their cadence day (lines not yet shipped; a line ready in the past counts as ready today)."""
    network = uow.network.load()
    network.site(site)
    orders = [uow.orders.get(o) for o in ff(uow).order_ids_with_lines_at(site)]
    owner = {ln.id: o for o in orders for ln in o.lines}
    ready = [r for r in line_readiness(uow, network, orders, now) if r.site_id == site
             and owner[r.line_id].line(r.line_id).status not in PACKED_OR_LATER - {OrderStatus.PACKED}]
    lines = [CadenceLine(r.line_id, customer_key(owner[r.line_id]), max(r.ready.date(), now.date()))
             for r in ready]
    prefs = ff(uow).preferences({c.customer_id for c in lines})
    groups = group_lines(lines, {ref: cadence_of(p) for ref, p in prefs.items()})
    return [g for g in groups if g.ship_date == day]
