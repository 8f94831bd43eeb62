"""Compiled tabu search for (flexible) job shops: critical-block insertions and machine reassignment.

The solution is a machine per operation and a sequence of operations per machine. Heads (earliest
starts) and tails (longest path from an operation's end to the end of the schedule) come from one
topological pass. Each iteration follows one critical path (random among ties) and scores:

* insertions inside a critical block (N7 of Zhang et al. 2007): an operation of the block moved to
  the block's start or end, the first or last operation moved to each inner position; scored by the
  estimate of Balas & Vazacopoulos (1998): new heads and tails of the moved segment from the old
  heads and tails around it;
* for operations with alternative machines, moving a critical operation to another of its machines
  at the best position there (Mastrolilli & Gambardella 2000 style), scored by the head and tail
  it gets between its new neighbours.

A move is only generated when heads and tails prove it creates no cycle (a path x -> y implies
head(y) >= head(x) + duration(x)). The best non-tabu move is made (tabu moves that beat the best
makespan are allowed); the reversed operation pairs, or the machine left, stay tabu for a random
tenure. After ``stall`` iterations without a new best the search restarts from the best solution
with a few random moves. It stops at the time limit, at the lower bound, or when a critical path
holds only job arcs of operations without alternatives (the schedule is then optimal).

The inner loop is compiled with numba (its on-disk cache keeps later runs from compiling again).
Iterations run in chunks between which the Python driver checks the deadline: with a fixed
``max_iterations`` and no time limit reached, the result depends only on the seed; under a time
limit the number of iterations, and so the result, depends on the machine's speed.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
from numba import njit

from microfactory.engines.scheduling.core import CoreProblem, TaskSol

_CHUNK = 2000
# ctl fields
_IT, _SINCE, _BEST, _CUR, _LB, _STALL, _TEN, _PROVEN, _BAD, _PBEST, _KICK = range(11)


@dataclass(frozen=True, slots=True)
class ShopTabuResult:
    """Best machine per operation, start times, makespan, iterations and whether optimality was proven."""

    machine: tuple[int, ...]
    alt: tuple[int, ...]
    starts: tuple[int, ...]
    makespan: int
    iterations: int
    proven: bool


@njit(cache=True, nogil=True)
def _seed(seed: int) -> None:  # pragma: no cover - compiled
    np.random.seed(seed)


@njit(cache=True, nogil=True)
def _relink(m, seq, ln, pos, mp, ms):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    k = ln[m]
    for i in range(k):
        o = seq[m, i]
        pos[o] = i
        mp[o] = seq[m, i - 1] if i > 0 else -1
        ms[o] = seq[m, i + 1] if i < k - 1 else -1


@njit(cache=True, nogil=True)
def _evaluate(jp, jn, mp, ms, dur, head, tail, order, indeg):  # type: ignore[no-untyped-def]  # pragma: no cover
    n = jp.shape[0]
    cnt = 0
    for o in range(n):
        indeg[o] = (1 if jp[o] >= 0 else 0) + (1 if mp[o] >= 0 else 0)
        head[o] = 0
        if indeg[o] == 0:
            order[cnt] = o
            cnt += 1
    i = 0
    while i < cnt:
        o = order[i]
        i += 1
        e = head[o] + dur[o]
        s = jn[o]
        if s >= 0:
            head[s] = max(head[s], e)
            indeg[s] -= 1
            if indeg[s] == 0:
                order[cnt] = s
                cnt += 1
        s = ms[o]
        if s >= 0:
            head[s] = max(head[s], e)
            indeg[s] -= 1
            if indeg[s] == 0:
                order[cnt] = s
                cnt += 1
    if cnt != n:
        return -1
    best = 0
    for i in range(n - 1, -1, -1):
        o = order[i]
        t = 0
        a = jn[o]
        if a >= 0:
            t = tail[a] + dur[a]
        b = ms[o]
        if b >= 0 and tail[b] + dur[b] > t:
            t = tail[b] + dur[b]
        tail[o] = t
        best = max(best, head[o] + dur[o] + t)
    return best


@njit(cache=True, nogil=True)
def _segment_estimate(seg, k, a, b, jp, jn, dur, head, tail, rr):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Longest path through the re-ordered segment seg[0..k-1] between machine neighbours a and b."""
    prev = head[a] + dur[a] if a >= 0 else 0
    for i in range(k):
        x = seg[i]
        r = prev
        p = jp[x]
        if p >= 0 and head[p] + dur[p] > r:
            r = head[p] + dur[p]
        rr[i] = r
        prev = r + dur[x]
    nxt = tail[b] + dur[b] if b >= 0 else 0
    est = 0
    for i in range(k - 1, -1, -1):
        x = seg[i]
        q = nxt
        s = jn[x]
        if s >= 0 and tail[s] + dur[s] > q:
            q = tail[s] + dur[s]
        est = max(est, rr[i] + dur[x] + q)
        nxt = q + dur[x]
    return est


@njit(cache=True, nogil=True)
def _no_path(x, y, head, tail, dur):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """True when heads and tails prove there is no path from x to y (either may be -1: no path)."""
    if x < 0 or y < 0:
        return True
    if x == y:
        return False
    return head[y] < head[x] + dur[x] or tail[x] < tail[y] + dur[y]


@njit(cache=True, nogil=True)
def _critical_path(n, cmax, head, tail, dur, jp, mp, path):  # type: ignore[no-untyped-def]  # pragma: no cover
    cnt = 0
    for o in range(n):
        if head[o] + dur[o] == cmax and tail[o] == 0:
            cnt += 1
    pick = np.random.randint(0, cnt)
    o = -1
    for x in range(n):
        if head[x] + dur[x] == cmax and tail[x] == 0:
            if pick == 0:
                o = x
                break
            pick -= 1
    k = 0
    path[k] = o
    k += 1
    while head[o] > 0:
        a, b = mp[o], jp[o]
        ta = a >= 0 and head[a] + dur[a] == head[o]
        tb = b >= 0 and head[b] + dur[b] == head[o]
        if ta and tb:
            o = a if np.random.random() < 0.5 else b
        elif ta:
            o = a
        else:
            o = b
        path[k] = o
        k += 1
    # reverse to forward order
    for i in range(k // 2):
        path[i], path[k - 1 - i] = path[k - 1 - i], path[i]
    return k


@njit(cache=True, nogil=True)
def _add(mv, cnt, kind, u, m, frm, to, est):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    if cnt < mv.shape[0]:
        mv[cnt, 0] = kind
        mv[cnt, 1] = u
        mv[cnt, 2] = m
        mv[cnt, 3] = frm
        mv[cnt, 4] = to
        mv[cnt, 5] = est
        return cnt + 1
    return cnt


@njit(cache=True, nogil=True)
def _block_moves(m, s, e, seq, jp, jn, dur, head, tail, seg, rr, mv, cnt):  # type: ignore[no-untyped-def]  # pragma: no cover
    """N7 insertions inside the block seq[m, s..e]; kind 0 = move op at frm to position to."""
    ln_block = e - s + 1
    if ln_block < 2:
        return cnt
    for i in range(s, e + 1):
        u = seq[m, i]
        # u to the block start (backward), i > s
        if i > s and _no_path(seq[m, s], jp[u], head, tail, dur):
            seg[0] = u
            k = 1
            for x in range(s, i):
                seg[k] = seq[m, x]
                k += 1
            a = seq[m, s - 1] if s > 0 else -1
            b = _after(seq, m, i)
            cnt = _add(mv, cnt, 0, u, m, i, s, _segment_estimate(seg, k, a, b, jp, jn, dur, head, tail, rr))
        # u to the block end (forward), i < e
        if i < e and _no_path(jn[u], seq[m, e], head, tail, dur):
            k = 0
            for x in range(i + 1, e + 1):
                seg[k] = seq[m, x]
                k += 1
            seg[k] = u
            k += 1
            a = seq[m, i - 1] if i > 0 else -1
            b = _after(seq, m, e)
            cnt = _add(mv, cnt, 0, u, m, i, e, _segment_estimate(seg, k, a, b, jp, jn, dur, head, tail, rr))
    # first op to inner positions (forward), last op to inner positions (backward)
    u = seq[m, s]
    for j in range(s + 1, e):
        if _no_path(jn[u], seq[m, j], head, tail, dur):
            k = 0
            for x in range(s + 1, j + 1):
                seg[k] = seq[m, x]
                k += 1
            seg[k] = u
            k += 1
            a = seq[m, s - 1] if s > 0 else -1
            cnt = _add(mv, cnt, 0, u, m, s, j, _segment_estimate(seg, k, a, seq[m, j + 1], jp, jn, dur, head, tail, rr))
    u = seq[m, e]
    for j in range(s + 1, e):
        if _no_path(seq[m, j], jp[u], head, tail, dur):
            seg[0] = u
            k = 1
            for x in range(j, e):
                seg[k] = seq[m, x]
                k += 1
            cnt = _add(mv, cnt, 0, u, m, e, j, _segment_estimate(seg, k, seq[m, j - 1], _after(seq, m, e), jp, jn, dur,
                                                                 head, tail, rr))
    return cnt


@njit(cache=True, nogil=True)
def _after(seq, m, i):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """The operation after position i on machine m, or -1 (rows are padded with -1)."""
    if i + 1 < seq.shape[1]:
        return seq[m, i + 1]
    return -1


@njit(cache=True, nogil=True)
def _reassign_moves(v, nalt, alt_m, alt_d, mach, seq, ln, jp, jn, dur, head, tail, mv, cnt):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Move v to each other machine of its alternatives at its best position there; kind 1, ``to`` = alt index."""
    rj = head[jp[v]] + dur[jp[v]] if jp[v] >= 0 else 0
    qj = tail[jn[v]] + dur[jn[v]] if jn[v] >= 0 else 0
    for a in range(nalt[v]):
        k = alt_m[v, a]
        if k == mach[v]:
            continue
        d = alt_d[v, a]
        best, best_p = -1, -1
        for p in range(ln[k] + 1):
            prev = seq[k, p - 1] if p > 0 else -1
            nxt = seq[k, p] if p < ln[k] else -1
            if not (_no_path(nxt, jp[v], head, tail, dur) and _no_path(jn[v], prev, head, tail, dur)):
                continue
            r = rj
            if prev >= 0 and head[prev] + dur[prev] > r:
                r = head[prev] + dur[prev]
            q = qj
            if nxt >= 0 and tail[nxt] + dur[nxt] > q:
                q = tail[nxt] + dur[nxt]
            est = r + d + q
            if best < 0 or est < best or (est == best and np.random.random() < 0.5):
                best, best_p = est, p
        if best_p >= 0:
            cnt = _add(mv, cnt, 1, v, k, best_p, a, best)
    return cnt


@njit(cache=True, nogil=True)
def _neighbours(n, path, plen, mach, seq, ln, pos, ms, nalt, alt_m, alt_d, jp, jn, dur, head, tail, seg, rr, mv):  # type: ignore[no-untyped-def]  # pragma: no cover
    cnt = 0
    i = 0
    only_jobs = True
    while i < plen:
        j = i
        while j + 1 < plen and ms[path[j]] == path[j + 1]:
            j += 1
        if j > i:
            only_jobs = False
            m = mach[path[i]]
            cnt = _block_moves(m, pos[path[i]], pos[path[j]], seq, jp, jn, dur, head, tail, seg, rr, mv, cnt)
        i = j + 1
    for i in range(plen):
        v = path[i]
        if nalt[v] > 1:
            only_jobs = False
            cnt = _reassign_moves(v, nalt, alt_m, alt_d, mach, seq, ln, jp, jn, dur, head, tail, mv, cnt)
    return cnt, only_jobs


@njit(cache=True, nogil=True)
def _is_tabu(mv, i, it, seq, tabu, tabu_m, mach):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    kind, u, m, frm, to = mv[i, 0], mv[i, 1], mv[i, 2], mv[i, 3], mv[i, 4]
    if kind == 1:
        return tabu_m[u, m] > it
    if to > frm:  # u moves after seq[frm+1..to]: creates "x before u"
        for x in range(frm + 1, to + 1):
            if tabu[seq[m, x], u] > it:
                return True
        return False
    for x in range(to, frm):  # u moves before seq[to..frm-1]: creates "u before x"
        if tabu[u, seq[m, x]] > it:
            return True
    return False


@njit(cache=True, nogil=True)
def _apply(mv, i, it, ten, seq, ln, pos, mp, ms, mach, dur, alt_m, alt_d, tabu, tabu_m):  # type: ignore[no-untyped-def]  # pragma: no cover
    kind, u, m, frm, to = mv[i, 0], mv[i, 1], mv[i, 2], mv[i, 3], mv[i, 4]
    if kind == 1:
        old = mach[u]
        p = pos[u]
        for x in range(p, ln[old] - 1):
            seq[old, x] = seq[old, x + 1]
        ln[old] -= 1
        seq[old, ln[old]] = -1
        for x in range(ln[m], frm, -1):
            seq[m, x] = seq[m, x - 1]
        seq[m, frm] = u
        ln[m] += 1
        mach[u] = m
        dur[u] = alt_d[u, to]
        tabu_m[u, old] = it + ten
        _relink(old, seq, ln, pos, mp, ms)
        _relink(m, seq, ln, pos, mp, ms)
        return
    if to > frm:
        for x in range(frm, to):
            seq[m, x] = seq[m, x + 1]
            tabu[u, seq[m, x]] = it + ten
        seq[m, to] = u
    else:
        for x in range(frm, to, -1):
            seq[m, x] = seq[m, x - 1]
            tabu[seq[m, x], u] = it + ten
        seq[m, to] = u
    _relink(m, seq, ln, pos, mp, ms)


@njit(cache=True, nogil=True)
def _restore(src_seq, src_ln, src_mach, seq, ln, mach, dur, nalt, alt_m, alt_d, pos, mp, ms):  # type: ignore[no-untyped-def]  # pragma: no cover
    seq[:, :] = src_seq
    ln[:] = src_ln
    mach[:] = src_mach
    n = mach.shape[0]
    for o in range(n):
        for a in range(nalt[o]):
            if alt_m[o, a] == mach[o]:
                dur[o] = alt_d[o, a]
                break
    for m in range(ln.shape[0]):
        _relink(m, seq, ln, pos, mp, ms)


@njit(cache=True, nogil=True)
def _run(iters, ctl, jp, jn, nalt, alt_m, alt_d, seq, ln, pos, mp, ms, mach, dur, head, tail, order, indeg,  # type: ignore[no-untyped-def]
         best_seq, best_ln, best_mach, tabu, tabu_m):  # pragma: no cover
    n = jp.shape[0]
    path = np.empty(n, np.int64)
    seg = np.empty(n + 1, np.int64)
    rr = np.empty(n + 1, np.int64)
    cap = 8 * n + 16
    mv = np.empty((cap, 6), np.int64)
    cur = _evaluate(jp, jn, mp, ms, dur, head, tail, order, indeg)
    for _ in range(iters):
        if ctl[_BEST] <= ctl[_LB]:
            return
        ctl[_IT] += 1
        it = ctl[_IT]
        plen = _critical_path(n, cur, head, tail, dur, jp, mp, path)
        cnt, only_jobs = _neighbours(n, path, plen, mach, seq, ln, pos, ms, nalt, alt_m, alt_d, jp, jn, dur, head,
                                     tail, seg, rr, mv)
        if only_jobs and cur == ctl[_BEST]:
            ctl[_PROVEN] = 1
            return
        restart = cnt == 0 or ctl[_SINCE] >= ctl[_STALL]
        if not restart:
            pick, pick_est, ties = -1, 0, 0
            for i in range(cnt):
                est = mv[i, 5]
                if _is_tabu(mv, i, it, seq, tabu, tabu_m, mach) and est >= ctl[_BEST]:
                    continue
                if pick < 0 or est < pick_est:
                    pick, pick_est, ties = i, est, 1
                elif est == pick_est:
                    ties += 1
                    if np.random.randint(0, ties) == 0:
                        pick = i
            if pick < 0:
                pick = np.random.randint(0, cnt)
            ten = ctl[_TEN] + np.random.randint(0, ctl[_TEN] // 2 + 2)
            _apply(mv, pick, it, ten, seq, ln, pos, mp, ms, mach, dur, alt_m, alt_d, tabu, tabu_m)
            cur = _evaluate(jp, jn, mp, ms, dur, head, tail, order, indeg)
            if cur < 0:
                ctl[_BAD] += 1
                restart = True
            else:
                ctl[_SINCE] += 1
                if cur < ctl[_BEST]:
                    ctl[_BEST] = cur
                    ctl[_SINCE] = 0
                    best_seq[:, :] = seq
                    best_ln[:] = ln
                    best_mach[:] = mach
        if restart:
            if cur < 0 or cnt == 0 or np.random.randint(0, 100) < ctl[_PBEST]:
                _restore(best_seq, best_ln, best_mach, seq, ln, mach, dur, nalt, alt_m, alt_d, pos, mp, ms)
                cur = _evaluate(jp, jn, mp, ms, dur, head, tail, order, indeg)
            tabu[:, :] = 0
            tabu_m[:, :] = 0
            ctl[_SINCE] = 0
            kicks = 2 + np.random.randint(0, ctl[_KICK] + 1)
            for _k in range(kicks):
                plen = _critical_path(n, cur, head, tail, dur, jp, mp, path)
                cnt, only_jobs = _neighbours(n, path, plen, mach, seq, ln, pos, ms, nalt, alt_m, alt_d, jp, jn, dur,
                                             head, tail, seg, rr, mv)
                if cnt == 0:
                    break
                _apply(mv, np.random.randint(0, cnt), it, 0, seq, ln, pos, mp, ms, mach, dur, alt_m, alt_d, tabu,
                       tabu_m)
                nxt = _evaluate(jp, jn, mp, ms, dur, head, tail, order, indeg)
                if nxt < 0:
                    ctl[_BAD] += 1
                    _restore(best_seq, best_ln, best_mach, seq, ln, mach, dur, nalt, alt_m, alt_d, pos, mp, ms)
                    nxt = _evaluate(jp, jn, mp, ms, dur, head, tail, order, indeg)
                    cur = nxt
                    break
                cur = nxt
            ctl[_CUR] = cur


class _Search:
    """One search's arrays (numba state); ``run`` works until the deadline or the iteration limit."""

    def __init__(self, alts: list[list[tuple[int, int]]], job_prev: list[int], job_next: list[int], machines: int,
                 assignment: list[int], sequences: list[list[int]], lower_bound: int, stall: int, tenure: int,
                 back_to_best: int, kick: int) -> None:
        n = len(alts)
        width = max(1, max((len(a) for a in alts), default=1))
        self.nalt = np.array([len(a) for a in alts], np.int64)
        self.alt_m = np.full((n, width), -1, np.int64)
        self.alt_d = np.zeros((n, width), np.int64)
        for o, a in enumerate(alts):
            for i, (m, d) in enumerate(a):
                self.alt_m[o, i], self.alt_d[o, i] = m, d
        self.mach = np.array([alts[o][assignment[o]][0] for o in range(n)], np.int64)
        self.dur = np.array([alts[o][assignment[o]][1] for o in range(n)], np.int64)
        self.seq = np.full((machines, n + 1), -1, np.int64)
        self.ln = np.zeros(machines, np.int64)
        for m, s in enumerate(sequences):
            self.seq[m, :len(s)] = s
            self.ln[m] = len(s)
        self.jp, self.jn = np.array(job_prev, np.int64), np.array(job_next, np.int64)
        self.pos, self.mp, self.ms = (np.full(n, -1, np.int64) for _ in range(3))
        for m in range(machines):
            _relink(m, self.seq, self.ln, self.pos, self.mp, self.ms)
        self.head, self.tail, self.order, self.indeg = (np.zeros(n, np.int64) for _ in range(4))
        start = self._evaluate()
        if start < 0:
            raise ValueError("cyclic machine sequences")
        ten = tenure or 6 + n // (8 * machines)
        self.ctl = np.array([0, 0, start, start, lower_bound, stall, ten, 0, 0, back_to_best, kick], np.int64)
        self.best_seq, self.best_ln, self.best_mach = self.seq.copy(), self.ln.copy(), self.mach.copy()
        self.tabu = np.zeros((n, n), np.int64)
        self.tabu_m = np.zeros((n, machines), np.int64)

    def _evaluate(self) -> int:
        return int(_evaluate(self.jp, self.jn, self.mp, self.ms, self.dur, self.head, self.tail, self.order,
                             self.indeg))

    def run(self, seed: int, deadline: float, max_iterations: int | None) -> None:
        _seed(seed)
        ctl = self.ctl
        while ctl[_BEST] > ctl[_LB] and not ctl[_PROVEN] and time.monotonic() < deadline:
            chunk = _CHUNK if max_iterations is None else min(_CHUNK, max_iterations - int(ctl[_IT]))
            if chunk <= 0:
                break
            before = int(ctl[_IT])
            _run(chunk, ctl, self.jp, self.jn, self.nalt, self.alt_m, self.alt_d, self.seq, self.ln, self.pos,
                 self.mp, self.ms, self.mach, self.dur, self.head, self.tail, self.order, self.indeg, self.best_seq,
                 self.best_ln, self.best_mach, self.tabu, self.tabu_m)
            if int(ctl[_IT]) == before:
                break

    def result(self, alts: list[list[tuple[int, int]]]) -> ShopTabuResult:
        _restore(self.best_seq, self.best_ln, self.best_mach, self.seq, self.ln, self.mach, self.dur, self.nalt,
                 self.alt_m, self.alt_d, self.pos, self.mp, self.ms)
        final = self._evaluate()
        mach = self.mach
        alt_idx = tuple(next(i for i, (m, _d) in enumerate(alts[o]) if m == mach[o]) for o in range(len(alts)))
        return ShopTabuResult(tuple(int(m) for m in mach), alt_idx, tuple(int(h) for h in self.head), final,
                              int(self.ctl[_IT]), bool(self.ctl[_PROVEN]) or final <= int(self.ctl[_LB]))


def shop_tabu(alts: list[list[tuple[int, int]]], job_prev: list[int], job_next: list[int], machines: int,
              assignment: list[int], sequences: list[list[int]], time_limit_s: float, seed: int = 0,
              lower_bound: int = 0, stall: int = 3000, tenure: int = 0, max_iterations: int | None = None,
              threads: int = 1, back_to_best: int = 100, kick: int = 4) -> ShopTabuResult:
    """Improve a (flexible) job-shop solution: ``alts[o]`` = (machine, duration) pairs of operation ``o``,
    ``assignment[o]`` its alternative index now, ``sequences[m]`` the operations on machine ``m`` in order.

    After ``stall`` iterations without a new best a search goes back to the best (with probability
    ``back_to_best`` percent, else it stays) and makes 2 to 2 + ``kick`` random moves.
    ``threads`` independent searches (seeds ``seed``, ``seed + 1``, ...) run at once (the compiled loop
    releases the GIL); search ``i`` kicks with up to 2 + ``kick * (1 + 2i)`` moves (a small portfolio:
    no single strength was best on la27/la29/la40 in our trials). The best result wins, ties to the
    lowest seed. ``iterations`` is their sum."""
    deadline = time.monotonic() + time_limit_s
    searches = [_Search(alts, job_prev, job_next, machines, assignment, sequences, lower_bound, stall, tenure,
                        back_to_best, kick * (1 + 2 * i))
                for i in range(max(1, threads))]
    if len(searches) == 1:
        searches[0].run(seed, deadline, max_iterations)
    else:
        pool = [threading.Thread(target=s.run, args=(seed + i, deadline, max_iterations))
                for i, s in enumerate(searches)]
        for th in pool:
            th.start()
        for th in pool:
            th.join()
    results = [s.result(alts) for s in searches]
    best = min(range(len(results)), key=lambda i: (results[i].makespan, i))
    total = sum(r.iterations for r in results)
    r = results[best]
    return ShopTabuResult(r.machine, r.alt, r.starts, r.makespan, total, any(x.proven for x in results))


def improve_shop(cp: CoreProblem, sol: dict[int, TaskSol], time_limit_s: float, seed: int = 0,
                 lower_bound: int = 0, max_iterations: int | None = None,
                 threads: int = 1) -> tuple[dict[int, TaskSol], ShopTabuResult]:
    """Tabu search over machine assignment and sequences from ``sol`` (a core problem without staff, setups or
    calendars); the semi-active schedule of the best solution found."""
    n = len(cp.tasks)
    alts = [list(t.alts) for t in cp.tasks]
    jp, jn = [-1] * n, [-1] * n
    for job in cp.jobs:
        for a, b in zip(job.tasks, job.tasks[1:]):
            jn[a], jp[b] = b, a
    assign = [sol[t].alt for t in range(n)]
    seqs: list[list[int]] = [[] for _ in cp.machines]
    for t in sorted(range(n), key=lambda x: (sol[x].start, sol[x].end > sol[x].start, x)):
        seqs[alts[t][assign[t]][0]].append(t)
    res = shop_tabu(alts, jp, jn, len(cp.machines), assign, seqs, time_limit_s, seed, lower_bound,
                    max_iterations=max_iterations, threads=threads)
    out = {t: TaskSol(res.alt[t], res.starts[t], 0, res.starts[t] + alts[t][res.alt[t]][1], None) for t in range(n)}
    return out, res
