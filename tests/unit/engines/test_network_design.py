"""Facility location on tiny instances, against brute force."""

from __future__ import annotations

import itertools

import pytest

from microfactory.engines.network_design import (
    CandidateSite,
    DemandPoint,
    NetworkDesignParams,
    demand_points_from_orders,
    design_network,
    unit_costs,
)

SITES = [CandidateSite("a", 52.0, 4.0, 500.0, 2.0, 150.0, frozenset({"sewing"})),
         CandidateSite("b", 52.5, 4.5, 300.0, 3.0, 100.0, frozenset({"sewing", "print"})),
         CandidateSite("c", 51.5, 5.0, 400.0, 1.0, 120.0, frozenset({"sewing", "print"}))]
DEMANDS = [DemandPoint("d1", 52.1, 4.1, 60.0, frozenset({"sewing"})),
           DemandPoint("d2", 52.4, 4.6, 50.0, frozenset({"print"})),
           DemandPoint("d3", 51.6, 4.9, 70.0, frozenset({"sewing"})),
           DemandPoint("d4", 52.0, 4.8, 40.0, frozenset({"sewing"}))]
PARAMS = NetworkDesignParams(transport_cost_per_unit_km=0.05, kg_co2e_per_unit_km=0.001,
                             carbon_price_per_kg=0.5, single_source=True, time_limit_s=5, seed=1)


def _brute_force(params: NetworkDesignParams) -> float:
    pairs = unit_costs(SITES, DEMANDS, params)
    best = float("inf")
    for choice in itertools.product(range(len(SITES)), repeat=len(DEMANDS)):
        if any((i, j) not in pairs for i, j in enumerate(choice)):
            continue
        load = [0.0] * len(SITES)
        cost = 0.0
        for i, j in enumerate(choice):
            var, tr, kg = pairs[(i, j)]
            load[j] += DEMANDS[i].volume_units
            cost += DEMANDS[i].volume_units * (var + tr + kg * params.carbon_price_per_kg)
        if all(load[j] <= SITES[j].capacity_units for j in range(len(SITES))):
            best = min(best, cost + sum(SITES[j].fixed_cost for j in set(choice)))
    return best


def test_single_source_optimum_equals_brute_force() -> None:
    """The MIP optimum equals the cheapest of all feasible single-source assignments."""
    r = design_network(SITES, DEMANDS, PARAMS)
    assert r.status == "optimal" and r.seed == 1 and r.runtime_s >= 0
    assert r.objective == pytest.approx(_brute_force(PARAMS), rel=1e-6)
    assert r.bound == pytest.approx(r.objective, rel=1e-6)
    assert sum(r.costs.values()) == pytest.approx(r.objective, rel=1e-6)


def test_lead_time_promise_cuts_far_sites() -> None:
    """With an 80 km promise far pairs drop out and the optimum still equals brute force."""
    params = NetworkDesignParams(transport_cost_per_unit_km=0.05, max_distance_km=80.0,
                                 single_source=True, time_limit_s=5)
    assert len(unit_costs(SITES, DEMANDS, params)) < len(unit_costs(SITES, DEMANDS, PARAMS))
    r = design_network(SITES, DEMANDS, params)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(_brute_force(params), rel=1e-6)


def test_unreachable_demand_is_infeasible() -> None:
    """A promise too tight for any site reports infeasible and names the demand points."""
    r = design_network(SITES, DEMANDS, NetworkDesignParams(max_distance_km=1.0))
    assert r.status == "infeasible" and r.objective is None
    assert set(r.unreachable) == {"d1", "d2", "d3", "d4"}


def test_existing_site_stays_open() -> None:
    """A site marked existing is open in every design."""
    sites = [SITES[0], CandidateSite("b", 52.5, 4.5, 300.0, 3.0, 100.0,
                                     frozenset({"sewing", "print"}), existing=True), SITES[2]]
    r = design_network(sites, DEMANDS, NetworkDesignParams(time_limit_s=5))
    assert "b" in r.opened


def test_demand_points_pool_orders_on_a_grid() -> None:
    """Two orders in one cell make one point at their unit-weighted mean location."""
    pts = demand_points_from_orders([(52.01, 4.01, 1.0, frozenset({"sewing"})),
                                     (52.04, 4.04, 3.0, frozenset({"print"})),
                                     (53.0, 5.0, 2.0, frozenset({"sewing"}))], grid_deg=0.1)
    assert len(pts) == 2
    assert pts[0].volume_units == 4.0 and pts[0].lat == pytest.approx(52.0325)
    assert pts[0].processes == {"sewing", "print"}
