"""Changeover polish: the second stage of the site objective, after tardiness is settled.

The objective is weighted tardiness first, then changeovers (then makespan). Once the
local search and CP-SAT have a schedule, its weighted tardiness becomes an upper bound
and CP-SAT re-solves small neighbourhoods aimed at the changeovers still paid: pick an
operation that pays one, free the operations of the same process (any unit, any worker)
that start within a window around it (or, half of the time, a setup key paid twice
whose batches' release-to-due windows overlap: its operations within two days, narrow
windows around them and the rest of their batches, so two runs of the key can meet), keep every other operation on its unit, worker and unit order, freeze those
far from the freed ones in time (a smaller model: each 1 s step searches rather than
presolves), and minimise the model's objective under that tardiness bound with the
incumbent as hint (CP-SAT presolve off). A result is kept only when its changeovers are
consistent with its unit orders and it is lexicographically better (tardiness, then
objective), so tardiness never rises.
"""

from __future__ import annotations

import random
import time
from dataclasses import replace
from itertools import pairwise

from microfactory.engines.scheduling.core import CoreProblem, TaskSol, evaluate
from microfactory.engines.scheduling.cpsat import Restriction, solve_model
from microfactory.engines.scheduling.sitesearch import lex_key

#: Half-widths (minutes) of the windows freed around a paid changeover.
WINDOWS = (720, 1080)
#: Share of the neighbourhoods built around a setup key rather than a time window.
KEY_SHARE = 0.5
#: Reach (minutes either side) of a key neighbourhood and half-widths freed around its tasks.
KEY_REACH = 2 * 1440
KEY_WINDOWS = (120, 360)
#: Key neighbourhoods tried first, in order of changeover minutes (see ``first_merges``).
MERGE_FIRST = 3
#: Tasks starting more than this many minutes after (or ending before) the freed ones are frozen
#: in a step's model (fewer variables: the step searches instead of presolving).
FREEZE_MARGIN = 480


def paid_changeovers(cp: CoreProblem, sol: dict[int, TaskSol]) -> list[int]:
    """Tasks of ``sol`` (not frozen) that pay a changeover."""
    return sorted(t for t, s in sol.items() if s.setup > 0 and t not in cp.fixed)


def mergeable(cp: CoreProblem, sol: dict[int, TaskSol], paid: list[int]) -> list[int]:
    """Paid tasks whose setup key is paid again on the same units by another task whose batch's
    release-to-due window overlaps theirs: two runs of one key that could be one."""
    by_key: dict[tuple[tuple[int, ...], str | None], list[int]] = {}
    for u in paid:
        by_key.setdefault((tuple(m for m, _d in cp.tasks[u].alts), cp.tasks[u].key), []).append(u)

    def window(u: int) -> tuple[int, int]:
        job = cp.jobs[cp.tasks[u].job]
        return job.release, job.due if job.due is not None else 1 << 40

    out = []
    for ts in by_key.values():
        for t in ts:
            lo, hi = window(t)
            if any(u != t and max(lo, window(u)[0]) < min(hi, window(u)[1]) for u in ts):
                out.append(t)
    return sorted(out)


def key_neighbourhood(cp: CoreProblem, sol: dict[int, TaskSol], t: int, half: int) -> set[int]:
    """The tasks of ``t``'s setup key on its units within :data:`KEY_REACH`, the tasks of those
    units within ``half`` of them, and the other operations of their batches."""
    units = {m for m, _d in cp.tasks[t].alts}
    same = [u for u in sol if u not in cp.fixed and {m for m, _d in cp.tasks[u].alts} == units]
    key, at = cp.tasks[t].key, sol[t].start
    keyed = {u for u in same if cp.tasks[u].key == key and abs(sol[u].start - at) <= KEY_REACH}
    around = {u for u in same for k in keyed if abs(sol[u].start - sol[k].start) <= half}
    batches = {u for k in keyed for u in cp.jobs[cp.tasks[k].job].tasks if u not in cp.fixed}
    return keyed | around | batches


def first_merges(cp: CoreProblem, sol: dict[int, TaskSol]) -> list[int]:
    """One paid task per mergeable key, dearest changeover first, at most :data:`MERGE_FIRST`: the
    polish tries these key neighbourhoods before the random ones."""
    seen: set[tuple[tuple[int, ...], str | None]] = set()
    out = []
    for t in sorted(mergeable(cp, sol, paid_changeovers(cp, sol)), key=lambda u: (-sol[u].setup, u)):
        group = (tuple(m for m, _d in cp.tasks[t].alts), cp.tasks[t].key)
        if group not in seen:
            seen.add(group)
            out.append(t)
    return out[:MERGE_FIRST]


def neighbourhood(cp: CoreProblem, sol: dict[int, TaskSol], rng: random.Random) -> set[int]:
    """Free the tasks around one paid changeover (a random one of a random process): tasks of the
    same process (same unit alternatives) starting within a window around it; or, a
    :data:`KEY_SHARE` of the time, a key paid twice where the runs could meet (``mergeable``):
    the tasks of that key within :data:`KEY_REACH`, narrow windows around them and the other
    operations of their batches (so one run can join the other, its batch's later operations
    moving along)."""
    paid = paid_changeovers(cp, sol)
    if not paid:
        return set()
    if rng.random() < KEY_SHARE:
        cands = mergeable(cp, sol, paid)
        if cands:
            return key_neighbourhood(cp, sol, rng.choice(cands), rng.choice(KEY_WINDOWS))
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


def frozen(cp: CoreProblem, sol: dict[int, TaskSol], relaxed: set[int], margin: int | None = None) -> CoreProblem:
    """``cp`` with the tasks of ``sol`` far (``margin``, default :data:`FREEZE_MARGIN`) from the
    freed ones fixed where they are."""
    margin = FREEZE_MARGIN if margin is None else margin
    lo = min(sol[t].start for t in relaxed) - margin
    hi = max(sol[t].end for t in relaxed) + margin
    far = {t: s for t, s in sol.items() if t not in relaxed and (s.start > hi or s.end < lo)}
    return replace(cp, fixed={**far, **cp.fixed})


def setups_consistent(cp: CoreProblem, sol: dict[int, TaskSol]) -> bool:
    """Whether every task's changeover is the one its machine predecessor (or the initial key) implies."""
    seq: dict[int, list[int]] = {}
    for t, s in sol.items():
        seq.setdefault(cp.tasks[t].alts[s.alt][0], []).append(t)
    for m, ts in seq.items():
        ts.sort(key=lambda x: (sol[x].start, sol[x].end))
        if not cp.machine_has_setups(m, {cp.tasks[t].key for t in ts}):
            continue
        prev = cp.machines[m].initial_key
        for t in ts:
            if sol[t].setup != cp.setup_minutes(m, prev, cp.tasks[t].key):
                return False
            prev = cp.tasks[t].key
    return True


def polish(cp: CoreProblem, horizon: int, sol: dict[int, TaskSol], deadline: float, seed: int, workers: int,
           step_s: float = 1.0) -> tuple[dict[int, TaskSol], int]:
    """Improve ``sol`` until ``deadline`` (monotonic) without raising its tardiness; (best, iterations)."""
    rng = random.Random(seed)
    best, best_key = sol, lex_key(cp, sol)
    iters, free = 0, len(cp.tasks) - len(cp.fixed)
    queue = first_merges(cp, sol)
    while time.monotonic() < deadline - 0.1:
        t = queue.pop(0) if queue else None
        if t is not None and best[t].setup > 0:
            relaxed = key_neighbourhood(cp, best, t, max(KEY_WINDOWS))
        else:
            relaxed = neighbourhood(cp, best, rng)
        if not relaxed:
            break
        step = min(step_s, deadline - time.monotonic())
        obj, tard, _co, _mk = evaluate(cp, best)
        out = solve_model(frozen(cp, best, relaxed), horizon, step, rng.randrange(1 << 30), workers, best,
                          restriction(cp, best, relaxed), objective_ub=obj,
                          tardiness_ub=tard if cp.weights.tardiness > 0 else None, presolve=False)
        iters += 1
        if out.solution is not None and setups_consistent(cp, out.solution):
            key = lex_key(cp, out.solution)
            if key < best_key:
                best, best_key = out.solution, key
        if out.status == "optimal" and len(relaxed) == free:
            break
    return best, iters
