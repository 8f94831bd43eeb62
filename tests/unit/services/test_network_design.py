"""Network design from order history: demand points, existing sites, the design and its simulation check."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from microfactory.adapters.files.candidates import candidates_from_dict
from microfactory.adapters.files.scenario import Scenario, load_scenario
from microfactory.domain.geo import Location
from microfactory.domain.network import Network, Operator, Resource, Site, SiteKind
from microfactory.services.network_design import (
    DemandLine,
    demand_lines,
    demand_points,
    design_view,
    existing_sites,
    history_days,
    mean_minutes,
    verdict,
)

BERLIN = Path(__file__).resolve().parents[3] / "examples" / "berlin"
PANKOW = {"id": "mf-pankow", "location": {"lat": 52.569, "lon": 13.402}, "fixed_cost_per_week": 600,
          "variable_cost_per_unit": 14.0, "capacity_units_per_week": 150,
          "processes": ["cutting", "sewing", "finishing", "packing"]}
FAST = {"sim_days": 3, "sim_routing": "greedy", "time_limit_s": 5, "seed": 1}


@pytest.fixture(scope="module")
def berlin() -> Scenario:
    return load_scenario(BERLIN)


def test_demand_points_pool_a_cell_per_process_set_in_units_per_week() -> None:
    """Two sewing lines in one cell make one point (6 units over 2 weeks = 3 a week); printing is its own point."""
    sew = (("packing", 2.0), ("sewing", 40.0))
    lines = [DemandLine(52.51, 13.41, 2, sew, 0.5), DemandLine(52.52, 13.42, 4, sew, 0.5),
             DemandLine(52.51, 13.41, 1, (("printing", 3.0),), 0.2)]
    points = demand_points(lines, weeks=2.0, grid_deg=0.05)
    by_procs = {p.processes: p for p in points}
    assert len(points) == 2
    sewing = by_procs[frozenset({"packing", "sewing"})]
    assert sewing.volume_units == 3.0
    assert abs(sewing.lat - (52.51 * 2 + 52.52 * 4) / 6) < 1e-9
    assert by_procs[frozenset({"printing"})].volume_units == 0.5
    assert mean_minutes(lines) == {"packing": 2.0, "printing": 3.0, "sewing": 40.0}


def test_an_existing_site_has_its_weekly_unit_capacity_and_conversion_cost() -> None:
    """2 sewing machines x 2,700 min / 40 min = 135 units a week; cost 40 x 12/60 + 2 x 3/60 = 8.10 a unit."""
    site = Site("mf-a", "A", SiteKind.MICROFACTORY, Operator.IN_HOUSE, Location(52.5, 13.4),
                resources=(Resource("s", "sewing", 2, cost_per_hour=12.0), Resource("p", "packing", 1, cost_per_hour=3.0)))
    net = Network("n", (), (site,))
    (cs,) = existing_sites(net, {"sewing": 40.0, "packing": 2.0})
    assert cs.existing and cs.fixed_cost == 0.0
    assert abs(cs.capacity_units - 135.0) < 1e-9
    assert abs(cs.variable_cost_per_unit - 8.10) < 1e-9


def test_order_history_of_berlin_becomes_lines_over_fifteen_days(berlin: Scenario) -> None:
    """Every order line of the example is demand; the history runs from 1 to 15 December."""
    lines = demand_lines(berlin.orders, berlin.catalog)
    assert len(lines) == sum(len(o.lines) for o in berlin.orders)
    assert sum(ln.units for ln in lines) == sum(ln.quantity for o in berlin.orders for ln in o.lines)
    assert history_days(list(berlin.orders)) == 15


def test_the_verdict_confirms_cheaper_or_more_punctual_and_refuses_worse_service() -> None:
    """Cheaper at equal service, or clearly more punctual at a cost, confirm; falling on-time refuses."""
    base = {"on_time_rate": 0.80, "total_cost_per_order": 50.0}
    assert verdict(base, {"on_time_rate": 0.80, "total_cost_per_order": 49.0})[0]
    assert verdict(base, {"on_time_rate": 0.90, "total_cost_per_order": 55.0})[0]
    assert not verdict(base, {"on_time_rate": 0.81, "total_cost_per_order": 55.0})[0]
    assert not verdict(base, {"on_time_rate": 0.70, "total_cost_per_order": 40.0})[0]


def test_design_opens_a_cheap_partner_and_checks_it_in_the_simulator(berlin: Scenario) -> None:
    """A low-cost partner is opened next to the fixed existing sites and simulated with and without."""
    cf = candidates_from_dict({"candidates": [PANKOW], "settings": {**FAST, "promise_days": 2,
                                                                   "speed_km_per_day": 40}})
    view = design_view(berlin.network, berlin.catalog, list(berlin.orders), cf)
    d = view["design"]
    assert d["status"] == "optimal" and d["gap"] <= 1e-6 and d["seed"] == 1
    assert view["new_sites"] == ["mf-pankow"] and "mf-kreuzberg" in d["opened"]
    assert abs(d["objective"] - sum(d["costs"].values())) < 1e-6
    assert view["lead_time_promise"]["kept"] and view["lead_time_promise"]["max_road_km"] == 40.0
    sim = view["simulation"]
    assert sim["without"]["orders"] == sim["with"]["orders"] > 0  # same seed, same demand
    assert sim["with"]["fixed_cost_per_order"] > 0 == sim["without"]["fixed_cost_per_order"]
    assert view["recommendation"].startswith("open mf-pankow" if sim["confirmed"] else "do not open")


def test_an_expensive_candidate_is_not_opened_and_nothing_is_simulated(berlin: Scenario) -> None:
    """With a fixed cost far above any saving the existing network stays as it is."""
    cf = candidates_from_dict({"candidates": [{**PANKOW, "fixed_cost_per_week": 1e6}], "settings": FAST})
    view = design_view(berlin.network, berlin.catalog, list(berlin.orders), cf)
    assert view["new_sites"] == [] and view["simulation"] is None
    assert view["recommendation"].startswith("open nothing new")


def test_a_promise_no_site_can_keep_makes_the_design_infeasible(berlin: Scenario) -> None:
    """A promise of one day with one day of making leaves 0 km: every demand point is unreachable."""
    cf = candidates_from_dict({"candidates": [PANKOW], "settings": {**FAST, "promise_days": 1}})
    view = design_view(berlin.network, berlin.catalog, list(berlin.orders), cf)
    assert view["design"]["status"] == "infeasible" and view["design"]["unreachable"]
    assert view["recommendation"].startswith("no design")


def test_a_candidate_id_already_in_the_network_is_refused(berlin: Scenario) -> None:
    """Re-using an existing site's id is an input error, not a silent overwrite."""
    from microfactory.errors import InvalidInput

    cf = candidates_from_dict({"candidates": [{**PANKOW, "id": "mf-kreuzberg"}], "settings": FAST})
    with pytest.raises(InvalidInput):
        design_view(berlin.network, berlin.catalog, list(berlin.orders), replace(cf))
