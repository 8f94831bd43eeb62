"""The greedy baseline: lines in due order, each to the nearest allowed site with room.

"Room" means free minutes of every process of the line between its first day and its
deadline; the line books them earliest day first (``capacity.reserve``), first come first
served, as an order-at-a-time router books slots (it never moves earlier bookings), and materials are drawn from each site's remaining stock (approved substitutes in
order), so greedy never over-books a calendar or a stock. A line with no room before its
deadline goes to the nearest site with room up to ``max_late_days`` late, else it stays
unassigned. Under the ``rules`` policy a matching rule's site and fallback are tried first.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from microfactory.engines.routing.capacity import reserve
from microfactory.engines.routing.classes import make_rows
from microfactory.engines.routing.rounding import Ledger
from microfactory.engines.routing.tables import Tables, _distances, _rule_match
from microfactory.engines.routing.types import RoutingParams

_EPS = 1e-7
_CHUNK = 4096


def _nearest(t: Tables) -> NDArray[np.int32]:
    """Sites of each line nearest first (not allowed sites last)."""
    lines, sites = t.problem.lines, t.problem.sites
    lat = np.fromiter((ln.lat for ln in lines), dtype=np.float64, count=len(lines))
    lon = np.fromiter((ln.lon for ln in lines), dtype=np.float64, count=len(lines))
    slat = np.array([s.lat for s in sites], dtype=np.float64)
    slon = np.array([s.lon for s in sites], dtype=np.float64)
    out = np.empty((len(lines), len(sites)), dtype=np.int32)
    for a in range(0, len(lines), _CHUNK):
        b = min(a + _CHUNK, len(lines))
        dist = np.where(np.isfinite(t.cost[a:b]), _distances(lat[a:b], lon[a:b], slat, slon), np.inf)
        out[a:b] = np.argsort(dist, axis=1, kind="stable")
    return out


def _order(t: Tables) -> list[int]:
    lines = t.problem.lines
    return sorted(range(len(lines)), key=lambda i: (lines[i].due_day, lines[i].created_day, lines[i].id))


def greedy_plan(t: Tables, params: RoutingParams) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Site (-1: none) and finish day per line, in due order, nearest site with room first."""
    n = len(t.due)
    ledger = Ledger(t, make_rows(t, np.full(n, -1, dtype=np.int64)))
    free = np.where(np.arange(t.horizon)[None, None, :] >= t.earliest[:, None, None], t.cap, 0.0)
    cfree = np.concatenate([np.zeros(free.shape[:2] + (1,)), np.cumsum(free, axis=2)], axis=2)
    site, finish = np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=np.int64)
    nearest = _nearest(t)
    allowed = np.isfinite(t.cost).sum(axis=1)
    index = {s.id: j for j, s in enumerate(t.problem.sites)}
    for i in _order(t):
        order = nearest[i, :allowed[i]].astype(np.int64)
        if params.policy == "rules" and params.rules:
            rule = _rule_match(t.problem.lines[i], params.rules)
            if rule is not None:
                pref = [index[x] for x in (rule.site_id, rule.fallback_site_id) if x in index]
                keep = np.isin(order, pref)
                pref_ok = [s for s in pref if s in set(order[keep].tolist())]
                order = np.r_[np.array(pref_ok, dtype=np.int64), order[~keep]]
        for late in (0, params.max_late_days):
            got = _place(t, free, cfree, ledger, i, order, late)
            if got is not None:
                site[i], finish[i] = got
                break
    return site, finish


def _place(t: Tables, free: NDArray[np.float64], cfree: NDArray[np.float64], ledger: Ledger, i: int,
           order: NDArray[np.int64], late: int) -> tuple[int, int] | None:
    """Book line i at the first site of ``order`` with its minutes free in its window."""
    first, last = t.first(i, order), np.minimum(t.deadline(i, order) + late, t.horizon - 1)
    procs = np.nonzero(t.minutes[i] > 0)[0]
    lo = np.minimum(first, t.horizon)
    room = cfree[order[:, None], procs[None, :], (last + 1)[:, None]] - cfree[order[:, None], procs[None, :], lo[:, None]]
    ok = (room >= t.minutes[i, procs][None, :] - _EPS).all(axis=1) & (first <= last)
    for j in np.nonzero(ok)[0].tolist():
        s = int(order[j])
        got = reserve(free, s, t.minutes[i], int(first[j]), int(last[j]))
        if got is not None and ledger.take(i, s):
            free[s] -= got[1]
            cfree[s, :, 1:] = np.cumsum(free[s], axis=1)
            return s, got[0]
    return None
