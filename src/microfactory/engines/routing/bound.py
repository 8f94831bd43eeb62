"""A valid lower bound for any capacity prices: the Lagrangian relaxation at line level.

For prices μ[s, p, d] >= 0, non-increasing in d (the tail sums of multipliers of the
cumulative capacity constraints), relaxing capacity leaves one independent choice per line:

    L(μ) = Σ_i min( unassigned, min_s [cost(i, s) + min_{d} (late × (d − base) + Σ_p m_ip μ[s, p, d])] )
           − Σ_{s, p, d} μ[s, p, d] × (minutes added at s on day d)

with base = due_i − delivery_s and d from max(base, earliest_s) to the horizon's last day.
It prices every allowed site (no pruning) and drops keep-together, minimum batch and
material pooling (all relaxations), so L(μ) <= the cost of every plan that finishes within
the horizon. The inner min depends on a line only through its work vector and due day
(its *type*), so it is computed per (type, site) and then gathered per line.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from microfactory.engines.routing.tables import Tables

_CHUNK = 8192


def type_prices(t: Tables, mu: NDArray[np.float64], minutes: NDArray[np.float64], due: NDArray[np.int64],
                lines: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Per (type, site): the cheapest capacity price plus lateness, and the deadline day giving it."""
    s_count, _, h = mu.shape
    days = np.arange(h)
    best = np.empty((len(due), s_count))
    when = np.empty((len(due), s_count), dtype=np.int64)
    for a in range(0, len(due), 512):
        b = min(a + 512, len(due))
        price = np.einsum("tp,spd->tsd", minutes[a:b], mu, optimize=True)
        base = due[a:b, None] - t.delivery[None, :]
        first = np.maximum(base, t.earliest[None, :])
        late = days[None, None, :] - base[:, :, None]
        val = price + t.late_cost * lines[a:b, None, None] * late
        val = np.where(days[None, None, :] >= first[:, :, None], val, np.inf)
        when[a:b] = val.argmin(axis=2)
        best[a:b] = np.take_along_axis(val, when[a:b, :, None], axis=2)[:, :, 0]
    return best, when


def line_types(t: Tables) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.int64]]:
    """Type of each line (same work vector and due day), and the types' work and due day."""
    key = np.c_[t.minutes, t.due.astype(np.float64)]
    uniq, type_of = np.unique(key, axis=0, return_inverse=True)
    return type_of.reshape(-1).astype(np.int64), uniq[:, :-1], uniq[:, -1].astype(np.int64)


def lagrangian_bound(t: Tables, mu: NDArray[np.float64]) -> float:
    """L(μ) over all lines and all allowed sites (a valid lower bound for any valid μ)."""
    from microfactory.engines.routing.lagrange import day_tables, full_bound, work_types

    mu = np.maximum.accumulate(np.maximum(mu, 0.0)[:, :, ::-1], axis=2)[:, :, ::-1]
    type_of, minutes, late = work_types(t.minutes, np.full(len(t.due), t.late_cost))
    return full_bound(t, mu, type_of, day_tables(mu, minutes, late)[0])[0]
