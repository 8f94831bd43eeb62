"""A stronger lower bound by site decomposition: exact capacity and batches per site.

The capacity Lagrangian (``lagrange.py``) is as strong as the LP relaxation: it may split a
line over sites and days, and it drops the minimum-batch shortfall. Relaxing instead the
*assignment* rows (each line made once or left unassigned) with multipliers π_i leaves one
independent problem per site that keeps everything else exactly:

    L(π) = Σ_i π_i + Σ_i min(0, unassigned − π_i) + Σ_s SUB_s(π)
    SUB_s(π) = min Σ_{i, d} (c_is + late × (d − base_is) − π_i) x_isd + Σ_k short_cost_s × short_sk
               over binary x_isd (d from e_is to the horizon's last day, Σ_d x_isd <= 1),
               the cumulative capacity rows of site s, and per setup key k the shortfall
               short_sk >= min_batch_s × [any line of k at s] − Σ_i qty_i x_isd.

For *any* π, L(π) <= the cost of every plan that finishes within the horizon (a plan gives
each SUB_s a feasible point whose value is that site's share of the plan's cost minus the π
of its lines), and keep-together and materials are dropped (relaxations). With π_i = the
line's cheapest priced value at capacity prices λ (``lagrange.line_values``), every priced
option has a non-negative reduced cost, so SUB_s(π) >= −Σ_{p,d} λ[s,p,d] × cap_inc[s,p,d]
(the LP bound of SUB_s at λ) and L(π) >= L(λ): the decomposition never loses against the
capacity bound it starts from, and it gains what the integrality of lines and the batches cost.

Only options that can improve SUB_s enter its model: x_isd with reduced cost v < 0, or
v < short_cost × min(qty, min_batch − 1) when the site charges a shortfall (a line of larger
reduced cost lowers the shortfall by less than it costs, so some optimum leaves it out).
Each SUB_s is a small 0-1 model (CP-SAT, integer-scaled as a relaxation); when the time runs out, its solver's dual bound is used, so
the result stays valid. Sites not solved at all are bounded by their LP value −λ·cap_inc.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from microfactory.engines.routing.capacity import cumulative_capacity
from microfactory.engines.routing.tables import Tables

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class SiteBound:
    """The decomposition bound and what it took: sites solved exactly, bounded, or skipped."""

    bound: float
    solved: int
    bounded: int
    skipped: int
    options: int
    #: Per line: how many sites chose it in SUB (the subgradient of the assignment rows is 1 − this).
    taken: NDArray[np.float64]


def _site_model(t: Tables, s: int, pi: NDArray[np.float64], ccum: NDArray[np.float64]
                ) -> tuple[list[tuple[int, int, float]], float]:
    """Options (line, day, reduced cost) of site s that can matter, and its shortfall price."""
    site = t.problem.sites[s]
    short = site.min_batch_shortfall_cost if site.min_batch > 1 else 0.0
    allowed = np.nonzero(np.isfinite(t.cost[:, s]))[0]
    if len(allowed) == 0:
        return [], short
    base = t.deadline(allowed, np.full(len(allowed), s))
    first = np.maximum(base, t.first(allowed, np.full(len(allowed), s)))
    v0 = t.cost[allowed, s] + t.late_cost * (first - base) - pi[allowed]
    margin = short * np.minimum(t.qty[allowed], site.min_batch - 1) if short > 0 else np.zeros(len(allowed))
    keep = (v0 < margin - 1e-9) & (first < t.horizon)
    out: list[tuple[int, int, float]] = []
    for i, f, v, mg in zip(allowed[keep].tolist(), first[keep].tolist(), v0[keep].tolist(), margin[keep].tolist()):
        for d in range(f, t.horizon):
            val = v + t.late_cost * (d - f)
            if val >= mg - 1e-9:
                break
            out.append((i, d, val))
    return out, short


#: CP-SAT works in integers: money in 1/10,000 (coefficients floored), minutes in 1/1,000
#: (work floored, capacity ceiled), so its model is a relaxation of SUB_s and its bound stays valid.
_MONEY, _MIN = 10_000, 1_000


def _solve_site(t: Tables, s: int, opts: list[tuple[int, int, float]], short: float,
                ccum: NDArray[np.float64], time_limit_s: float) -> tuple[float, bool, dict[int, float]]:
    """Dual bound of SUB_s (its optimum when proven; CP-SAT), whether proven, lines taken."""
    from ortools.sat.python import cp_model

    m = cp_model.CpModel()
    xs = [m.new_bool_var("") for _ in opts]
    by_line: dict[int, list[cp_model.IntVar]] = {}
    for (i, _, _), x in zip(opts, xs):
        by_line.setdefault(i, []).append(x)
    for group in by_line.values():
        if len(group) > 1:
            m.add_at_most_one(group)
    for p in range(len(t.processes)):
        terms = sorted(((d, math.floor(_MIN * float(t.minutes[i, p])), x)
                        for (i, d, _), x in zip(opts, xs) if t.minutes[i, p] > 0), key=lambda z: z[0])
        total = sum(a for _, a, _ in terms)
        acc: list[tuple[int, cp_model.IntVar]] = []
        for j, (d, a, x) in enumerate(terms):
            acc.append((a, x))
            cap = math.ceil(_MIN * float(ccum[s, p, d]))
            if j + 1 == len(terms) or terms[j + 1][0] != d:
                if sum(a2 for a2, _ in acc) > cap:
                    m.add(sum(a2 * x2 for a2, x2 in acc) <= cap)
                if total <= cap:
                    break
    obj = [(math.floor(_MONEY * v), x) for (_, _, v), x in zip(opts, xs)]
    if short > 0:
        site = t.problem.sites[s]
        by_key: dict[int, list[tuple[int, cp_model.IntVar]]] = {}
        for (i, _, _), x in zip(opts, xs):
            by_key.setdefault(int(t.setup_key[i]), []).append((int(t.qty[i]), x))
        for terms_k in by_key.values():
            b = m.new_bool_var("")
            for _, x in terms_k:
                m.add_implication(x, b)
            sh = m.new_int_var(0, site.min_batch, "")
            m.add(sh >= site.min_batch * b - sum(q * x for q, x in terms_k))
            obj.append((math.floor(_MONEY * short), sh))
    m.minimize(sum(c * v for c, v in obj))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(time_limit_s, 0.25)
    solver.parameters.num_workers = 1
    code = solver.solve(m)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return -math.inf, False, {}
    taken: dict[int, float] = {}
    for (i, _, _), x in zip(opts, xs):
        if solver.value(x):
            taken[i] = taken.get(i, 0.0) + 1.0
    return solver.best_objective_bound / _MONEY, code == cp_model.OPTIMAL, taken


def priced_matrix(t: Tables, prices: NDArray[np.float64]) -> NDArray[np.float64]:
    """(N, S): each line's cheapest priced value at each site (inf where not allowed)."""
    from microfactory.engines.routing.lagrange import day_tables, options, work_types

    type_of, minutes, late = work_types(t.minutes, np.full(len(t.due), t.late_cost))
    w = day_tables(prices, minutes, late)[0]
    n, s_count = t.cost.shape
    o = options(t, type_of, np.broadcast_to(np.arange(s_count, dtype=np.int64), (n, s_count)))
    return np.asarray(o.fixed + w.ravel()[o.flat])


def site_bound(t: Tables, pi: NDArray[np.float64], floor: NDArray[np.float64], stop_at: float, now: Clock,
               per_site_s: float = 1.0, max_options: int = 20_000) -> SiteBound:
    """L(π) with each site's SUB solved by CP-SAT until ``stop_at``.

    ``floor[s]`` must be a valid lower bound of SUB_s(π) (``fallback``); it is used for sites not
    solved in time or with more than ``max_options`` options, and when a solver's bound is lower.
    """
    n, s_count = t.cost.shape
    ccum = cumulative_capacity(t)
    total = float(pi.sum() + np.minimum(0.0, t.unassigned_cost - pi).sum())
    solved = bounded = skipped = count = 0
    taken = np.zeros(n)
    models = [(s, *_site_model(t, s, pi, ccum)) for s in range(s_count)]
    models.sort(key=lambda z: len(z[1]))
    for s, opts, short in models:
        if not opts:
            solved += 1
            continue
        left = stop_at - now()
        if left <= 0.25 or len(opts) > max_options:  # CP-SAT may abort on tiny time limits
            total += float(floor[s])
            skipped += 1
            continue
        value, proven, got = _solve_site(t, s, opts, short, ccum, min(per_site_s, left))
        count += len(opts)
        total += max(value, float(floor[s]))
        solved += int(proven)
        bounded += int(not proven)
        for i, k in got.items():
            taken[i] += k
    return SiteBound(total, solved, bounded, skipped, count, taken)


def fallback(priced: NDArray[np.float64], shares: NDArray[np.float64], pi: NDArray[np.float64]
             ) -> NDArray[np.float64]:
    """Per site, a valid lower bound of SUB_s(π): the capacity Lagrangian of SUB_s at the prices
    that gave ``priced`` and ``shares`` (−λ·cap_inc + Σ_i min(0, priced_is − π_i))."""
    gain = np.where(np.isfinite(priced), np.minimum(0.0, priced - pi[:, None]), 0.0)
    return np.asarray(shares + gain.sum(axis=0))


@dataclass(frozen=True, slots=True)
class Decomposition:
    """The best decomposition bound over the rounds, and the last round's site counts."""

    bound: float
    rounds: int
    solved: int
    bounded: int
    skipped: int


def decomposition_bound(t: Tables, prices: NDArray[np.float64], stop_at: float, now: Clock,
                        per_site_s: float = 1.0, max_rounds: int = 1_000_000,
                        upper: float | None = None) -> Decomposition:
    """Site-decomposition bound starting from π = line values at ``prices``, then subgradient
    steps on π (Polyak step toward 0.5 % above the best bound, or halfway to ``upper``, a known
    plan's cost, when that is higher; halved after a round without progress) until ``stop_at``
    or ``max_rounds``.

    The first round is never below the capacity-Lagrangian bound at ``prices``."""
    from microfactory.engines.routing.lagrange import site_shares

    priced = priced_matrix(t, prices)
    shares = site_shares(t, prices)
    pi = np.minimum(priced.min(axis=1, initial=np.inf), t.unassigned_cost)
    best, rounds, theta, last = -math.inf, 0, 1.0, None
    while now() < stop_at and rounds < max_rounds:
        sb = site_bound(t, pi, fallback(priced, shares, pi), stop_at, now, per_site_s)
        rounds += 1
        last = sb
        if sb.bound > best + 1e-9:
            best = sb.bound
        else:
            theta = max(theta / 2, 1e-3)
        unassigned = (pi > t.unassigned_cost).astype(float)
        g = 1.0 - sb.taken - unassigned
        norm = float((g * g).sum())
        if norm < 1e-12:
            break
        level = 0.005 * abs(best) + 1.0
        if upper is not None and upper > best:   # a known plan's cost: aim halfway to it
            level = max(level, 0.5 * (upper - best))
        step = theta * level / norm
        pi = pi + step * g
    if last is None:
        return Decomposition(float(pi.sum() + shares.sum()), 0, 0, 0, t.cost.shape[1])
    return Decomposition(best, rounds, last.solved, last.bounded, last.skipped)
