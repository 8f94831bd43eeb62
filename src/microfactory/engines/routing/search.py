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
from microfactory.engines.routing.kernels import chain_rows, move_rows
from microfactory.engines.routing.rounding import Ledger, Plan, best_option
from microfactory.engines.routing.tables import Tables

_EPS = 1e-7
_CHUNK = 4096
_CHAIN_CHUNK = 256   # rows per compiled chain call (a wide chain pass takes up to ~0.1 ms per row)
_WIDTHS = ((0, 0), (3, 4), (6, 8), (12, 16), (24, 32), (200, 64))   # (full options, evictions) per round; 0: moves only


class Batches:
    """Units per (site, setup key) of the plan, to price the minimum-batch shortfall of a move."""

    def __init__(self, t: Tables, rows: Rows, plan: Plan) -> None:
        self.units = np.zeros((t.cap.shape[0], len(t.setup_keys)))
        self.min_batch = np.array([s.min_batch for s in t.problem.sites], dtype=float)
        self.short_cost = np.array([s.min_batch_shortfall_cost for s in t.problem.sites], dtype=float)
        self.keys: list[list[tuple[int, float]]] = [[] for _ in range(len(rows.qty))]
        for r, k, q in zip(rows.row_of.tolist(), t.setup_key.tolist(), t.qty.tolist()):
            self.keys[r].append((k, q))
            if plan.site[r] >= 0:
                self.units[plan.site[r], k] += q

    def add(self, r: int, s: int, sign: float) -> None:
        for k, q in self.keys[r]:
            self.units[s, k] += sign * q

    def shortfall(self, u: NDArray[np.float64]) -> NDArray[np.float64]:
        """Shortfall money of units u: (S,) one key, or (S, K)."""
        shape = (-1,) + (1,) * (u.ndim - 1)
        mb, sc = self.min_batch.reshape(shape), self.short_cost.reshape(shape)
        return np.asarray(np.where(u > 0, np.maximum(mb - u, 0.0), 0.0) * sc)

    def leaving(self, site: NDArray[np.int64]) -> NDArray[np.float64]:
        """Per row at ``site`` (-1: none), the shortfall money its leaving would save (0 for groups)."""
        key = np.array([kq[0][0] if len(kq) == 1 else -1 for kq in self.keys], dtype=np.int64)
        qty = np.array([kq[0][1] if len(kq) == 1 else 0.0 for kq in self.keys])
        on = (site >= 0) & (key >= 0)
        out = np.zeros(len(site))
        s, k = site[on], key[on]
        u = self.units[s, k]

        def short(v: NDArray[np.float64]) -> NDArray[np.float64]:
            return np.asarray(np.where(v > 1e-9, np.maximum(self.min_batch[s] - v, 0.0), 0.0) * self.short_cost[s])

        out[on] = short(u) - short(u - qty[on])
        return out

    def total(self) -> float:
        """Minimum-batch shortfall money of the plan now."""
        return float(self.shortfall(self.units).sum())

    def entering(self, r: int) -> NDArray[np.float64] | None:
        """Per site, the shortfall money row r adds by joining it (None: a group, not priced)."""
        if len(self.keys[r]) != 1:
            return None
        k, q = self.keys[r][0]
        u = self.units[:, k]
        return self.shortfall(u + q) - self.shortfall(u)


def _place(rows: Rows, plan: Plan, bt: Batches, r: int, s: int, d: int) -> None:
    plan.site[r], plan.deadline[r] = s, d
    plan.book(s, d, rows.minutes[r], 1.0)
    bt.add(r, s, 1.0)


def _lift(rows: Rows, plan: Plan, ledger: Ledger, bt: Batches, r: int) -> tuple[int, int]:
    """Take row r off its site (capacity and materials); returns where it was."""
    s, d = int(plan.site[r]), int(plan.deadline[r])
    if s >= 0:
        plan.book(s, d, rows.minutes[r], -1.0)
        ledger.take(r, s, -1.0)
        plan.site[r] = -1
        bt.add(r, s, -1.0)
    return s, d


def _restore(rows: Rows, plan: Plan, ledger: Ledger, bt: Batches, r: int, where: tuple[int, int]) -> None:
    if where[0] >= 0:
        ledger.take(r, where[0])
        _place(rows, plan, bt, r, where[0], where[1])


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
    return [int(b) for b in idx[np.argsort(reloc[idx], kind="stable")[:evict]]]


def _chain(t: Tables, rows: Rows, plan: Plan, ledger: Ledger, bt: Batches, r: int, lv: NDArray[np.int64],
           cur: NDArray[np.float64], reloc: NDArray[np.float64], width: tuple[int, int],
           stop: Callable[[], bool]) -> bool:
    """Try the ejection chains of row r; True (and applied) when one lowers the line money and the
    total with the minimum-batch shortfall."""
    for s, d, c in full_options(t, rows, plan, r, lv, float(cur[r]) - 1e-6, width[0]):
        if stop():
            return False
        for b in _evictable(t, rows, plan, r, s, d, reloc, width[1]):
            short0 = bt.total()
            old_r = _lift(rows, plan, ledger, bt, r)
            old_b = _lift(rows, plan, ledger, bt, b)
            if (plan.slack[s, :, d] >= rows.minutes[r] - _EPS).all() and ledger.take(r, s):
                _place(rows, plan, bt, r, s, d)
                budget = float(cur[b]) + float(cur[r]) - c - 1e-6
                got = best_option(t, rows, plan, ledger, b, lv, budget)
                if got is not None:
                    _place(rows, plan, bt, b, got[0], got[1])
                    if bt.total() - short0 < float(cur[b]) + float(cur[r]) - c - got[2] - 1e-6:
                        cur[r], cur[b] = c, got[2]
                        return True
                    _lift(rows, plan, ledger, bt, b)
                _lift(rows, plan, ledger, bt, r)
            _restore(rows, plan, ledger, bt, b, old_b)
            _restore(rows, plan, ledger, bt, r, old_r)
    return False


def _move(t: Tables, rows: Rows, plan: Plan, ledger: Ledger, bt: Batches, r: int, lv: NDArray[np.int64],
          cur: NDArray[np.float64]) -> bool:
    """Move row r alone to a cheaper option with room (minimum-batch shortfall included); True when moved."""
    old = _lift(rows, plan, ledger, bt, r)
    extra = bt.entering(r)
    limit = float(cur[r]) + (float(extra[old[0]]) if extra is not None and old[0] >= 0 else 0.0)
    got = best_option(t, rows, plan, ledger, r, lv, limit - 1e-6, extra=extra)
    if got is None:
        _restore(rows, plan, ledger, bt, r, old)
        return False
    _place(rows, plan, bt, r, got[0], got[1])
    cur[r] = got[2]
    return True


def relocation(t: Tables, rows: Rows, prices: NDArray[np.float64] | None, cur: NDArray[np.float64]
               ) -> NDArray[np.float64]:
    """Per row, its cheapest on-time reduced cost at another site minus its cost now (low = easy to move)."""
    return np.nan_to_num(second_reduced(rows, prices) - cur, posinf=1e18)


def second_reduced(rows: Rows, prices: NDArray[np.float64] | None) -> NDArray[np.float64]:
    """Per row, its second cheapest on-time reduced cost over the sites (``relocation`` without the cost now)."""
    r_count, s_count = rows.cost.shape
    if s_count < 2:
        return np.full(r_count, np.inf)
    out = np.empty(r_count)
    mean = prices.mean(axis=2) if prices is not None else None
    for a in range(0, r_count, _CHUNK):
        cost = rows.cost[a:a + _CHUNK]
        if mean is not None:
            cost = cost + rows.minutes[a:a + _CHUNK] @ mean.T
        out[a:a + _CHUNK] = np.partition(cost, 1, axis=1)[:, 1]
    return out


def _leaving(site: NDArray[np.int64], key: NDArray[np.int64], qty: NDArray[np.float64], bt: Batches
             ) -> NDArray[np.float64]:
    """``Batches.leaving`` from the rows' key and quantity arrays (key -1: a group, 0)."""
    on = (site >= 0) & (key >= 0)
    out = np.zeros(len(site))
    s, k = site[on], key[on]
    u = bt.units[s, k]
    mb, sc = bt.min_batch[s], bt.short_cost[s]
    out[on] = (np.where(u > 1e-9, np.maximum(mb - u, 0.0), 0.0)
               - np.where(u - qty[on] > 1e-9, np.maximum(mb - u + qty[on], 0.0), 0.0)) * sc
    return out


def current_costs(t: Tables, rows: Rows, plan: Plan) -> NDArray[np.float64]:
    """``rounding.current_cost`` of every row."""
    out = t.unassigned_cost * rows.count
    on = np.nonzero(plan.site >= 0)[0]
    late = np.maximum(0, plan.deadline[on] - rows.base(t, on, plan.site[on]))
    out[on] = rows.cost[on, plan.site[on]] + t.late_cost * rows.count[on] * late
    return np.asarray(out, dtype=np.float64)


def compiled_search(t: Tables, rows: Rows, plan: Plan, ledger: Ledger, bt: Batches, lv: NDArray[np.int64],
                    cur: NDArray[np.float64], floor: NDArray[np.float64], prices: NDArray[np.float64] | None,
                    stop: Callable[[], bool]) -> tuple[int, int] | None:
    """The moves and ejection chains of ``local_search``, compiled (``kernels.move_rows`` and
    ``kernels.chain_rows``, same rules): passes of moves until one moves nothing, then a pass of
    chains at the current width; a chain pass that makes nothing widens the neighbourhood
    (``_WIDTHS``). Ends after the widest or at ``stop()`` (checked every ``_CHUNK`` rows of moves,
    ``_CHAIN_CHUNK`` of chains).
    None (nothing done) when the compiled form does not apply: tracked materials or per-line
    delivery days."""
    if ledger.stock or len(t.dl_key):
        return None
    key = np.array([kq[0][0] if len(kq) == 1 else -1 for kq in bt.keys], dtype=np.int64)
    qty = np.array([kq[0][1] if len(kq) == 1 else 0.0 for kq in bt.keys])
    tail = (plan.site, plan.deadline, plan.ucum, plan.ccum, plan.slack, rows.cost, rows.due, rows.release,
            t.delivery, t.earliest, rows.minutes, rows.count, float(t.late_cost), int(lv.max(initial=0)), key, qty,
            bt.units, bt.min_batch, bt.short_cost, cur)
    second = second_reduced(rows, prices)
    moves = chains = 0
    level = 1
    while level < len(_WIDTHS) and not stop():
        while not stop():
            potential = cur - floor + _leaving(plan.site, key, qty, bt)
            order = np.argsort(-potential, kind="stable")
            order = order[potential[order] > 1e-6]
            made = 0
            for a in range(0, len(order), _CHUNK):
                if stop():
                    break
                made += move_rows(order[a:a + _CHUNK], *tail)
            moves += made
            if made == 0:
                break
        potential = cur - floor
        order = np.argsort(-potential, kind="stable")
        order = order[potential[order] > 1e-6]
        reloc = np.nan_to_num(second - cur, posinf=1e18)
        on = np.nonzero(plan.site >= 0)[0]
        members = on[np.lexsort((reloc[on], plan.site[on]))]
        starts = np.searchsorted(plan.site[members], np.arange(t.cap.shape[0] + 1)).astype(np.int64)
        made = 0
        for a in range(0, len(order), _CHAIN_CHUNK):
            if stop():
                break
            made += chain_rows(order[a:a + _CHAIN_CHUNK], members, starts, _WIDTHS[level][0], _WIDTHS[level][1], *tail)
        chains += made
        level = level if made else level + 1
    return moves, chains


def local_search(t: Tables, rows: Rows, plan: Plan, ledger: Ledger, lv: NDArray[np.int64],
                 stop: Callable[[], bool], prices: NDArray[np.float64] | None = None,
                 compiled: bool = True) -> tuple[int, int]:
    """Passes of moves (first rounds: moves only, cheap at scale), then moves and ejection chains
    until ``stop()``; a pass that changes nothing widens the chains' neighbourhood (``_WIDTHS``),
    and the search ends after the widest changes nothing. Compiled (``compiled_search``) when it
    applies (``compiled``; False keeps the Python reference). Returns (moves, chains) made."""
    if stop():
        return 0, 0
    cur = current_costs(t, rows, plan)
    floor = rows.cost.min(axis=1, initial=np.inf)
    bt = Batches(t, rows, plan)
    fast = compiled_search(t, rows, plan, ledger, bt, lv, cur, floor, prices, stop) if compiled else None
    if fast is not None:
        return fast
    reloc = relocation(t, rows, prices, cur)
    moves = chains = level = 0
    while level < len(_WIDTHS) and not stop():
        changed = False
        potential = cur - floor + bt.leaving(plan.site)
        for r in np.argsort(-potential, kind="stable").tolist():
            if potential[r] <= 1e-6 or stop():
                break
            if _move(t, rows, plan, ledger, bt, r, lv, cur):
                moves, changed = moves + 1, True
            elif level and _chain(t, rows, plan, ledger, bt, r, lv, cur, reloc, _WIDTHS[level], stop):
                chains, changed = chains + 1, True
        level = level if changed else level + 1
    return moves, chains


def consolidate_late(t: Tables, rows: Rows, plan: Plan, ledger: Ledger, lv: NDArray[np.int64],
                     stop: Callable[[], bool], evict: int = 8, pairs: int = 4) -> int:
    """Fewer late lines at no extra money: a late row r becomes on time at its own site when
    another late row b there gives way (planned later, or earlier if room appears), and the
    money of the two does not rise (r's saved days pay for b's extra ones).

    The plan's money prices lateness per line and day, so spreading one late day over many
    lines costs the same as piling many days on one; this pass breaks those ties toward fewer
    late lines and takes any strict saving it finds. Up to ``evict`` late rows using every
    short process are tried alone, then pairs of the first ``pairs`` using one of them. All rows stay at their site (materials
    and minimum batches unchanged); every step keeps the exact cumulative capacity test.
    Returns the late rows made on time.
    """
    on = np.nonzero(plan.site >= 0)[0]
    base = np.zeros(len(plan.site), dtype=np.int64)
    base[on] = rows.base(t, on, plan.site[on])
    first = np.zeros(len(plan.site), dtype=np.int64)
    first[on] = rows.first_day(t, on, plan.site[on])
    last = int(lv.max(initial=0))
    late = np.where(plan.site >= 0, plan.deadline - base, 0)
    cand = np.nonzero((late > 0) & (first <= base))[0]
    order = np.argsort(plan.site, kind="stable")
    starts = np.searchsorted(plan.site[order], np.arange(t.cap.shape[0] + 1))
    fixed = 0
    for r in cand[np.argsort(-late[cand] * rows.count[cand], kind="stable")].tolist():
        if stop():
            break
        s, d_r, e = int(plan.site[r]), int(plan.deadline[r]), int(base[r])
        if s < 0 or d_r <= e:
            continue
        plan.book(s, d_r, rows.minutes[r], -1.0)
        if (plan.slack[s, :, e] >= rows.minutes[r] - _EPS).all():
            plan.book(s, e, rows.minutes[r], 1.0)
            plan.deadline[r] = e
            fixed += 1
            continue
        saved = t.late_cost * rows.count[r] * (d_r - e)
        need = rows.minutes[r]
        short = (plan.slack[s, :, e] < need - _EPS) & (need > 0)
        others = order[starts[s]:starts[s + 1]]
        others = others[(plan.deadline[others] > base[others]) & (others != r)]
        others = others[np.argsort(rows.count[others], kind="stable")]
        uses = rows.minutes[others][:, short] > 0
        alone = others[uses.all(axis=1)][:evict].tolist()
        some = others[uses.any(axis=1)][:pairs].tolist()
        groups = [[b] for b in alone] + [[a, b] for k, a in enumerate(some) for b in some[k + 1:]]
        done = False
        for group in groups:
            if _give_way(t, rows, plan, s, r, e, group, base, first, last, saved):
                fixed, done = fixed + 1, True
                break
        if not done:
            plan.book(s, d_r, rows.minutes[r], 1.0)
    return fixed


def _give_way(t: Tables, rows: Rows, plan: Plan, s: int, r: int, e: int, group: list[int],
              base: NDArray[np.int64], first: NDArray[np.int64], last: int, saved: float) -> bool:
    """Row r (lifted) on time at day e at site s, the late rows of ``group`` replanned at their
    earliest days with room after it; kept when their extra lateness is at most ``saved``,
    else every booking is undone."""
    need = rows.minutes[r]
    old = [int(plan.deadline[b]) for b in group]
    for b, d_b in zip(group, old):
        plan.book(s, d_b, rows.minutes[b], -1.0)
    placed: list[tuple[int, int]] = []
    r_in = ok = bool((plan.slack[s, :, e] >= need - _EPS).all())
    if ok:
        plan.book(s, e, need, 1.0)
        extra = 0.0
        for b, d_b in zip(group, old):
            lo, hi = int(max(base[b], first[b])), min(int(base[b]) + last, t.horizon - 1)
            fit = (plan.slack[s, :, lo:hi + 1] >= rows.minutes[b][:, None] - _EPS).all(axis=0)
            if not fit.any():
                ok = False
                break
            d_new = lo + int(fit.argmax())
            plan.book(s, d_new, rows.minutes[b], 1.0)
            placed.append((b, d_new))
            extra += t.late_cost * rows.count[b] * (max(0, d_new - int(base[b])) - (d_b - int(base[b])))
        ok = ok and extra <= saved + 1e-9
    if ok:
        plan.deadline[r] = e
        for b, d_new in placed:
            plan.deadline[b] = d_new
        return True
    for b, d_new in placed:
        plan.book(s, d_new, rows.minutes[b], -1.0)
    if r_in:
        plan.book(s, e, need, -1.0)
    for b, d_b in zip(group, old):
        plan.book(s, d_b, rows.minutes[b], 1.0)
    return False
