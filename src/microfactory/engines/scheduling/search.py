"""Warm start, CP-SAT, then large-neighbourhood search (LNS) around CP-SAT.

1. Every dispatch rule builds a schedule; the best one is the hint and sets the horizon.
2. CP-SAT solves the whole model for part of the time limit (stops early when optimal).
3. LNS: repeatedly free a neighbourhood (some jobs, a time window, or some machines),
   keep the rest on its machine, worker and machine order, and re-solve that smaller
   model with the incumbent as hint; keep improvements. Neighbourhood size adapts.
The bound reported is CP-SAT's bound from step 2 (LNS proves nothing).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from itertools import pairwise

from microfactory.engines.scheduling.core import CoreProblem, TaskSol, evaluate
from microfactory.engines.scheduling.cpsat import Restriction, solve_model
from microfactory.engines.scheduling.dispatch import RULES, dispatch
from microfactory.engines.scheduling.sitesearch import job_order, lex_key, local_search

#: From this many tasks on, LNS neighbourhoods also limit changeover arcs to a time window.
WINDOW_FROM_TASKS = 150


@dataclass(frozen=True, slots=True)
class SearchParams:
    """Budget and behaviour of :func:`optimise`."""

    time_limit_s: float = 10.0
    seed: int = 0
    workers: int = 2
    full_share: float = 0.4
    lns: bool = True
    warm_start_rule: str = "best"
    lns_step_s: float = 1.5
    interleave: bool = False
    local_search_share: float = 0.0


@dataclass(frozen=True, slots=True)
class SearchResult:
    """The best solution found and how."""

    status: str
    objective: float
    bound: float
    runtime_s: float
    solution: dict[int, TaskSol]
    hint_rule: str
    hint_objective: int
    lns_iterations: int


def best_dispatch(cp: CoreProblem, rule: str = "best") -> tuple[str, dict[int, TaskSol]]:
    """The dispatch schedule of ``rule`` or, for "best", of the rule with the lowest objective."""
    extra = ("group",) if cp.setup is not None else ()
    rules = (RULES + extra + (("keep",) if cp.previous else ())) if rule == "best" else (rule,)
    scored = [(evaluate(cp, sol)[0], i, r, sol) for i, r in enumerate(rules) for sol in [dispatch(cp, r)]]
    _obj, _i, name, sol = min(scored, key=lambda x: (x[0], x[1]))
    return name, sol


def optimise(cp: CoreProblem, horizon: int, params: SearchParams) -> SearchResult:
    """Best schedule of ``cp`` within ``params.time_limit_s``; ``horizon`` is a lower limit for the model horizon."""
    t0 = time.monotonic()
    rule, hint = best_dispatch(cp, "fifo" if params.warm_start_rule == "none" else params.warm_start_rule)
    hint_obj = evaluate(cp, hint)[0]
    if params.local_search_share > 0 and params.warm_start_rule != "none":
        hint = _local_search(cp, hint, params)
    h = max(horizon, max(s.end for s in hint.values()))
    use_hint = params.warm_start_rule != "none"
    left = params.time_limit_s - (time.monotonic() - t0)
    budget = max(0.1, left * (params.full_share if params.lns else 1.0))
    out = solve_model(cp, h, budget, params.seed, params.workers, hint if use_hint else None,
                      interleave=params.interleave)
    best, status, bound = hint, "feasible", out.bound
    if out.solution is not None and lex_key(cp, out.solution) <= lex_key(cp, hint):
        best, status = out.solution, out.status
    if out.status == "infeasible":
        status = "infeasible"
    iters = 0
    if params.lns and status == "feasible":
        deadline = t0 + params.time_limit_s
        best, iters = _lns(cp, h, best, deadline, params)
        if evaluate(cp, best)[0] <= bound + 1e-9:
            status = "optimal"
    obj = evaluate(cp, best)[0]
    return SearchResult(status, float(obj), float(min(bound, obj)), time.monotonic() - t0, best, rule, hint_obj, iters)


def _local_search(cp: CoreProblem, hint: dict[int, TaskSol], params: SearchParams) -> dict[int, TaskSol]:
    """Late-acceptance search over batch orders (sitesearch) from every dispatch rule's order."""
    extra = ("group",) if cp.setup is not None else ()
    starts = [job_order(cp, hint)] + [job_order(cp, dispatch(cp, r)) for r in RULES + extra]
    res = local_search(cp, starts, params.time_limit_s * params.local_search_share, params.seed)
    return res.solution if lex_key(cp, res.solution) < lex_key(cp, hint) else hint


def _lns(cp: CoreProblem, h: int, best: dict[int, TaskSol], deadline: float,
         params: SearchParams) -> tuple[dict[int, TaskSol], int]:
    rng = random.Random(params.seed)
    best_obj = evaluate(cp, best)[0]
    free = [t for t in range(len(cp.tasks)) if t not in cp.fixed]
    if not free:
        return best, 0
    big = len(free) >= 2 * WINDOW_FROM_TASKS
    share, iters = (min(0.25, 40 / len(free)) if big else 0.25), 0
    while time.monotonic() < deadline - 0.05:
        step = min(params.lns_step_s, deadline - time.monotonic())
        relaxed = _neighbourhood(cp, best, free, share, rng)
        restrict = _restriction(cp, best, relaxed)
        out = solve_model(cp, h, step, rng.randrange(1 << 30), params.workers, best, restrict, best_obj)
        iters += 1
        if out.solution is not None and lex_key(cp, out.solution) <= lex_key(cp, best):
            best, best_obj = out.solution, evaluate(cp, out.solution)[0]
        share = min(0.6, share * 1.1) if out.status == "optimal" else max(0.05, share / 1.1)
    return best, iters


def _neighbourhood(cp: CoreProblem, sol: dict[int, TaskSol], free: list[int], share: float,
                   rng: random.Random) -> set[int]:
    size = max(2, int(share * len(free)))
    kind = rng.randrange(3)
    if len(free) >= 2 * WINDOW_FROM_TASKS and rng.random() < 0.5:
        kind = 1
    if kind == 0:
        jobs = list({cp.tasks[t].job for t in free})
        rng.shuffle(jobs)
        chosen: set[int] = set()
        out: set[int] = set()
        for j in jobs:
            if len(out) >= size:
                break
            chosen.add(j)
            out |= {t for t in cp.jobs[j].tasks if t not in cp.fixed}
        return out
    if kind == 1:
        order = sorted(free, key=lambda t: sol[t].start)
        i = rng.randrange(max(1, len(order) - size + 1))
        return set(order[i:i + size])
    machines = list(range(len(cp.machines)))
    rng.shuffle(machines)
    out = set()
    for m in machines:
        if len(out) >= size:
            break
        out |= {t for t in free if cp.tasks[t].alts[sol[t].alt][0] == m or
                any(mm == m for mm, _d in cp.tasks[t].alts) and rng.random() < 0.5}
    return out


def _restriction(cp: CoreProblem, sol: dict[int, TaskSol], relaxed: set[int]) -> Restriction:
    alts: dict[int, tuple[int, ...]] = {t: (s.alt,) for t, s in sol.items() if t not in relaxed}
    staff = {t: s.staff for t, s in sol.items() if t not in relaxed}
    per_machine: dict[int, list[int]] = {}
    for t, s in sol.items():
        if t not in relaxed:
            per_machine.setdefault(cp.tasks[t].alts[s.alt][0], []).append(t)
    before: list[tuple[int, int]] = []
    for ts in per_machine.values():
        ts.sort(key=lambda x: sol[x].start)
        before += list(pairwise(ts))
    if len(cp.tasks) < WINDOW_FROM_TASKS or not relaxed:
        return Restriction(alts, staff, tuple(before))
    seq: dict[int, list[int]] = {}
    for t, s in sol.items():
        seq.setdefault(cp.tasks[t].alts[s.alt][0], []).append(t)
    adjacent = {pair for ts in seq.values() for pair in pairwise(sorted(ts, key=lambda x: sol[x].start))}
    lo = min(sol[t].start for t in relaxed)
    hi = max(sol[t].end for t in relaxed)
    slack = max(60, (hi - lo) // 2)
    return Restriction(alts, staff, tuple(before), (lo - slack, hi + slack), {t: s.start for t, s in sol.items()},
                       frozenset(adjacent))
