"""Dispatch rules (EDD, SPT, FIFO, MWKR, and KEEP for re-planning): non-delay list scheduling under the model's constraints.

At each step the ready operations (predecessor placed) that could start first form the
candidate set; the rule picks one; it goes on the alternative and worker that finish it
earliest, appended after the last operation of that machine unit (changeover from that
operation's setup key), inside the calendar, avoiding downtime and worker absences.
"""

from __future__ import annotations

from bisect import insort

from microfactory.engines.scheduling.core import CoreProblem, TaskSol
from microfactory.engines.scheduling.problem import Interval
from microfactory.errors import InvalidInput

RULES = ("edd", "spt", "fifo", "mwkr")
ALL_RULES = (*RULES, "keep", "group")
#: "group" (EDD that prefers the setup key a machine is already set up for): due-date bonus in minutes.
GROUP_BONUS = 720


def earliest_fit(t: int, lengths: list[tuple[int, list[Interval]]]) -> int:
    """Earliest time >= t at which each (length, busy intervals) pair is free for its length."""
    moved = True
    while moved:
        moved = False
        for length, busy in lengths:
            for s, e in busy:
                if s >= t + length and (length > 0 or s > t):
                    break
                if e > t and s < t + max(length, 1):
                    t = e
                    moved = True
    return t


class _State:
    def __init__(self, cp: CoreProblem) -> None:
        self.cp = cp
        self.free = [0] * len(cp.machines)
        self.last_key: list[str | None] = [m.initial_key for m in cp.machines]
        self.mbusy: list[list[Interval]] = [sorted(m.blocked) for m in cp.machines]
        self.sbusy: list[list[Interval]] = [sorted(s.blocked) for s in cp.staff]
        self.sol: dict[int, TaskSol] = {}

    def place(self, t: int, sol: TaskSol) -> None:
        task = self.cp.tasks[t]
        m = task.alts[sol.alt][0]
        self.sol[t] = sol
        insort(self.mbusy[m], (sol.start, sol.end))
        if sol.end >= self.free[m]:
            self.free[m] = sol.end
            self.last_key[m] = task.key
        if sol.staff is not None:
            # a zero-length stay (automated unit, no changeover) is kept as a busy point too: no
            # later stay of this worker may straddle it, which CP-SAT's no-overlap (and so a hint
            # built from this schedule) would reject
            wend = sol.start + self._worker_len(m, sol.setup, sol.end - sol.start - sol.setup)
            insort(self.sbusy[sol.staff], (sol.start, wend))

    def _worker_len(self, m: int, setup: int, work: int) -> int:
        return setup if self.cp.machines[m].automated else setup + work

    def best_option(self, t: int, ready: int) -> TaskSol:
        task = self.cp.tasks[t]
        best: tuple[int, int, TaskSol] | None = None
        staff = self.cp.staff_for(task.skill) if task.skill is not None else [-1]
        if not staff:
            raise InvalidInput(f"no worker has skill {task.skill!r}", field="workers.skills")
        for a, (m, d) in enumerate(task.alts):
            setup = self.cp.setup_minutes(m, self.last_key[m], task.key)
            wlen = self._worker_len(m, setup, d)
            for w in staff:
                need = [(setup + d, self.mbusy[m])]
                if w >= 0:
                    need.append((wlen, self.sbusy[w]))
                start = earliest_fit(max(ready, self.free[m]), need)
                cand = TaskSol(a, start, setup, start + setup + d, w if w >= 0 else None)
                score = (cand.end, setup)
                if best is None or score < best[:2]:
                    best = (cand.end, setup, cand)
        assert best is not None
        return best[2]


def _priority(cp: CoreProblem, rule: str, t: int, remaining: dict[int, int], st: _State) -> tuple[float, ...]:
    task = cp.tasks[t]
    job = cp.jobs[task.job]
    if rule == "group":
        same = any(st.last_key[m] == task.key for m, _d in task.alts) and task.key is not None
        return ((job.due if job.due is not None else 1 << 40) - GROUP_BONUS * same, task.job)
    if rule == "edd":
        return (job.due if job.due is not None else 1 << 40, task.job)
    if rule == "spt":
        return (min(d for _m, d in task.alts), task.job)
    if rule == "mwkr":
        return (-remaining[task.job], task.job)
    if rule == "keep":
        return (cp.previous.get(t, job.release), task.job)
    return (job.release, task.job)


def dispatch(cp: CoreProblem, rule: str) -> dict[int, TaskSol]:
    """A feasible schedule of ``cp`` by ``rule``: edd, spt, fifo, mwkr, keep (previous start order) or group."""
    if rule not in ALL_RULES:
        raise InvalidInput(f"unknown dispatch rule {rule!r}", field="rule")
    st = _State(cp)
    for t, s in sorted(cp.fixed.items(), key=lambda kv: kv[1].start):
        st.place(t, s)
    nxt = {j: 0 for j in range(len(cp.jobs))}
    remaining = {j: sum(min(d for _m, d in cp.tasks[t].alts) for t in job.tasks if t not in cp.fixed)
                 for j, job in enumerate(cp.jobs)}
    ready_at = {j: max(job.release, cp.min_start) for j, job in enumerate(cp.jobs)}
    for j, job in enumerate(cp.jobs):
        while nxt[j] < len(job.tasks) and job.tasks[nxt[j]] in cp.fixed:
            ready_at[j] = max(ready_at[j], cp.fixed[job.tasks[nxt[j]]].end)
            nxt[j] += 1
    while True:
        cands = [j for j in nxt if nxt[j] < len(cp.jobs[j].tasks)]
        if not cands:
            return st.sol
        approx = {j: max(ready_at[j], min(st.free[m] for m, _d in cp.tasks[cp.jobs[j].tasks[nxt[j]]].alts))
                  for j in cands}
        first = min(approx.values())
        pool = [cp.jobs[j].tasks[nxt[j]] for j in cands if approx[j] <= first]
        t = min(pool, key=lambda x: _priority(cp, rule, x, remaining, st))
        j = cp.tasks[t].job
        sol = st.best_option(t, ready_at[j])
        st.place(t, sol)
        remaining[j] -= min(d for _m, d in cp.tasks[t].alts)
        ready_at[j] = sol.end
        nxt[j] += 1
