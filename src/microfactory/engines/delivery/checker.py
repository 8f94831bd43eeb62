"""A feasibility checker for same-day plans that does not trust the solver.

It recomputes road distances (great-circle x road factor) and exact travel times from
the problem alone, replays every route from its reported start, and lists every
broken rule as a sentence. An empty list means the plan is feasible.
"""

from __future__ import annotations

from collections import Counter

from microfactory.domain.geo import Location, haversine_km_raw
from microfactory.engines.delivery.problem import DeliveryProblem, DeliveryStop, VehicleType
from microfactory.engines.delivery.solution import DeliveryRoute, DeliverySolution

EPS_MIN = 0.02  # reported times are rounded to 0.01 minute
EPS_KM = 0.01


def _km(problem: DeliveryProblem, a: Location, b: Location) -> float:
    return haversine_km_raw(a.lat, a.lon, b.lat, b.lon) * problem.road_factor


def _coverage(problem: DeliveryProblem, solution: DeliverySolution) -> list[str]:
    errors: list[str] = []
    seen = Counter(s.stop_id for r in solution.routes for s in r.stops)
    seen.update(u.stop_id for u in solution.unserved)
    known = {s.id for s in problem.stops}
    for stop_id, n in sorted(seen.items()):
        if stop_id not in known:
            errors.append(f"stop {stop_id} is not in the problem")
        elif n > 1:
            errors.append(f"stop {stop_id} appears {n} times (routes and unserved)")
    errors += [f"stop {sid} is neither routed nor reported unserved" for sid in sorted(known - set(seen))]
    return errors


def _fleet(problem: DeliveryProblem, solution: DeliverySolution) -> list[str]:
    types = {v.name: v for v in problem.vehicle_types}
    used = Counter(r.vehicle_type for r in solution.routes)
    errors = [f"route type {name} is not in the fleet" for name in used if name not in types]
    errors += [f"{n} routes use {name} but only {types[name].count} exist"
               for name, n in used.items() if name in types and n > types[name].count]
    return errors


def _replay(problem: DeliveryProblem, route: DeliveryRoute, vt: VehicleType,
            stops: dict[str, DeliveryStop]) -> list[str]:
    errors: list[str] = []
    where, t, dist = problem.depot, route.start, 0.0
    if route.start < vt.shift_start - EPS_MIN:
        errors.append(f"{route.route_id} leaves at {route.start} before the shift starts ({vt.shift_start})")
    for rs in route.stops:
        stop = stops[rs.stop_id]
        km = _km(problem, where, stop.location)
        dist += km
        start = max(t + km / vt.speed_kmh * 60, stop.earliest)
        if start > stop.latest + EPS_MIN:
            errors.append(f"{route.route_id}: stop {stop.id} served at {start:.2f} after its window closes "
                          f"({stop.latest})")
        if not stop.earliest - EPS_MIN <= rs.service_start <= stop.latest + EPS_MIN:
            errors.append(f"{route.route_id}: stop {stop.id} reported at {rs.service_start} outside "
                          f"[{stop.earliest}, {stop.latest}]")
        t, where = start + stop.service_minutes, stop.location
    back = _km(problem, where, problem.depot)
    t, dist = t + back / vt.speed_kmh * 60, dist + back
    if t > vt.shift_end + EPS_MIN:
        errors.append(f"{route.route_id} returns at {t:.2f} after the shift ends ({vt.shift_end})")
    if abs(dist - route.distance_km) > EPS_KM + 1e-4 * dist:
        errors.append(f"{route.route_id} reports {route.distance_km} km but drives {dist:.3f} km")
    return errors


def check_routes(problem: DeliveryProblem, solution: DeliverySolution) -> list[str]:
    """Every broken rule of ``solution`` for ``problem`` (capacity, windows, shifts, coverage)."""
    stops = {s.id: s for s in problem.stops}
    types = {v.name: v for v in problem.vehicle_types}
    errors = _coverage(problem, solution) + _fleet(problem, solution)
    for route in solution.routes:
        vt = types.get(route.vehicle_type)
        if vt is None or any(s.stop_id not in stops for s in route.stops):
            continue  # already reported
        load = sum(stops[s.stop_id].demand for s in route.stops)
        if load > vt.capacity:
            errors.append(f"{route.route_id} carries {load} but {vt.name} holds {vt.capacity}")
        if not route.stops:
            errors.append(f"{route.route_id} visits no stop")
        errors += _replay(problem, route, vt, stops)
    return errors
