"""Compiled (numba) form of the site local search's decoder (``sitesearch.Decoder``).

The decoder turns a job order into a list schedule (see ``sitesearch``); the local search
spends nearly all its time there, and the Python loop managed about a hundred schedules a
second on a 300-line site. :class:`Arrays` packs a core problem into flat arrays once (setup
keys as integers, changeover minutes as a table per unit, unit and worker busy periods), and
:func:`decode_arrays` runs the same list scheduling compiled: same candidate set, same unit
and worker choice, same ties, so it returns the schedule the Python reference
(``Decoder.decode_reference``) returns, a test compares the two. Its on-disk cache keeps later
runs from compiling again.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from microfactory.engines.scheduling.core import CoreProblem, TaskSol

I64 = np.int64


def _csr(rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    ptr = np.zeros(len(rows) + 1, dtype=I64)
    for i, r in enumerate(rows):
        ptr[i + 1] = ptr[i] + len(r)
    flat = np.array([x for r in rows for x in r], dtype=I64)
    return ptr, flat


class Arrays:
    """A core problem's decoder state as arrays (built from a ``sitesearch.Decoder``)."""

    def __init__(self, dec: object) -> None:
        cp: CoreProblem = dec.cp  # type: ignore[attr-defined]
        self.cp = cp
        names = sorted({t.key for t in cp.tasks if t.key is not None}
                       | {m.initial_key for m in cp.machines if m.initial_key is not None})
        kid: dict[str | None, int] = {None: 0, **{k: i + 1 for i, k in enumerate(names)}}
        keys: list[str | None] = [None, *names]
        nm, nk = len(cp.machines), len(keys)
        self.setup = np.zeros((nm, nk, nk), dtype=I64)
        self.runs_on = np.zeros((nm, nk), dtype=np.bool_)
        for m in range(nm):
            for a in range(nk):
                for b in range(1, nk):
                    self.setup[m, a, b] = dec.setup(m, keys[a], keys[b])  # type: ignore[attr-defined]
            for b in range(1, nk):
                self.runs_on[m, b] = dec.runs_on(m, keys[b])  # type: ignore[attr-defined]
        self.automated = np.array([m.automated for m in cp.machines], dtype=np.bool_)
        n = len(cp.tasks)
        self.t_job = np.array([t.job for t in cp.tasks], dtype=I64)
        self.t_index = np.array([t.index for t in cp.tasks], dtype=I64)
        self.t_key = np.array([kid[t.key] for t in cp.tasks], dtype=I64)
        self.t_mset = np.array(dec.mset_of, dtype=I64)  # type: ignore[attr-defined]
        self.alt_ptr, self.alt_m = _csr([[m for m, _d in t.alts] for t in cp.tasks])
        _p, self.alt_d = _csr([[d for _m, d in t.alts] for t in cp.tasks])
        self.st_ptr, self.st_idx = _csr([list(s) for s in dec.staff])  # type: ignore[attr-defined]
        groups = sorted(dec.by_key)  # type: ignore[attr-defined]
        gid = {g: i for i, g in enumerate(groups)}
        self.t_group = np.array([gid[(dec.mset_of[t], cp.tasks[t].key)] for t in range(n)],  # type: ignore[attr-defined]
                                dtype=I64)
        self.g_ptr, self.g_tasks = _csr([dec.by_key[g] for g in groups])  # type: ignore[attr-defined]
        self.ms_ptr, self.ms_m = _csr(dec.msets)  # type: ignore[attr-defined]
        self.mb_ptr, self.mb_s = _csr([[s for s, _e in b] for b in dec.mbusy])  # type: ignore[attr-defined]
        _p, self.mb_e = _csr([[e for _s, e in b] for b in dec.mbusy])  # type: ignore[attr-defined]
        ns = len(cp.staff)
        width = max([len(b) for b in dec.sbusy0] + [0]) + n + 1  # type: ignore[attr-defined]
        self.sb_s0 = np.zeros((max(ns, 1), width), dtype=I64)
        self.sb_e0 = np.zeros((max(ns, 1), width), dtype=I64)
        self.sb_n0 = np.zeros(max(ns, 1), dtype=I64)
        for w, b in enumerate(dec.sbusy0):  # type: ignore[attr-defined]
            self.sb_n0[w] = len(b)
            for i, (s, e) in enumerate(b):
                self.sb_s0[w, i], self.sb_e0[w, i] = s, e
        self.j_ptr, self.j_tasks = _csr([list(j.tasks) for j in cp.jobs])
        self.j_due = np.array([j.due if j.due is not None else -1 for j in cp.jobs], dtype=I64)
        self.j_has_due = np.array([j.due is not None for j in cp.jobs], dtype=np.bool_)
        self.j_weight = np.array([j.weight for j in cp.jobs], dtype=I64)
        self.fixed = np.zeros(n, dtype=np.bool_)
        self.fixed_end = np.zeros(n, dtype=I64)
        for t, s in cp.fixed.items():
            self.fixed[t], self.fixed_end[t] = True, s.end
        self.mfree0 = np.array(dec.mfree0, dtype=I64)  # type: ignore[attr-defined]
        self.mkey0 = np.array([kid[k] for k in dec.mkey0], dtype=I64)  # type: ignore[attr-defined]
        nj = len(cp.jobs)
        self.ready0 = np.zeros(nj, dtype=I64)
        self.next0 = np.full(nj, -1, dtype=I64)
        for j, r in dec.ready0.items():  # type: ignore[attr-defined]
            self.ready0[j], self.next0[j] = r, dec.next0[j]  # type: ignore[attr-defined]
        self.totals0 = np.array([dec.tard0, dec.co0, dec.mk0], dtype=I64)  # type: ignore[attr-defined]
        wts = cp.weights
        self.weights = np.array([wts.tardiness, wts.changeover, wts.makespan], dtype=I64)

    def decode(self, order: list[int], slack: int, group: bool, affinity: int, run: int,
               home: list[int] | None, cap: tuple[int, int] | None, home_penalty: int) -> dict[int, TaskSol] | None:
        """The schedule of ``order`` (see ``Decoder.decode_capped``), None when capped."""
        n = len(self.t_job)
        rank = np.empty(len(self.j_ptr) - 1, dtype=I64)
        rank[np.asarray(order, dtype=I64)] = np.arange(len(order), dtype=I64)
        homes = np.asarray(home, dtype=I64) if home else np.full(n, -1, dtype=I64)
        out = np.zeros((n, 5), dtype=I64)
        seq = np.zeros(n, dtype=I64)
        c0, c1 = cap if cap is not None else (0, 0)
        count = decode_arrays(
            rank, slack, group, affinity, run, homes, cap is not None, c0, c1, home_penalty, self.weights,
            self.setup, self.runs_on, self.automated, self.t_job, self.t_index, self.t_key, self.t_mset,
            self.alt_ptr, self.alt_m, self.alt_d, self.st_ptr, self.st_idx, self.t_group, self.g_ptr, self.g_tasks,
            self.ms_ptr, self.ms_m, self.mb_ptr, self.mb_s, self.mb_e, self.sb_s0, self.sb_e0, self.sb_n0,
            self.j_ptr, self.j_tasks, self.j_due, self.j_has_due, self.j_weight, self.fixed, self.fixed_end,
            self.mfree0, self.mkey0, self.ready0, self.next0, self.totals0, out, seq)
        if count < 0:
            return None
        sol = dict(self.cp.fixed)
        rows = out.tolist()
        for t in seq[:count].tolist():
            a, st, su, en, w = rows[t]
            sol[t] = TaskSol(a, st, su, en, w if w >= 0 else None)
        return sol


@njit(cache=True, nogil=True)
def _fit(t: int, length: int, bs: np.ndarray, be: np.ndarray, lo: int, hi: int) -> int:  # pragma: no cover
    """Earliest start >= t of ``length`` clear of busy periods [lo, hi) (as ``sitesearch._fit``)."""
    a, b = lo, hi
    while a < b:  # bisect_right on the ends
        mid = (a + b) // 2
        if t < be[mid]:
            b = mid
        else:
            a = mid + 1
    i = a
    while i < hi:
        if bs[i] >= t + length:
            return t
        t = max(t, be[i])
        i += 1
    return t


@njit(cache=True, nogil=True)
def decode_arrays(rank, slack, group, affinity, run, homes, use_cap, cap0, cap1, home_penalty, weights,  # type: ignore[no-untyped-def]
                  setup, runs_on, automated, t_job, t_index, t_key, t_mset, alt_ptr, alt_m, alt_d, st_ptr, st_idx,
                  t_group, g_ptr, g_tasks, ms_ptr, ms_m, mb_ptr, mb_s, mb_e, sb_s0, sb_e0, sb_n0,
                  j_ptr, j_tasks, j_due, j_has_due, j_weight, fixed, fixed_end, mfree0, mkey0, ready0, next0,
                  totals0, out, seq):  # pragma: no cover - compiled
    """List-schedule the jobs by ``rank``; rows of ``out``: alt, start, setup, end, worker (-1: none);
    ``seq`` the tasks in placement order. Returns how many were placed, or -1 when the partial
    schedule's (tardiness, objective) exceeds the cap."""
    nj = len(rank)
    big = nj
    free = mfree0.copy()
    key = mkey0.copy()
    ready = ready0.copy()
    nxt = next0.copy()
    sb_s = sb_s0.copy()
    sb_e = sb_e0.copy()
    sb_n = sb_n0.copy()
    tard, co, mk = totals0[0], totals0[1], totals0[2]
    wt, wc, wm = weights[0], weights[1], weights[2]
    nms = len(ms_ptr) - 1
    gfree = np.empty(nms, dtype=np.int64)
    active = 0
    for j in range(nj):
        if nxt[j] >= 0:
            active += 1
    placed = 0
    run_m = -1
    run_group = -1
    while active > 0:
        pick = -1
        if run_m >= 0:  # extend the run of a key on unit run_m
            best_rank = -1
            for q in range(g_ptr[run_group], g_ptr[run_group + 1]):
                u = g_tasks[q]
                j = t_job[u]
                if nxt[j] == u and ready[j] <= free[run_m] + run and (pick < 0 or rank[j] < best_rank):
                    pick, best_rank = j, rank[j]
            if pick < 0:
                run_m = -1
        only = run_m
        if pick < 0:
            for g in range(nms):
                v = free[ms_m[ms_ptr[g]]]
                for q in range(ms_ptr[g] + 1, ms_ptr[g + 1]):
                    v = min(v, free[ms_m[q]])
                gfree[g] = v
            first = -1
            for j in range(nj):
                t = nxt[j]
                if t >= 0:
                    a = gfree[t_mset[t]]
                    a = max(a, ready[j])
                    if first < 0 or a < first:
                        first = a
            limit = first + slack
            best_rank = -1
            for j in range(nj):
                t = nxt[j]
                if t < 0:
                    continue
                a = gfree[t_mset[t]]
                a = max(a, ready[j])
                if a <= limit:
                    r = rank[j]
                    if group:
                        want = t_key[t]
                        hit = False
                        for q in range(alt_ptr[t], alt_ptr[t + 1]):
                            m = alt_m[q]
                            if key[m] == want and free[m] <= limit:
                                hit = True
                                break
                        if not hit:
                            r += big
                    if pick < 0 or r < best_rank:
                        pick, best_rank = j, r
        t = nxt[pick]
        # the unit and worker that finish t first (as Decoder._place)
        have = False
        b0, b1 = 0, 0
        ba, bs, bsu, be, bw = 0, 0, 0, 0, -1
        home = homes[t]
        rdy = ready[pick]
        for q in range(alt_ptr[t], alt_ptr[t + 1]):
            m = alt_m[q]
            if only >= 0 and m != only:
                continue
            d = alt_d[q]
            su = setup[m, key[m], t_key[t]]
            wlen = su if automated[m] else su + d
            pen = affinity * su + (home_penalty if home >= 0 and m != home else 0)
            lo, hi = mb_ptr[m], mb_ptr[m + 1]
            earliest = _fit(max(rdy, free[m]), su + d, mb_s, mb_e, lo, hi)
            if have and (earliest + su + d + pen > b0 or earliest + su + d + pen == b0 and su >= b1):
                continue
            nstaff = st_ptr[t + 1] - st_ptr[t]
            for k in range(max(nstaff, 1)):
                w = st_idx[st_ptr[t] + k] if nstaff > 0 else -1
                start = earliest
                while True:
                    s2 = _fit(start, su + d, mb_s, mb_e, lo, hi)
                    if w >= 0:
                        s2 = _fit(s2, wlen, sb_s[w], sb_e[w], 0, sb_n[w])
                    if s2 == start:
                        break
                    start = s2
                score = start + su + d + pen
                if not have or score < b0 or score == b0 and su < b1:
                    have = True
                    b0, b1 = score, su
                    ba, bs, bsu, be, bw = q - alt_ptr[t], start, su, start + su + d, w
                if start == earliest:
                    break
        m = alt_m[alt_ptr[t] + ba]
        free[m] = be
        key[m] = t_key[t]
        if bw >= 0:
            wl = bsu if automated[m] else be - bs
            n = sb_n[bw]
            a, b = 0, n
            while a < b:
                mid = (a + b) // 2
                if bs < sb_e[bw, mid]:
                    b = mid
                else:
                    a = mid + 1
            for i in range(n, a, -1):
                sb_s[bw, i] = sb_s[bw, i - 1]
                sb_e[bw, i] = sb_e[bw, i - 1]
            sb_s[bw, a] = bs
            sb_e[bw, a] = bs + wl
            sb_n[bw] = n + 1
        out[t, 0], out[t, 1], out[t, 2], out[t, 3], out[t, 4] = ba, bs, bsu, be, bw
        seq[placed] = t
        placed += 1
        # advance the job
        co += bsu
        r = be
        jt0, jt1 = j_ptr[pick], j_ptr[pick + 1]
        k = jt0 + t_index[t] + 1
        while k < jt1 and fixed[j_tasks[k]]:
            r = max(r, fixed_end[j_tasks[k]])
            k += 1
        ready[pick] = r
        if k < jt1:
            nxt[pick] = j_tasks[k]
        else:
            nxt[pick] = -1
            active -= 1
            last = j_tasks[jt1 - 1]
            end = fixed_end[last] if fixed[last] else out[last, 3]
            mk = max(mk, end)
            if j_has_due[pick] and end > j_due[pick]:
                tard += j_weight[pick] * (end - j_due[pick])
        if use_cap:
            t_lb = tard if wt > 0 else 0
            if t_lb > cap0 or t_lb == cap0 and wt * tard + wc * co + wm * mk > cap1:
                return -1
        if run >= 0 and only < 0 and runs_on[m, t_key[t]]:
            run_m, run_group = m, t_group[t]
    return placed
