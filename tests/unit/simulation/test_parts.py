"""Arrivals, outages, QC, scenario files and the event queue."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from microfactory.errors import InvalidInput
from microfactory.simulation import (
    DemandParams,
    EventQueue,
    OutageParams,
    inspect_batch,
    site_outages,
    spec_from_dict,
    with_overrides,
)
from microfactory.simulation.arrivals import day_rates
from microfactory.simulation.outages import down_minutes_by_day
from microfactory.simulation.simnet import SimSite


def test_day_rate_is_base_times_weekday_times_campaign() -> None:
    """A Saturday (factor 0.5) inside a 3x campaign has mean 10 x 0.5 x 3 = 15 orders."""
    demand = spec_from_dict({"network": ".", "demand": {
        "orders_per_day": 10, "weekday_factors": [1, 1, 1, 1, 1, 0.5, 0.5],
        "campaigns": [{"start_day": 5, "days": 1, "factor": 3}]}}).demand
    assert day_rates(demand, date(2027, 1, 4), 5, ["a"]) == {None: 15.0}
    assert day_rates(demand, date(2027, 1, 4), 6, ["a"]) == {None: 5.0}


def _site(uptime: float) -> SimSite:
    return SimSite("s", 52.5, 13.4, {"sewing": (480.0,)}, ((480, 960),), (), (), {"sewing": 0.5}, uptime,
                   False, "in_house", "van", 1, 0, 1, None)


def test_site_outages_are_down_about_one_minus_uptime_of_the_time() -> None:
    """Over 20,000 days a site with uptime 0.9 is down about 10 % of the time."""
    rng = np.random.default_rng(1)
    outages = site_outages(rng, (_site(0.9),), 20000, OutageParams(site_mttr_days=2))
    share = sum(down_minutes_by_day(outages, "s", 20000)) / (20000 * 1440)
    assert 0.08 < share < 0.12


def test_perfect_uptime_has_no_random_outage() -> None:
    """Uptime 1 never fails."""
    assert site_outages(np.random.default_rng(1), (_site(1.0),), 100, OutageParams()) == []


def test_qc_without_defects_accepts_and_rejected_lots_rework_every_defect() -> None:
    """No defect rate: accepted and nothing escapes; a very bad lot is rejected and fully reworked."""
    rng = np.random.default_rng(2)
    good = inspect_batch(rng, 50, 0.0, 2.5)
    assert not good.rejected and good.escaped == 0 and good.defective == 0
    bad = inspect_batch(rng, 50, 0.9, 2.5)
    assert bad.rejected and bad.reworked == bad.defective and bad.escaped == 0


def test_event_queue_pops_by_time_then_push_order() -> None:
    """Ties at the same minute pop in the order they were pushed."""
    q = EventQueue()
    q.push(5, "b")
    q.push(1, "a")
    q.push(5, "c")
    assert [q.pop().kind for _ in range(3)] == ["a", "b", "c"]


def test_overrides_use_dotted_keys_and_validate() -> None:
    """A dotted override changes one field; a bad value is a typed error naming the field."""
    spec = with_overrides({"network": "."}, {"demand.orders_per_day": 80, "seed": 9})
    assert spec.demand.orders_per_day == 80 and spec.seed == 9
    with pytest.raises(InvalidInput) as exc:
        with_overrides({"network": "."}, {"policy.mode": "hoard"})
    assert exc.value.field == "policy.mode"


def test_unknown_scenario_keys_are_rejected() -> None:
    """A typo in a top-level key is an error, not silently ignored."""
    with pytest.raises(InvalidInput):
        spec_from_dict({"network": ".", "dayz": 3})
    with pytest.raises(InvalidInput):
        DemandParams(weekday_factors=(1.0, 1.0))


def test_a_scenario_can_set_the_routing_lateness_penalty() -> None:
    """planning.lateness_penalty_per_day reaches the cost model the routing sees; a negative one is refused."""
    from microfactory.adapters.files.scenario import load_scenario
    from microfactory.simulation import Simulator

    from .conftest import BERLIN, tiny_spec

    sc = load_scenario(BERLIN)
    sim = Simulator(tiny_spec(planning={"lateness_penalty_per_day": 50.0}), sc.network, sc.catalog)
    assert sim.flow.cost.lateness_penalty_per_day == 50.0
    assert Simulator(tiny_spec(), sc.network, sc.catalog).flow.cost.lateness_penalty_per_day == 5.0
    with pytest.raises(InvalidInput):
        tiny_spec(planning={"lateness_penalty_per_day": -1})
