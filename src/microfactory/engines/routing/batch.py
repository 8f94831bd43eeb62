"""Batch routing of all open lines: exact MIP when small, class LP + rounding at scale; greedy."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from microfactory.engines.routing.bound import lagrangian_bound
from microfactory.engines.routing.capacity import reserve
from microfactory.engines.routing.classes import make_classes, make_rows
from microfactory.engines.routing.classlp import levels, solve_class_lp
from microfactory.engines.routing.mip import solve_mip
from microfactory.engines.routing.result import RoutingResult, evaluate
from microfactory.engines.routing.rounding import build_plan
from microfactory.engines.routing.tables import Tables, _distances, _rule_match, build_tables
from microfactory.engines.routing.types import RoutingParams, RoutingProblem

Clock = Callable[[], float]


def group_ids(problem: RoutingProblem, params: RoutingParams) -> NDArray[np.int64]:
    """Group index per line (-1: free): keep_together groups, or whole orders if splitting is off."""
    keys = [ln.order_id if not params.allow_split else ln.keep_together for ln in problem.lines]
    index = {k: j for j, k in enumerate(sorted({k for k in keys if k is not None}))}
    return np.array([index[k] if k is not None else -1 for k in keys], dtype=np.int64).reshape(len(keys))


def route_batch(problem: RoutingProblem, params: RoutingParams, clock: Clock | None = None) -> RoutingResult:
    """Assign every open line to a site (or leave it unassigned with a reason) under ``params.policy``."""
    now = clock or time.perf_counter
    start = now()
    if params.policy != "optimal":
        return route_greedy(problem, params, now)
    groups = group_ids(problem, params)
    if len(problem.lines) <= params.exact_max_lines:
        t = build_tables(problem, params, per_batch=True)
        status, _, bound, site_of, planned = solve_mip(t, groups, params.max_late_days, params.time_limit_s,
                                                       params.mip_gap)
        if status in ("optimal", "feasible"):
            return evaluate(t, site_of, planned, status, bound, now() - start, params.seed, "mip")
    t = build_tables(problem, params, per_batch=False)
    return _route_large(t, groups, params, now, start)


def _route_large(t: Tables, groups: NDArray[np.int64], params: RoutingParams, now: Clock,
                 start: float) -> RoutingResult:
    """Class LP for capacity prices, line-level Lagrangian bound, priced rounding and repair."""
    rows = make_rows(t, groups)
    classes = make_classes(t, rows, params.max_classes)
    left = params.time_limit_s - (now() - start)
    lp = solve_class_lp(t, classes, params.candidates_per_line, params.max_late_days, 0.7 * left,
                        params.lp_solver)
    solved = lp.status == "optimal"
    mu = lp.mu if solved else np.zeros_like(lp.mu)
    bound = lagrangian_bound(t, mu)
    deadline = start + params.time_limit_s
    plan = build_plan(t, rows, mu, levels(params.max_late_days), lambda: now() > deadline,
                      (classes, lp) if solved else None)
    site_of, planned = plan.site[rows.row_of], plan.deadline[rows.row_of]
    res = evaluate(t, site_of, planned, "feasible", bound, now() - start, params.seed, "class-lp")
    status = "optimal" if res.objective <= bound + 1e-9 * max(1.0, abs(bound)) else "feasible"
    return dataclasses.replace(res, status=status, bound=min(bound, res.objective), runtime_s=now() - start,
                               lp_status=lp.status, lp_columns=lp.columns, classes=len(classes.units))


def _greedy_order(t: Tables) -> NDArray[np.int64]:
    lines = t.problem.lines
    return np.array(sorted(range(len(lines)), key=lambda i: (lines[i].due_day, lines[i].created_day, lines[i].id)),
                    dtype=np.int64).reshape(len(lines))


def route_greedy(problem: RoutingProblem, params: RoutingParams, clock: Clock | None = None) -> RoutingResult:
    """Baseline: nearest allowed site with room before due, else nearest with room late; rules first."""
    now = clock or time.perf_counter
    start = now()
    t = build_tables(problem, params, per_batch=False)
    sites, lines = problem.sites, problem.lines
    index = {s.id: j for j, s in enumerate(sites)}
    dist = _distances(np.array([ln.lat for ln in lines]), np.array([ln.lon for ln in lines]),
                      np.array([s.lat for s in sites]), np.array([s.lon for s in sites]))
    free = t.cap.copy()
    site_of = np.full(len(lines), -1, dtype=np.int64)
    planned = np.zeros(len(lines), dtype=np.int64)
    for i in _greedy_order(t).tolist():
        order = [s for s in np.argsort(dist[i], kind="stable").tolist() if np.isfinite(t.cost[i, s])]
        rule = _rule_match(lines[i], params.rules) if params.policy == "rules" else None
        if rule is not None:
            pref = [index[x] for x in (rule.site_id, rule.fallback_site_id) if x in index]
            order = [s for s in pref if s in order] + [s for s in order if s not in pref]
        for late in (0, params.max_late_days):
            placed = _place_first(t, free, i, order, late)
            if placed is not None:
                site_of[i], planned[i] = placed
                break
    return evaluate(t, site_of, planned, "feasible", float("-inf"), now() - start, params.seed, params.policy)


def _place_first(t: Tables, free: NDArray[np.float64], i: int, order: list[int], late: int
                 ) -> tuple[int, int] | None:
    for s in order:
        last = int(t.due[i] - t.delivery[s]) + late
        got = reserve(free, s, t.minutes[i], int(t.earliest[s]), last)
        if got is not None:
            free[s] -= got[1]
            return s, got[0]
    return None
