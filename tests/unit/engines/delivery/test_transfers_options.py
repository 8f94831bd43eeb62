"""Transfers between sites and the delivery options offered for an order."""

from __future__ import annotations

import math
from datetime import date

import pytest

from microfactory.domain.geo import Location, haversine_km_raw
from microfactory.engines.delivery import (
    Cadence,
    CarrierQuote,
    LocalRate,
    OptionsRequest,
    SitePoint,
    Store,
    TransferRate,
    delivery_options,
    pickup_option,
    transfer_leg,
)

KM = 180 / (math.pi * 6371.0088)  # degrees of longitude per km on the equator
FACTORY = SitePoint("mf-1", Location(0.0, 0.0))
STORE = Store(SitePoint("store-1", Location(0.0, 6 * KM)), open_minute=600, close_minute=1140)
MONDAY = date(2025, 3, 3)
RATE = TransferRate(mode="van", speed_kmh=30.0, cost_per_km=0.5, fixed_cost=5.0, handling_minutes=30,
                    road_factor=1.0)
QUOTE = CarrierQuote("dhl", "parcel", 6.5, 2, cutoff_minute=1020)


def request(ready: int = 9 * 60, customer_km: float = 3.0, **kw: object) -> OptionsRequest:
    return OptionsRequest(FACTORY, MONDAY, ready, Location(0.0, -customer_km * KM), 2.0, (STORE,), (QUOTE,),
                          transfer=RATE, local=LocalRate(road_factor=1.0), **kw)  # type: ignore[arg-type]


def test_transfer_leg_has_cost_duration_and_tonne_km_emissions() -> None:
    """6 km by van at 30 km/h: 12 + 30 handling minutes, 5 + 0.5 x 6 cost, 6 km x 0.010 t x 767.38 g."""
    leg = transfer_leg(FACTORY, STORE.site, 10.0, RATE)
    km = haversine_km_raw(0, 0, 0, 6 * KM)
    assert leg.duration_minutes == 42
    assert leg.cost == pytest.approx(5.0 + 0.5 * km, rel=1e-4)
    assert leg.kg_co2e == pytest.approx(km * 0.010 * 767.38 / 1000, rel=1e-4)


def test_pickup_needs_a_transfer_leg_and_is_ready_after_it() -> None:
    """Pickup at a store away from the factory carries the transfer leg; ready by = ready + leg time."""
    option = pickup_option(request(ready=10 * 60), STORE)
    assert option.kind == "pickup:store-1" and len(option.transfers) == 1
    assert option.transfers[0].destination == "store-1"
    assert (option.promised_date, option.promised_minute) == (MONDAY, 10 * 60 + 42)
    assert option.kg_co2e == pytest.approx(option.transfers[0].kg_co2e, abs=1e-6)


def test_pickup_after_closing_is_ready_next_opening() -> None:
    """Goods arriving after the store closes are ready at the next day's opening."""
    option = pickup_option(request(ready=18 * 60 + 30), STORE)
    assert option.promised_date == date(2025, 3, 4) and option.promised_minute == 600


def test_pickup_at_the_factory_itself_needs_no_transfer() -> None:
    """A store at the producing site hands over without a transfer leg or emissions."""
    here = Store(FACTORY, open_minute=480, close_minute=1200)
    option = pickup_option(request(), here)
    assert option.transfers == () and option.kg_co2e == 0.0 and option.promised_minute == 540


def test_same_day_within_radius_and_before_cut_off() -> None:
    """A customer 3 km away with goods ready at 9:00 gets same day, priced base + per km."""
    options, _ = delivery_options(request())
    same = next(o for o in options if o.kind == "same_day")
    km = haversine_km_raw(0, 0, 0, 3 * KM)
    assert same.promised_date == MONDAY and same.price == pytest.approx(round(4.0 + 0.3 * km, 2))
    assert same.last_mile is not None and same.last_mile.mode == "cargo_bike"


def test_same_day_after_cut_off_or_too_far_is_unavailable() -> None:
    """Ready at 15:00 after a 14:00 cut-off, or 30 km away: no same-day option, with a reason."""
    for req in (request(ready=15 * 60), request(customer_km=30.0)):
        options, unavailable = delivery_options(req)
        assert all(o.kind != "same_day" for o in options)
        assert any(u.kind == "same_day" for u in unavailable)


def test_parcel_promise_counts_transit_after_the_pickup_day() -> None:
    """Ready Monday 18:00 after the 17:00 carrier cut-off: picked up Tuesday, delivered Thursday."""
    options, _ = delivery_options(request(ready=18 * 60))
    parcel = next(o for o in options if o.kind == "parcel")
    assert parcel.promised_date == date(2025, 3, 6) and parcel.carrier == "dhl" and parcel.price == 6.5


def test_consolidated_ships_on_the_cadence_day_and_shares_the_price() -> None:
    """A Friday customer with 6 kg already going gets Friday delivery at a quarter of the same-day price."""
    options, _ = delivery_options(request(cadence=Cadence.weekly(4), consolidated_weight_kg=6.0))
    same = next(o for o in options if o.kind == "same_day")
    cons = next(o for o in options if o.kind == "consolidated")
    assert cons.promised_date == date(2025, 3, 7)
    assert cons.price == pytest.approx(round(same.price * 0.25, 2), abs=0.01)


def test_consolidated_is_unavailable_for_asap_customers() -> None:
    """An as-soon-as-possible customer is not offered consolidation."""
    _, unavailable = delivery_options(request())
    assert [u.kind for u in unavailable] == ["consolidated"]
