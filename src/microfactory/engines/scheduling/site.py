"""Site plans: dispatch-rule schedules and the optimised schedule of a site.

The optimised plan: dispatch warm start, late-acceptance local search over batch orders
(``sitesearch``), CP-SAT and LNS (``search.optimise``); then, when the site has
changeovers, the changeover polish (``sitepolish``) keeps the weighted tardiness found
as an upper bound and spends the last :data:`POLISH_SHARE` of the time on changeovers.
"""

from __future__ import annotations

import time

from microfactory.engines.scheduling.core import (
    CoreProblem,
    TaskSol,
    Weights,
    compile_problem,
    evaluate,
    to_ops,
)
from microfactory.engines.scheduling.dispatch import dispatch
from microfactory.engines.scheduling.problem import (
    Schedule,
    ScheduledOp,
    ScheduleParams,
    SchedulingProblem,
)
from microfactory.engines.scheduling.search import SearchParams, optimise
from microfactory.engines.scheduling.sitepolish import polish
from microfactory.engines.scheduling.sitesearch import has_setups

#: Share of the time limit kept for the changeover polish when the site has changeovers.
POLISH_SHARE = 0.2
#: With the polish, the local search runs this multiple of its ``local_search_share`` of the limit
#: (at most 0.9 of the time before the polish; defaults: 1.4 x 0.5 x 30 s = 21 s of local search,
#: 3 s CP-SAT and LNS, 6 s polish). On the 300-line benchmark sites the compiled local search
#: kept improving to the end while CP-SAT, LNS and the polish found little after it.
LS_PART_WITH_POLISH = 1.4


def weights_of(params: ScheduleParams) -> Weights:
    """The model's integer weights from the parameters."""
    return Weights(params.tardiness_weight, params.changeover_weight, params.makespan_weight, params.deviation_weight)


def metrics(problem: SchedulingProblem, ops: tuple[ScheduledOp, ...]) -> tuple[float, int, int]:
    """(weighted tardiness in weight x minutes, changeover minutes, makespan) of work orders."""
    last: dict[str, int] = {}
    for op in ops:
        last[op.batch_id] = max(last.get(op.batch_id, 0), op.end)
    tard = sum(b.weight * max(0, last[b.id] - b.due) for b in problem.batches if b.id in last)
    return round(tard, 6), sum(op.setup for op in ops), max(last.values(), default=0)


def changeover_lower_bound(problem: SchedulingProblem) -> dict[str, int]:
    """Per process, a lower bound on a plan's changeover minutes: each setup key its batches need
    is set up at least once on some unit of the process, at the cheapest changeover into that key
    (from any other key or a cold start; 0 when a unit starts in that key)."""
    keys: dict[str, set[str]] = {}
    for b in problem.batches:
        for k, op in enumerate(b.ops):
            keys.setdefault(op.process, set()).add(b.op_key(k))
    out: dict[str, int] = {}
    for process, needed in sorted(keys.items()):
        units = [r for r in problem.resources if r.process == process]
        froms = {None, *needed, *(r.initial_setup_key for r in units)}
        out[process] = sum(min(problem.changeovers.minutes(r, a, k) for r in units for a in froms
                               if a != k or r.initial_setup_key == k) for k in needed)
    return out


def build_schedule(problem: SchedulingProblem, cp: CoreProblem, sol: dict[int, TaskSol], method: str,
                   report: tuple[str, float, float, float], seed: int) -> Schedule:
    """A :class:`Schedule` from a core solution and its solver report (status, objective, bound, runtime)."""
    ops = to_ops(cp, sol)
    tard, changeover, makespan = metrics(problem, ops)
    status, objective, bound, runtime = report
    return Schedule(problem.site_id, method, status, objective, bound, runtime, seed, ops, tard, changeover, makespan)


def dispatch_schedule(problem: SchedulingProblem, rule: str, params: ScheduleParams | None = None) -> Schedule:
    """The schedule of dispatch rule ``rule`` (edd, spt, fifo, mwkr); objective as the model's."""
    params = params or ScheduleParams()
    t0 = time.monotonic()
    cp = compile_problem(problem, weights_of(params))
    sol = dispatch(cp, rule)
    obj = float(evaluate(cp, sol)[0])
    return build_schedule(problem, cp, sol, rule, ("feasible", obj, 0.0, time.monotonic() - t0), params.seed)


def plan_site(problem: SchedulingProblem, params: ScheduleParams) -> Schedule:
    """Optimised schedule: dispatch warm start, CP-SAT, then LNS, within ``params.time_limit_s``."""
    cp = compile_problem(problem, weights_of(params))
    return solve_compiled(problem, cp, params)


def solve_compiled(problem: SchedulingProblem, cp: CoreProblem, params: ScheduleParams) -> Schedule:
    """The optimised schedule of an already compiled site problem (see the module docstring)."""
    t0 = time.monotonic()
    share = POLISH_SHARE if params.lns and params.changeover_weight > 0 and has_setups(cp) else 0.0
    main_s = params.time_limit_s * (1.0 - share)
    ls_s = params.time_limit_s * params.local_search_share * (LS_PART_WITH_POLISH if share else 1.0)
    sp = SearchParams(time_limit_s=main_s, seed=params.seed, workers=params.workers,
                      lns=params.lns, warm_start_rule=params.warm_start_rule,
                      local_search_share=min(0.9, ls_s / main_s))
    res = optimise(cp, problem.horizon, sp)
    sol, status, objective = res.solution, res.status, res.objective
    if share and status == "feasible":
        horizon = max(problem.horizon, max(s.end for s in sol.values()))
        sol, _iters = polish(cp, horizon, sol, t0 + params.time_limit_s, params.seed, params.workers)
        objective = float(evaluate(cp, sol)[0])
        if objective <= res.bound + 1e-9:
            status = "optimal"
    report = (status, objective, min(res.bound, objective), time.monotonic() - t0)
    return build_schedule(problem, cp, sol, f"cpsat (hint {res.hint_rule})", report, params.seed)
