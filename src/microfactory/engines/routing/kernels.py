"""Compiled (numba) inner loops of the capacity Lagrangian (``lagrange.py``).

The numpy forms in ``lagrange.py`` stay the reference (tests compare the two): ``day_tables``,
``choose`` + ``usage`` (one ascent step over each line's candidate sites) and ``full_bound``
(every allowed site, with the candidate refresh). The compiled forms do the same arithmetic
in one pass over the lines without temporaries, several times faster at 100k lines x 200 sites.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange
from numpy.typing import NDArray


@njit(cache=True, nogil=True)
def day_tables_c(prices: NDArray[np.float64], minutes: NDArray[np.float64], late: NDArray[np.float64]
                 ) -> tuple[NDArray[np.float64], NDArray[np.int64]]:  # pragma: no cover - compiled
    """``lagrange.day_tables``: W[type, s, e] and the day WD giving it."""
    t_count, p_count = minutes.shape
    s_count, _, h = prices.shape
    w = np.empty((t_count, s_count, h))
    wd = np.empty((t_count, s_count, h), dtype=np.int64)
    g = np.empty(h)
    for ty in range(t_count):
        step = late[ty]
        for s in range(s_count):
            for d in range(h):
                acc = 0.0
                for p in range(p_count):
                    m = minutes[ty, p]
                    if m != 0.0:
                        acc += m * prices[s, p, d]
                g[d] = acc
            w[ty, s, h - 1] = g[h - 1]
            wd[ty, s, h - 1] = h - 1
            for d in range(h - 2, -1, -1):
                later = w[ty, s, d + 1] + step
                if g[d] <= later:
                    w[ty, s, d] = g[d]
                    wd[ty, s, d] = d
                else:
                    w[ty, s, d] = later
                    wd[ty, s, d] = wd[ty, s, d + 1]
    return w, wd


@njit(cache=True, nogil=True)
def step_c(site: NDArray[np.int64], fixed: NDArray[np.float64], flat: NDArray[np.int64],
           w: NDArray[np.float64], wd: NDArray[np.int64], minutes: NDArray[np.float64], unassigned: float,
           use: NDArray[np.float64]) -> float:  # pragma: no cover - compiled
    """``choose`` + ``usage`` before the cumulative sum: each line's cheapest priced option among
    its candidates, its minutes added to ``use[s, :, day]`` (zeroed here); returns Σ values."""
    n, k = fixed.shape
    p_count = minutes.shape[1]
    wr = w.ravel()
    wdr = wd.ravel()
    use[:] = 0.0
    total = 0.0
    for i in range(n):
        best = np.inf
        arg = -1
        for j in range(k):
            v = fixed[i, j] + wr[flat[i, j]]
            if v < best:
                best = v
                arg = j
        if arg >= 0 and best < unassigned:
            total += best
            s = site[i, arg]
            d = wdr[flat[i, arg]]
            for p in range(p_count):
                use[s, p, d] += minutes[i, p]
        else:
            total += unassigned
    return total


@njit(cache=True, nogil=True)
def full_c(fixed: NDArray[np.float64], flat: NDArray[np.int32], w: NDArray[np.float64], unassigned: float,
           best: NDArray[np.int64], sub_fixed: NDArray[np.float64], sub_flat: NDArray[np.int64],
           refresh: bool) -> float:  # pragma: no cover - compiled
    """``full_bound``'s line part: Σ_i min(unassigned, min over every site of the priced value).

    With ``refresh``, a line none of whose ``best`` (N, k) sites has its cheapest value gets its
    k cheapest sites there (and their ``fixed``/``flat`` in ``sub_fixed``/``sub_flat``); the
    others keep theirs."""
    n, s_count = fixed.shape
    k = best.shape[1]
    wr = w.ravel()
    val = np.empty(s_count)
    top_v = np.empty(k)
    top_s = np.empty(k, dtype=np.int64)
    total = 0.0
    for i in range(n):
        low = np.inf
        for s in range(s_count):
            v = fixed[i, s] + wr[flat[i, s]]
            val[s] = v
            low = min(low, v)
        total += min(low, unassigned)
        if not refresh:
            continue
        held = np.inf
        for j in range(k):
            held = min(held, val[best[i, j]])
        if held <= low:
            continue
        # k smallest by insertion (k is small)
        filled = 0
        for s in range(s_count):
            v = val[s]
            if filled < k:
                pos = filled
                filled += 1
            elif v < top_v[k - 1]:
                pos = k - 1
            else:
                continue
            while pos > 0 and top_v[pos - 1] > v:
                top_v[pos] = top_v[pos - 1]
                top_s[pos] = top_s[pos - 1]
                pos -= 1
            top_v[pos] = v
            top_s[pos] = s
        for j in range(k):
            s = top_s[j]
            best[i, j] = s
            sub_fixed[i, j] = fixed[i, s]
            sub_flat[i, j] = flat[i, s]
    return total


@njit(cache=True, nogil=True)
def _site_slack(ccum: NDArray[np.float64], ucum: NDArray[np.float64], slack: NDArray[np.float64],
                s: int) -> None:  # pragma: no cover - compiled
    p_count, h = ccum.shape[1], ccum.shape[2]
    for p in range(p_count):
        run = np.inf
        for d in range(h - 1, -1, -1):
            run = min(run, ccum[s, p, d] - ucum[s, p, d])
            slack[s, p, d] = run


@njit(cache=True, nogil=True)
def _book(ucum: NDArray[np.float64], minutes: NDArray[np.float64], r: int, s: int, d: int,
          sign: float) -> None:  # pragma: no cover - compiled
    p_count, h = ucum.shape[1], ucum.shape[2]
    for p in range(p_count):
        m = minutes[r, p]
        if m != 0.0:
            for dd in range(d, h):
                ucum[s, p, dd] += sign * m


@njit(cache=True, nogil=True)
def _room(slack: NDArray[np.float64], minutes: NDArray[np.float64], r: int, s: int,
          d: int) -> bool:  # pragma: no cover - compiled
    """Row r's minutes fit in site s's slack from day d on, every process."""
    for p in range(minutes.shape[1]):
        if slack[s, p, d] < minutes[r, p] - 1e-7:
            return False
    return True


@njit(cache=True, nogil=True)
def _short(units: float, min_batch: float, cost: float) -> float:  # pragma: no cover - compiled
    return max(min_batch - units, 0.0) * cost if units > 1e-9 else 0.0


@njit(cache=True, nogil=True)
def _shift(units: NDArray[np.float64], min_batch: NDArray[np.float64], short_cost: NDArray[np.float64],
           s: int, k: int, q: float) -> float:  # pragma: no cover - compiled
    """Add q units of key k at site s; returns the change of the shortfall money (0 for k = -1)."""
    if k < 0:
        return 0.0
    before = _short(units[s, k], min_batch[s], short_cost[s])
    units[s, k] += q
    return _short(units[s, k], min_batch[s], short_cost[s]) - before


@njit(cache=True, nogil=True)
def _best(r: int, limit: float, priced_short: bool, slack: NDArray[np.float64], cost: NDArray[np.float64],
          due: NDArray[np.int64], release: NDArray[np.int64], delivery: NDArray[np.int64],
          earliest: NDArray[np.int64], minutes: NDArray[np.float64], count: NDArray[np.float64],
          late_cost: float, max_late: int, key: NDArray[np.int64], qty: NDArray[np.float64],
          units: NDArray[np.float64], min_batch: NDArray[np.float64], short_cost: NDArray[np.float64]
          ) -> tuple[int, int, float]:  # pragma: no cover - compiled
    """``rounding.best_option`` without materials: row r's cheapest (site, day, money) with room
    whose money (+ the shortfall it adds, with ``priced_short``) is below ``limit``; site -1: none."""
    s_count, _, h = slack.shape
    k, q = key[r], qty[r]
    best_rank = np.inf
    best_s, best_d, best_money = -1, -1, 0.0
    for s in range(s_count):
        c = cost[r, s]
        if not c < np.inf:
            continue
        add = 0.0
        if priced_short and k >= 0:
            add = _short(units[s, k] + q, min_batch[s], short_cost[s]) - _short(
                units[s, k], min_batch[s], short_cost[s])
        if not c + add < limit or c + add >= best_rank:
            continue
        base = due[r] - delivery[s]
        fd = release[r] + earliest[s]
        for lv in range(max_late + 1):
            d = base + lv
            if d >= h:
                break
            if d < fd:
                continue
            money = c + late_cost * count[r] * lv
            if not money + add < limit or money + add >= best_rank:
                break
            if _room(slack, minutes, r, s, d):
                best_rank, best_s, best_d, best_money = money + add, s, d, money
                break
    return best_s, best_d, best_money


@njit(cache=True, nogil=True)
def move_rows(order: NDArray[np.int64], site: NDArray[np.int64], deadline: NDArray[np.int64],
              ucum: NDArray[np.float64], ccum: NDArray[np.float64], slack: NDArray[np.float64],
              cost: NDArray[np.float64], due: NDArray[np.int64], release: NDArray[np.int64],
              delivery: NDArray[np.int64], earliest: NDArray[np.int64], minutes: NDArray[np.float64],
              count: NDArray[np.float64], late_cost: float, max_late: int, key: NDArray[np.int64],
              qty: NDArray[np.float64], units: NDArray[np.float64], min_batch: NDArray[np.float64],
              short_cost: NDArray[np.float64], cur: NDArray[np.float64]) -> int:  # pragma: no cover - compiled
    """``search._move`` for each row of ``order``: the row leaves its site and takes its cheapest
    option with room (earliest day with room per site) when that costs less than now, the
    minimum-batch shortfall it adds or saves included (rows with ``key`` -1, groups, on money
    only); else it goes back. Updates the plan, its cumulative use and slack, the batch units and
    ``cur`` in place; returns the moves made. Rows without a site may be placed the same way."""
    moves = 0
    for r in order:
        s0, d0 = site[r], deadline[r]
        limit = cur[r] - 1e-6
        if s0 >= 0:
            _book(ucum, minutes, r, s0, d0, -1.0)
            _site_slack(ccum, ucum, slack, s0)
            limit -= _shift(units, min_batch, short_cost, s0, key[r], -qty[r])
        s1, d1, money = _best(r, limit, True, slack, cost, due, release, delivery, earliest, minutes, count,
                              late_cost, max_late, key, qty, units, min_batch, short_cost)
        if s1 >= 0:
            cur[r] = money
            moves += 1
        else:
            s1, d1 = s0, d0
        if s1 >= 0:
            _book(ucum, minutes, r, s1, d1, 1.0)
            _site_slack(ccum, ucum, slack, s1)
            _shift(units, min_batch, short_cost, s1, key[r], qty[r])
        site[r], deadline[r] = s1, d1
    return moves


@njit(cache=True, nogil=True)
def chain_rows(order: NDArray[np.int64], members: NDArray[np.int64], starts: NDArray[np.int64],
               targets: int, evict: int, site: NDArray[np.int64], deadline: NDArray[np.int64],
               ucum: NDArray[np.float64], ccum: NDArray[np.float64], slack: NDArray[np.float64],
               cost: NDArray[np.float64], due: NDArray[np.int64], release: NDArray[np.int64],
               delivery: NDArray[np.int64], earliest: NDArray[np.int64], minutes: NDArray[np.float64],
               count: NDArray[np.float64], late_cost: float, max_late: int, key: NDArray[np.int64],
               qty: NDArray[np.float64], units: NDArray[np.float64], min_batch: NDArray[np.float64],
               short_cost: NDArray[np.float64], cur: NDArray[np.float64]) -> int:  # pragma: no cover - compiled
    """``search._chain`` for each row r of ``order``: r leaves its site and enters one of its
    ``targets`` cheapest full options (s, d) (one per site, cheapest day without room) after
    evicting a row b planned at s by day d that uses every process short there (the first
    ``evict`` such rows of ``members[starts[s]:starts[s + 1]]``, rows listed by site, easiest to
    relocate first; rows that left s since are skipped); b takes its cheapest option with room
    (r's old site included). Kept when the line money falls and the money with the
    minimum-batch shortfall falls too, else undone. Returns the chains made."""
    s_count, p_count, h = ccum.shape
    made = 0
    opt_s = np.empty(targets, dtype=np.int64)
    opt_d = np.empty(targets, dtype=np.int64)
    opt_c = np.empty(targets)
    for r in order:
        s0, d0 = site[r], deadline[r]
        # the cheapest full options, one per site
        n_opt = 0
        for s in range(s_count):
            c = cost[r, s]
            if not c < cur[r] - 1e-6:
                continue
            if n_opt == targets and c >= opt_c[n_opt - 1]:
                continue
            base = due[r] - delivery[s]
            fd = release[r] + earliest[s]
            for lv in range(max_late + 1):
                d = base + lv
                if d >= h:
                    break
                if d < fd:
                    continue
                money = c + late_cost * count[r] * lv
                if not money < cur[r] - 1e-6 or (n_opt == targets and money >= opt_c[n_opt - 1]):
                    break
                if _room(slack, minutes, r, s, d):
                    break   # a plain move would do: left to the moves
                pos = n_opt if n_opt < targets else targets - 1
                if n_opt < targets:
                    n_opt += 1
                while pos > 0 and opt_c[pos - 1] > money:
                    opt_c[pos], opt_s[pos], opt_d[pos] = opt_c[pos - 1], opt_s[pos - 1], opt_d[pos - 1]
                    pos -= 1
                opt_c[pos], opt_s[pos], opt_d[pos] = money, s, d
                break
        if n_opt == 0:
            continue
        kr, qr = key[r], qty[r]
        short_r = 0.0
        if s0 >= 0:
            _book(ucum, minutes, r, s0, d0, -1.0)
            _site_slack(ccum, ucum, slack, s0)
            short_r = _shift(units, min_batch, short_cost, s0, kr, -qr)
        done = False
        for j in range(n_opt):
            s, d, c = opt_s[j], opt_d[j], opt_c[j]
            tried = 0
            for m in range(starts[s], starts[s + 1]):
                if tried >= evict:
                    break
                b = members[m]
                if b == r or site[b] != s or deadline[b] > d:
                    continue
                uses = True
                for p in range(p_count):
                    if minutes[r, p] > 0 and slack[s, p, d] < minutes[r, p] - 1e-7 and minutes[b, p] <= 0:
                        uses = False
                        break
                if not uses:
                    continue
                tried += 1
                db = deadline[b]
                kb, qb = key[b], qty[b]
                _book(ucum, minutes, b, s, db, -1.0)
                _site_slack(ccum, ucum, slack, s)
                short = short_r + _shift(units, min_batch, short_cost, s, kb, -qb)
                if _room(slack, minutes, r, s, d):
                    _book(ucum, minutes, r, s, d, 1.0)
                    _site_slack(ccum, ucum, slack, s)
                    short += _shift(units, min_batch, short_cost, s, kr, qr)
                    budget = cur[b] + cur[r] - c - 1e-6
                    sb, dbn, mb = _best(b, budget, False, slack, cost, due, release, delivery, earliest, minutes,
                                        count, late_cost, max_late, key, qty, units, min_batch, short_cost)
                    if sb >= 0:
                        _book(ucum, minutes, b, sb, dbn, 1.0)
                        _site_slack(ccum, ucum, slack, sb)
                        short += _shift(units, min_batch, short_cost, sb, kb, qb)
                        if short < cur[b] + cur[r] - c - mb - 1e-6:
                            site[r], deadline[r], cur[r] = s, d, c
                            site[b], deadline[b], cur[b] = sb, dbn, mb
                            done = True
                            break
                        _book(ucum, minutes, b, sb, dbn, -1.0)
                        _site_slack(ccum, ucum, slack, sb)
                        _shift(units, min_batch, short_cost, sb, kb, -qb)
                    _book(ucum, minutes, r, s, d, -1.0)
                    _shift(units, min_batch, short_cost, s, kr, -qr)
                _book(ucum, minutes, b, s, db, 1.0)
                _site_slack(ccum, ucum, slack, s)
                _shift(units, min_batch, short_cost, s, kb, qb)
            if done:
                break
        if done:
            made += 1
        elif s0 >= 0:
            _book(ucum, minutes, r, s0, d0, 1.0)
            _site_slack(ccum, ucum, slack, s0)
            _shift(units, min_batch, short_cost, s0, kr, qr)
    return made


#: Line blocks of the parallel forms (each block has its own buffers; blocks run on numba's threads).
BLOCKS = 8


@njit(cache=True, nogil=True, parallel=True)
def step_p(site: NDArray[np.int64], fixed: NDArray[np.float64], flat: NDArray[np.int64],
           w: NDArray[np.float64], wd: NDArray[np.int64], minutes: NDArray[np.float64], unassigned: float,
           use: NDArray[np.float64]) -> float:  # pragma: no cover - compiled
    """``step_c`` over ``BLOCKS`` blocks of lines in parallel (usage summed from per-block arrays)."""
    n = fixed.shape[0]
    size = (n + BLOCKS - 1) // BLOCKS
    part = np.zeros((BLOCKS,) + use.shape)
    totals = np.zeros(BLOCKS)
    for b in prange(BLOCKS):
        a, z = b * size, min(n, (b + 1) * size)
        if a < z:
            totals[b] = step_c(site[a:z], fixed[a:z], flat[a:z], w, wd, minutes[a:z], unassigned, part[b])
    use[:] = 0.0
    for b in range(BLOCKS):
        use += part[b]
    return float(totals.sum())


@njit(cache=True, nogil=True, parallel=True)
def full_p(fixed: NDArray[np.float64], flat: NDArray[np.int32], w: NDArray[np.float64], unassigned: float,
           best: NDArray[np.int64], sub_fixed: NDArray[np.float64], sub_flat: NDArray[np.int64],
           refresh: bool) -> float:  # pragma: no cover - compiled
    """``full_c`` over ``BLOCKS`` blocks of lines in parallel."""
    n = fixed.shape[0]
    size = (n + BLOCKS - 1) // BLOCKS
    totals = np.zeros(BLOCKS)
    for b in prange(BLOCKS):
        a, z = b * size, min(n, (b + 1) * size)
        if a < z:
            totals[b] = full_c(fixed[a:z], flat[a:z], w, unassigned, best[a:z], sub_fixed[a:z], sub_flat[a:z],
                               refresh)
    return float(totals.sum())


@njit(cache=True, nogil=True, parallel=True)
def day_tables_p(prices: NDArray[np.float64], minutes: NDArray[np.float64], late: NDArray[np.float64]
                 ) -> tuple[NDArray[np.float64], NDArray[np.int64]]:  # pragma: no cover - compiled
    """``day_tables_c`` with the types in parallel."""
    t_count = minutes.shape[0]
    s_count, _, h = prices.shape
    w = np.empty((t_count, s_count, h))
    wd = np.empty((t_count, s_count, h), dtype=np.int64)
    for ty in prange(t_count):
        a, b = day_tables_c(prices, minutes[ty:ty + 1], late[ty:ty + 1])
        w[ty] = a[0]
        wd[ty] = b[0]
    return w, wd
