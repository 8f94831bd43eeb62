"""Rows (lines, keep-together groups merged) and classes of interchangeable rows for the class LP.

A *row* is what the large-scale path assigns to one site: a line, or a keep-together group
(or a whole order when splitting is off) merged into one. A *class* gathers rows with the
same work per unit, due day, set of allowed sites and zone (a square grid cell of
``cell_km``): they differ only in quantity and in their exact transport cost. The class LP
prices a class at a site by its members' mean cost per unit; the lower bound never relies
on it (``bound.py`` prices every line exactly), so coarse classes cost quality, not validity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from microfactory.engines.routing.tables import Tables

#: Cell sizes tried, finest first, until the classes fit within ``max_classes``.
CELLS_KM = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 1e5)


@dataclass(frozen=True, slots=True)
class Rows:
    """Units of assignment. ``cost`` is (R, S) money when on time (inf where not allowed)."""

    row_of: NDArray[np.int64]
    first: NDArray[np.int64]
    count: NDArray[np.float64]
    qty: NDArray[np.float64]
    minutes: NDArray[np.float64]
    due: NDArray[np.int64]
    cost: NDArray[np.float64]
    release: NDArray[np.int64]

    def base(self, t: Tables, r: NDArray[np.int64] | int, s: NDArray[np.int64] | int) -> NDArray[np.int64]:
        """Last on-time working day of row r at site s (its earliest-due member's deadline)."""
        return np.asarray(self.due[r] - t.delivery_of(self.first[r], s))

    def first_day(self, t: Tables, r: NDArray[np.int64] | int, s: NDArray[np.int64] | int) -> NDArray[np.int64]:
        """First working day of row r at site s (latest release of its members + lead time)."""
        return np.asarray(self.release[r] + t.earliest[s])


def make_rows(t: Tables, groups: NDArray[np.int64]) -> Rows:
    """Merge lines sharing a group id (>= 0); a lone line is its own row (no copy of the costs)."""
    n = len(t.due)
    if not (groups >= 0).any():
        idx = np.arange(n, dtype=np.int64)
        return Rows(idx, idx, np.ones(n), t.qty, t.minutes, t.due, t.cost, t.release)
    key = np.where(groups >= 0, groups, -1 - np.arange(n))
    _, row_of = np.unique(key, return_inverse=True)
    row_of = row_of.astype(np.int64).reshape(n)
    r_count = int(row_of.max()) + 1
    cost = np.zeros((r_count, t.cost.shape[1]))
    np.add.at(cost, row_of, t.cost)
    minutes = np.zeros((r_count, t.minutes.shape[1]))
    np.add.at(minutes, row_of, t.minutes)
    due = np.full(r_count, np.iinfo(np.int64).max)
    np.minimum.at(due, row_of, t.due)
    first = np.full(r_count, n, dtype=np.int64)
    np.minimum.at(first, row_of, np.arange(n))
    qty = np.bincount(row_of, weights=t.qty, minlength=r_count).astype(np.float64)
    release = np.zeros(r_count, dtype=np.int64)
    np.maximum.at(release, row_of, t.release)
    return Rows(row_of, first, np.bincount(row_of, minlength=r_count).astype(np.float64), qty, minutes, due,
                cost, release)


@dataclass(frozen=True, slots=True)
class Classes:
    """Rows grouped into classes; per class: units, mean cost per unit, work per unit, due day."""

    class_of: NDArray[np.int64]     # (R,)
    units: NDArray[np.float64]      # (C,)
    lines: NDArray[np.float64]      # (C,) order lines in the class (lateness is per line)
    cost_pu: NDArray[np.float64]    # (C, S)
    minutes_pu: NDArray[np.float64]  # (C, P)
    due: NDArray[np.int64]          # (C,)
    cell_km: float


def _zone(lat: NDArray[np.float64], lon: NDArray[np.float64], cell_km: float) -> NDArray[np.int64]:
    y = np.floor(lat * 111.2 / cell_km).astype(np.int64)
    x = np.floor(lon * 111.2 * np.cos(np.radians(lat.mean() if len(lat) else 0.0)) / cell_km).astype(np.int64)
    width = int(x.max(initial=0) - x.min(initial=0)) + 1
    return np.asarray((y - y.min(initial=0)) * width + (x - x.min(initial=0)), dtype=np.int64)


def _base_key(t: Tables, rows: Rows) -> NDArray[np.int64]:
    """Class key without the zone: work per unit, due day, pattern of allowed sites."""
    per_unit = np.round(rows.minutes / rows.qty[:, None], 6)
    allowed = np.packbits(np.isfinite(rows.cost), axis=1)
    parts = [np.unique(a, axis=0, return_inverse=True)[1].reshape(-1) for a in (per_unit, allowed)]
    _, key = np.unique(np.c_[parts[0], parts[1], rows.due], axis=0, return_inverse=True)
    return key.reshape(-1).astype(np.int64)


def make_classes(t: Tables, rows: Rows, max_classes: int) -> Classes:
    """The finest zoning whose classes number at most ``max_classes`` (never finer than one row each)."""
    lines = t.problem.lines
    lat = np.fromiter((lines[i].lat for i in rows.first.tolist()), dtype=np.float64, count=len(rows.first))
    lon = np.fromiter((lines[i].lon for i in rows.first.tolist()), dtype=np.float64, count=len(rows.first))
    base = _base_key(t, rows)
    for cell in CELLS_KM:
        _, class_of = np.unique(np.c_[base, _zone(lat, lon, cell)], axis=0, return_inverse=True)
        class_of = class_of.reshape(-1).astype(np.int64)
        if class_of.max(initial=-1) + 1 <= max_classes or math.isinf(cell) or cell == CELLS_KM[-1]:
            break
    c_count = int(class_of.max(initial=-1)) + 1
    units = np.bincount(class_of, weights=rows.qty, minlength=c_count).astype(np.float64)
    order = np.argsort(class_of, kind="stable")
    starts = np.searchsorted(class_of[order], np.arange(c_count))
    cost = np.add.reduceat(rows.cost[order], starts, axis=0) if c_count else np.zeros((0, rows.cost.shape[1]))
    minutes = np.add.reduceat(rows.minutes[order], starts, axis=0) if c_count else np.zeros((0, rows.minutes.shape[1]))
    due = np.zeros(c_count, dtype=np.int64)
    due[class_of] = rows.due
    return Classes(class_of, units, np.bincount(class_of, weights=rows.count, minlength=c_count).astype(np.float64),
                   cost / units[:, None], minutes / units[:, None], due, cell)
