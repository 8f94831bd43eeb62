"""Plain capacitated VRP on coordinates or an explicit distance matrix (benchmark entry).

Shares :func:`~microfactory.engines.delivery.core.solve_core` with the same-day planner,
so a benchmark run on CVRPLIB instances measures the code path production uses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from microfactory.engines.delivery.core import CoreClient, CoreData, CoreVehicle, solve_core
from microfactory.engines.delivery.problem import DeliveryParams
from microfactory.engines.delivery.solution import CvrpSolution
from microfactory.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class CvrpInstance:
    """Node 0 is the depot; ``distances`` is an integer matrix over all nodes.

    ``num_vehicles`` defaults to one per client (unlimited fleet, as in CVRPLIB X sets).
    """

    name: str
    coords: tuple[tuple[float, float], ...]
    demands: tuple[int, ...]
    capacity: int
    distances: tuple[tuple[int, ...], ...]
    num_vehicles: int | None = None

    def __post_init__(self) -> None:
        n = len(self.coords)
        if n < 2:
            raise InvalidInput("a CVRP instance needs a depot and at least one client", field="coords")
        if len(self.demands) != n or len(self.distances) != n or any(len(r) != n for r in self.distances):
            raise InvalidInput(f"{self.name}: demands and distances must cover all {n} nodes",
                               field="distances")
        if self.capacity <= 0:
            raise InvalidInput(f"{self.name}: capacity must be positive", field="capacity")
        if any(d < 0 for d in self.demands) or self.demands[0] != 0:
            raise InvalidInput(f"{self.name}: demands must be non-negative, depot demand 0", field="demands")
        if max(self.demands) > self.capacity:
            raise InvalidInput(f"{self.name}: a demand exceeds the vehicle capacity", field="demands")
        if self.num_vehicles is not None and self.num_vehicles <= 0:
            raise InvalidInput(f"{self.name}: vehicle count must be positive", field="num_vehicles")


def euclidean_rounded(coords: tuple[tuple[float, float], ...]) -> tuple[tuple[int, ...], ...]:
    """TSPLIB EUC_2D distances: Euclidean distance rounded to the nearest integer."""
    return tuple(
        tuple(math.floor(math.hypot(ax - bx, ay - by) + 0.5) for bx, by in coords)
        for ax, ay in coords
    )


def cvrp_core_data(instance: CvrpInstance) -> CoreData:
    """The instance as solver data (distance only, zero durations)."""
    dist = np.array(instance.distances, dtype=np.int64)
    clients = tuple(CoreClient(demand=d) for d in instance.demands[1:])
    fleet = instance.num_vehicles or len(clients)
    vehicle = CoreVehicle(num_available=fleet, capacity=instance.capacity, name="vehicle")
    return CoreData(coords=instance.coords, distances=(dist,), durations=(np.zeros_like(dist),),
                    clients=clients, vehicles=(vehicle,))


def solve_cvrp(instance: CvrpInstance, params: DeliveryParams) -> CvrpSolution:
    """Solve a CVRP instance through the delivery engine's solver path."""
    result = solve_core(cvrp_core_data(instance), params.time_limit_s, params.seed, params.max_iterations)
    routes = tuple(tuple(v.client + 1 for v in r.visits) for r in result.routes)
    complete = result.feasible and not result.unplanned
    return CvrpSolution(status="feasible" if complete else "unknown", objective=result.objective,
                        bound=None, runtime_s=result.runtime_s, seed=params.seed,
                        iterations=result.iterations, routes=routes)


def route_cost(instance: CvrpInstance, routes: tuple[tuple[int, ...], ...]) -> int:
    """Total distance of ``routes`` recomputed from the instance (independent of the solver)."""
    total = 0
    for route in routes:
        path = (0, *route, 0)
        total += sum(instance.distances[a][b] for a, b in pairwise(path))
    return total
