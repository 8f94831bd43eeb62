"""Compiled (numba) inner loops of the capacity Lagrangian (``lagrange.py``).

The numpy forms in ``lagrange.py`` stay the reference (tests compare the two): ``day_tables``,
``choose`` + ``usage`` (one ascent step over each line's candidate sites) and ``full_bound``
(every allowed site, with the candidate refresh). The compiled forms do the same arithmetic
in one pass over the lines without temporaries, several times faster at 100k lines x 200 sites.
"""

from __future__ import annotations

import numpy as np
from numba import njit
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
            if v < low:
                low = v
        total += low if low < unassigned else unassigned
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
