"""A capacity-feasible plan from capacity prices: priced choice, shedding, insertion, moves.

Each row (a line, or a keep-together group) takes its cheapest *priced* option (cost +
lateness + Σ minutes × price), the Lagrangian choice. Overloaded (site, process) calendars
shed the rows that lose least by moving (``rounding._shed``), a material ledger drops rows
that would overdraw stock, and the shed rows are inserted again at their cheapest option
that passes the exact cumulative test; single-row moves then improve the plan until the
time limit (``rounding.insert`` / ``rounding.improve``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from microfactory.engines.routing.capacity import cumulative_capacity
from microfactory.engines.routing.classes import Rows
from microfactory.engines.routing.lagrange import day_tables, work_types
from microfactory.engines.routing.rounding import Ledger, Plan, _shed, _usage, improve, insert
from microfactory.engines.routing.tables import Tables

_CHUNK = 4096


def priced_rows(t: Tables, rows: Rows, prices: NDArray[np.float64]
                ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Each row's cheapest priced site and day (-1: unassigned is cheaper) and its regret."""
    late = t.late_cost * rows.count
    type_of, minutes, lt = work_types(rows.minutes, late)
    w, wd = day_tables(prices, minutes, lt)
    r_count, s_count = rows.cost.shape
    h = t.horizon
    site = np.full(r_count, -1, dtype=np.int64)
    day = np.zeros(r_count, dtype=np.int64)
    regret = np.zeros(r_count)
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
    return site, day, np.nan_to_num(regret, posinf=t.unassigned_cost)


def plan_from_prices(t: Tables, rows: Rows, prices: NDArray[np.float64], lv: NDArray[np.int64],
                     stop: Callable[[], bool]) -> Plan:
    """A capacity- and material-feasible plan starting from the priced choice at ``prices``."""
    site, day, regret = priced_rows(t, rows, prices)
    plan = Plan(site, day, _usage(t, rows, site, day), cumulative_capacity(t))
    dropped = _shed(t, rows, plan, regret)
    ledger = Ledger(t, rows)
    if ledger.stock:
        for r in np.argsort(-regret, kind="stable").tolist():
            if plan.site[r] >= 0 and not ledger.take(r, int(plan.site[r])):
                plan.book(int(plan.site[r]), int(plan.deadline[r]), rows.minutes[r], -1.0)
                plan.site[r] = -1
                dropped.append(r)
    todo = sorted(set(dropped) | set(np.nonzero(plan.site < 0)[0].tolist()), key=lambda r: (rows.due[r], -regret[r]))
    insert(t, rows, plan, ledger, todo, lv)
    improve(t, rows, plan, ledger, lv, stop)
    return plan
