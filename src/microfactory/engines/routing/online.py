"""Online routing: place one order against the reserved capacity state in milliseconds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from microfactory.engines.cost_model import CostParams
from microfactory.engines.routing.capacity import CapacityState, reserve
from microfactory.engines.routing.result import RoutingResult, static_reason
from microfactory.engines.routing.tables import STEPS_ONLINE, Tables, build_tables
from microfactory.engines.routing.types import Assignment, RoutingLine, RoutingParams, RoutingProblem, RoutingSite, Unassigned
from microfactory.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class RoutingState:
    """The network and the minutes still free at each site; every placement returns a new one."""

    sites: tuple[RoutingSite, ...]
    cost: CostParams
    capacity: CapacityState


def initial_state(sites: tuple[RoutingSite, ...], cost: CostParams, horizon_days: int,
                  start_day: int = 0) -> RoutingState:
    """A state with nothing reserved over ``horizon_days`` days from ``start_day``."""
    if horizon_days < 1:
        raise InvalidInput("horizon_days must be >= 1", field="horizon_days")
    procs = tuple(sorted({p for s in sites for p in s.capacity}))
    free = np.array([[[s.minutes_on(p, d) for d in range(horizon_days)] for p in procs] for s in sites],
                    dtype=np.float64).reshape(len(sites), len(procs), horizon_days)
    return RoutingState(tuple(sites), cost, CapacityState(tuple(s.id for s in sites), procs, free, start_day))


def state_after(problem: RoutingProblem, result: RoutingResult) -> RoutingState:
    """The online state left by a batch result."""
    return RoutingState(problem.sites, problem.cost, result.state)


def _fit(t: Tables, free: np.ndarray, proc_map: list[int], i: int, s: int, max_late: int, row: int | None = None
         ) -> tuple[int, int, np.ndarray] | None:
    """Days late, finish day and minutes taken of line i at site s (``free`` row ``row``, default s)."""
    minutes = np.zeros(free.shape[1])
    for k, p in enumerate(proc_map):
        if t.minutes[i, k] > 0:
            if p < 0:
                return None
            minutes[p] = t.minutes[i, k]
    base, first = int(t.deadline(i, s)), int(t.first(i, s))
    for late in [x for x in STEPS_ONLINE if x <= max_late]:
        got = reserve(free, s if row is None else row, minutes, first, base + late)
        if got is not None:
            return late, got[0], got[1]
    return None


def place_order(state: RoutingState, lines: tuple[RoutingLine, ...], params: RoutingParams
                ) -> tuple[RoutingState, tuple[Assignment, ...], tuple[Unassigned, ...]]:
    """Cheapest site with room for each line (a keep-together order shares one site)."""
    problem = RoutingProblem(state.sites, tuple(lines), state.capacity.start_day, state.cost)
    t = build_tables(problem, params)
    cap = state.capacity
    proc_map = [cap.processes.index(p) if p in cap.processes else -1 for p in t.processes]
    free = cap.free.copy()
    together = not params.allow_split or any(ln.keep_together for ln in lines)
    total = t.cost.sum(axis=0) if together else None
    done: list[Assignment] = []
    missed: list[Unassigned] = []
    groups = [list(range(len(lines)))] if together else [[i] for i in range(len(lines))]
    for group in groups:
        order = np.argsort(total if total is not None else t.cost[group[0]], kind="stable")
        placed = False
        for s in order.tolist():
            if not np.isfinite((total if total is not None else t.cost[group[0]])[s]):
                break
            trial, got = free[s:s + 1].copy(), []
            for i in group:
                fit = _fit(t, trial, proc_map, i, s, params.max_late_days, 0)
                if fit is None:
                    break
                trial[0] -= fit[2]
                got.append(Assignment(lines[i].id, state.sites[s].id, fit[1] + cap.start_day, fit[0],
                                      float(t.cost[i, s] + t.late_cost * fit[0])))
            if len(got) == len(group):
                free[s] = trial[0]
                placed = True
                done.extend(got)
                break
        if not placed:
            missed.extend(Unassigned(lines[i].id, static_reason(t, i)) for i in group)
    new_cap = CapacityState(cap.site_ids, cap.processes, np.maximum(free, 0.0), cap.start_day)
    return RoutingState(state.sites, state.cost, new_cap), tuple(done), tuple(missed)
