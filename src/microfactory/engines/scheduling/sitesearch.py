"""Local search for site plans over batch orders, with a fast decoder.

A solution is an order of the jobs (batches). The decoder schedules the jobs in that
order, each operation after its predecessor in the batch, appended on the machine unit
(of its process) and with the qualified worker that finish it earliest; the changeover
comes from the setup key of the unit's previous operation; the operation (with its
changeover) must fit in one open period of the unit (calendar, downtime, frozen work),
and its worker must be free and available for the staffed part (the whole operation on a
staffed unit, the changeover on an automated one). Frozen operations stay where they are.
Some decode modes group by setup key (see :class:`DecodeMode`): prefer jobs that keep a
unit's key, weigh changeovers in the choice of unit, or extend a run of a key on its unit
with the jobs ready for it. The decoder runs compiled (``sitedecode``, numba; about ten
times the Python loop, which stays as :meth:`Decoder.decode_reference`).

Moves on the order: relocate a batch, swap two, move a segment, put a batch next to
another of the same setup key (merging their changeovers), pull a late batch forward.
Acceptance is late-acceptance hill climbing (Burke & Bykov 2017) on a lexicographic key
(weighted tardiness, then the model's weighted objective), so tardiness never rises for a
gain in changeovers or makespan. The result is checked by the same checker as every plan.
"""

from __future__ import annotations

import random
import time
from bisect import bisect_right, insort
from dataclasses import dataclass

from microfactory.engines.scheduling.core import CoreProblem, TaskSol, evaluate
from microfactory.engines.scheduling.problem import Interval
from microfactory.engines.scheduling.sitedecode import Arrays

Key = tuple[int, int]
#: Home units: (unit set index of the decoder, setup key) -> machine index.
Home = dict[tuple[int, str | None], int]
#: Minutes a unit other than the key's home unit is charged in the choice of unit.
HOME_PENALTY = 90


@dataclass(frozen=True, slots=True)
class DecodeMode:
    """How the decoder turns an order into a schedule.

    ``slack``: jobs whose next operation could start within ``slack`` minutes of the
    earliest compete (0: non-delay list scheduling, the order only breaks ties).
    ``group``: among those, a job whose operation keeps the setup key of a unit free in
    that window goes first (no changeover), then the order decides.
    ``affinity``: a unit is chosen by its end time plus ``affinity`` x the changeover it needs.
    ``run`` (>= 0): after an operation with a setup key is placed on a unit, every other job whose
    next operation has that key, can go on that unit and is ready within ``run`` minutes of the
    unit's new end follows it there at once, in the order's priority (one changeover for the
    whole run of the key; -1: off).
    """

    slack: int = 0
    group: bool = False
    affinity: int = 0
    run: int = -1


#: Grouping modes the site local search tries besides plain non-delay decoding.
GROUP_MODES = (DecodeMode(0, True, 1), DecodeMode(30, True, 1), DecodeMode(60, True, 3), DecodeMode(0, False, 1),
               DecodeMode(0, True, 1, 120), DecodeMode(0, True, 1, 240), DecodeMode(30, True, 1, 120),
               DecodeMode(0, True, 8, 240))


def _fit(t: int, length: int, busy: list[Interval], ends: list[int]) -> int:
    """Earliest start >= t of ``length`` minutes clear of ``busy`` (sorted, disjoint; ``ends`` their ends).

    A zero-length stay (a worker of an automated unit without changeover) must not fall
    strictly inside a busy interval either: CP-SAT's no-overlap counts that as overlap, and
    the schedule is the hint of the CP-SAT stages.
    """
    i = bisect_right(ends, t)
    while i < len(busy):
        s, e = busy[i]
        if s >= t + length:
            return t
        t = max(t, e)
        i += 1
    return t


class Decoder:
    """Builds schedules of a core problem from job orders (see the module docstring)."""

    def __init__(self, cp: CoreProblem, slack: int = 0, mode: DecodeMode | None = None) -> None:
        self.cp = cp
        self.mode = mode or DecodeMode(slack)
        self.staff = [cp.staff_for(t.skill) if t.skill is not None else [] for t in cp.tasks]
        self._setup: dict[tuple[int, str | None, str | None], int] = {}
        self._runs: dict[tuple[int, str | None], bool] = {}
        self._arrays: Arrays | None = None
        self.mfree0 = [0] * len(cp.machines)
        self.mkey0: list[str | None] = [m.initial_key for m in cp.machines]
        self.mbusy: list[list[Interval]] = [sorted(m.blocked) for m in cp.machines]
        self.sbusy0: list[list[Interval]] = [sorted(s.blocked) for s in cp.staff]
        for t, s in sorted(cp.fixed.items(), key=lambda kv: kv[1].start):
            m = cp.tasks[t].alts[s.alt][0]
            insort(self.mbusy[m], (s.start, s.end))
            if s.end >= self.mfree0[m]:
                self.mfree0[m], self.mkey0[m] = s.end, cp.tasks[t].key
            wlen = s.setup if cp.machines[m].automated else s.end - s.start
            if s.staff is not None and wlen > 0:
                insort(self.sbusy0[s.staff], (s.start, s.start + wlen))
        self.mbusy = [_merged(b) for b in self.mbusy]
        self.mends = [[e for _s, e in b] for b in self.mbusy]
        self.machines_of = [tuple(m for m, _d in t.alts) for t in cp.tasks]
        sets = sorted(set(self.machines_of))
        self.msets = [list(ms) for ms in sets]
        self.mset_of = [sets.index(ms) for ms in self.machines_of]
        self.by_key: dict[tuple[int, str | None], list[int]] = {}
        for t, task in enumerate(cp.tasks):
            self.by_key.setdefault((self.mset_of[t], task.key), []).append(t)
        self.ready0: dict[int, int] = {}
        self.next0: dict[int, int] = {}
        self.co0 = sum(s.setup for s in cp.fixed.values())
        self.tard0 = self.mk0 = 0
        for j, job in enumerate(cp.jobs):
            r = max(job.release, cp.min_start)
            k = 0
            while k < len(job.tasks) and job.tasks[k] in cp.fixed:
                r = max(r, cp.fixed[job.tasks[k]].end)
                k += 1
            if k < len(job.tasks):
                self.ready0[j], self.next0[j] = r, job.tasks[k]
            else:
                self.mk0 = max(self.mk0, r)
                self.tard0 += job.weight * max(0, r - job.due) if job.due is not None else 0

    def setup(self, m: int, a: str | None, b: str | None) -> int:
        """Cached changeover minutes."""
        k = (m, a, b)
        v = self._setup.get(k)
        if v is None:
            v = self._setup[k] = self.cp.setup_minutes(m, a, b)
        return v

    def decode(self, order: list[int], mode: DecodeMode | None = None, home: Home | None = None) -> dict[int, TaskSol]:
        """The list schedule in which ``order`` gives the jobs' priorities (every job once).

        At each step the jobs whose next operation could start earliest (within ``slack``
        minutes) compete and the one first in ``order`` is placed, as in the dispatch rules.
        """
        sol = self.decode_capped(order, mode, None, home)
        assert sol is not None
        return sol

    def decode_capped(self, order: list[int], mode: DecodeMode | None, cap: Key | None,
                      home: Home | None = None) -> dict[int, TaskSol] | None:
        """:meth:`decode`, or None as soon as the schedule's :func:`lex_key` must exceed ``cap``
        (weighted tardiness, changeovers and makespan only grow while jobs are placed).

        ``home`` maps (unit set, setup key) to a home unit: another unit of the set costs
        :data:`HOME_PENALTY` minutes more in the choice of unit (keys kept apart by unit).
        Runs compiled (``sitedecode``); :meth:`decode_reference` is the same in Python.
        """
        if self._arrays is None:
            self._arrays = Arrays(self)
        mode = mode or self.mode
        return self._arrays.decode(order, mode.slack, mode.group, mode.affinity, mode.run,
                                   self.home_of(home) if home else None, cap, HOME_PENALTY)

    def decode_reference(self, order: list[int], mode: DecodeMode | None = None, cap: Key | None = None,
                         home: Home | None = None) -> dict[int, TaskSol] | None:
        """:meth:`decode_capped` in plain Python (the reference the compiled decoder is tested against)."""
        cp = self.cp
        w = cp.weights
        totals = [self.tard0, self.co0, self.mk0]
        rank = {j: i for i, j in enumerate(order)}
        big = len(rank)
        free, key = list(self.mfree0), list(self.mkey0)
        sbusy = [list(b) for b in self.sbusy0]
        sends = [[e for _s, e in b] for b in sbusy]
        sol = dict(cp.fixed)
        ready = dict(self.ready0)
        nxt = dict(self.next0)
        machines_of = self.machines_of
        mode = mode or self.mode
        slack, group, affinity, run = mode.slack, mode.group, mode.affinity, mode.run
        homes = self.home_of(home) if home else None
        tasks_ = cp.tasks
        msets, mset_of = self.msets, self.mset_of
        fixed = cp.fixed

        def advance(j: int, t: int, s: TaskSol) -> None:
            """Book ``s`` of job ``j``'s task ``t`` and move the job to its next free task."""
            sol[t] = s
            r = s.end
            totals[1] += s.setup
            tasks = cp.jobs[j].tasks
            k = tasks_[t].index + 1
            while k < len(tasks) and tasks[k] in fixed:
                r = max(r, fixed[tasks[k]].end)
                k += 1
            ready[j] = r
            if k < len(tasks):
                nxt[j] = tasks[k]
            else:
                del nxt[j]
                job = cp.jobs[j]
                end = sol[tasks[-1]].end
                totals[2] = max(totals[2], end)
                if job.due is not None and end > job.due:
                    totals[0] += job.weight * (end - job.due)

        def over() -> bool:
            if cap is None:
                return False
            tard, co, mk = totals
            t_lb = tard if w.tardiness > 0 else 0
            return t_lb > cap[0] or t_lb == cap[0] and w.tardiness * tard + w.changeover * co + w.makespan * mk > cap[1]

        while nxt:
            first, pick, best_rank = -1, -1, -1
            gfree = [min([free[m] for m in ms]) for ms in msets]
            approx = []
            for j, t in nxt.items():
                a = gfree[mset_of[t]]
                r = ready[j]
                a = max(a, r)
                approx.append((a, j, t))
                if first < 0 or a < first:
                    first = a
            limit = first + slack
            for a, j, t in approx:
                if a <= limit:
                    r = rank[j]
                    if group:
                        want = tasks_[t].key
                        if not any(key[m] == want and free[m] <= limit for m in machines_of[t]):
                            r += big
                    if pick < 0 or r < best_rank:
                        pick, best_rank = j, r
            t = nxt[pick]
            s = self._place(t, ready[pick], free, key, sbusy, sends, affinity, homes[t] if homes else -1)
            advance(pick, t, s)
            if over():
                return None
            if run >= 0 and self.runs_on(tasks_[t].alts[s.alt][0], tasks_[t].key):
                m = tasks_[t].alts[s.alt][0]
                mates = self.by_key[(mset_of[t], tasks_[t].key)]
                while True:
                    pick, best_rank = -1, -1
                    for u in mates:
                        j = tasks_[u].job
                        if nxt.get(j) == u and ready[j] <= free[m] + run and \
                                (pick < 0 or rank[j] < best_rank):
                            pick, best_rank = j, rank[j]
                    if pick < 0:
                        break
                    u = nxt[pick]
                    advance(pick, u, self._place(u, ready[pick], free, key, sbusy, sends, only=m))
                    if over():
                        return None
        return sol

    def runs_on(self, m: int, k: str | None) -> bool:
        """Whether unit ``m`` pays changeovers into setup key ``k`` (run extension is worth it)."""
        v = self._runs.get((m, k))
        if v is None:
            v = self._runs[(m, k)] = k is not None and self.cp.machine_has_setups(m, {k})
        return v

    def shared_keys(self) -> list[tuple[int, str | None]]:
        """(unit set, setup key) pairs of tasks that have several units with changeovers to choose from."""
        keys = {(self.mset_of[t], task.key) for t, task in enumerate(self.cp.tasks)
                if len(self.msets[self.mset_of[t]]) > 1 and t not in self.cp.fixed}
        return sorted((k for k in keys if any(self.setup(m, None, k[1]) > 0 for m in self.msets[k[0]])),
                      key=lambda k: (k[0], k[1] or ""))

    def home_from(self, sol: dict[int, TaskSol]) -> Home:
        """Each shared key's home: the unit that runs most of its tasks in ``sol``."""
        count: dict[tuple[int, str | None], dict[int, int]] = {}
        for t, s in sol.items():
            if len(self.msets[self.mset_of[t]]) > 1:
                per = count.setdefault((self.mset_of[t], self.cp.tasks[t].key), {})
                m = self.cp.tasks[t].alts[s.alt][0]
                per[m] = per.get(m, 0) + 1
        return {k: max(sorted(per), key=lambda m: per[m]) for k, per in count.items()}

    def home_of(self, home: Home) -> list[int]:
        """Per task, its home unit under ``home`` (-1: none)."""
        return [home.get((self.mset_of[t], task.key), -1) for t, task in enumerate(self.cp.tasks)]

    def _place(self, t: int, ready: int, free: list[int], key: list[str | None],
               sbusy: list[list[Interval]], sends: list[list[int]], affinity: int = 0, home: int = -1,
               only: int = -1) -> TaskSol:
        cp, task = self.cp, self.cp.tasks[t]
        best: tuple[int, int, TaskSol] | None = None
        for a, (m, d) in enumerate(task.alts):
            if only >= 0 and m != only:
                continue
            su = self.setup(m, key[m], task.key)
            wlen = su if cp.machines[m].automated else su + d
            pen = affinity * su + (HOME_PENALTY if home >= 0 and m != home else 0)
            earliest = _fit(max(ready, free[m]), su + d, self.mbusy[m], self.mends[m])
            if best is not None and (earliest + su + d + pen, su) >= best[:2]:
                continue
            for w in self.staff[t] or [-1]:
                start = earliest
                while True:
                    s2 = _fit(start, su + d, self.mbusy[m], self.mends[m])
                    if w >= 0:
                        s2 = _fit(s2, wlen, sbusy[w], sends[w])
                    if s2 == start:
                        break
                    start = s2
                if best is None or (start + su + d + pen, su) < best[:2]:
                    best = (start + su + d + pen, su, TaskSol(a, start, su, start + su + d, w if w >= 0 else None))
                if start == earliest:
                    break
        assert best is not None
        s = best[2]
        m = task.alts[s.alt][0]
        free[m], key[m] = s.end, task.key
        wlen = s.setup if cp.machines[m].automated else s.end - s.start
        if s.staff is not None:
            # a zero-length stay is kept too: no later stay of this worker may straddle it
            i = bisect_right(sends[s.staff], s.start)
            sbusy[s.staff].insert(i, (s.start, s.start + wlen))
            sends[s.staff].insert(i, s.start + wlen)
        return s


def _merged(spans: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


@dataclass(frozen=True, slots=True)
class LocalSearchResult:
    """Best schedule, its order, and the number of orders evaluated."""

    solution: dict[int, TaskSol]
    order: tuple[int, ...]
    evaluations: int
    mode: DecodeMode = DecodeMode()


def lex_key(cp: CoreProblem, sol: dict[int, TaskSol]) -> Key:
    """(weighted tardiness, weighted objective): tardiness first, then the rest of the objective."""
    obj, tard, _co, _mk = evaluate(cp, sol)
    return (tard if cp.weights.tardiness > 0 else 0, obj)


def job_order(cp: CoreProblem, sol: dict[int, TaskSol]) -> list[int]:
    """Jobs by the start of their first operation in ``sol``."""
    return sorted(range(len(cp.jobs)), key=lambda j: (sol[cp.jobs[j].tasks[0]].start, j))


def local_search(cp: CoreProblem, starts: list[list[int]], time_limit_s: float, seed: int,
                 history: int = 40, slack: int = 0, modes: tuple[DecodeMode, ...] | None = None,
                 max_evals: int | None = None) -> LocalSearchResult:
    """Late-acceptance local search over (job order, decode mode) from the best start.

    Every order of ``starts`` is decoded in every mode of ``modes`` (default: non-delay
    with ``slack``, plus the grouping modes of :data:`GROUP_MODES` when changeovers can
    take time); a move changes the order or, now and then, the mode. Stops at the time
    limit or after ``max_evals`` decodings.
    """
    deadline = time.monotonic() + time_limit_s
    rng = random.Random(seed)
    dec = Decoder(cp, slack)
    if modes is None:
        modes = (DecodeMode(slack),) + (GROUP_MODES if has_setups(cp) else ())
    no_home: Home = {}
    scored = [(lex_key(cp, sol), i, order, mode, no_home, sol) for i, (order, mode) in
              enumerate((o, md) for o in starts for md in modes) for sol in [dec.decode(order, mode)]]
    cur_key, _i, cur, cur_mode, cur_home, cur_sol = min(scored, key=lambda x: x[:2])
    shared = dec.shared_keys()
    if shared:
        home = dec.home_from(cur_sol)
        homed = dec.decode(cur, cur_mode, home)
        if lex_key(cp, homed) <= cur_key:
            cur_key, cur_home, cur_sol = lex_key(cp, homed), home, homed
    best_key, best, best_mode, best_sol = cur_key, list(cur), cur_mode, cur_sol
    hist = [cur_key] * history
    groups = _same_key_groups(cp)
    n, evals = len(cur), len(scored)
    while n > 1 and time.monotonic() < deadline and (max_evals is None or evals < max_evals):
        cand, mode, home = cur, cur_mode, cur_home
        r = rng.random()
        if len(modes) > 1 and r < 0.05:
            mode = rng.choice(modes)
        elif shared and r < 0.15:
            home = _home_move(dec, cur_home, shared, rng)
        else:
            cand = _move(cp, cur, cur_sol, groups, rng, dec)
        slot = evals % history
        evals += 1
        sol = dec.decode_capped(cand, mode, max(cur_key, hist[slot]), home)
        if sol is None:
            hist[slot] = min(hist[slot], cur_key) if cur_key < hist[slot] else cur_key
            continue
        k = lex_key(cp, sol)
        if k <= cur_key or k < hist[slot]:
            cur_key, cur, cur_mode, cur_home, cur_sol = k, cand, mode, home, sol
            if k < best_key:
                best_key, best, best_mode, best_sol = k, list(cand), mode, sol
        hist[slot] = min(hist[slot], cur_key) if cur_key < hist[slot] else cur_key
    return LocalSearchResult(best_sol, tuple(best), evals, best_mode)


def _home_move(dec: Decoder, home: Home, shared: list[tuple[int, str | None]], rng: random.Random) -> Home:
    """Give one setup key of a process with several units another home unit, or none."""
    new = dict(home)
    group, key = rng.choice(shared)
    units = dec.msets[group]
    pick = rng.randrange(len(units) + 1)
    if pick == len(units):
        new.pop((group, key), None)
    else:
        new[(group, key)] = units[pick]
    return new


def has_setups(cp: CoreProblem) -> bool:
    """True when some changeover of ``cp`` takes time."""
    keys = {t.key for t in cp.tasks}
    return any(cp.machine_has_setups(m, keys) for m in range(len(cp.machines)))


def _same_key_groups(cp: CoreProblem) -> dict[int, list[int]]:
    """Per job, the other jobs sharing a setup key on some operation."""
    by_key: dict[str, list[int]] = {}
    for j, job in enumerate(cp.jobs):
        keys: set[str] = {k for t in job.tasks if (k := cp.tasks[t].key) is not None}
        for k in sorted(keys):
            by_key.setdefault(k, []).append(j)
    out: dict[int, list[int]] = {}
    for js in by_key.values():
        for j in js:
            out.setdefault(j, []).extend(x for x in js if x != j)
    return out


def _move(cp: CoreProblem, order: list[int], sol: dict[int, TaskSol], groups: dict[int, list[int]],
          rng: random.Random, dec: Decoder | None = None) -> list[int]:
    n = len(order)
    new = list(order)
    r = rng.random()
    i = rng.randrange(n)
    if r < 0.3:
        j = _near(i, n, rng)
        new.insert(j, new.pop(i))
    elif r < 0.5:
        j = _near(i, n, rng)
        new[i], new[j] = new[j], new[i]
    elif r < 0.62 and dec is not None:
        return _setup_move(cp, dec, order, sol, rng)
    elif r < 0.75 and groups.get(order[i]):
        mate = rng.choice(groups[order[i]])
        job = new.pop(i)
        k = new.index(mate)
        new.insert(k + (rng.random() < 0.5), job)
    elif r < 0.88:
        length = rng.randint(2, min(8, n))
        i = rng.randrange(n - length + 1)
        seg = new[i:i + length]
        del new[i:i + length]
        j = rng.randrange(len(new) + 1)
        new[j:j] = seg
    else:
        late = [p for p, j in enumerate(order) if _late(cp, sol, j)]
        if late:
            i = rng.choice(late)
            new.insert(rng.randrange(i + 1), new.pop(i))
    return new


def _setup_move(cp: CoreProblem, dec: Decoder, order: list[int], sol: dict[int, TaskSol],
                rng: random.Random) -> list[int]:
    """Aim at one changeover: a batch whose operation has the setup key the unit had just before
    (on the same process, now later) moves right before the batch that paid the changeover."""
    paid = [t for t, s in sol.items() if s.setup > 0 and t not in cp.fixed]
    if not paid:
        return list(order)
    t = rng.choice(paid)
    m, start = cp.tasks[t].alts[sol[t].alt][0], sol[t].start
    prev, prev_end = None, -1
    for u, s in sol.items():
        if s.end <= start and s.end > prev_end and cp.tasks[u].alts[s.alt][0] == m:
            prev, prev_end = u, s.end
    if prev is None:
        return list(order)
    group = dec.mset_of[t]
    mates = [cp.tasks[u].job for u in dec.by_key.get((group, cp.tasks[prev].key), ())
             if sol[u].start > start and u not in cp.fixed]
    if not mates:
        return list(order)
    mover, target = rng.choice(mates), cp.tasks[t].job
    new = [j for j in order if j != mover]
    new.insert(new.index(target), mover)
    return new


def _near(i: int, n: int, rng: random.Random) -> int:
    if rng.random() < 0.2:
        return rng.randrange(n)
    return min(n - 1, max(0, i + rng.randint(-12, 12)))


def _late(cp: CoreProblem, sol: dict[int, TaskSol], j: int) -> bool:
    job = cp.jobs[j]
    return job.due is not None and job.weight > 0 and sol[job.tasks[-1]].end > job.due
