"""Same-day delivery runs: a CVRP with time windows and mixed vehicle types, via PyVRP.

Units inside the solver: metres, seconds, and money x 1e6 (PyVRP works in integers).
Road distance is great-circle x ``road_factor`` for every vehicle; each vehicle type gets
its own routing profile whose durations come from its speed (so bikes and vans differ).
Travel times are rounded *up* to whole seconds, so the solver's schedule is never earlier
than the exact one; the independent checker recomputes times exactly.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from microfactory.domain.geo import haversine_km_raw
from microfactory.engines.delivery.core import (
    CoreClient,
    CoreData,
    CoreResult,
    CoreRoute,
    CoreVehicle,
    solve_core,
)
from microfactory.engines.delivery.problem import (
    DeliveryParams,
    DeliveryProblem,
    DeliveryStop,
    VehicleType,
)
from microfactory.engines.delivery.solution import (
    DeliveryRoute,
    DeliverySolution,
    RouteStop,
    UnservedStop,
)
from microfactory.engines.emissions import vehicle_run_kg

MONEY = 1_000_000  # solver money units per currency unit
UNREACHABLE = "time window cannot be met from the depot within any vehicle's shift"
TOO_HEAVY = "demand exceeds the capacity of every vehicle type"
NOT_ROUTED = "not routed: fleet capacity or shift time exhausted"


def road_km_matrix(problem: DeliveryProblem) -> np.ndarray:
    """Road kilometres between depot (index 0) and stops (1..n): haversine x road factor."""
    pts = [(problem.depot.lat, problem.depot.lon)] + [(s.location.lat, s.location.lon) for s in problem.stops]
    n = len(pts)
    km = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            km[i, j] = km[j, i] = haversine_km_raw(*pts[i], *pts[j]) * problem.road_factor
    return km


def travel_seconds(km: np.ndarray, speed_kmh: float) -> np.ndarray:
    """Travel times in whole seconds, rounded up."""
    return np.ceil(km / speed_kmh * 3600.0 - 1e-9).astype(np.int64)


def _profiles(problem: DeliveryProblem) -> list[float]:
    return sorted({v.speed_kmh for v in problem.vehicle_types})


def _reachable(stop: DeliveryStop, k: int, vt: VehicleType, secs: np.ndarray) -> bool:
    start = max(vt.shift_start * 60 + int(secs[0, k]), stop.earliest * 60)
    return start <= stop.latest * 60 and start + stop.service_minutes * 60 + int(secs[k, 0]) <= vt.shift_end * 60


def screen_stops(problem: DeliveryProblem, secs_by_speed: dict[float, np.ndarray]
                 ) -> tuple[list[int], list[UnservedStop]]:
    """Split stops into those some vehicle could serve alone and those no vehicle can."""
    kept: list[int] = []
    dropped: list[UnservedStop] = []
    for k, stop in enumerate(problem.stops, start=1):
        fits = [v for v in problem.vehicle_types if v.capacity >= stop.demand]
        if not fits:
            dropped.append(UnservedStop(stop.id, stop.order_id, TOO_HEAVY))
        elif not any(_reachable(stop, k, v, secs_by_speed[v.speed_kmh]) for v in fits):
            dropped.append(UnservedStop(stop.id, stop.order_id, UNREACHABLE))
        else:
            kept.append(k)
    return kept, dropped


def _vehicle(vt: VehicleType, profile: int) -> CoreVehicle:
    per_m = round(vt.cost_per_km * MONEY / 1000)
    per_s = round(vt.cost_per_hour * MONEY / 3600)
    return CoreVehicle(num_available=vt.count, capacity=vt.capacity, profile=profile,
                       fixed_cost=round(vt.fixed_cost * MONEY), unit_distance_cost=max(per_m, 0 if per_s else 1),
                       unit_duration_cost=per_s, tw_early=vt.shift_start * 60, tw_late=vt.shift_end * 60,
                       name=vt.name)


def build_core(problem: DeliveryProblem, params: DeliveryParams, km: np.ndarray, kept: list[int],
               secs_by_speed: dict[float, np.ndarray]) -> CoreData:
    """Solver data for the stops in ``kept`` (location indices into ``km``)."""
    idx = [0, *kept]
    speeds = _profiles(problem)
    metres = np.rint(km[np.ix_(idx, idx)] * 1000).astype(np.int64)
    durations = tuple(secs_by_speed[s][np.ix_(idx, idx)] for s in speeds)
    prize = round(params.unserved_penalty * MONEY)
    clients = tuple(
        CoreClient(demand=s.demand, service=s.service_minutes * 60, tw_early=s.earliest * 60,
                   tw_late=s.latest * 60, required=False, prize=prize)
        for s in (problem.stops[k - 1] for k in kept)
    )
    vehicles = tuple(_vehicle(v, speeds.index(v.speed_kmh)) for v in problem.vehicle_types)
    depot_tw = (min(v.shift_start for v in problem.vehicle_types) * 60,
                max(v.shift_end for v in problem.vehicle_types) * 60)
    coords = ((problem.depot.lon, problem.depot.lat),
              *((s.location.lon, s.location.lat) for s in (problem.stops[k - 1] for k in kept)))
    return CoreData(coords=coords, distances=(metres,) * len(speeds), durations=durations,
                    clients=clients, vehicles=vehicles, depot_tw=depot_tw, max_penalty=10.0 * prize)


def _route(problem: DeliveryProblem, km: np.ndarray, kept: list[int], core: CoreRoute,
           route_id: str) -> DeliveryRoute:
    vt = problem.vehicle_types[core.vehicle_type]
    stops: list[RouteStop] = []
    load = 0
    for seq, visit in enumerate(core.visits, start=1):
        stop = problem.stops[kept[visit.client] - 1]
        stops.append(RouteStop(stop.id, stop.order_id, seq, round(visit.arrival / 60, 2),
                               round(visit.service_start / 60, 2), round(visit.departure / 60, 2), load))
        load += stop.demand
    path = [0, *(kept[v.client] for v in core.visits), 0]
    dist = float(sum(km[a, b] for a, b in pairwise(path)))
    minutes = (core.end - core.start) / 60
    cost = vt.fixed_cost + vt.cost_per_km * dist + vt.cost_per_hour * minutes / 60
    return DeliveryRoute(route_id=route_id, vehicle_type=vt.name, mode=vt.mode, stops=tuple(stops),
                         start=round(core.start / 60, 2), end=round(core.end / 60, 2),
                         distance_km=round(dist, 4), duration_minutes=round(minutes, 2), load=load,
                         cost=round(cost, 4), kg_co2e=round(vehicle_run_kg(vt.mode, dist), 6))


def _decode(problem: DeliveryProblem, params: DeliveryParams, km: np.ndarray, kept: list[int],
            result: CoreResult, dropped: list[UnservedStop]) -> DeliverySolution:
    counters: dict[str, int] = {}
    routes = []
    for core in sorted(result.routes, key=lambda r: (r.vehicle_type, r.start, r.visits[0].client)):
        name = problem.vehicle_types[core.vehicle_type].name
        counters[name] = counters.get(name, 0) + 1
        routes.append(_route(problem, km, kept, core, f"{name}-{counters[name]}"))
    missing = [problem.stops[kept[i] - 1] for i in result.unplanned]
    unserved = (*dropped, *(UnservedStop(s.id, s.order_id, NOT_ROUTED) for s in missing))
    objective = result.objective / MONEY + len(dropped) * params.unserved_penalty
    return DeliverySolution(status="feasible" if result.feasible else "unknown", objective=round(objective, 4),
                            bound=None, runtime_s=round(result.runtime_s, 3), seed=params.seed,
                            iterations=result.iterations, routes=tuple(routes), unserved=unserved)


def plan_same_day(problem: DeliveryProblem, params: DeliveryParams) -> DeliverySolution:
    """Plan the day's runs; stops no vehicle can serve are reported unserved with a reason."""
    km = road_km_matrix(problem)
    secs = {s: travel_seconds(km, s) for s in _profiles(problem)}
    kept, dropped = screen_stops(problem, secs)
    if not kept:
        objective = len(dropped) * params.unserved_penalty
        return DeliverySolution(status="optimal", objective=objective, bound=objective, runtime_s=0.0,
                                seed=params.seed, iterations=0, routes=(), unserved=tuple(dropped))
    core = build_core(problem, params, km, kept, secs)
    result = solve_core(core, params.time_limit_s, params.seed, params.max_iterations)
    return _decode(problem, params, km, kept, result, dropped)


def stop_count(solution: DeliverySolution) -> int:
    """Number of stops served by ``solution``."""
    return sum(len(r.stops) for r in solution.routes)
