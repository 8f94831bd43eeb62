"""Local search on a capacity-feasible plan: single moves, then ejection chains (swaps included).

A row r whose cost now (planned lateness included) is above its cheapest option is a
*candidate*. It first tries a plain move to a cheaper option with room
(``rounding.best_option``). When its cheaper options are full, an **ejection chain** is tried:
r leaves its site, enters a cheaper full option (s, d) after evicting one row b planned at s
by day d, and b goes to its cheapest option with room, r's old site included (so a pairwise
swap is the chain's special case). The chain is kept only when the total money falls
(r's saving exceeds b's extra cost); otherwise every booking and material draw is undone.
Evicted rows are tried in order of their cheapest *reduced cost* elsewhere (cost plus priced
minutes at the final capacity prices, minus their cost now), so rows that are cheap to
relocate go first. Passes repeat until a pass changes nothing or ``stop()`` says so; every
step keeps the exact cumulative capacity test of ``capacity.py`` and the material ledger.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from microfactory.engines.routing.classes import Rows
from microfactory.engines.routing.rounding import Ledger, Plan, best_option, current_cost
from microfactory.engines.routing.tables import Tables

_EPS = 1e-7
_WIDTHS = ((3, 4), (6, 8), (12, 16), (24, 32), (200, 64))   # (full options, evictions per option) per round


def _place(rows: Rows, plan: Plan, ledger: Ledger, r: int, s: int, d: int) -> None:
    plan.site[r], plan.deadline[r] = s, d
    plan.book(s, d, rows.minutes[r], 1.0)


def _lift(rows: Rows, plan: Plan, ledger: Ledger, r: int) -> tuple[int, int]:
    """Take row r off its site (capacity and materials); returns where it was."""
    s, d = int(plan.site[r]), int(plan.deadline[r])
    if s >= 0:
        plan.book(s, d, rows.minutes[r], -1.0)
        ledger.take(r, s, -1.0)
        plan.site[r] = -1
    return s, d


def _restore(rows: Rows, plan: Plan, ledger: Ledger, r: int, where: tuple[int, int]) -> None:
    if where[0] >= 0:
        ledger.take(r, where[0])
        _place(rows, plan, ledger, r, where[0], where[1])


def full_options(t: Tables, rows: Rows, plan: Plan, r: int, lv: NDArray[np.int64], limit: float,
                 targets: int = 3) -> list[tuple[int, int, float]]:
    """Up to ``targets`` options (site, day, cost) of row r cheaper than ``limit`` with no room, cheapest first."""
    ok_s = np.nonzero(rows.cost[r] < limit)[0]
    if len(ok_s) == 0:
        return []
    d = rows.base(t, r, ok_s)[:, None] + lv[None, :]
    cost = rows.cost[r, ok_s][:, None] + t.late_cost * rows.count[r] * lv[None, :]
    valid = (d >= rows.first_day(t, r, ok_s)[:, None]) & (d < t.horizon) & (cost < limit)
    si, li = np.nonzero(valid)
    s_opt, d_opt, c_opt = ok_s[si], d[si, li], cost[si, li]
    full = ~(plan.slack[s_opt, :, d_opt] >= rows.minutes[r][None, :] - _EPS).all(axis=1)
    s_opt, d_opt, c_opt = s_opt[full], d_opt[full], c_opt[full]
    out: list[tuple[int, int, float]] = []
    seen: set[int] = set()
    for j in np.argsort(c_opt, kind="stable").tolist():
        if int(s_opt[j]) not in seen:
            seen.add(int(s_opt[j]))
            out.append((int(s_opt[j]), int(d_opt[j]), float(c_opt[j])))
            if len(out) >= targets:
                break
    return out


def _evictable(t: Tables, rows: Rows, plan: Plan, r: int, s: int, d: int, reloc: NDArray[np.float64],
               evict: int) -> list[int]:
    """Rows at s planned by day d sharing a short process with r, cheapest to relocate first."""
    need = rows.minutes[r]
    short = (plan.slack[s, :, d] < need - _EPS) & (need > 0)
    idx = np.nonzero((plan.site == s) & (plan.deadline <= d))[0]
    idx = idx[idx != r]
    idx = idx[(rows.minutes[idx][:, short] > 0).all(axis=1)]
    if len(idx) == 0:
        return []
    return idx[np.argsort(reloc[idx], kind="stable")[:evict]].tolist()


def _chain(t: Tables, rows: Rows, plan: Plan, ledger: Ledger, r: int, lv: NDArray[np.int64],
           cur: NDArray[np.float64], reloc: NDArray[np.float64], width: tuple[int, int],
           stop: Callable[[], bool]) -> bool:
    """Try the ejection chains of row r; True (and applied) when one lowers the total money."""
    for s, d, c in full_options(t, rows, plan, r, lv, float(cur[r]) - 1e-6, width[0]):
        if stop():
            return False
        for b in _evictable(t, rows, plan, r, s, d, reloc, width[1]):
            old_r = _lift(rows, plan, ledger, r)
            old_b = _lift(rows, plan, ledger, b)
            if (plan.slack[s, :, d] >= rows.minutes[r] - _EPS).all() and ledger.take(r, s):
                _place(rows, plan, ledger, r, s, d)
                budget = float(cur[b]) + float(cur[r]) - c - 1e-6
                got = best_option(t, rows, plan, ledger, b, lv, budget)
                if got is not None:
                    _place(rows, plan, ledger, b, got[0], got[1])
                    cur[r], cur[b] = c, got[2]
                    return True
                _lift(rows, plan, ledger, r)
            _restore(rows, plan, ledger, b, old_b)
            _restore(rows, plan, ledger, r, old_r)
    return False


def _move(t: Tables, rows: Rows, plan: Plan, ledger: Ledger, r: int, lv: NDArray[np.int64],
          cur: NDArray[np.float64]) -> bool:
    """Move row r alone to a cheaper option with room; True when moved."""
    old = _lift(rows, plan, ledger, r)
    got = best_option(t, rows, plan, ledger, r, lv, float(cur[r]) - 1e-6)
    if got is None:
        _restore(rows, plan, ledger, r, old)
        return False
    _place(rows, plan, ledger, r, got[0], got[1])
    cur[r] = got[2]
    return True


def relocation(t: Tables, rows: Rows, prices: NDArray[np.float64] | None, cur: NDArray[np.float64]
               ) -> NDArray[np.float64]:
    """Per row, its cheapest on-time reduced cost at another site minus its cost now (low = easy to move)."""
    cost = rows.cost
    if prices is not None:
        site_work = np.einsum("rp,sp->rs", rows.minutes, prices.mean(axis=2), optimize=True)
        cost = cost + site_work
    second = np.partition(cost, 1, axis=1)[:, 1] if cost.shape[1] > 1 else np.full(len(cur), np.inf)
    return np.nan_to_num(second - cur, posinf=1e18)


def local_search(t: Tables, rows: Rows, plan: Plan, ledger: Ledger, lv: NDArray[np.int64],
                 stop: Callable[[], bool], prices: NDArray[np.float64] | None = None) -> tuple[int, int]:
    """Passes of moves and ejection chains until ``stop()``; a pass that changes nothing widens the
    chains' neighbourhood (``_WIDTHS``), and the search ends after the widest changes nothing.
    Returns (moves, chains) made."""
    if stop():
        return 0, 0
    cur = np.array([current_cost(t, rows, plan, r) for r in range(len(plan.site))])
    floor = rows.cost.min(axis=1, initial=np.inf)
    reloc = relocation(t, rows, prices, cur)
    moves = chains = level = 0
    while level < len(_WIDTHS) and not stop():
        changed = False
        for r in np.argsort(floor - cur, kind="stable").tolist():
            if floor[r] >= cur[r] - 1e-6 or stop():
                break
            if _move(t, rows, plan, ledger, r, lv, cur):
                moves, changed = moves + 1, True
            elif _chain(t, rows, plan, ledger, r, lv, cur, reloc, _WIDTHS[level], stop):
                chains, changed = chains + 1, True
        level = level if changed else level + 1
    return moves, chains
