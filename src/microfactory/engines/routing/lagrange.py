"""Capacity prices by dual ascent on the Lagrangian relaxation, and its line-level lower bound.

Capacity is cumulative per (site s, process p, day D): the minutes of work planned due by D
fit in the minutes available up to D. With multipliers λ[s, p, D] >= 0 on these rows, the
price of a minute of p at s planned due on day d is M[s, p, d] = Σ_{D >= d} λ[s, p, D]
(non-increasing in d), and the relaxation splits into one choice per line:

    L(λ) = Σ_i min(unassigned, min_{s, d >= e_is} [c_is + late × (d − base_is) + Σ_p m_ip M[s, p, d]])
           − Σ_{s, p, d} M[s, p, d] × (minutes added at s on day d)

with base_is = due_i − delivery_is and e_is = max(base_is, release_i + lead_s). L(λ) is a
lower bound on every plan (``docs/routing.md`` has the argument) for *any* λ >= 0, so the
prices need not be optimal: a projected subgradient ascent with Polyak steps finds good
ones fast. The inner minimum over days depends on a line only through its work vector
(its *type*): W[type, s, e] = min_{d >= e} G[type, s, d] + late × (d − e), with G the
priced work, is one backward pass over days, and each line gathers its value at e_is.
The ascent works on each line's ``candidates`` cheapest sites (refreshed from the full
evaluation every few steps); the bound reported is always the full one over every site.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from microfactory.engines.routing.capacity import cumulative_capacity
from microfactory.engines.routing.kernels import day_tables_p, full_p, step_p
from microfactory.engines.routing.tables import Tables

#: One parallel kernel call at a time per process. Numba's OpenMP and TBB layers allow calls from
#: several threads at once, but its fallback layer (workqueue, where neither is installed) aborts
#: on them; two routings in one service process (API threads) then interleave call by call. Each
#: call takes milliseconds and uses every core, so nothing is lost where the layer is thread-safe.
PARALLEL_CALLS = threading.Lock()

_CHUNK = 4096
#: Polyak target: this share of |best value| above the best value (plus the mean option cost).
_TARGET = 0.01
#: Heavy-ball weight of the previous direction in the ascent's step direction.
_MOMENTUM = 0.9
#: Price vectors of the latest full evaluations kept as alternatives for the plan.
_OTHERS = 6


def tail(lam: NDArray[np.float64]) -> NDArray[np.float64]:
    """Prices M[s, p, d] = Σ_{D >= d} λ[s, p, D] of the cumulative capacity rows."""
    return np.asarray(np.cumsum(lam[:, :, ::-1], axis=2)[:, :, ::-1])


def work_types(minutes: NDArray[np.float64], late: NDArray[np.float64]
               ) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """Type of each line or row (same work vector and lateness weight), and the types' values."""
    uniq, type_of = np.unique(np.c_[minutes, late], axis=0, return_inverse=True)
    return type_of.reshape(-1).astype(np.int64), uniq[:, :-1].copy(), uniq[:, -1].copy()


def day_tables(prices: NDArray[np.float64], minutes: NDArray[np.float64], late: NDArray[np.float64]
               ) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """W[type, s, e]: cheapest priced work plus lateness from day e on, and the day WD giving it."""
    g = np.einsum("tp,spd->tsd", minutes, prices, optimize=True)
    h = g.shape[2]
    w = np.empty_like(g)
    wd = np.empty(g.shape, dtype=np.int64)
    w[:, :, h - 1], wd[:, :, h - 1] = g[:, :, h - 1], h - 1
    step = late[:, None]
    for d in range(h - 2, -1, -1):
        later = w[:, :, d + 1] + step
        take = g[:, :, d] <= later
        w[:, :, d] = np.where(take, g[:, :, d], later)
        wd[:, :, d] = np.where(take, d, wd[:, :, d + 1])
    return w, wd


@dataclass(frozen=True, slots=True)
class Options:
    """Per line, a set of sites with everything of their priced value that prices do not change."""

    site: NDArray[np.int64]      # (N, K)
    fixed: NDArray[np.float64]   # (N, K) cost + lateness up to the first possible day (inf: no option)
    flat: NDArray[np.int64]      # (N, K) index into W.ravel() of (type, site, first possible day)


def options(t: Tables, type_of: NDArray[np.int64], sites: NDArray[np.int64],
            lines: NDArray[np.int64] | None = None) -> Options:
    """Options of ``lines`` (default all) at ``sites`` (one row of site indices per line)."""
    idx = np.arange(len(t.due), dtype=np.int64) if lines is None else lines
    s_count, h = t.cap.shape[0], t.horizon
    base = t.deadline(idx[:, None], sites)
    e = np.maximum(base, t.first(idx[:, None], sites))
    cost = t.cost[idx[:, None], sites]
    fixed = np.where((e < h) & np.isfinite(cost), cost + t.late_cost * (e - base), np.inf)
    flat = (type_of[idx][:, None] * s_count + sites) * h + np.minimum(e, h - 1)
    return Options(sites, fixed, flat)


def choose(o: Options, w: NDArray[np.float64], wd: NDArray[np.int64], unassigned: float
           ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Each line's cheapest priced option: site (-1 unassigned), planned day, value."""
    val = o.fixed + w.ravel()[o.flat]
    k = val.argmin(axis=1)
    rows = np.arange(len(k))
    best = val[rows, k]
    on = best < unassigned
    site = np.where(on, o.site[rows, k], -1)
    day = np.where(on, wd.ravel()[o.flat[rows, k]], 0)
    return site.astype(np.int64), day.astype(np.int64), np.minimum(best, unassigned)


def usage(t: Tables, site: NDArray[np.int64], day: NDArray[np.int64]) -> NDArray[np.float64]:
    """Cumulative minutes (S, P, H) of the lines planned at ``site`` due by ``day``."""
    s_count, p_count, h = t.cap.shape
    on = site >= 0
    key = site[on] * h + day[on]
    use = np.stack([np.bincount(key, weights=t.minutes[on, p], minlength=s_count * h).reshape(s_count, h)
                    for p in range(p_count)], axis=1)
    return np.asarray(np.cumsum(use, axis=2))


@dataclass(frozen=True, slots=True)
class Static:
    """Every (line, site) option's price-free part, computed once: ``fixed`` and ``flat`` of
    ``options`` over all sites (None when lines × sites is too large to hold)."""

    fixed: NDArray[np.float64]   # (N, S)
    flat: NDArray[np.int32]      # (N, S) index into W.ravel()


#: Largest lines × sites whose static option tables are kept (12 bytes each).
STATIC_MAX = 40_000_000


def static_options(t: Tables, type_of: NDArray[np.int64]) -> Static | None:
    """The price-free part of every option, or None above ``STATIC_MAX`` (or if W's index needs > 31 bits)."""
    n, s_count = t.cost.shape
    if n * s_count > STATIC_MAX or (int(type_of.max(initial=0)) + 1) * s_count * t.horizon >= 2**31:
        return None
    fixed = np.empty((n, s_count))
    flat = np.empty((n, s_count), dtype=np.int32)
    all_sites = np.arange(s_count, dtype=np.int64)
    for a in range(0, n, _CHUNK):
        idx = np.arange(a, min(a + _CHUNK, n), dtype=np.int64)
        o = options(t, type_of, np.broadcast_to(all_sites, (len(idx), s_count)), idx)
        fixed[idx], flat[idx] = o.fixed, o.flat
    return Static(fixed, flat)


def full_bound(t: Tables, prices: NDArray[np.float64], type_of: NDArray[np.int64],
               w: NDArray[np.float64], keep: int = 0, static: Static | None = None,
               prev: NDArray[np.int64] | None = None) -> tuple[float, NDArray[np.int64]]:
    """L at ``prices`` over every allowed site, and each line's ``keep`` best priced sites.

    With ``prev`` (N, keep), a line keeps its previous sites when its best priced site is still
    among them (only the others are re-ranked: the ranking is most of a full evaluation's time)."""
    n, s_count = t.cost.shape
    total = 0.0
    best = np.zeros((n, keep), dtype=np.int64) if prev is None else prev.copy()
    all_sites = np.arange(s_count, dtype=np.int64)
    wr = w.ravel()
    for a in range(0, n, _CHUNK):
        idx = np.arange(a, min(a + _CHUNK, n), dtype=np.int64)
        if static is not None:
            val = static.fixed[a:a + len(idx)] + wr[static.flat[a:a + len(idx)]]
        else:
            o = options(t, type_of, np.broadcast_to(all_sites, (len(idx), s_count)), idx)
            val = o.fixed + wr[o.flat]
        low = val.min(axis=1, initial=np.inf)
        total += float(np.minimum(low, t.unassigned_cost).sum())
        if keep and keep >= s_count:
            best[idx] = all_sites
        elif keep:
            redo = np.arange(len(idx))
            if prev is not None:
                held = np.take_along_axis(val, prev[idx], axis=1).min(axis=1)
                redo = np.nonzero(held > low)[0]
            if len(redo):
                best[idx[redo]] = np.argpartition(val[redo], keep - 1, axis=1)[:, :keep]
    inc = np.diff(cumulative_capacity(t), axis=2, prepend=0.0)
    return total - float((prices * inc).sum()), best


def _subset(t: Tables, type_of: NDArray[np.int64], top: NDArray[np.int64], static: Static | None) -> Options:
    """Options of every line at its sites ``top`` (gathered from ``static`` when held)."""
    if static is None:
        return options(t, type_of, top)
    return Options(top, np.take_along_axis(static.fixed, top, axis=1),
                   np.take_along_axis(static.flat, top, axis=1).astype(np.int64))


def line_values(t: Tables, prices: NDArray[np.float64]) -> NDArray[np.float64]:
    """Each line's cheapest priced value at ``prices`` over every allowed site (capped at unassigned)."""
    type_of, minutes, late = work_types(t.minutes, np.full(len(t.due), t.late_cost))
    w = day_tables(prices, minutes, late)[0]
    n, s_count = t.cost.shape
    out = np.empty(n)
    all_sites = np.arange(s_count, dtype=np.int64)
    for a in range(0, n, _CHUNK):
        idx = np.arange(a, min(a + _CHUNK, n), dtype=np.int64)
        o = options(t, type_of, np.broadcast_to(all_sites, (len(idx), s_count)), idx)
        out[idx] = np.minimum((o.fixed + w.ravel()[o.flat]).min(axis=1, initial=np.inf), t.unassigned_cost)
    return out


def site_shares(t: Tables, prices: NDArray[np.float64]) -> NDArray[np.float64]:
    """Per site, −Σ_{p,d} price × capacity added that day: the site's term of L(λ)."""
    inc = np.diff(cumulative_capacity(t), axis=2, prepend=0.0)
    return np.asarray(-(prices * inc).sum(axis=(1, 2)))


@dataclass(frozen=True, slots=True)
class Ascent:
    """The best prices found, their (full) bound, and what the ascent did."""

    prices: NDArray[np.float64]
    bound: float
    iterations: int
    evaluations: int
    #: Other prices worth building a plan from (latest full evaluations, last and mean iterates), newest first.
    others: tuple[NDArray[np.float64], ...] = ()


def _candidates(t: Tables, k: int) -> NDArray[np.int64]:
    s_count = t.cost.shape[1]
    if k >= s_count:
        return np.broadcast_to(np.arange(s_count, dtype=np.int64), (len(t.due), s_count)).copy()
    out = np.empty((len(t.due), k), dtype=np.int64)
    for a in range(0, len(t.due), _CHUNK):
        out[a:a + _CHUNK] = np.argpartition(t.cost[a:a + _CHUNK], k - 1, axis=1)[:, :k]
    return out


class _Steps:
    """The ascent's two evaluations at prices: one step over each line's candidate sites, and
    the full bound over every site with the candidate refresh. Compiled (``kernels.py``) when the
    static option tables are held, else the numpy reference forms above."""

    def __init__(self, t: Tables, k: int) -> None:
        self.t = t
        self.type_of, self.minutes, self.late = work_types(t.minutes, np.full(len(t.due), t.late_cost))
        self.inc = np.diff(cumulative_capacity(t), axis=2, prepend=0.0)
        self.cand = _candidates(t, min(k, t.cost.shape[1]))
        self.static = static_options(t, self.type_of)
        self.o = _subset(t, self.type_of, self.cand, self.static)
        self.use = np.zeros_like(t.cap)

    def tables(self, prices: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        if self.static is None:
            return day_tables(prices, self.minutes, self.late)
        with PARALLEL_CALLS:
            return day_tables_p(np.ascontiguousarray(prices), self.minutes, self.late)

    def full(self, prices: NDArray[np.float64], w: NDArray[np.float64], refresh: bool) -> float:
        """L at ``prices`` over every allowed site; with ``refresh`` the candidates are re-ranked."""
        t, st = self.t, self.static
        if st is None:
            bound, cand = full_bound(t, prices, self.type_of, w, self.cand.shape[1] if refresh else 0, None,
                                     self.cand if refresh else None)
            if refresh:
                self.cand, self.o = cand, _subset(t, self.type_of, cand, None)
            return bound
        with PARALLEL_CALLS:
            lines = full_p(st.fixed, st.flat, w, t.unassigned_cost, self.cand, self.o.fixed, self.o.flat, refresh)
        return lines - float((prices * self.inc).sum())

    def step(self, prices: NDArray[np.float64], w: NDArray[np.float64], wd: NDArray[np.int64]
             ) -> tuple[float, NDArray[np.float64]]:
        """L over the candidates at ``prices`` and the cumulative usage (S, P, H) of the choice."""
        t = self.t
        if self.static is None:
            site, day, val = choose(self.o, w, wd, t.unassigned_cost)
            return float(val.sum() - (prices * self.inc).sum()), usage(t, site, day)
        with PARALLEL_CALLS:
            lines = step_p(self.o.site, self.o.fixed, self.o.flat, w, wd, t.minutes, t.unassigned_cost, self.use)
        return lines - float((prices * self.inc).sum()), np.cumsum(self.use, axis=2)


def ascend(t: Tables, k: int, stop: Callable[[], bool], max_iter: int = 400, refresh: int = 15,
           settle: float = 0.0, window: int = 8, may_settle: Callable[[], bool] = lambda: True) -> Ascent:
    """Projected subgradient ascent on λ with Polyak steps toward a moving target level.

    With ``settle`` > 0 the ascent also ends, once ``may_settle()``, when the best bound rose by
    less than ``settle`` (relative) over the last ``window`` full evaluations (it has converged;
    the time is the plan's)."""
    ev = _Steps(t, k)
    ccum = cumulative_capacity(t)
    lam = np.zeros_like(t.cap)
    direction = np.zeros_like(lam)
    best_prices, best_bound, evals = np.zeros_like(lam), -np.inf, 0
    best_l, theta, stall, it = -np.inf, 1.0, 0, 0
    lam_sum, lam_n = np.zeros_like(lam), 0
    history: list[float] = []
    seen: list[NDArray[np.float64]] = []
    scale = max(1.0, float(np.abs(t.cost[np.isfinite(t.cost)]).mean()) if np.isfinite(t.cost).any() else 1.0)
    for it in range(1, max_iter + 1):
        prices = tail(lam)
        w, wd = ev.tables(prices)
        if it % refresh == 1:
            bound = ev.full(prices, w, True)
            evals += 1
            if bound > best_bound:
                best_bound, best_prices = bound, prices
            seen = (seen + [prices])[-_OTHERS:]
            history.append(best_bound)
            if settle > 0 and len(history) > window and np.isfinite(history[-1 - window]) \
                    and history[-1] - history[-1 - window] <= settle * abs(history[-1]) and may_settle():
                break
        value, use = ev.step(prices, w, wd)
        if not np.isfinite(best_l) or value > best_l + 1e-9 * abs(best_l):
            best_l, stall = value, 0
        else:
            stall += 1
            if stall >= 8:
                theta, stall = max(theta / 2, 1e-3), 0
        g = use - ccum
        g = np.where((lam <= 0) & (g < 0), 0.0, g)
        if float((g * g).sum()) <= 1e-12 or stop():
            break
        # heavy ball: the previous direction carries on (projected like the subgradient)
        direction = g + _MOMENTUM * direction
        direction = np.where((lam <= 0) & (direction < 0), 0.0, direction)
        norm = float((direction * direction).sum())
        if norm <= 1e-12:   # the two cancel out: restart from the subgradient
            direction, norm = g, float((g * g).sum())
        target = best_l + _TARGET * abs(best_l) + scale
        lam = np.maximum(0.0, lam + theta * (target - value) / norm * direction)
        if it & (it - 1) == 0:  # the mean restarts at every power of two: it covers the last half or more
            lam_sum[:], lam_n = 0.0, 0
        lam_sum += lam
        lam_n += 1
    # L is concave, so L at the mean of the late iterates is at least their mean L (often more).
    for cand_lam in (lam, lam_sum / max(lam_n, 1)):
        prices = tail(cand_lam)
        bound = ev.full(prices, ev.tables(prices)[0], False)
        evals += 1
        if bound > best_bound:
            best_bound, best_prices = bound, prices
        seen.append(prices)
    others = tuple(p for p in seen[::-1] if p is not best_prices)
    return Ascent(best_prices, best_bound, it, evals, others)
