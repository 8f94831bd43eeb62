"""A capacity-feasible plan from capacity prices: priced choice, shedding, insertion, moves.

Each row (a line, or a keep-together group) takes its cheapest *priced* option (cost +
lateness + Σ minutes × price), the Lagrangian choice. Overloaded (site, process) calendars
shed the rows that lose least by moving (``rounding._shed``), a material ledger drops rows
that would overdraw stock, and the shed rows are inserted again at their cheapest option
that passes the exact cumulative test; single-row moves then improve the plan until the
time limit (``rounding.insert`` / ``rounding.improve``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from microfactory.engines.routing.capacity import cumulative_capacity
from microfactory.engines.routing.classes import Rows
from microfactory.engines.routing.lagrange import day_tables, work_types
from microfactory.engines.routing.rounding import Ledger, Plan, best_option
from microfactory.engines.routing.search import consolidate_late, local_search
from microfactory.engines.routing.tables import Tables

_CHUNK = 4096
#: Above this many rows only one price vector and one order are constructed (each takes seconds).
SMALL_ROWS = 20_000


def priced_rows(t: Tables, rows: Rows, prices: NDArray[np.float64], keep: int = 12
                ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64], NDArray[np.int64]]:
    """Each row's cheapest priced site and day (-1: unassigned is cheaper), regret, ``keep`` best sites."""
    late = t.late_cost * rows.count
    type_of, minutes, lt = work_types(rows.minutes, late)
    w, wd = day_tables(prices, minutes, lt)
    r_count, s_count = rows.cost.shape
    h = t.horizon
    site = np.full(r_count, -1, dtype=np.int64)
    day = np.zeros(r_count, dtype=np.int64)
    regret = np.zeros(r_count)
    keep = min(keep, s_count)
    top = np.zeros((r_count, keep), dtype=np.int64)
    sites = np.arange(s_count, dtype=np.int64)[None, :]
    for a in range(0, r_count, _CHUNK):
        r = np.arange(a, min(a + _CHUNK, r_count), dtype=np.int64)[:, None]
        base = rows.base(t, r, sites)
        e = np.maximum(base, rows.first_day(t, r, sites))
        flat = (type_of[r] * s_count + sites) * h + np.minimum(e, h - 1)
        val = np.where(e < h, rows.cost[r[:, 0]] + late[r] * (e - base) + w.ravel()[flat], np.inf)
        loss = t.unassigned_cost * rows.count[r[:, 0]]
        k = val.argmin(axis=1)
        best = val[np.arange(len(k)), k]
        second = np.partition(val, 1, axis=1)[:, 1] if s_count > 1 else np.full(len(k), np.inf)
        on = best < loss
        site[r[:, 0]] = np.where(on, k, -1)
        day[r[:, 0]] = np.where(on, wd.ravel()[flat[np.arange(len(k)), k]], 0)
        regret[r[:, 0]] = np.where(on, np.minimum(second, loss) - best, 0.0)
        top[r[:, 0]] = np.argpartition(val, keep - 1, axis=1)[:, :keep] if keep < s_count else sites
    return site, day, np.nan_to_num(regret, posinf=t.unassigned_cost), top


class _TopOptions:
    """Each row's options at its ``top`` priced sites and the late days ``lv``: their price-free
    ranking (cost + lateness + priced minutes) and static validity are computed once for all rows,
    so a row's cheapest priced option with room is one slack gather and a few small operations
    (``rounding.best_option`` restricted to these sites, same ranking and tie order)."""

    def __init__(self, t: Tables, rows: Rows, prices: NDArray[np.float64], lv: NDArray[np.int64],
                 top: NDArray[np.int64]) -> None:
        s_count, p_count, h = t.cap.shape
        r_count, k = top.shape
        self.t, self.rows, self.top, self.lv = t, rows, top, lv
        self.rank = np.empty((r_count, k * len(lv)))
        self.flat = np.empty((r_count, k * len(lv)), dtype=np.int32 if s_count * p_count * h < 2**31 else np.int64)
        self.base = np.empty((r_count, k), dtype=np.int64)
        self.p_off = np.arange(p_count, dtype=np.int64) * h
        type_of, minutes, _ = work_types(rows.minutes, np.zeros(r_count))
        g = np.einsum("tp,spd->tsd", minutes, prices, optimize=True)
        for a in range(0, r_count, _CHUNK):
            r = np.arange(a, min(a + _CHUNK, r_count), dtype=np.int64)
            sites = top[r][:, :, None]
            base = rows.base(t, r[:, None], top[r])[:, :, None]
            d = base + lv[None, None, :]
            dc = np.minimum(d, h - 1)
            cost = rows.cost[r[:, None], top[r]][:, :, None] + (t.late_cost * rows.count[r])[:, None, None] * lv
            ok = ((d >= rows.first_day(t, r[:, None], top[r])[:, :, None]) & (d < h)
                  & (cost < (t.unassigned_cost * rows.count[r])[:, None, None]))
            rank = np.where(ok, cost + g[type_of[r][:, None, None], sites, dc], np.inf)
            self.rank[r] = rank.reshape(len(r), -1)
            self.flat[r] = (sites * (p_count * h) + dc).reshape(len(r), -1)
            self.base[r] = base[:, :, 0]

    def best(self, plan: Plan, ledger: Ledger, r: int) -> tuple[int, int, float] | None:
        """Cheapest (site, day, cost) by priced cost among row r's top sites with room, below the penalty."""
        need = self.rows.minutes[r]
        room = (plan.slack.take(self.flat[r][:, None] + self.p_off[None, :]) >= need - 1e-7).all(axis=1)
        rank = np.where(room, self.rank[r], np.inf)
        for j in (np.argsort(rank, kind="stable").tolist() if ledger.stock else [int(rank.argmin())]):
            if not np.isfinite(rank[j]):
                break
            k, lv = divmod(j, len(self.lv))
            s, late = int(self.top[r, k]), int(self.lv[lv])
            if ledger.take(r, s):
                money = self.rows.cost[r, s] + self.t.late_cost * self.rows.count[r] * late
                return s, int(self.base[r, k]) + late, float(money)
        return None


def _construct(t: Tables, rows: Rows, prices: NDArray[np.float64], lv: NDArray[np.int64],
               choice: tuple[NDArray[np.int64], NDArray[np.int64], _TopOptions], order: list[int]
               ) -> tuple[Plan, Ledger]:
    """Rows in ``order``: the priced choice when it fits (one slack gather), else the cheapest
    option with room ranked by priced cost (unassigned when none costs less than the penalty)."""
    site, day, opts = choice
    r_count = len(site)
    plan = Plan(np.full(r_count, -1, dtype=np.int64), np.zeros(r_count, dtype=np.int64),
                np.zeros_like(t.cap), cumulative_capacity(t))
    ledger = Ledger(t, rows)
    for r in order:
        s, d = int(site[r]), int(day[r])
        if s >= 0 and (plan.slack[s, :, d] >= rows.minutes[r] - 1e-7).all() and ledger.take(r, s):
            plan.site[r], plan.deadline[r] = s, d
            plan.book(s, d, rows.minutes[r], 1.0)
            continue
        got = opts.best(plan, ledger, r)
        if got is None:
            limit = t.unassigned_cost * rows.count[r]
            got = best_option(t, rows, plan, ledger, r, lv, limit, prices)
        if got is not None:
            plan.site[r], plan.deadline[r] = got[0], got[1]
            plan.book(got[0], got[1], rows.minutes[r], 1.0)
    return plan, ledger


def plan_cost(t: Tables, rows: Rows, plan: Plan) -> float:
    """Money of a plan as planned (cost, planned lateness, unassigned penalty)."""
    on = plan.site >= 0
    idx = np.nonzero(on)[0]
    late = np.maximum(0, plan.deadline[idx] - rows.base(t, idx, plan.site[idx]))
    return float(rows.cost[idx, plan.site[idx]].sum() + t.late_cost * (rows.count[idx] * late).sum()
                 + t.unassigned_cost * rows.count[~on].sum())


def plan_from_prices(t: Tables, rows: Rows, prices: NDArray[np.float64], lv: NDArray[np.int64],
                     stop: Callable[[], bool], search_stop: Callable[[], bool] | None = None,
                     others: Sequence[NDArray[np.float64]] = (), others_stop: Callable[[], bool] | None = None
                     ) -> Plan:
    """The cheapest of the priced constructions (earliest due first; highest regret first) at
    ``prices`` and, up to ``SMALL_ROWS`` rows and until ``others_stop``, at each of ``others``,
    then moves and ejection chains (``search.local_search``) until ``search_stop`` (default
    ``stop``), then late rows made on time at no extra money (``search.consolidate_late``,
    passes until one changes nothing) until ``stop``."""
    best: tuple[float, Plan, Ledger, NDArray[np.float64]] | None = None
    for k, at in enumerate([prices, *others]):
        if k and (len(rows.due) > SMALL_ROWS or stop() or (others_stop is not None and others_stop())):
            break
        site, day, regret, top = priced_rows(t, rows, at)
        opts = _TopOptions(t, rows, at, lv, top)
        orders = (np.lexsort((-regret, rows.due)).tolist(), np.argsort(-regret, kind="stable").tolist())
        for order in orders:
            plan, ledger = _construct(t, rows, at, lv, (site, day, opts), order)
            money = plan_cost(t, rows, plan)
            if best is None or money < best[0]:
                best = (money, plan, ledger, at)
            if stop() or len(order) > SMALL_ROWS:
                break
    assert best is not None
    local_search(t, rows, best[1], best[2], lv, search_stop or stop, best[3])
    changed = True
    while changed and not stop():
        changed = consolidate_late(t, rows, best[1], best[2], lv, stop) > 0
    return best[1]
