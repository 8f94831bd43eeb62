"""Large-scale batch routing: Lagrangian relaxation of capacity, with a repair heuristic.

Each row (a line, or a keep-together group merged into one row) chooses a (site, lateness)
option. Capacity rows ``Σ minutes of work due by d <= cumulative capacity(d)`` are priced by
multipliers λ >= 0; for fixed λ every row picks its cheapest priced option independently, and
``L(λ) = Σ_rows min priced cost − Σ λ·capacity`` is a lower bound on the LP relaxation (equal
at the best λ, since the per-row problem has integral vertices). Sites outside a row's k
cheapest candidates enter the bound through the row's (k+1)-th cheapest cost, so pruning never
makes the bound invalid. λ is improved by projected subgradient steps (Polyak step from the
best primal); the primal takes each row's best priced option and repairs overloads by regret.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from microfactory.engines.routing.capacity import cumulative_capacity
from microfactory.engines.routing.tables import Tables

#: Lateness steps (days) and the days charged for them in the bound (a relaxation: a line
#: late by t in (step_{j-1}, step_j] is charged step_{j-1} + 1 there and step_j in the plan).
STEPS = (0, 1, 2, 4, 7, 14, 30, 60)


@dataclass(frozen=True, slots=True)
class Rows:
    """Lines merged into rows (keep-together groups become one row)."""

    row_of: NDArray[np.int64]
    count: NDArray[np.float64]
    minutes: NDArray[np.float64]
    due: NDArray[np.int64]
    cand: NDArray[np.int64]     # (R, K) site, -1 when none
    ccost: NDArray[np.float64]  # (R, K)
    cout: NDArray[np.float64]   # (R,) cheapest cost outside the candidates


def make_rows(t: Tables, groups: NDArray[np.int64], k: int) -> Rows:
    """Merge lines sharing a group id (>= 0) and keep each row's k cheapest allowed sites."""
    n = len(t.due)
    key = np.where(groups >= 0, groups, -1 - np.arange(n))
    _, row_of = np.unique(key, return_inverse=True)
    r_count = int(row_of.max()) + 1 if n else 0
    cost = np.zeros((r_count, t.cost.shape[1]))
    np.add.at(cost, row_of, t.cost)
    minutes = np.zeros((r_count, t.minutes.shape[1]))
    np.add.at(minutes, row_of, t.minutes)
    due = np.full(r_count, np.iinfo(np.int64).max)
    np.minimum.at(due, row_of, t.due)
    count = np.bincount(row_of, minlength=r_count).astype(np.float64)
    k = min(k, cost.shape[1])
    part = np.argpartition(cost, k - 1, axis=1)[:, :k] if k < cost.shape[1] else np.argsort(cost, axis=1)
    cc = np.take_along_axis(cost, part, axis=1)
    order = np.argsort(cc, axis=1)
    cand, cc = np.take_along_axis(part, order, axis=1), np.take_along_axis(cc, order, axis=1)
    if k < cost.shape[1]:
        cout = np.partition(cost, k, axis=1)[:, k]
    else:
        cout = np.full(r_count, np.inf)
    cand = np.where(np.isfinite(cc), cand, -1)
    return Rows(row_of, count, minutes, due, cand, cc, cout)


@dataclass(slots=True)
class Options:
    """Every (row, candidate, lateness step) option, flattened to arrays."""

    site: NDArray[np.int64]
    deadline: NDArray[np.int64]
    plan_cost: NDArray[np.float64]
    bound_cost: NDArray[np.float64]
    late: NDArray[np.int64]


def make_options(t: Tables, rows: Rows, max_late: int) -> Options:
    """(R, K, J) arrays of options; infeasible ones carry an infinite cost."""
    steps = np.array([s for s in STEPS if s <= max_late], dtype=np.int64)
    charged = np.concatenate([[0], steps[:-1] + 1])
    site = np.repeat(rows.cand[:, :, None], len(steps), axis=2)
    safe = np.maximum(rows.cand, 0)
    base = (rows.due[:, None] - t.delivery[safe])[:, :, None] + steps[None, None, :]
    ok = (rows.cand[:, :, None] >= 0) & (base >= t.earliest[safe][:, :, None]) & (base < t.horizon)
    late_money = t.late_cost * rows.count[:, None, None]
    plan = rows.ccost[:, :, None] + late_money * steps[None, None, :]
    bnd = rows.ccost[:, :, None] + late_money * charged[None, None, :]
    return Options(site=np.where(ok, site, -1), deadline=np.clip(base, 0, t.horizon - 1),
                   plan_cost=np.where(ok, plan, np.inf), bound_cost=np.where(ok, bnd, np.inf),
                   late=np.broadcast_to(steps, site.shape).copy())


def priced(t: Tables, rows: Rows, opt: Options, lam_tail: NDArray[np.float64]) -> NDArray[np.float64]:
    """Σ_p minutes × Λ[site, p, deadline] for every option (Λ = tail sums of λ)."""
    p_count, h = len(t.processes), t.horizon
    price = np.zeros(opt.site.shape)
    flat = lam_tail.reshape(-1)
    base = np.maximum(opt.site, 0) * (p_count * h) + opt.deadline
    for p in np.nonzero(rows.minutes.any(axis=0))[0]:
        a = rows.minutes[:, p]
        if lam_tail[:, p].any():
            price += a[:, None, None] * flat[base + p * h]
    return price


def usage(t: Tables, rows: Rows, opt: Options, pick: NDArray[np.int64]) -> NDArray[np.float64]:
    """Cumulative minutes per (site, process, day) of the chosen options (pick = flat option or -1)."""
    use = np.zeros_like(t.cap)
    chosen = np.nonzero(pick >= 0)[0]
    s = opt.site.reshape(len(pick), -1)[chosen, pick[chosen]]
    d = opt.deadline.reshape(len(pick), -1)[chosen, pick[chosen]]
    for p in range(len(t.processes)):
        np.add.at(use[:, p, :], (s, d), rows.minutes[chosen, p])
    return np.cumsum(use, axis=2)


def dual_bound(rows: Rows, opt: Options, price: NDArray[np.float64], lam: NDArray[np.float64],
               ccum: NDArray[np.float64], unassigned: float) -> tuple[float, NDArray[np.int64]]:
    """L(λ) and each row's best priced plan option (-1: unassigned is cheaper)."""
    r_count = len(rows.count)
    b = (opt.bound_cost + price).reshape(r_count, -1)
    best_b = np.minimum(b.min(axis=1, initial=np.inf), np.minimum(rows.cout, unassigned * rows.count))
    p = (opt.plan_cost + price).reshape(r_count, -1)
    pick = p.argmin(axis=1) if p.shape[1] else np.full(r_count, -1)
    best_p = p[np.arange(r_count), pick] if p.shape[1] else np.full(r_count, np.inf)
    pick = np.where(best_p < unassigned * rows.count, pick, -1)
    return float(best_b.sum() - (lam * ccum).sum()), pick


def subgradient(t: Tables, rows: Rows, opt: Options, iterations: int, upper: float,
                deadline_s: float, clock: object) -> tuple[float, NDArray[np.float64]]:
    """Best Lagrangian bound found and its multipliers (``clock()`` returns seconds)."""
    ccum = cumulative_capacity(t)
    lam = np.zeros_like(t.cap)
    best, best_lam, theta, stall = -np.inf, lam.copy(), 1.0, 0
    for _ in range(iterations):
        tail = np.cumsum(lam[:, :, ::-1], axis=2)[:, :, ::-1]
        value, pick = dual_bound(rows, opt, priced(t, rows, opt, tail), lam, ccum, t.unassigned_cost)
        if value > best + 1e-9 * abs(best if np.isfinite(best) else 1.0):
            best, best_lam, stall = value, lam.copy(), 0
        else:
            stall += 1
            if stall >= 5:
                theta, stall = theta / 2, 0
        g = usage(t, rows, opt, pick) - ccum
        g = np.where((lam <= 0) & (g < 0), 0.0, g)
        norm = float((g * g).sum())
        if norm <= 1e-12 or (upper - best) <= 1e-4 * abs(upper) or clock() > deadline_s:  # type: ignore[operator]
            break
        lam = np.maximum(0.0, lam + theta * (upper - value) / norm * g)
    return best, best_lam


def _fits(ucum: NDArray[np.float64], ccum: NDArray[np.float64], s: int, d: int,
          a: NDArray[np.float64]) -> bool:
    for p in np.nonzero(a)[0]:
        if a[p] > (ccum[s, p, d:] - ucum[s, p, d:]).min() + 1e-7:
            return False
    return True


def _shed(rows: Rows, opt: Options, pick: NDArray[np.int64], ucum: NDArray[np.float64],
          ccum: NDArray[np.float64], regret: NDArray[np.float64]) -> list[int]:
    """Drop the lowest-regret rows from overloaded (site, process, day) until everything fits."""
    r_count = len(pick)
    site = np.where(pick >= 0, opt.site.reshape(r_count, -1)[np.arange(r_count), np.maximum(pick, 0)], -1)
    dl = opt.deadline.reshape(r_count, -1)[np.arange(r_count), np.maximum(pick, 0)]
    dropped: list[int] = []
    over = np.argwhere((ucum - ccum > 1e-7).any(axis=2))
    for s, p in over:
        while True:
            excess = ucum[s, p] - ccum[s, p]
            bad = np.nonzero(excess > 1e-7)[0]
            if len(bad) == 0:
                break
            d = int(bad[0])
            idx = np.nonzero((site == s) & (dl <= d) & (rows.minutes[:, p] > 0))[0]
            idx = idx[np.argsort(regret[idx] / rows.minutes[idx, p], kind="stable")]
            take = idx[: int(np.searchsorted(np.cumsum(rows.minutes[idx, p]), excess[d] - 1e-7)) + 1]
            for r in take:
                ucum[s, :, dl[r]:] -= rows.minutes[r][:, None]
                site[r] = -1
                dropped.append(int(r))
    return dropped


def _fallback(t: Tables, i: int, ucum: NDArray[np.float64], ccum: NDArray[np.float64],
              max_late: int) -> tuple[int, int, float] | None:
    """Cheapest allowed site of any rank where line i still fits, with the least lateness."""
    for s in np.argsort(t.cost[i], kind="stable").tolist():
        if not np.isfinite(t.cost[i, s]):
            break
        base = int(t.due[i] - t.delivery[s])
        for late in [x for x in STEPS if x <= max_late]:
            d = base + late
            if t.earliest[s] <= d < t.horizon and _fits(ucum, ccum, s, d, t.minutes[i]):
                return s, d, float(t.cost[i, s] + t.late_cost * late)
    return None


def primal(t: Tables, rows: Rows, opt: Options, lam: NDArray[np.float64], max_late: int
           ) -> tuple[NDArray[np.int64], NDArray[np.int64], float]:
    """A capacity-feasible plan: site (-1 unassigned) and planned deadline per row, and its cost."""
    ccum = cumulative_capacity(t)
    tail = np.cumsum(lam[:, :, ::-1], axis=2)[:, :, ::-1]
    r_count = len(rows.count)
    price = priced(t, rows, opt, tail)
    score = (opt.plan_cost + price).reshape(r_count, -1)
    _, pick = dual_bound(rows, opt, price, lam, ccum, t.unassigned_cost)
    two = np.partition(score, 1, axis=1)[:, :2] if score.shape[1] > 1 else np.c_[score, score + np.inf]
    with np.errstate(invalid="ignore"):
        regret = np.where(np.isfinite(two[:, 1]), two[:, 1] - two[:, 0], t.unassigned_cost * rows.count)
    ucum = usage(t, rows, opt, pick)
    dropped = _shed(rows, opt, pick, ucum, ccum, regret)
    sites, dls = opt.site.reshape(r_count, -1), opt.deadline.reshape(r_count, -1)
    plan = opt.plan_cost.reshape(r_count, -1)
    idx = np.arange(r_count)
    row_site = np.where(pick >= 0, sites[idx, np.maximum(pick, 0)], -1)
    row_dl = dls[idx, np.maximum(pick, 0)]
    cost = np.where(pick >= 0, plan[idx, np.maximum(pick, 0)], t.unassigned_cost * rows.count)
    first_line = np.full(r_count, -1, dtype=np.int64)
    first_line[rows.row_of[::-1]] = np.arange(len(rows.row_of))[::-1]
    for r in sorted(dropped, key=lambda x: -regret[x]):
        row_site[r], cost[r] = -1, t.unassigned_cost * rows.count[r]
        for j in np.argsort(score[r], kind="stable"):
            if not np.isfinite(score[r, j]) or plan[r, j] >= cost[r]:
                break
            s, d = int(sites[r, j]), int(dls[r, j])
            if _fits(ucum, ccum, s, d, rows.minutes[r]):
                ucum[s, :, d:] += rows.minutes[r][:, None]
                row_site[r], row_dl[r], cost[r] = s, d, plan[r, j]
                break
        if row_site[r] < 0 and rows.count[r] == 1:
            got = _fallback(t, int(first_line[r]), ucum, ccum, max_late)
            if got is not None and got[2] < cost[r]:
                ucum[got[0], :, got[1]:] += rows.minutes[r][:, None]
                row_site[r], row_dl[r], cost[r] = got
    return row_site, row_dl, float(cost.sum())
