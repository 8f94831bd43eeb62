"""Network design: where to open a microfactory or sign a partner next.

A capacitated facility-location MIP (OR-Tools ``pywraplp``, SCIP by default):

* ``y_j`` in {0, 1}: candidate site ``j`` is opened (sites marked ``existing`` are fixed open);
* ``x_ij`` in [0, 1] (or {0, 1} with ``single_source``): share of demand point ``i`` served by
  ``j``, allowed only when ``j`` offers every process ``i`` needs and the road distance
  ``d_ij = haversine x road_factor`` keeps the lead-time promise (``<= max_distance_km``);
* every demand point is served in full: ``sum_j x_ij = 1``;
* capacity: ``sum_i v_i x_ij <= cap_j y_j``, and ``x_ij <= y_j``;
* minimise ``sum_j F_j y_j + sum_ij v_i x_ij (c_j + d_ij (t + p e))`` with variable cost
  ``c_j`` per unit, transport ``t`` and emissions ``e`` per unit-km, carbon price ``p`` per kg.

The result reports status, objective, bound, gap, runtime and seed, the opened sites, the
assignment and the cost split. Demand points come from order history through
:func:`demand_points_from_orders` (orders pooled on a lat/lon grid).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from ortools.linear_solver import pywraplp

from microfactory.domain.geo import haversine_km_raw
from microfactory.engines.emissions import g_per_tkm
from microfactory.errors import InvalidInput

Status = Literal["optimal", "feasible", "infeasible", "unknown"]


def _check(value: float, name: str, positive: bool = False) -> None:
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise InvalidInput(f"{name} must be a finite number {'>' if positive else '>='} 0",
                           field=name)


@dataclass(frozen=True, slots=True)
class CandidateSite:
    """A place where a microfactory could open (or a partner could be signed)."""

    site_id: str
    lat: float
    lon: float
    fixed_cost: float
    variable_cost_per_unit: float
    capacity_units: float
    processes: frozenset[str]
    existing: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "processes", frozenset(self.processes))
        for name in ("fixed_cost", "variable_cost_per_unit", "capacity_units"):
            _check(getattr(self, name), name)


@dataclass(frozen=True, slots=True)
class DemandPoint:
    """Demand of one area over the planning period: location, units, processes needed."""

    demand_id: str
    lat: float
    lon: float
    volume_units: float
    processes: frozenset[str]

    def __post_init__(self) -> None:
        object.__setattr__(self, "processes", frozenset(self.processes))
        _check(self.volume_units, "volume_units")


@dataclass(frozen=True, slots=True)
class NetworkDesignParams:
    """Transport, carbon, lead-time promise and solver settings."""

    transport_cost_per_unit_km: float = 0.01
    kg_co2e_per_unit_km: float = 0.0
    carbon_price_per_kg: float = 0.0
    max_distance_km: float | None = None
    road_factor: float = 1.3
    single_source: bool = False
    time_limit_s: float = 10.0
    seed: int = 0
    relative_gap: float = 1e-6
    solver: str = "SCIP"

    def __post_init__(self) -> None:
        for name in ("transport_cost_per_unit_km", "kg_co2e_per_unit_km", "carbon_price_per_kg",
                     "relative_gap"):
            _check(getattr(self, name), name)
        _check(self.time_limit_s, "time_limit_s", positive=True)
        if self.max_distance_km is not None:
            _check(self.max_distance_km, "max_distance_km")
        if not self.road_factor >= 1.0:
            raise InvalidInput("road_factor must be >= 1", field="road_factor")
        if self.solver not in ("SCIP", "CBC"):
            raise InvalidInput("solver must be SCIP or CBC", field="solver")


@dataclass(frozen=True, slots=True)
class NetworkDesign:
    """The solved design (or why there is none)."""

    status: Status
    objective: float | None
    bound: float | None
    gap: float | None
    runtime_s: float
    seed: int
    opened: tuple[str, ...]
    assignment: dict[str, tuple[tuple[str, float], ...]]
    costs: dict[str, float]
    kg_co2e: float
    unreachable: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "objective": self.objective, "bound": self.bound,
                "gap": self.gap, "runtime_s": self.runtime_s, "seed": self.seed,
                "opened": list(self.opened), "costs": self.costs, "kg_co2e": self.kg_co2e,
                "assignment": {d: [{"site": s, "share": f} for s, f in a]
                               for d, a in self.assignment.items()},
                "unreachable": list(self.unreachable)}


def kg_co2e_per_unit_km(mode: str, unit_weight_kg: float) -> float:
    """Emissions of moving one unit one km by ``mode`` (ISO 14083 tonne-km factor)."""
    _check(unit_weight_kg, "unit_weight_kg")
    return unit_weight_kg / 1000.0 * g_per_tkm(mode) / 1000.0


def distance_for_promise(promise_days: float, production_days: float,
                         speed_km_per_day: float) -> float:
    """Largest road distance that still keeps a lead-time promise."""
    _check(speed_km_per_day, "speed_km_per_day", positive=True)
    return max(0.0, promise_days - production_days) * speed_km_per_day


def demand_points_from_orders(orders: Iterable[tuple[float, float, float, frozenset[str]]],
                              grid_deg: float = 0.1) -> list[DemandPoint]:
    """Pool ``(lat, lon, units, processes)`` order records on a grid into demand points.

    Each cell's point sits at the unit-weighted mean location of its orders and needs the union
    of their processes.
    """
    _check(grid_deg, "grid_deg", positive=True)
    cells: dict[tuple[int, int], list[tuple[float, float, float, frozenset[str]]]] = defaultdict(list)
    for lat, lon, units, processes in orders:
        cells[(math.floor(lat / grid_deg), math.floor(lon / grid_deg))].append(
            (lat, lon, units, frozenset(processes)))
    points = []
    for (a, b), rows in sorted(cells.items()):
        units = sum(r[2] for r in rows)
        weight = units or float(len(rows))
        lat = sum(r[0] * (r[2] if units else 1.0) for r in rows) / weight
        lon = sum(r[1] * (r[2] if units else 1.0) for r in rows) / weight
        procs = frozenset().union(*(r[3] for r in rows))
        points.append(DemandPoint(f"cell_{a}_{b}", lat, lon, units, procs))
    return points


def unit_costs(sites: list[CandidateSite], demands: list[DemandPoint],
               params: NetworkDesignParams) -> dict[tuple[int, int], tuple[float, float, float]]:
    """Allowed (demand, site) pairs with (variable, transport, kg CO2e) per unit."""
    pairs: dict[tuple[int, int], tuple[float, float, float]] = {}
    for i, d in enumerate(demands):
        for j, s in enumerate(sites):
            if not d.processes <= s.processes:
                continue
            km = haversine_km_raw(d.lat, d.lon, s.lat, s.lon) * params.road_factor
            if params.max_distance_km is not None and km > params.max_distance_km + 1e-9:
                continue
            pairs[(i, j)] = (s.variable_cost_per_unit, km * params.transport_cost_per_unit_km,
                             km * params.kg_co2e_per_unit_km)
    return pairs


_STATUS: dict[int, Status] = {
    pywraplp.Solver.OPTIMAL: "optimal", pywraplp.Solver.FEASIBLE: "feasible",
    pywraplp.Solver.INFEASIBLE: "infeasible",
}


def _empty(status: Status, seed: int, unreachable: tuple[str, ...] = (),
           runtime_s: float = 0.0) -> NetworkDesign:
    return NetworkDesign(status, None, None, None, runtime_s, seed, (), {}, {}, 0.0, unreachable)


def design_network(sites: list[CandidateSite], demands: list[DemandPoint],
                   params: NetworkDesignParams) -> NetworkDesign:
    """Solve the capacitated facility-location model (see the module docstring)."""
    ids = [s.site_id for s in sites]
    if len(set(ids)) != len(ids) or len({d.demand_id for d in demands}) != len(demands):
        raise InvalidInput("site and demand ids must be unique", field="sites")
    pairs = unit_costs(sites, demands, params)
    served = {i for i, _ in pairs}
    unreachable = tuple(d.demand_id for i, d in enumerate(demands) if i not in served)
    if unreachable:
        return _empty("infeasible", params.seed, unreachable)
    solver = pywraplp.Solver.CreateSolver(params.solver)
    if solver is None:
        raise InvalidInput(f"solver {params.solver} is not available", field="solver")
    y, x = _build(solver, sites, demands, pairs, params)
    code = _solve(solver, params)
    runtime = solver.wall_time() / 1000.0
    status = _STATUS.get(code, "unknown")
    if status not in ("optimal", "feasible"):
        return _empty(status, params.seed, runtime_s=runtime)
    return _result(solver, status, runtime, sites, demands, pairs, y, x, params)


def _build(solver: pywraplp.Solver, sites: list[CandidateSite], demands: list[DemandPoint],
           pairs: dict[tuple[int, int], tuple[float, float, float]],
           params: NetworkDesignParams) -> tuple[list[Any], dict[tuple[int, int], Any]]:
    y = [solver.IntVar(1 if s.existing else 0, 1, f"open_{j}") for j, s in enumerate(sites)]
    x = {(i, j): (solver.IntVar(0, 1, f"x_{i}_{j}") if params.single_source
                  else solver.NumVar(0, 1, f"x_{i}_{j}")) for (i, j) in pairs}
    for i in range(len(demands)):
        solver.Add(sum(x[(a, j)] for (a, j) in pairs if a == i) == 1)
    for j, s in enumerate(sites):
        load = [demands[i].volume_units * x[(i, b)] for (i, b) in pairs if b == j]
        if load:
            solver.Add(sum(load) <= s.capacity_units * y[j])
        for (i, b) in pairs:
            if b == j:
                solver.Add(x[(i, b)] <= y[j])
    objective = solver.Objective()
    for j, s in enumerate(sites):
        objective.SetCoefficient(y[j], s.fixed_cost)
    for (i, j), (var, tr, kg) in pairs.items():
        objective.SetCoefficient(x[(i, j)], demands[i].volume_units
                                 * (var + tr + kg * params.carbon_price_per_kg))
    objective.SetMinimization()
    return y, x


def _solve(solver: pywraplp.Solver, params: NetworkDesignParams) -> int:
    solver.SetTimeLimit(int(params.time_limit_s * 1000))
    if params.solver == "SCIP":
        solver.SetSolverSpecificParametersAsString(
            f"randomization/randomseedshift = {params.seed}\n")
    mp = pywraplp.MPSolverParameters()
    mp.SetDoubleParam(pywraplp.MPSolverParameters.RELATIVE_MIP_GAP, params.relative_gap)
    return int(solver.Solve(mp))


def _result(solver: pywraplp.Solver, status: Status, runtime: float, sites: list[CandidateSite],
            demands: list[DemandPoint], pairs: dict[tuple[int, int], tuple[float, float, float]],
            y: list[Any], x: dict[tuple[int, int], Any], params: NetworkDesignParams) -> NetworkDesign:
    opened = tuple(s.site_id for j, s in enumerate(sites) if y[j].solution_value() > 0.5)
    costs = {"fixed": sum(s.fixed_cost for j, s in enumerate(sites) if y[j].solution_value() > 0.5),
             "variable": 0.0, "transport": 0.0, "carbon": 0.0}
    assignment: dict[str, list[tuple[str, float]]] = defaultdict(list)
    kg_total = 0.0
    for (i, j), (var, tr, kg) in sorted(pairs.items()):
        share = x[(i, j)].solution_value()
        if share <= 1e-9:
            continue
        units = demands[i].volume_units * share
        assignment[demands[i].demand_id].append((sites[j].site_id, round(share, 9)))
        costs["variable"] += units * var
        costs["transport"] += units * tr
        costs["carbon"] += units * kg * params.carbon_price_per_kg
        kg_total += units * kg
    objective = solver.Objective().Value()
    bound = solver.Objective().BestBound()
    gap = abs(objective - bound) / max(abs(objective), 1e-9) if status != "infeasible" else None
    return NetworkDesign(status=status, objective=objective, bound=bound, gap=gap,
                         runtime_s=runtime, seed=params.seed, opened=opened,
                         assignment={k: tuple(v) for k, v in assignment.items()},
                         costs=costs, kg_co2e=kg_total)


__all__ = [
    "CandidateSite", "DemandPoint", "NetworkDesign", "NetworkDesignParams",
    "demand_points_from_orders", "design_network", "distance_for_promise",
    "kg_co2e_per_unit_km", "unit_costs",
]
