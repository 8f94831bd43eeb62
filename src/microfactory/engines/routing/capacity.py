"""Capacity in time: cumulative minutes per (site, process, day) and earliest-deadline filling.

Work is divisible across days and the processes of a line are booked independently (the
scheduling engine sequences them); new work at a site starts on its lead-time day. Under
these rules a set of lines fits before its deadlines exactly when, for every site, process
and day d, the minutes of lines due by d fit in the capacity up to d (Jackson/EDF).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from microfactory.engines.routing.tables import Tables
from microfactory.errors import InvalidInput


def cumulative_capacity(t: Tables) -> NDArray[np.float64]:
    """(S, P, H): minutes available from each site's earliest day up to and including day d."""
    days = np.arange(t.horizon)[None, None, :]
    usable = np.where(days >= t.earliest[:, None, None], t.cap, 0.0)
    return np.cumsum(usable, axis=2)


def edf_fill(t: Tables, site_of: NDArray[np.int64], planned: NDArray[np.int64]
             ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Finish day of each assigned line (earliest planned deadline first) and minutes used per day.

    ``site_of[i] == -1`` leaves a line out. A finish day equal to the horizon means it did not fit.
    """
    ccum = cumulative_capacity(t)
    n = len(site_of)
    finish = np.full(n, -1, dtype=np.int64)
    used = np.zeros_like(t.cap)
    assigned = np.nonzero(site_of >= 0)[0]
    finish[assigned] = t.first(assigned, site_of[assigned])
    order = assigned[np.lexsort((assigned, planned[assigned], site_of[assigned]))]
    sites, starts = np.unique(site_of[order], return_index=True)
    bounds = list(starts) + [len(order)]
    for j, s in enumerate(sites):
        rows = order[bounds[j]:bounds[j + 1]]
        for p in range(len(t.processes)):
            a = t.minutes[rows, p]
            if not a.any():
                continue
            w = np.cumsum(a)
            day = np.searchsorted(ccum[s, p], w - 1e-7, side="left")
            sel = a > 0
            finish[rows[sel]] = np.maximum(finish[rows[sel]], day[sel])
            filled = np.minimum(ccum[s, p], w[-1])
            used[s, p] = np.diff(filled, prepend=0.0)
    return finish, used


@dataclass(frozen=True, slots=True)
class CapacityState:
    """Minutes still free per (site, process, day); replaced, never changed, by each placement."""

    site_ids: tuple[str, ...]
    processes: tuple[str, ...]
    free: NDArray[np.float64]
    start_day: int = 0

    def __post_init__(self) -> None:
        if self.free.shape[:2] != (len(self.site_ids), len(self.processes)):
            raise InvalidInput("free must have shape (sites, processes, days)", field="free")
        if (self.free < -1e-6).any():
            raise InvalidInput("free minutes must not be negative", field="free")
        self.free.setflags(write=False)

    def free_minutes(self, site_id: str, process: str, day: int) -> float:
        """Free minutes of ``process`` at ``site_id`` on ``day`` (relative to start_day)."""
        s, p = self.site_ids.index(site_id), self.processes.index(process)
        return float(self.free[s, p, day]) if 0 <= day < self.free.shape[2] else 0.0


def state_from(t: Tables, used: NDArray[np.float64]) -> CapacityState:
    """The state left after reserving ``used`` minutes."""
    free = np.maximum(t.cap - used, 0.0)
    return CapacityState(tuple(s.id for s in t.problem.sites), t.processes, free, t.problem.start_day)


def reserve(free: NDArray[np.float64], s: int, minutes: NDArray[np.float64], earliest: int,
            last_day: int) -> tuple[int, NDArray[np.float64]] | None:
    """Book ``minutes`` per process at site s earliest-day-first within [earliest, last_day].

    Returns the finish day and the minutes taken per (process, day), or None if it does not fit.
    """
    h = free.shape[2]
    if earliest > last_day or earliest >= h:
        return None
    last = min(last_day, h - 1)
    take = np.zeros(free.shape[1:])
    finish = earliest
    for p in np.nonzero(minutes)[0]:
        cum = np.cumsum(free[s, p, earliest:last + 1])
        if cum.size == 0 or cum[-1] < minutes[p] - 1e-7:
            return None
        day = int(np.searchsorted(cum, minutes[p] - 1e-7, side="left"))
        finish = max(finish, earliest + day)
        take[p, earliest:last + 1] = np.diff(np.minimum(cum, minutes[p]), prepend=0.0)
    return finish, take
