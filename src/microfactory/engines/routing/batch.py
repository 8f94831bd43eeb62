"""Batch routing of all open lines: exact MIP when small, class LP + rounding at scale; greedy."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from microfactory.engines.routing.batchbound import batch_bound
from microfactory.engines.routing.bound import lagrangian_bound
from microfactory.engines.routing.classes import make_classes, make_rows
from microfactory.engines.routing.classlp import levels, solve_class_lp
from microfactory.engines.routing.greedy import greedy_plan
from microfactory.engines.routing.lagrange import ascend
from microfactory.engines.routing.mip import solve_mip
from microfactory.engines.routing.primal import plan_from_prices
from microfactory.engines.routing.result import RoutingResult, evaluate
from microfactory.engines.routing.rounding import build_plan
from microfactory.engines.routing.tables import Tables, build_tables
from microfactory.engines.routing.types import RoutingParams, RoutingProblem

Clock = Callable[[], float]

#: Largest lines × sites on which the large path also runs the minimum-batch bound (``batchbound.py``).
BATCH_BOUND_CELLS = 1_000_000


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
    t = build_tables(problem, params)
    if len(problem.lines) <= params.exact_max_lines:
        status, _, _, site_of, planned = solve_mip(t, groups, params.max_late_days, params.time_limit_s,
                                                   params.mip_gap, deadline=start + params.time_limit_s,
                                                   clock=now)
        if status in ("optimal", "feasible"):
            res = evaluate(t, site_of, planned, status, float("-inf"), now() - start, params.seed, "mip")
            return _with_bound(res, _mip_bound(t, problem, params, status, res.objective), now() - start)
    if params.large_method == "class-lp":
        return _route_class_lp(t, groups, params, now, start)
    return _route_lagrange(t, groups, params, now, start)


def _mip_bound(t: Tables, problem: RoutingProblem, params: RoutingParams, status: str, objective: float) -> float:
    """The MIP's own bound is exact when proven optimal; else the Lagrangian bound at zero prices."""
    if status == "optimal":
        return objective
    return lagrangian_bound(t, np.zeros_like(t.cap))


def _with_bound(res: RoutingResult, bound: float, runtime: float) -> RoutingResult:
    bound = min(bound, res.objective)
    status = "optimal" if res.objective <= bound + 1e-9 * max(1.0, abs(bound)) else res.status
    return dataclasses.replace(res, bound=bound, status=status, runtime_s=runtime)


def _route_lagrange(t: Tables, groups: NDArray[np.int64], params: RoutingParams, now: Clock,
                    start: float) -> RoutingResult:
    """Dual ascent for capacity prices and the bound, then the priced plan repaired and improved."""
    deadline = start + params.time_limit_s
    n, s_count = t.cost.shape
    # The search stops early enough to leave time for evaluating the plan (~20 µs per line).
    search_end = deadline - min(0.1 * params.time_limit_s, 2e-5 * n)
    # ... and the moves and chains leave a little of it for making late lines on time at no extra money.
    chains_end = search_end - min(0.05 * params.time_limit_s, 0.1 + 2e-5 * n)
    # The ascent gets its share of the limit, and after it keeps going while its bound still rises
    # (by 0.002 % over its last 8 full evaluations), until the time the priced construction needs
    # (~20 µs per line, ~0.05 µs per line and site) plus a twentieth of the limit for the search
    # (better prices give a better bound and a better priced plan; the compiled search is quick).
    construct = 2e-5 * n + 5e-8 * n * s_count
    share = start + params.ascent_share * params.time_limit_s
    split = max(share, chains_end - 0.05 * params.time_limit_s - construct)
    asc = ascend(t, params.candidates_per_line, lambda: now() > split, params.iterations, settle=2e-5,
                 may_settle=lambda: now() > share)
    bound = asc.bound
    if n * s_count <= BATCH_BOUND_CELLS:   # the minimum-batch bound, where it is cheap (up to ~1 s)
        bb_end = now() + 0.05 * params.time_limit_s
        bb = batch_bound(t, asc.prices, lambda: now() > bb_end)
        bound = max(bound, bb.bound) if bb is not None else bound
    rows = make_rows(t, groups)
    # other prices of the ascent get a construction each while that takes under a tenth of the limit
    others_end = now() + 0.1 * params.time_limit_s
    plan = plan_from_prices(t, rows, asc.prices, np.arange(params.max_late_days + 1), lambda: now() > search_end,
                            lambda: now() > chains_end, asc.others, lambda: now() > others_end)
    site_of, planned = plan.site[rows.row_of], plan.deadline[rows.row_of]
    res = evaluate(t, site_of, planned, "feasible", bound, now() - start, params.seed, "lagrange")
    res = _with_bound(res, bound, now() - start)
    return dataclasses.replace(res, lp_status=f"ascent:{asc.iterations}", lp_columns=0, classes=0)


def _route_class_lp(t: Tables, groups: NDArray[np.int64], params: RoutingParams, now: Clock,
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
    res = _with_bound(res, bound, now() - start)
    return dataclasses.replace(res, lp_status=lp.status, lp_columns=lp.columns, classes=len(classes.units))


def route_greedy(problem: RoutingProblem, params: RoutingParams, clock: Clock | None = None) -> RoutingResult:
    """Baseline: nearest allowed site with room before due, else nearest with room late; rules first."""
    now = clock or time.perf_counter
    start = now()
    t = build_tables(problem, params)
    site_of, planned = greedy_plan(t, params)
    return evaluate(t, site_of, planned, "feasible", float("-inf"), now() - start, params.seed, params.policy)
