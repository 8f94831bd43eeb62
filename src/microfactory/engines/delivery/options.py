"""Delivery options for one order, computed from the plan's ready time, tariffs and places.

Options: ``same_day`` (local courier from the producing site, or from a store after a
transfer, within a radius and before a cut-off), ``pickup:<store>`` (with the transfer
leg and a ready-by time), ``parcel`` (one per carrier quote) and ``consolidated`` (on
the customer's cadence). Emissions follow ISO 14083 tonne-km allocation through
:mod:`microfactory.engines.emissions`; the customer's own trip to a store is not counted.
Times: minutes from ``horizon_start`` (midnight); promised dates are calendar dates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from microfactory.domain.geo import Location, haversine_km_raw
from microfactory.engines.delivery.cadence import Cadence, ship_date
from microfactory.engines.delivery.transfers import (
    SitePoint,
    TransferLeg,
    TransferRate,
    transfer_leg,
)
from microfactory.engines.emissions import MODE_ROWS, LegEmissions, leg_emissions
from microfactory.errors import InvalidInput

DAY = 24 * 60


@dataclass(frozen=True, slots=True)
class Store:
    """A store where customers pick up: opening hours (minute of day) and a pickup fee."""

    site: SitePoint
    open_minute: int = 10 * 60
    close_minute: int = 19 * 60
    pickup_fee: float = 0.0

    def __post_init__(self) -> None:
        if not 0 <= self.open_minute < self.close_minute <= DAY:
            raise InvalidInput(f"store {self.site.id}: opening hours are not within a day", field="open_minute")


@dataclass(frozen=True, slots=True)
class CarrierQuote:
    """A carrier's offer: price, transit days after pickup, and the daily pickup cut-off."""

    carrier: str
    service: str
    price: float
    transit_days: int
    cutoff_minute: int = 17 * 60
    mode: str = "parcel"

    def __post_init__(self) -> None:
        if self.price < 0 or self.transit_days < 0 or not 0 <= self.cutoff_minute <= DAY:
            raise InvalidInput(f"quote {self.carrier}/{self.service} is not valid", field="price")
        if self.mode not in MODE_ROWS:
            raise InvalidInput(f"quote {self.carrier}: unknown mode {self.mode!r}", field="mode")


@dataclass(frozen=True, slots=True)
class LocalRate:
    """The network's own courier: tariff, mode, radius, dispatch cut-off and delivery end."""

    base_price: float = 4.0
    price_per_km: float = 0.3
    mode: str = "cargo_bike"
    radius_km: float = 8.0
    cutoff_minute: int = 14 * 60
    deliver_by_minute: int = 20 * 60
    road_factor: float = 1.3

    def __post_init__(self) -> None:
        if self.mode not in MODE_ROWS or self.radius_km < 0 or self.road_factor < 1.0:
            raise InvalidInput("local courier rate is not valid", field="mode")
        if not 0 <= self.cutoff_minute <= self.deliver_by_minute <= DAY:
            raise InvalidInput("cut-off must come before the delivery end, within a day", field="cutoff_minute")


@dataclass(frozen=True, slots=True)
class OptionsRequest:
    """Everything needed to offer options for one order."""

    site: SitePoint
    horizon_start: date
    ready_minute: int
    customer: Location
    weight_kg: float
    stores: tuple[Store, ...] = ()
    quotes: tuple[CarrierQuote, ...] = ()
    cadence: Cadence = field(default_factory=Cadence)
    local: LocalRate = field(default_factory=LocalRate)
    transfer: TransferRate = field(default_factory=TransferRate)
    consolidated_weight_kg: float = 0.0

    def __post_init__(self) -> None:
        if self.ready_minute < 0:
            raise InvalidInput("ready time must not be negative", field="ready_minute")
        if self.weight_kg <= 0 or self.consolidated_weight_kg < 0:
            raise InvalidInput("weight must be positive", field="weight_kg")


@dataclass(frozen=True, slots=True)
class DeliveryOption:
    """One way to get the order to the customer, with promise, price and emissions."""

    kind: str
    promised_date: date
    promised_minute: int
    price: float
    kg_co2e: float
    transfers: tuple[TransferLeg, ...] = ()
    last_mile: LegEmissions | None = None
    carrier: str | None = None


@dataclass(frozen=True, slots=True)
class Unavailable:
    """An option that cannot be offered, and why."""

    kind: str
    reason: str


def _at(req: OptionsRequest, minute: int) -> tuple[date, int]:
    return req.horizon_start + timedelta(days=minute // DAY), minute % DAY


def _road_km(a: Location, b: Location, factor: float) -> float:
    return haversine_km_raw(a.lat, a.lon, b.lat, b.lon) * factor


def _same_day_from(req: OptionsRequest, origin: SitePoint, leg: TransferLeg | None
                   ) -> DeliveryOption | str:
    km = _road_km(origin.location, req.customer, req.local.road_factor)
    ready = req.ready_minute + (leg.duration_minutes if leg else 0)
    day, minute = _at(req, ready)
    if km > req.local.radius_km:
        return f"customer is {km:.1f} km from {origin.id}, beyond the {req.local.radius_km} km radius"
    if minute > req.local.cutoff_minute:
        return f"ready at {origin.id} at minute {minute}, after the {req.local.cutoff_minute} cut-off"
    mile = leg_emissions(req.local.mode, km, req.weight_kg)
    legs = (leg,) if leg else ()
    return DeliveryOption("same_day", day, req.local.deliver_by_minute,
                          round(req.local.base_price + req.local.price_per_km * km, 2),
                          round(mile.kg_co2e + sum(t.kg_co2e for t in legs), 6), legs, mile, "local")


def same_day_option(req: OptionsRequest) -> DeliveryOption | Unavailable:
    """Same day from the site, else from the first store that the transfer reaches in time."""
    first = _same_day_from(req, req.site, None)
    if isinstance(first, DeliveryOption):
        return first
    for store in req.stores:
        leg = transfer_leg(req.site, store.site, req.weight_kg, req.transfer)
        option = _same_day_from(req, store.site, leg)
        if isinstance(option, DeliveryOption):
            return option
    return Unavailable("same_day", first)


def pickup_option(req: OptionsRequest, store: Store) -> DeliveryOption:
    """Pickup at ``store``: a transfer leg from the site (none if co-located), ready by opening hours."""
    legs: tuple[TransferLeg, ...] = ()
    arrive = req.ready_minute
    if store.site.id != req.site.id:
        leg = transfer_leg(req.site, store.site, req.weight_kg, req.transfer)
        legs, arrive = (leg,), arrive + leg.duration_minutes
    day, minute = _at(req, arrive)
    if minute > store.close_minute:
        day, minute = day + timedelta(days=1), store.open_minute
    minute = max(minute, store.open_minute)
    return DeliveryOption(f"pickup:{store.site.id}", day, minute, store.pickup_fee,
                          round(sum(t.kg_co2e for t in legs), 6), legs)


def parcel_option(req: OptionsRequest, quote: CarrierQuote) -> DeliveryOption:
    """Parcel with ``quote``: picked up the ready day if before its cut-off, then transit days."""
    day, minute = _at(req, req.ready_minute)
    if minute > quote.cutoff_minute:
        day += timedelta(days=1)
    km = _road_km(req.site.location, req.customer, req.transfer.road_factor)
    mile = leg_emissions(quote.mode, km, req.weight_kg)
    return DeliveryOption("parcel", day + timedelta(days=quote.transit_days), DAY - 1, quote.price,
                          round(mile.kg_co2e, 6), (), mile, quote.carrier)


def consolidated_option(req: OptionsRequest) -> DeliveryOption | Unavailable:
    """Delivery on the customer's cadence day, sharing the run's price with their other lines."""
    if req.cadence.kind == "asap":
        return Unavailable("consolidated", "customer's cadence is as soon as possible")
    day, minute = _at(req, req.ready_minute)
    if minute > req.local.cutoff_minute:
        day += timedelta(days=1)
    ship = ship_date(req.cadence, day)
    share = req.weight_kg / (req.weight_kg + req.consolidated_weight_kg)
    start = minute if ship == _at(req, req.ready_minute)[0] else 0
    at_ship = OptionsRequest(req.site, ship, start, req.customer, req.weight_kg, req.stores, req.quotes,
                             Cadence(), req.local, req.transfer)
    base = same_day_option(at_ship)
    if isinstance(base, Unavailable):
        if not req.quotes:
            return Unavailable("consolidated", "outside the local radius and no carrier quote")
        base = parcel_option(at_ship, min(req.quotes, key=lambda q: (q.price, q.transit_days)))
    return DeliveryOption("consolidated", base.promised_date, base.promised_minute,
                          round(base.price * share, 2), base.kg_co2e, base.transfers, base.last_mile,
                          base.carrier)


def delivery_options(req: OptionsRequest) -> tuple[list[DeliveryOption], list[Unavailable]]:
    """All options for one order (one parcel option per quote), plus those unavailable and why."""
    options: list[DeliveryOption] = []
    unavailable: list[Unavailable] = []
    for found in (same_day_option(req), consolidated_option(req)):
        if isinstance(found, DeliveryOption):
            options.append(found)
        else:
            unavailable.append(found)
    options += [pickup_option(req, store) for store in req.stores]
    options += [parcel_option(req, q) for q in req.quotes]
    if not req.quotes:
        unavailable.append(Unavailable("parcel", "no carrier quote"))
    order = {"same_day": 0, "pickup": 1, "parcel": 2, "consolidated": 3}
    options.sort(key=lambda o: (order[o.kind.split(":")[0]], o.promised_date, o.price))
    return options, unavailable
