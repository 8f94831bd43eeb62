"""Same-day planning with PyVRP, every plan checked by the independent checker."""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microfactory.domain.geo import Location, haversine_km_raw
from microfactory.engines.delivery import (
    DeliveryParams,
    DeliveryProblem,
    DeliveryStop,
    VehicleType,
    check_routes,
    plan_same_day,
)
from microfactory.errors import InvalidInput

KM = 180 / (math.pi * 6371.0088)  # degrees of longitude per km on the equator
DEPOT = Location(0.0, 0.0)
FAST = DeliveryParams(time_limit_s=2.0, seed=1, max_iterations=400)


def east(km: float) -> Location:
    return Location(0.0, km * KM)


def stop(sid: str, where: Location, demand: int = 1, earliest: int = 0, latest: int = 1440,
         service: int = 0) -> DeliveryStop:
    return DeliveryStop(sid, f"order-{sid}", where, demand, earliest, latest, service)


def van(count: int = 2, capacity: int = 2, speed: float = 60.0, **kw: object) -> VehicleType:
    return VehicleType("van", "van", capacity, count, speed, cost_per_km=1.0, shift_start=0,
                       shift_end=1440, **kw)  # type: ignore[arg-type]


def solve(problem: DeliveryProblem, params: DeliveryParams = FAST):  # type: ignore[no-untyped-def]
    solution = plan_same_day(problem, params)
    assert check_routes(problem, solution) == []
    return solution


def test_small_vrptw_reaches_the_known_optimum() -> None:
    """Two stops east and two west with capacity 2: the optimum is one out-and-back run per side, the window fixing the order."""
    stops = (stop("a", east(1)), stop("b", east(2), earliest=0, latest=3),
             stop("c", east(-1)), stop("d", east(-2)))
    problem = DeliveryProblem(DEPOT, stops, (van(),), road_factor=1.0)
    solution = solve(problem)
    assert sorted(r.stop_ids for r in solution.routes) == [("b", "a"), ("c", "d")] or \
        sorted(r.stop_ids for r in solution.routes) == [("b", "a"), ("d", "c")]
    expected = 2 * 2 * haversine_km_raw(0, 0, 0, 2 * KM)
    assert solution.distance_km == pytest.approx(expected, rel=1e-4)
    assert solution.status == "feasible" and solution.seed == 1 and solution.unserved == ()


def test_arrival_times_follow_the_vehicle_speed() -> None:
    """A stop 10 km away at 60 km/h is reached 10 minutes after leaving."""
    problem = DeliveryProblem(DEPOT, (stop("a", east(10), earliest=100, latest=200),), (van(count=1),),
                              road_factor=1.0)
    route = solve(problem).routes[0]
    first = route.stops[0]
    assert first.service_start == pytest.approx(100, abs=0.02)
    assert first.arrival - route.start == pytest.approx(10.0, abs=0.02)


def test_slow_bike_cannot_take_a_stop_only_a_van_reaches_in_time() -> None:
    """With a cheap but slow bike and a dear fast van, a tight far stop goes to the van."""
    bike = VehicleType("bike", "cargo_bike", 5, 1, 12.0, cost_per_km=0.01, shift_start=0, shift_end=1440)
    fast = VehicleType("van", "van", 5, 1, 60.0, cost_per_km=5.0, shift_start=0, shift_end=1440)
    stops = (stop("far", east(10), latest=15), stop("near", east(-0.5)))
    problem = DeliveryProblem(DEPOT, stops, (bike, fast), road_factor=1.0)
    solution = solve(problem)
    by_stop = {s: r.vehicle_type for r in solution.routes for s in r.stop_ids}
    assert by_stop["far"] == "van"
    assert by_stop["near"] == "bike"


def test_impossible_stops_are_reported_unserved_with_a_reason() -> None:
    """A stop heavier than every vehicle and one whose window closes before anyone can arrive are unserved."""
    stops = (stop("heavy", east(1), demand=9), stop("late", east(30), latest=5), stop("ok", east(1)))
    problem = DeliveryProblem(DEPOT, stops, (van(),), road_factor=1.0)
    solution = solve(problem)
    reasons = {u.stop_id: u.reason for u in solution.unserved}
    assert "capacity" in reasons["heavy"] and "time window" in reasons["late"]
    assert [r.stop_ids for r in solution.routes] == [("ok",)]


def test_fleet_too_small_leaves_stops_unserved_not_overloaded() -> None:
    """One van of capacity 2 and three stops: one stop is unserved because the fleet is exhausted."""
    stops = tuple(stop(s, east(d)) for s, d in (("a", 1), ("b", 2), ("c", 3)))
    solution = solve(DeliveryProblem(DEPOT, stops, (van(count=1),), road_factor=1.0))
    assert len(solution.unserved) == 1 and "fleet" in solution.unserved[0].reason
    assert solution.objective == pytest.approx(solution.cost + FAST.unserved_penalty, rel=1e-3)


def test_route_cost_and_emissions_come_from_the_vehicle_type() -> None:
    """Route cost = fixed + per km x km + per hour x hours; emissions = vehicle-km factor x km."""
    vt = dataclasses.replace(van(count=1), fixed_cost=10.0, cost_per_hour=0.0)
    problem = DeliveryProblem(DEPOT, (stop("a", east(5)),), (vt,), road_factor=1.0)
    route = solve(problem).routes[0]
    km = 2 * haversine_km_raw(0, 0, 0, 5 * KM)
    assert route.distance_km == pytest.approx(km, rel=1e-4)
    assert route.cost == pytest.approx(10.0 + km, rel=1e-4)
    assert route.kg_co2e == pytest.approx(km * 311.51 / 1000, rel=1e-4)


def test_same_seed_and_iterations_give_the_same_plan() -> None:
    """The plan is a function of the input, the seed and the iteration budget."""
    stops = tuple(stop(f"s{i}", Location((i % 3) * 0.01, (i // 3) * 0.01), earliest=0, latest=600)
                  for i in range(12))
    problem = DeliveryProblem(DEPOT, stops, (van(count=4, capacity=4),))
    assert solve(problem).routes == solve(problem).routes


def test_problem_rejects_duplicate_stop_ids() -> None:
    """Two stops with the same id are an input error naming the field."""
    with pytest.raises(InvalidInput) as err:
        DeliveryProblem(DEPOT, (stop("a", east(1)), stop("a", east(2))), (van(),))
    assert err.value.field == "stops"


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.floats(-0.03, 0.03), st.floats(-0.03, 0.03), st.integers(1, 4),
                          st.integers(0, 600), st.integers(0, 240)), min_size=1, max_size=15))
def test_random_days_always_pass_the_checker(rows: list[tuple[float, float, int, int, int]]) -> None:
    """Random stops, windows and a mixed fleet: every plan passes the independent checker."""
    stops = tuple(stop(f"s{i}", Location(lat, lon), demand, early, early + width, 2)
                  for i, (lat, lon, demand, early, width) in enumerate(rows))
    fleet = (VehicleType("van", "van", 8, 2, 25.0, 0.5, 10.0, shift_start=420, shift_end=1080),
             VehicleType("bike", "cargo_bike", 4, 2, 14.0, 0.1, 2.0, shift_start=480, shift_end=960))
    solution = solve(DeliveryProblem(DEPOT, stops, fleet), DeliveryParams(time_limit_s=1, max_iterations=200))
    assert sum(len(r.stops) for r in solution.routes) + len(solution.unserved) == len(stops)
