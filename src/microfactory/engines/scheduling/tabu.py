"""Tabu search for the job shop with a fixed machine per operation (N5 neighbourhood).

The solution is a sequence of operations per machine. Heads (earliest starts) and tails
(longest path from an operation's end to the end of the schedule) come from one pass over
a topological order. A move swaps two adjacent operations at the border of a critical
block (Nowicki & Smutnicki 1996, "N5"): the first two of every block but the first, the
last two of every block but the last. Such a swap never creates a cycle. A move is scored
by the exact makespan estimate of Taillard (1994) from the new heads and tails of the two
swapped operations, and the best non-tabu move is made (a tabu move is allowed when it
beats the best makespan found: aspiration). The reversed pair stays tabu for a random
tenure. After ``stall`` moves without improvement the search jumps back to the best
solution and perturbs it with a few random critical swaps. It stops at the time limit,
when a given lower bound is reached, or when no critical block has two operations (then
the schedule is optimal).

Only ``time.monotonic`` for the deadline and a seeded ``random.Random`` are used.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from itertools import pairwise

from microfactory.engines.scheduling.core import CoreProblem, TaskSol


@dataclass(frozen=True, slots=True)
class TabuInstance:
    """Operations 0..n-1: machine, duration, job predecessor / successor (-1 when none)."""

    machine: tuple[int, ...]
    duration: tuple[int, ...]
    job_prev: tuple[int, ...]
    job_next: tuple[int, ...]
    machines: int


@dataclass(frozen=True, slots=True)
class TabuResult:
    """Best machine sequences, their makespan, heads (start times) and iterations made."""

    sequences: tuple[tuple[int, ...], ...]
    makespan: int
    starts: tuple[int, ...]
    iterations: int
    proven: bool


class _State:
    """Machine sequences with heads and tails."""

    def __init__(self, inst: TabuInstance, seqs: list[list[int]]) -> None:
        n = len(inst.machine)
        self.inst = inst
        self.seqs = [list(s) for s in seqs]
        self.mp = [-1] * n
        self.ms = [-1] * n
        self.head = [0] * n
        self.tail = [0] * n
        self.makespan = 0
        self.relink()

    def relink(self) -> None:
        for seq in self.seqs:
            prev = -1
            for o in seq:
                self.mp[o] = prev
                if prev >= 0:
                    self.ms[prev] = o
                prev = o
            if prev >= 0:
                self.ms[prev] = -1
        self.evaluate()

    def evaluate(self) -> None:
        """Heads and tails by Kahn's algorithm; raises ValueError on a cycle."""
        inst, mp, ms = self.inst, self.mp, self.ms
        jp, js, d = inst.job_prev, inst.job_next, inst.duration
        n = len(d)
        indeg = [(jp[o] >= 0) + (mp[o] >= 0) for o in range(n)]
        order = [o for o in range(n) if indeg[o] == 0]
        head = self.head
        for o in range(n):
            head[o] = 0
        i = 0
        while i < len(order):
            o = order[i]
            i += 1
            e = head[o] + d[o]
            for s in (js[o], ms[o]):
                if s >= 0:
                    head[s] = max(head[s], e)
                    indeg[s] -= 1
                    if indeg[s] == 0:
                        order.append(s)
        if len(order) != n:
            raise ValueError("cyclic machine sequences")
        tail = self.tail
        best = 0
        for o in reversed(order):
            a, b = js[o], ms[o]
            t = 0
            if a >= 0:
                t = tail[a] + d[a]
            if b >= 0 and tail[b] + d[b] > t:
                t = tail[b] + d[b]
            tail[o] = t
            best = max(best, head[o] + d[o] + t)
        self.makespan = best

    def critical_blocks(self, rng: random.Random) -> list[list[int]]:
        """Blocks (runs on one machine) of one critical path, chosen at random among ties."""
        d, jp, mp = self.inst.duration, self.inst.job_prev, self.mp
        cmax = self.makespan
        ends = [o for o in range(len(d)) if self.head[o] + d[o] == cmax and self.tail[o] == 0]
        o = rng.choice(ends)
        path = [o]
        while self.head[o] > 0:
            cands = [p for p in (mp[o], jp[o]) if p >= 0 and self.head[p] + d[p] == self.head[o]]
            o = cands[0] if len(cands) == 1 or rng.random() < 0.5 else cands[1]
            path.append(o)
        path.reverse()
        blocks: list[list[int]] = [[path[0]]]
        for a, b in pairwise(path):
            if self.ms[a] == b:
                blocks[-1].append(b)
            else:
                blocks.append([b])
        return blocks

    def estimate(self, u: int, v: int) -> int:
        """Makespan estimate after swapping adjacent u (first) and v on their machine."""
        d, jp, js = self.inst.duration, self.inst.job_prev, self.inst.job_next
        head, tail, mp, ms = self.head, self.tail, self.mp, self.ms
        a, b = mp[u], ms[v]
        hv = max(head[jp[v]] + d[jp[v]] if jp[v] >= 0 else 0, head[a] + d[a] if a >= 0 else 0)
        hu = max(head[jp[u]] + d[jp[u]] if jp[u] >= 0 else 0, hv + d[v])
        tu = max(tail[js[u]] + d[js[u]] if js[u] >= 0 else 0, tail[b] + d[b] if b >= 0 else 0)
        tv = max(tail[js[v]] + d[js[v]] if js[v] >= 0 else 0, tu + d[u])
        return max(hv + d[v] + tv, hu + d[u] + tu)

    def swap(self, u: int, v: int) -> None:
        """Swap adjacent u, v (u first) on their machine and re-evaluate."""
        seq = self.seqs[self.inst.machine[u]]
        i = seq.index(u)
        seq[i], seq[i + 1] = v, u
        a, b = self.mp[u], self.ms[v]
        self.mp[v], self.ms[v], self.mp[u], self.ms[u] = a, u, v, b
        if a >= 0:
            self.ms[a] = v
        if b >= 0:
            self.mp[b] = u
        self.evaluate()


def n5_moves(blocks: list[list[int]]) -> list[tuple[int, int]]:
    """Adjacent swaps at the borders of critical blocks (N5)."""
    moves: list[tuple[int, int]] = []
    last = len(blocks) - 1
    for i, blk in enumerate(blocks):
        if len(blk) < 2:
            continue
        if i > 0:
            moves.append((blk[0], blk[1]))
        if i < last and (len(blk) > 2 or i == 0):
            moves.append((blk[-2], blk[-1]))
    return list(dict.fromkeys(moves))


def tabu_search(inst: TabuInstance, sequences: list[list[int]], time_limit_s: float, seed: int = 0,
                lower_bound: int = 0, stall: int = 2500, max_iterations: int | None = None) -> TabuResult:
    """Improve ``sequences`` (one list of operations per machine) by tabu search."""
    rng = random.Random(seed)
    deadline = time.monotonic() + time_limit_s
    st = _State(inst, sequences)
    best_seqs, best = [list(s) for s in st.seqs], st.makespan
    tabu: dict[tuple[int, int], int] = {}
    it, since, proven = 0, 0, False
    while best > lower_bound and time.monotonic() < deadline and (max_iterations is None or it < max_iterations):
        it += 1
        blocks = st.critical_blocks(rng)
        moves = n5_moves(blocks)
        if not moves:
            if st.makespan == best and all(len(b) == 1 for b in blocks):
                proven = True
                break
            st = _State(inst, best_seqs)
            continue
        move = _pick(st, moves, tabu, it, best, rng)
        u, v = move
        st.swap(u, v)
        tabu[(v, u)] = it + 8 + rng.randrange(8) + len(inst.machine) // 40
        since += 1
        if st.makespan < best:
            best, best_seqs, since = st.makespan, [list(s) for s in st.seqs], 0
        elif since >= stall:
            st = _State(inst, best_seqs)
            _perturb(st, rng, 3 + rng.randrange(4))
            tabu.clear()
            since = 0
    final = _State(inst, best_seqs)
    return TabuResult(tuple(tuple(s) for s in best_seqs), final.makespan, tuple(final.head), it, proven)


def _pick(st: _State, moves: list[tuple[int, int]], tabu: dict[tuple[int, int], int], it: int, best: int,
          rng: random.Random) -> tuple[int, int]:
    scored = [(st.estimate(u, v), rng.random(), (u, v)) for u, v in moves]
    allowed = [s for s in scored if tabu.get(s[2], 0) <= it or s[0] < best]
    pool = allowed or [min(scored, key=lambda s: tabu.get(s[2], 0))]
    return min(pool)[2]


def _perturb(st: _State, rng: random.Random, k: int) -> None:
    for _ in range(k):
        moves = n5_moves(st.critical_blocks(rng))
        if not moves:
            return
        st.swap(*rng.choice(moves))


def sequences_from_starts(inst: TabuInstance, starts: list[int] | tuple[int, ...]) -> list[list[int]]:
    """Machine sequences of a schedule given by start times."""
    seqs: list[list[int]] = [[] for _ in range(inst.machines)]
    for o in sorted(range(len(starts)), key=lambda x: (starts[x], inst.duration[x] > 0, x)):
        seqs[inst.machine[o]].append(o)
    return seqs


def core_instance(cp: CoreProblem, sol: dict[int, TaskSol]) -> TabuInstance:
    """The fixed-assignment job shop of a core problem (no staff, setups or calendars) under ``sol``'s machines."""
    n = len(cp.tasks)
    machine = tuple(cp.tasks[t].alts[sol[t].alt][0] for t in range(n))
    duration = tuple(cp.tasks[t].alts[sol[t].alt][1] for t in range(n))
    jp, jn = [-1] * n, [-1] * n
    for job in cp.jobs:
        for a, b in zip(job.tasks, job.tasks[1:]):
            jn[a], jp[b] = b, a
    return TabuInstance(machine, duration, tuple(jp), tuple(jn), len(cp.machines))


def improve_core(cp: CoreProblem, sol: dict[int, TaskSol], time_limit_s: float, seed: int,
                 lower_bound: int = 0) -> tuple[dict[int, TaskSol], TabuResult]:
    """Tabu search on the machine sequences of ``sol`` (assignment kept); the semi-active schedule found."""
    inst = core_instance(cp, sol)
    seqs = sequences_from_starts(inst, [sol[t].start for t in range(len(cp.tasks))])
    res = tabu_search(inst, seqs, time_limit_s, seed, lower_bound)
    out = {t: TaskSol(sol[t].alt, res.starts[t], 0, res.starts[t] + inst.duration[t], None)
           for t in range(len(cp.tasks))}
    return out, res
