"""Network: calendars, process capacity, rates, sites, suppliers and lookups."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, datetime, time

import pytest

from microfactory.domain.geo import Location, haversine_km
from microfactory.domain.network import (
    Brand,
    Calendar,
    Network,
    Operator,
    Resource,
    Site,
    SiteKind,
    SiteStatus,
    SupplierOffer,
    Worker,
)
from microfactory.errors import InvalidInput, NotFound

MON, TUE, WED, THU, FRI, SAT, SUN = (date(2026, 12, d) for d in range(21, 28))
XMAS = Calendar(days_off=frozenset({FRI, SAT}))  # Mon–Fri 08:00–17:00, 25 and 26 December off


def workshop(**changes: object) -> Site:
    """Mon–Fri 08:00–16:00 (480 min): 3 staffed sewing machines, a staffed and an automated cutter, 2 automated printers."""
    site = Site(
        id="kb", name="Kreuzberg", kind=SiteKind.MICROFACTORY, operator=Operator.IN_HOUSE,
        location=Location(52.4986, 13.4030), calendar=Calendar(start=time(8), end=time(16)),
        resources=(Resource("sew", "sewing", units=3, cost_per_hour=3, setup_minutes=10),
                   Resource("cut-auto", "cutting", cost_per_hour=18, setup_minutes=25, automated=True),
                   Resource("cut-hand", "cutting", cost_per_hour=12, setup_minutes=5),
                   Resource("dtg", "printing", units=2, cost_per_hour=16, setup_minutes=15, automated=True)),
        workers=(Worker("w1", frozenset({"sewing"}), 20),
                 Worker("w2", frozenset({"sewing", "cutting"}), 24),
                 Worker("w3", frozenset({"sewing"}), 22,
                        calendar=Calendar(weekdays=frozenset({0}), start=time(8), end=time(12)))),
    )
    return replace(site, **changes)


def test_default_calendar_is_weekdays_eight_to_five() -> None:
    """The default calendar is Monday to Friday, 08:00–17:00: 540 minutes a day."""
    cal = Calendar()
    assert cal.shift_minutes == 540
    assert cal.minutes_on(MON) == 540 and cal.minutes_on(SAT) == 0


def test_days_off_and_weekends_are_closed() -> None:
    """Thursday 24 December is open; Friday 25 (day off) and Sunday 27 are not."""
    assert XMAS.is_open(THU) and not XMAS.is_open(FRI) and not XMAS.is_open(SUN)
    assert XMAS.open_interval(THU) == (datetime(2026, 12, 24, 8), datetime(2026, 12, 24, 17))
    assert XMAS.open_interval(FRI) is None


def test_open_days_over_two_weeks() -> None:
    """From Monday 21 December, 14 days hold 9 open days (Mon–Thu twice, and Friday 1 January)."""
    days = XMAS.open_days(MON, 14)
    assert len(days) == 9
    assert days[3] == THU and days[4] == date(2026, 12, 28) and days[-1] == date(2027, 1, 1)


def test_add_working_days_skips_days_off_and_weekends() -> None:
    """One working day after Thursday 24 December is Monday 28 (25 and 26 off, 27 Sunday)."""
    assert XMAS.add_working_days(THU, 1) == date(2026, 12, 28)
    assert XMAS.add_working_days(WED, 2) == date(2026, 12, 28)
    assert XMAS.add_working_days(MON, 3) == THU


def test_add_zero_working_days_rolls_to_an_open_day() -> None:
    """Zero days from an open day is that day; from a closed day it is the next open day."""
    assert XMAS.add_working_days(TUE, 0) == TUE
    assert XMAS.add_working_days(SAT, 0) == date(2026, 12, 28)


def test_calendar_shape_is_validated() -> None:
    """A shift ending before it starts, or a week without open days, is refused."""
    with pytest.raises(InvalidInput):
        Calendar(start=time(17), end=time(8))
    with pytest.raises(InvalidInput) as err:
        Calendar(weekdays=frozenset())
    assert err.value.field == "weekdays"
    with pytest.raises(InvalidInput):
        Calendar(weekdays=frozenset({7}))


def test_staffed_capacity_is_capped_by_skilled_staff() -> None:
    """Tuesday sewing: 3 machines × 480 = 1,440, but staff is w1 (480) plus half of w2 (who also cuts): 720."""
    assert workshop().process_minutes("sewing", TUE) == 720


def test_worker_calendar_counts_on_their_days() -> None:
    """Monday sewing: w3 adds 240 minutes (08:00–12:00): 480 + 240 + 240 = 960 staff minutes under 1,440."""
    assert workshop().process_minutes("sewing", MON) == 960


def test_automated_resources_need_no_worker() -> None:
    """Cutting: the staffed cutter gets half of w2's day (240), the automated one runs 480 without anyone."""
    assert workshop().process_minutes("cutting", TUE) == 720
    assert workshop().process_minutes("printing", TUE) == 960
    assert workshop(workers=(Worker("w9", frozenset({"packing"})),)).process_minutes("printing", TUE) == 960


def test_staffed_process_without_skilled_worker_has_no_capacity() -> None:
    """When the site has workers but none can sew, sewing has no capacity; automated cutting keeps 480."""
    site = workshop(workers=(Worker("w9", frozenset({"packing"})),))
    assert site.process_minutes("sewing", TUE) == 0
    assert site.process_minutes("cutting", TUE) == 480


def test_site_without_workers_counts_machine_time() -> None:
    """A site with no workers listed is limited by machines only: 3 × 480 sewing minutes."""
    assert workshop(workers=()).process_minutes("sewing", TUE) == 1440


def test_uptime_scales_capacity() -> None:
    """At 90 % uptime, Tuesday sewing is 0.9 × 720 = 648 minutes."""
    assert workshop(uptime=0.9).process_minutes("sewing", TUE) == pytest.approx(648)


def test_closed_day_and_unknown_process_have_no_capacity() -> None:
    """Saturday, or a process without resources, gives zero minutes."""
    assert workshop().process_minutes("sewing", SAT) == 0
    assert workshop().process_minutes("upholstery", TUE) == 0


def test_rate_per_minute_is_machine_plus_skilled_labour() -> None:
    """Sewing: (3 €/h machine + mean of 20, 24, 22 €/h labour) / 60 = 25/60 € a minute."""
    assert workshop().rate_per_minute("sewing") == pytest.approx(25 / 60)


def test_rate_averages_machines_of_the_process() -> None:
    """Cutting: (mean of 18 and 12 = 15 €/h) + 24 €/h for w2 = 39/60 € a minute."""
    assert workshop().rate_per_minute("cutting") == pytest.approx(39 / 60)


def test_fully_automated_process_has_no_labour_cost() -> None:
    """Printing on automated machines only costs the machine rate: 16/60 € a minute."""
    assert workshop().rate_per_minute("printing") == pytest.approx(16 / 60)


def test_rate_for_a_missing_process_is_not_found() -> None:
    """Asking the rate of a process the site lacks raises NotFound."""
    with pytest.raises(NotFound):
        workshop().rate_per_minute("upholstery")


def test_setup_minutes_is_the_longest_of_the_process() -> None:
    """Cutting setup is the larger of 25 and 5 minutes; a missing process has none."""
    assert workshop().setup_minutes("cutting") == 25
    assert workshop().setup_minutes("upholstery") == 0


def test_site_values_are_validated() -> None:
    """Uptime outside (0, 1], a batch below 1, or repeated resource/worker ids are refused."""
    for bad in ({"uptime": 0.0}, {"uptime": 1.2}, {"min_batch": 0}, {"lead_time_days": -1},
                {"workers": (Worker("sew", frozenset({"sewing"})),)}):
        with pytest.raises(InvalidInput):
            workshop(**bad)


def test_resource_and_worker_values_are_validated() -> None:
    """A resource needs at least one unit and non-negative costs; a worker needs a skill."""
    with pytest.raises(InvalidInput):
        Resource("r", "sewing", units=0)
    with pytest.raises(InvalidInput):
        Resource("r", "sewing", cost_per_hour=-1)
    with pytest.raises(InvalidInput):
        Worker("w", frozenset())


def test_brands_served_and_status() -> None:
    """A site without a brand list serves every brand; a listed site only its brands; status can go down."""
    assert workshop().serves("anyone")
    limited = workshop(brands=frozenset({"kiez"}))
    assert limited.serves("kiez") and not limited.serves("spree")
    down = workshop().with_status(SiteStatus.DOWN)
    assert not down.is_up and workshop().is_up
    assert workshop().processes == frozenset({"sewing", "cutting", "printing"})


def test_network_lookups() -> None:
    """Sites and brands are found by id, unknown ids raise NotFound; factories and stores are split by kind."""
    store = Site("st", "Store", SiteKind.STORE, Operator.FRANCHISE, Location(52.5, 13.4))
    net = Network("Berlin", (Brand("kiez", "Kiez"),), (workshop(), store))
    assert net.site("st") is store and net.brand("kiez").name == "Kiez"
    assert net.factories == (workshop(),) and net.stores == (store,)
    assert net.processes == frozenset({"sewing", "cutting", "printing"})
    with pytest.raises(NotFound):
        net.site("nope")
    with pytest.raises(NotFound):
        net.brand("nope")
    changed = net.with_site(workshop().with_status(SiteStatus.DOWN))
    assert changed.site("kb").status is SiteStatus.DOWN and net.site("kb").status is SiteStatus.UP


def test_supplier_price_breaks() -> None:
    """9.80 below 100 m, 9.10 from 100 m on."""
    offer = SupplierOffer("denim", 2, 20, ((100, 9.10), (0, 9.80)))
    assert offer.unit_price(50) == 9.80
    assert offer.unit_price(100) == 9.10
    assert offer.unit_price(500) == 9.10


def test_haversine_one_degree_of_latitude() -> None:
    """One degree of latitude is 2π·6371.0088/360 ≈ 111.195 km; a point is 0 km from itself."""
    assert haversine_km(Location(52, 13), Location(53, 13)) == pytest.approx(2 * math.pi * 6371.0088 / 360)
    assert haversine_km(Location(52.5, 13.4), Location(52.5, 13.4)) == 0


def test_location_range_is_checked() -> None:
    """Latitude beyond ±90 or longitude beyond ±180 is refused."""
    with pytest.raises(ValueError):
        Location(91, 0)
    with pytest.raises(ValueError):
        Location(0, -181)
