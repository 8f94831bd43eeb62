"""The one code path to PyVRP shared by same-day runs and plain CVRP instances.

Callers translate their problem into :class:`CoreData` (integer matrices per routing
profile, location 0 the depot, clients at locations 1..n), :func:`solve_core` builds
``pyvrp.ProblemData`` directly (locations, then clients, depot and vehicle types, as
PyVRP 0.14 orders them) and returns the routes decoded into :class:`CoreResult`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyvrp
from pyvrp import PenaltyParams, SolveParams
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, StoppingCriterion

from microfactory.errors import InvalidInput

#: PyVRP's largest safe time value; used for "no time window".
NO_LIMIT = int(np.iinfo(np.int64).max)


@dataclass(frozen=True, slots=True)
class CoreClient:
    """A client for the solver: integer demand, service time, time window and prize."""

    demand: int
    service: int = 0
    tw_early: int = 0
    tw_late: int = NO_LIMIT
    required: bool = True
    prize: int = 0


@dataclass(frozen=True, slots=True)
class CoreVehicle:
    """A vehicle type for the solver, on one routing profile."""

    num_available: int
    capacity: int
    profile: int = 0
    fixed_cost: int = 0
    unit_distance_cost: int = 1
    unit_duration_cost: int = 0
    tw_early: int = 0
    tw_late: int = NO_LIMIT
    name: str = ""


@dataclass(frozen=True, slots=True)
class CoreData:
    """Integer matrices per profile (depot at 0), clients, vehicles and the depot's hours."""

    coords: tuple[tuple[float, float], ...]
    distances: tuple[np.ndarray, ...]
    durations: tuple[np.ndarray, ...]
    clients: tuple[CoreClient, ...]
    vehicles: tuple[CoreVehicle, ...]
    depot_tw: tuple[int, int] = (0, NO_LIMIT)
    max_penalty: float | None = None

    def __post_init__(self) -> None:
        n = len(self.clients) + 1
        if len(self.coords) != n:
            raise InvalidInput(f"need {n} coordinates (depot + clients), got {len(self.coords)}",
                               field="coords")
        if not self.distances or len(self.distances) != len(self.durations):
            raise InvalidInput("need one distance and one duration matrix per profile", field="distances")
        for m in (*self.distances, *self.durations):
            if m.shape != (n, n):
                raise InvalidInput(f"matrices must be {n}x{n}, got {m.shape}", field="distances")
            if (m < 0).any():
                raise InvalidInput("matrix entries must not be negative", field="distances")
        if any(v.profile >= len(self.distances) for v in self.vehicles):
            raise InvalidInput("a vehicle type refers to a missing profile", field="vehicles")


@dataclass(frozen=True, slots=True)
class CoreVisit:
    """A scheduled client visit: client index (0-based) and times in solver units."""

    client: int
    arrival: int
    service_start: int
    departure: int


@dataclass(frozen=True, slots=True)
class CoreRoute:
    """One solver route."""

    vehicle_type: int
    visits: tuple[CoreVisit, ...]
    start: int
    end: int
    distance: int


@dataclass(frozen=True, slots=True)
class CoreResult:
    """The decoded best solution of one PyVRP run."""

    feasible: bool
    objective: int
    runtime_s: float
    iterations: int
    routes: tuple[CoreRoute, ...]
    unplanned: tuple[int, ...]


def to_problem_data(data: CoreData) -> pyvrp.ProblemData:
    """Build PyVRP's ``ProblemData``: locations first, then clients, the depot, vehicle types."""
    locations = [pyvrp.Location(x=x, y=y) for x, y in data.coords]
    clients = [
        pyvrp.Client(location=i + 1, delivery=[c.demand], service_duration=c.service,
                     tw_early=c.tw_early, tw_late=c.tw_late, required=c.required, prize=c.prize)
        for i, c in enumerate(data.clients)
    ]
    depot = pyvrp.Depot(location=0, tw_early=data.depot_tw[0], tw_late=data.depot_tw[1])
    vehicles = [
        pyvrp.VehicleType(num_available=v.num_available, capacity=[v.capacity], fixed_cost=v.fixed_cost,
                          tw_early=v.tw_early, tw_late=v.tw_late, unit_distance_cost=v.unit_distance_cost,
                          unit_duration_cost=v.unit_duration_cost, profile=v.profile, name=v.name)
        for v in data.vehicles
    ]
    dist = [np.ascontiguousarray(m, dtype=np.int64) for m in data.distances]
    dur = [np.ascontiguousarray(m, dtype=np.int64) for m in data.durations]
    return pyvrp.ProblemData(locations, clients, [depot], vehicles, dist, dur)  # type: ignore[arg-type]


def _stop(time_limit_s: float, max_iterations: int | None) -> StoppingCriterion:
    if max_iterations is None:
        return MaxRuntime(time_limit_s)
    return MultipleCriteria([MaxRuntime(time_limit_s), MaxIterations(max_iterations)])


def _decode_route(route: pyvrp.Route) -> CoreRoute:
    visits = tuple(
        CoreVisit(client=act.idx, arrival=act.start_time - act.wait_duration,
                  service_start=act.start_time, departure=act.end_time)
        for act in route.schedule() if act.is_client()
    )
    return CoreRoute(vehicle_type=route.vehicle_type(), visits=visits, start=route.start_time(),
                     end=route.end_time(), distance=route.distance())


def solve_core(data: CoreData, time_limit_s: float, seed: int,
               max_iterations: int | None = None) -> CoreResult:
    """Run PyVRP's iterated local search on ``data`` and decode its best solution."""
    problem = to_problem_data(data)
    params = SolveParams()
    if data.max_penalty is not None:  # costs on a money scale need penalties on the same scale
        params = SolveParams(penalty=PenaltyParams(max_penalty=data.max_penalty))
    result = pyvrp.solve(problem, stop=_stop(time_limit_s, max_iterations), seed=seed,
                         collect_stats=False, display=False, params=params)
    best = result.best
    routes = tuple(_decode_route(r) for r in best.routes())
    planned = {v.client for r in routes for v in r.visits}
    unplanned = tuple(i for i in range(len(data.clients)) if i not in planned)
    objective = pyvrp.CostEvaluator([0], 0, 0).cost(best) if best.is_feasible() else NO_LIMIT
    return CoreResult(feasible=best.is_feasible(), objective=int(objective), runtime_s=result.runtime,
                      iterations=result.num_iterations, routes=routes, unplanned=unplanned)
