"""From capacity prices to a capacity-feasible plan: priced choice, shedding, insertion, moves.

Each row first takes its cheapest *priced* option (cost + lateness + Σ minutes × μ), which
is the Lagrangian choice. Overloaded (site, process) calendars then shed the rows that lose
least by moving (lowest regret per minute); shed and unplaced rows are inserted again,
highest regret first, at their cheapest option that passes the exact cumulative test of
``capacity.py`` (and the material ledger); finally single rows move to cheaper options with
room while time allows. Every step keeps ``used <= capacity`` for every (site, process, day).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from microfactory.engines.routing.bound import type_prices
from microfactory.engines.routing.capacity import cumulative_capacity
from microfactory.engines.routing.classes import Classes, Rows
from microfactory.engines.routing.classlp import LPSolution
from microfactory.engines.routing.tables import Tables

_EPS = 1e-7


@dataclass(slots=True)
class Plan:
    """Mutable working plan: site (-1 none) and planned deadline per row, cumulative use."""

    site: NDArray[np.int64]
    deadline: NDArray[np.int64]
    ucum: NDArray[np.float64]
    ccum: NDArray[np.float64]
    slack: NDArray[np.float64] = field(init=False)

    def __post_init__(self) -> None:
        self.slack = np.minimum.accumulate((self.ccum - self.ucum)[:, :, ::-1], axis=2)[:, :, ::-1].copy()

    def book(self, s: int, d: int, minutes: NDArray[np.float64], sign: float) -> None:
        """Add (sign 1) or remove (sign -1) work due by day d at site s."""
        self.ucum[s, :, d:] += sign * minutes[:, None]
        self.slack[s] = np.minimum.accumulate((self.ccum[s] - self.ucum[s])[:, ::-1], axis=1)[:, ::-1]


class Ledger:
    """Material stock of the sites that track it; lines draw their material, then substitutes."""

    def __init__(self, t: Tables, rows: Rows) -> None:
        self.stock = {s: dict(site.materials) for s, site in enumerate(t.problem.sites) if site.materials is not None}
        lines = t.problem.lines
        self.needs: dict[int, list[tuple[tuple[str, ...], float]]] = {}
        self.drawn: dict[tuple[int, int], list[tuple[str, float]]] = {}
        if self.stock:
            for i, ln in enumerate(lines):
                for need in ln.materials:
                    self.needs.setdefault(int(rows.row_of[i]), []).append((need.acceptable, need.qty_per_unit * ln.qty))

    def take(self, r: int, s: int, sign: float = 1.0) -> bool:
        """Draw (or with sign -1 return) row r's materials at site s; False (nothing drawn) if short."""
        if s not in self.stock or r not in self.needs:
            return True
        stock = self.stock[s]
        if sign < 0:
            for m, q in self.drawn.pop((r, s), []):
                stock[m] += q
            return True
        drawn: list[tuple[str, float]] = []
        for acceptable, qty in self.needs[r]:
            pick = next((m for m in acceptable if stock.get(m, 0.0) >= qty - 1e-9), None)
            if pick is None:
                for m, q in drawn:
                    stock[m] += q
                return False
            stock[pick] -= qty
            drawn.append((pick, qty))
        self.drawn[(r, s)] = drawn
        return True


def _usage(t: Tables, rows: Rows, site: NDArray[np.int64], dl: NDArray[np.int64]) -> NDArray[np.float64]:
    s_count, p_count, h = t.cap.shape
    on = np.nonzero(site >= 0)[0]
    use = np.zeros((s_count, p_count, h))
    for p in range(p_count):
        use[:, p, :] = np.bincount(site[on] * h + dl[on], weights=rows.minutes[on, p],
                                   minlength=s_count * h).reshape(s_count, h)
    return np.cumsum(use, axis=2)


def priced_choice(t: Tables, rows: Rows, mu: NDArray[np.float64]
                  ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Each row's cheapest priced site and deadline (-1: unassigned is cheaper) and its regret."""
    key = np.c_[rows.minutes, rows.due.astype(np.float64), rows.count]
    uniq, type_of = np.unique(key, axis=0, return_inverse=True)
    type_of = type_of.reshape(-1)
    p_count = rows.minutes.shape[1]
    best, when = type_prices(t, mu, uniq[:, :p_count], uniq[:, p_count].astype(np.int64), uniq[:, p_count + 1])
    r_count = len(type_of)
    site, dl, regret = np.full(r_count, -1), np.zeros(r_count, dtype=np.int64), np.zeros(r_count)
    for a in range(0, r_count, 8192):
        b = min(a + 8192, r_count)
        score = rows.cost[a:b] + best[type_of[a:b]]
        two = np.partition(score, 1, axis=1)[:, :2] if score.shape[1] > 1 else np.c_[score, score + np.inf]
        arg = score.argmin(axis=1)
        loss = t.unassigned_cost * rows.count[a:b]
        with np.errstate(invalid="ignore"):
            regret[a:b] = np.where(np.isfinite(two[:, 1]), np.minimum(two[:, 1], loss) - two[:, 0], loss)
        site[a:b] = np.where(two[:, 0] < loss, arg, -1)
        dl[a:b] = when[type_of[a:b], arg]
    return site.astype(np.int64), dl, regret


def _shed(t: Tables, rows: Rows, plan: Plan, regret: NDArray[np.float64]) -> list[int]:
    """Unassign the lowest-regret-per-minute rows of overloaded calendars until all fit."""
    dropped: list[int] = []
    for s, p in np.argwhere((plan.ucum - plan.ccum > _EPS).any(axis=2)).tolist():
        while True:
            bad = np.nonzero(plan.ucum[s, p] - plan.ccum[s, p] > _EPS)[0]
            if len(bad) == 0:
                break
            d = int(bad[0])
            idx = np.nonzero((plan.site == s) & (plan.deadline <= d) & (rows.minutes[:, p] > 0))[0]
            idx = idx[np.argsort(regret[idx] / rows.minutes[idx, p], kind="stable")]
            excess = plan.ucum[s, p, d] - plan.ccum[s, p, d]
            take = idx[: int(np.searchsorted(np.cumsum(rows.minutes[idx, p]), excess - _EPS)) + 1]
            for r in take.tolist():
                plan.ucum[s, :, plan.deadline[r]:] -= rows.minutes[r][:, None]
                plan.site[r] = -1
                dropped.append(r)
    plan.__post_init__()
    return dropped


def best_option(t: Tables, rows: Rows, plan: Plan, ledger: Ledger, r: int, lv: NDArray[np.int64],
                limit: float, prices: NDArray[np.float64] | None = None,
                among: NDArray[np.int64] | None = None, extra: NDArray[np.float64] | None = None
                ) -> tuple[int, int, float] | None:
    """Cheapest (site, deadline, cost) with room for row r costing less than ``limit``.

    With ``prices`` (S, P, H) the options are ranked by cost plus priced minutes; ``extra`` (S,)
    is money added per site to the test and the ranking (not to the returned cost).
    """
    row_cost = rows.cost[r] if extra is None else rows.cost[r] + extra
    ok_s = np.nonzero(row_cost < limit)[0] if among is None else among[row_cost[among] < limit]
    if len(ok_s) == 0:
        return None
    d = rows.base(t, r, ok_s)[:, None] + lv[None, :]
    cost = rows.cost[r, ok_s][:, None] + t.late_cost * rows.count[r] * lv[None, :]
    add = np.zeros(len(ok_s)) if extra is None else extra[ok_s]
    valid = (d >= rows.first_day(t, r, ok_s)[:, None]) & (d < t.horizon) & (cost + add[:, None] < limit)
    si, li = np.nonzero(valid)
    if len(si) == 0:
        return None
    s_opt, d_opt = ok_s[si], d[si, li]
    need = rows.minutes[r]
    fits = (plan.slack[s_opt, :, d_opt] >= need[None, :] - _EPS).all(axis=1)
    c_opt = cost[si, li][fits]
    rank = c_opt + add[si][fits]
    rank = rank if prices is None else rank + prices[s_opt[fits], :, d_opt[fits]] @ need
    for j in np.argsort(rank, kind="stable").tolist():
        s, dd = int(s_opt[fits][j]), int(d_opt[fits][j])
        if ledger.take(r, s):
            return s, dd, float(c_opt[j])
    return None


def current_cost(t: Tables, rows: Rows, plan: Plan, r: int) -> float:
    """Money of row r as planned now (its planned lateness, or the unassigned penalty)."""
    s = int(plan.site[r])
    if s < 0:
        return float(t.unassigned_cost * rows.count[r])
    late = max(0, int(plan.deadline[r]) - int(rows.base(t, r, s)))
    return float(rows.cost[r, s] + t.late_cost * rows.count[r] * late)


def insert(t: Tables, rows: Rows, plan: Plan, ledger: Ledger, order: list[int], lv: NDArray[np.int64]) -> None:
    """Place each unassigned row of ``order`` at its cheapest option with room (if below the penalty)."""
    for r in order:
        got = best_option(t, rows, plan, ledger, r, lv, t.unassigned_cost * rows.count[r])
        if got is not None:
            plan.site[r], plan.deadline[r] = got[0], got[1]
            plan.book(got[0], got[1], rows.minutes[r], 1.0)


def improve(t: Tables, rows: Rows, plan: Plan, ledger: Ledger, lv: NDArray[np.int64],
            stop: Callable[[], bool]) -> int:
    """Move single rows to cheaper options with room, largest possible saving first; moves made."""
    cur = np.array([current_cost(t, rows, plan, r) for r in range(len(plan.site))])
    floor = rows.cost.min(axis=1, initial=np.inf)
    moves = 0
    for r in np.argsort(floor - cur, kind="stable").tolist():
        if floor[r] >= cur[r] - 1e-9 or stop():
            break
        s, d = int(plan.site[r]), int(plan.deadline[r])
        if s >= 0:
            plan.book(s, d, rows.minutes[r], -1.0)
            ledger.take(r, s, -1.0)
        got = best_option(t, rows, plan, ledger, r, lv, cur[r] - 1e-9)
        if got is None and s >= 0:
            plan.book(s, d, rows.minutes[r], 1.0)
            ledger.take(r, s)
        elif got is not None:
            plan.site[r], plan.deadline[r] = got[0], got[1]
            plan.book(got[0], got[1], rows.minutes[r], 1.0)
            moves += 1
    return moves


def from_flows(rows: Rows, cl: Classes, lp: LPSolution) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Members of each class fill its LP flows, the members cheapest at a flow's site first."""
    r_count = len(rows.qty)
    site, dl = np.full(r_count, -1, dtype=np.int64), np.zeros(r_count, dtype=np.int64)
    if len(lp.flow_class) == 0:
        return site, dl
    order = np.argsort(cl.class_of, kind="stable")
    starts = np.searchsorted(cl.class_of[order], np.arange(len(cl.units) + 1))
    size = starts[lp.flow_class + 1] - starts[lp.flow_class]
    flow = np.repeat(np.arange(len(lp.flow_class)), size)
    offset = np.arange(len(flow)) - np.repeat(np.cumsum(size) - size, size)
    member = order[starts[lp.flow_class][flow] + offset]
    fs = lp.flow_site[flow]
    score = rows.cost[member, fs] / rows.qty[member] - cl.cost_pu[lp.flow_class[flow], fs]
    left = lp.flow_units.copy()
    qty = rows.qty.tolist()
    for j in np.argsort(score, kind="stable").tolist():
        r, f = int(member[j]), int(flow[j])
        if site[r] < 0 and left[f] >= qty[r] - 0.5:
            site[r], dl[r] = fs[j], lp.flow_deadline[f]
            left[f] -= qty[r]
    return site, dl


def build_plan(t: Tables, rows: Rows, mu: NDArray[np.float64], lv: NDArray[np.int64],
               stop: Callable[[], bool], flows: tuple[Classes, LPSolution] | None = None) -> Plan:
    """A capacity- and material-feasible plan from the LP flows (else the priced choice)."""
    site, dl, regret = priced_choice(t, rows, mu)
    if flows is not None and len(flows[1].flow_class):
        site, dl = from_flows(rows, *flows)
    plan = Plan(site, dl, _usage(t, rows, site, dl), cumulative_capacity(t))
    dropped = _shed(t, rows, plan, regret)
    ledger = Ledger(t, rows)
    for r in np.argsort(-regret, kind="stable").tolist():
        if plan.site[r] >= 0 and not ledger.take(r, int(plan.site[r])):
            plan.book(int(plan.site[r]), int(plan.deadline[r]), rows.minutes[r], -1.0)
            plan.site[r] = -1
            dropped.append(r)
    todo = sorted(set(dropped) | set(np.nonzero(plan.site < 0)[0].tolist()), key=lambda r: (rows.due[r], -regret[r]))
    insert(t, rows, plan, ledger, todo, lv)
    improve(t, rows, plan, ledger, lv, stop)
    return plan
