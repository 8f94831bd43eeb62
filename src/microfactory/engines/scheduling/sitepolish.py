"""Changeover polish: the second stage of the site objective, after tardiness is settled.

The objective is weighted tardiness first, then changeovers (then makespan). Once the
local search and CP-SAT have a schedule, its weighted tardiness becomes an upper bound
and CP-SAT re-solves small neighbourhoods aimed at the changeovers still paid: pick an
operation that pays one, free the operations of the same process (any unit, any worker)
that start within a window around it, keep every other operation on its unit, worker
and unit order, and minimise the model's objective under that tardiness bound with the
incumbent as hint. A result is kept only when it is lexicographically better
(tardiness, then objective), so tardiness never rises.
"""

from __future__ import annotations

import random
import time
from itertools import pairwise

from microfactory.engines.scheduling.core import CoreProblem, TaskSol, evaluate
from microfactory.engines.scheduling.cpsat import Restriction, solve_model
from microfactory.engines.scheduling.sitesearch import lex_key

#: Half-widths (minutes) of the windows freed around a paid changeover.
WINDOWS = (720, 1080)


def paid_changeovers(cp: CoreProblem, sol: dict[int, TaskSol]) -> list[int]:
    """Tasks of ``sol`` (not frozen) that pay a changeover."""
    return sorted(t for t, s in sol.items() if s.setup > 0 and t not in cp.fixed)


def neighbourhood(cp: CoreProblem, sol: dict[int, TaskSol], rng: random.Random) -> set[int]:
    """Free the tasks around one paid changeover (a random one of a random process): tasks of the
    same process (same unit alternatives) starting within a window around it."""
    paid = paid_changeovers(cp, sol)
    if not paid:
        return set()
    groups: dict[tuple[int, ...], list[int]] = {}
    for u in paid:
        groups.setdefault(tuple(m for m, _d in cp.tasks[u].alts), []).append(u)
    t = rng.choice(groups[rng.choice(sorted(groups))])
    units = {m for m, _d in cp.tasks[t].alts}
    half = rng.choice(WINDOWS)
    lo, hi = sol[t].start - half, sol[t].start + half
    return {u for u, s in sol.items() if u not in cp.fixed and lo <= s.start <= hi
            and {m for m, _d in cp.tasks[u].alts} == units}


def restriction(cp: CoreProblem, sol: dict[int, TaskSol], relaxed: set[int]) -> Restriction:
    """Everything outside ``relaxed`` keeps its unit, worker and unit order."""
    alts: dict[int, tuple[int, ...]] = {t: (s.alt,) for t, s in sol.items() if t not in relaxed}
    staff = {t: s.staff for t, s in sol.items() if t not in relaxed}
    seq: dict[int, list[int]] = {}
    for t, s in sol.items():
        if t not in relaxed:
            seq.setdefault(cp.tasks[t].alts[s.alt][0], []).append(t)
    before: list[tuple[int, int]] = []
    for ts in seq.values():
        ts.sort(key=lambda x: sol[x].start)
        before += list(pairwise(ts))
    return Restriction(alts, staff, tuple(before))


def polish(cp: CoreProblem, horizon: int, sol: dict[int, TaskSol], deadline: float, seed: int, workers: int,
           step_s: float = 1.0) -> tuple[dict[int, TaskSol], int]:
    """Improve ``sol`` until ``deadline`` (monotonic) without raising its tardiness; (best, iterations)."""
    rng = random.Random(seed)
    best, best_key = sol, lex_key(cp, sol)
    iters, free = 0, len(cp.tasks) - len(cp.fixed)
    while time.monotonic() < deadline - 0.1:
        relaxed = neighbourhood(cp, best, rng)
        if not relaxed:
            break
        step = min(step_s, deadline - time.monotonic())
        obj, tard, _co, _mk = evaluate(cp, best)
        out = solve_model(cp, horizon, step, rng.randrange(1 << 30), workers, best,
                          restriction(cp, best, relaxed), objective_ub=obj,
                          tardiness_ub=tard if cp.weights.tardiness > 0 else None)
        iters += 1
        if out.solution is not None:
            key = lex_key(cp, out.solution)
            if key < best_key:
                best, best_key = out.solution, key
        if out.status == "optimal" and len(relaxed) == free:
            break
    return best, iters
