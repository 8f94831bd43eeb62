"""Plain CVRP through the delivery engine's solver path."""

from __future__ import annotations

import pytest

from microfactory.engines.delivery import (
    CvrpInstance,
    DeliveryParams,
    euclidean_rounded,
    route_cost,
    solve_cvrp,
)
from microfactory.errors import InvalidInput

COORDS = ((0.0, 0.0), (10.0, 0.0), (20.0, 0.0), (0.0, 10.0), (0.0, 20.0))


def instance(capacity: int = 2) -> CvrpInstance:
    return CvrpInstance("line", COORDS, (0, 1, 1, 1, 1), capacity, euclidean_rounded(COORDS))


def test_euc_2d_rounds_to_nearest_integer() -> None:
    """TSPLIB EUC_2D: the distance (0,0)-(1,1) = 1.414 rounds to 1, (0,0)-(1.5,2) = 2.5 rounds to 3."""
    d = euclidean_rounded(((0.0, 0.0), (1.0, 1.0), (1.5, 2.0)))
    assert d[0][1] == 1 and d[0][2] == 3 and d[1][0] == 1


def test_two_arms_with_capacity_two_cost_eighty() -> None:
    """Two arms of two clients each, capacity 2: the optimum drives each arm out and back, 80 in all."""
    solution = solve_cvrp(instance(), DeliveryParams(time_limit_s=1, max_iterations=200))
    assert solution.objective == 80 == route_cost(instance(), solution.routes)
    assert sorted(sorted(r) for r in solution.routes) == [[1, 2], [3, 4]]
    assert solution.status == "feasible" and solution.bound is None


def test_demand_above_capacity_is_rejected() -> None:
    """An instance whose client outweighs the vehicle is an input error."""
    with pytest.raises(InvalidInput):
        CvrpInstance("bad", COORDS, (0, 3, 1, 1, 1), 2, euclidean_rounded(COORDS))
