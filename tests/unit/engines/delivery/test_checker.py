"""The independent checker finds every kind of broken plan."""

from __future__ import annotations

import dataclasses
import math

from microfactory.domain.geo import Location
from microfactory.engines.delivery import (
    DeliveryParams,
    DeliveryProblem,
    DeliveryStop,
    UnservedStop,
    VehicleType,
    check_routes,
    plan_same_day,
)

KM = 180 / (math.pi * 6371.0088)  # degrees of longitude per km on the equator
VAN = VehicleType("van", "van", 3, 1, 60.0, 1.0, shift_start=0, shift_end=600)
STOPS = (DeliveryStop("a", "o1", Location(0, KM), 2, 0, 300),
         DeliveryStop("b", "o2", Location(0, 2 * KM), 1, 0, 300))
PROBLEM = DeliveryProblem(Location(0, 0), STOPS, (VAN,), road_factor=1.0)


def good():  # type: ignore[no-untyped-def]
    solution = plan_same_day(PROBLEM, DeliveryParams(time_limit_s=1, max_iterations=100))
    assert check_routes(PROBLEM, solution) == []
    return solution


def test_overload_is_reported() -> None:
    """A route carrying more than its vehicle holds is a capacity violation."""
    heavy = dataclasses.replace(PROBLEM, stops=(dataclasses.replace(STOPS[0], demand=3), STOPS[1]))
    errors = check_routes(heavy, good())
    assert any("carries 4 but van holds 3" in e for e in errors)


def test_missed_time_window_is_reported() -> None:
    """A stop whose window closed before the van could reach it is a window violation."""
    tight = dataclasses.replace(STOPS[1], earliest=0, latest=0)
    errors = check_routes(dataclasses.replace(PROBLEM, stops=(STOPS[0], tight)), good())
    assert any("after its window closes" in e for e in errors)


def test_missing_and_duplicate_stops_are_reported() -> None:
    """A stop both routed and unserved, and a stop nowhere, are coverage violations."""
    solution = good()
    both = dataclasses.replace(solution, unserved=(UnservedStop("a", "o1", "x"),))
    assert any("stop a appears 2 times" in e for e in check_routes(PROBLEM, both))
    nowhere = dataclasses.replace(solution, routes=())
    assert len(check_routes(PROBLEM, nowhere)) == 2


def test_late_return_and_too_many_vehicles_are_reported() -> None:
    """Returning after the shift and using more vehicles than exist are violations."""
    short = dataclasses.replace(VAN, shift_end=3)
    errors = check_routes(dataclasses.replace(PROBLEM, vehicle_types=(short,)), good())
    assert any("after the shift ends" in e for e in errors)
    solution = good()
    doubled = dataclasses.replace(solution, routes=solution.routes * 2)
    assert any("2 routes use van but only 1 exist" in e for e in check_routes(PROBLEM, doubled))


def test_wrong_reported_distance_is_reported() -> None:
    """A route whose reported kilometres differ from the road distance is flagged."""
    solution = good()
    route = dataclasses.replace(solution.routes[0], distance_km=solution.routes[0].distance_km + 1)
    errors = check_routes(PROBLEM, dataclasses.replace(solution, routes=(route,)))
    assert any("reports" in e and "drives" in e for e in errors)
