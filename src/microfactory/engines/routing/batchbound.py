"""A lower bound that sees minimum batches: assignment and capacity both relaxed.

The capacity Lagrangian (``lagrange.py``) prices capacity and lets every line pick its cheapest
priced (site, day) alone, so it cannot see the minimum-batch shortfall: a site making one unit
of a setup key below its minimum batch pays ``short_cost × (min_batch − units)`` in every plan
but nothing in that bound. Relaxing also the assignment rows (each line once, or unassigned)
with multipliers u_i, at fixed capacity prices M, leaves one small problem per (site s, setup
key k):

    L(u) = Σ_i u_i + Σ_i min(0, unassigned − u_i) + Σ_{s,k} SUB_sk(u) − Σ M × capacity added per day
    SUB_sk(u) = min(0, min over non-empty sets A of lines of key k allowed at s of
                    Σ_{i∈A} r_is + short_cost_s × max(0, min_batch_s − Σ_{i∈A} qty_i))

with r_is = v_is − u_i and v_is the line's cheapest priced value at s (cost + lateness + priced
minutes, best day), exactly the ascent's option values. L(u) <= every plan's cost for any u
(the plan's sites and EDF finish days are feasible for the relaxation and it pays the same
shortfall; the priced capacity term is <= 0 for a plan that fits).

SUB_sk: if no r_is < 0 it is 0 (every non-empty set costs >= 0). Otherwise an open batch takes
every line with r_is < 0 (each lowers the sum and the shortfall) and covers the rest R of the
minimum with lines of r_is >= 0; a line with r_is >= short_cost × min(qty_i, R) is never worth
taking (it costs at least the shortfall it removes), and the others are taken *fractionally*,
cheapest per unit first (the LP of the cover: below its integer optimum, so L stays a valid
bound). At u_i = each line's cheapest priced value (capped at the unassigned penalty) every
r_is >= 0, every SUB_sk = 0 and L(u) is exactly the ascent's bound; subgradient steps on u
(Polyak toward a moving target) only keep values above it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from microfactory.engines.routing.capacity import cumulative_capacity
from microfactory.engines.routing.lagrange import day_tables, options, work_types
from microfactory.engines.routing.tables import Tables

#: Largest lines × sites the bound works on (dense (N, S) arrays, ~5 of them).
MAX_CELLS = 4_000_000
_CHUNK = 4096


@dataclass(frozen=True, slots=True)
class BatchBound:
    """The best L(u) found (never below the ascent's bound it started from) and the steps made."""

    bound: float
    start: float
    iterations: int


class _Relaxation:
    """L(u) and a supergradient for fixed capacity prices."""

    def __init__(self, t: Tables, prices: NDArray[np.float64]) -> None:
        n, s_count = t.cost.shape
        type_of, minutes, late = work_types(t.minutes, np.full(n, t.late_cost))
        w = day_tables(prices, minutes, late)[0].ravel()
        self.v = np.empty((n, s_count))
        sites = np.arange(s_count, dtype=np.int64)
        for a in range(0, n, _CHUNK):
            idx = np.arange(a, min(a + _CHUNK, n), dtype=np.int64)
            o = options(t, type_of, np.broadcast_to(sites, (len(idx), s_count)), idx)
            self.v[idx] = o.fixed + w[o.flat]
        self.const = -float((prices * np.diff(cumulative_capacity(t), axis=2, prepend=0.0)).sum())
        self.unassigned = t.unassigned_cost
        self.qty = t.qty
        self.key = t.setup_key
        self.k_count = max(len(t.setup_keys), 1)
        mb = np.array([s.min_batch for s in t.problem.sites], dtype=float)
        sc = np.array([s.min_batch_shortfall_cost for s in t.problem.sites], dtype=float)
        self.batched = (mb > 1) & (sc > 0)
        self.mb, self.sc = mb, sc

    def start(self) -> NDArray[np.float64]:
        """Each line's cheapest priced value (capped at the unassigned penalty): L here is the ascent's L."""
        return np.asarray(np.minimum(self.v.min(axis=1, initial=np.inf), self.unassigned))

    def value(self, u: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        """L(u) and a supergradient (1 − unassigned − Σ_s x_is per line)."""
        n, s_count = self.v.shape
        r = self.v - u[:, None]
        neg = r < 0                                   # inf (not allowed) is never negative
        take = np.zeros((n, s_count))
        total = float(u.sum() + np.minimum(0.0, self.unassigned - u).sum()) + self.const
        plain = ~self.batched
        if plain.any():
            rp = r[:, plain]
            total += float(np.where(rp < 0, rp, 0.0).sum())
            take[:, plain] = rp < 0
        cols = np.nonzero(self.batched)[0]
        if len(cols):
            total += self._batched(r[:, cols], neg[:, cols], cols, take)
        g = 1.0 - (u > self.unassigned) - take.sum(axis=1)
        return total, g

    def _batched(self, r: NDArray[np.float64], neg: NDArray[np.bool_], cols: NDArray[np.int64],
                 take: NDArray[np.float64]) -> float:
        """Σ SUB_sk over the sites ``cols`` with a shortfall; fills ``take`` (fractions) in place."""
        c = r.shape[1]
        pair = (np.arange(c, dtype=np.int64)[None, :] * self.k_count + self.key[:, None])   # (n, c)
        size = c * self.k_count
        li, ci = np.nonzero(neg)
        p_neg = pair[li, ci]
        sum_r = np.bincount(p_neg, weights=r[li, ci], minlength=size)
        units = np.bincount(p_neg, weights=self.qty[li], minlength=size)
        has = np.bincount(p_neg, minlength=size) > 0
        site_of_pair = np.repeat(np.arange(c), self.k_count)
        mb, sc = self.mb[cols][site_of_pair], self.sc[cols][site_of_pair]
        rest = np.where(has, np.maximum(mb - units, 0.0), 0.0)
        # Cover candidates: r >= 0, in a pair with negatives and some minimum left, r < sc × min(q, rest).
        q_all = self.qty[:, None]
        cand = (~neg) & has[pair] & (rest[pair] > 0) & (r < sc[pair] * np.minimum(q_all, rest[pair]))
        ki, kc = np.nonzero(cand)
        p_c = pair[ki, kc]
        q_c = self.qty[ki]
        rho = r[ki, kc] / q_c
        order = np.lexsort((rho, p_c))
        p_s, q_s, rho_s = p_c[order], q_c[order], rho[order]
        cum = np.cumsum(q_s)
        first = np.r_[True, p_s[1:] != p_s[:-1]] if len(p_s) else np.zeros(0, dtype=bool)
        start_cum = np.maximum.accumulate(np.where(first, cum - q_s, 0.0)) if len(p_s) else cum
        before = cum - q_s - start_cum
        got = np.clip(rest[p_s] - before, 0.0, q_s)
        cover = np.bincount(p_s, weights=rho_s * got, minlength=size)
        covered = np.bincount(p_s, weights=got, minlength=size)
        tot = sum_r + cover + sc * np.maximum(rest - covered, 0.0)
        open_ = has & (tot < 0)
        sel = open_[p_neg]
        take[li[sel], cols[ci[sel]]] = 1.0
        frac = got / q_s
        sel_c = open_[p_s] & (frac > 0)
        take[ki[order][sel_c], cols[kc[order][sel_c]]] = frac[sel_c]
        return float(np.minimum(tot, 0.0)[has].sum())


def batch_bound(t: Tables, prices: NDArray[np.float64], stop: Callable[[], bool], max_iter: int = 100_000,
                target: float | None = None) -> BatchBound | None:
    """The best L(u) found by Polyak subgradient steps from the ascent's start (None when the
    problem is too large or no site charges a shortfall). ``target`` (e.g. a plan's cost) aims the steps."""
    n, s_count = t.cost.shape
    if n == 0 or n * s_count > MAX_CELLS:
        return None
    rel = _Relaxation(t, prices)
    if not rel.batched.any():
        return None
    u = rel.start()
    start, g = rel.value(u)
    value = start
    best, theta, best_step, stall, it = start, 1.0, start, 0, 0
    scale = float(np.mean(rel.sc[rel.batched] * (rel.mb[rel.batched] - 1)))
    for it in range(1, max_iter + 1):
        norm = float((g * g).sum())
        if norm <= 1e-12 or stop():
            break
        aim = target if target is not None and target > best else best + max(1e-3 * abs(best), scale)
        u = u + theta * (aim - value) / norm * g
        value, g = rel.value(u)
        if value > best_step + 1e-9 * abs(best_step):
            best_step, stall = value, 0
        else:
            stall += 1
            if stall >= 10:
                theta, stall = max(theta / 2, 1e-4), 0
        best = max(best, value)
    return BatchBound(best, start, it)
