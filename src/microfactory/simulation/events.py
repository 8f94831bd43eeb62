"""The event list: a heap of timed events, popped in (time, order of scheduling).

Ties are broken by a sequence number, so the same pushes always pop in the same order and a
run is reproducible for a seed. Each popped event becomes a row of the trace.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any

#: Event kinds, in the order they tend to happen to an order.
KINDS = ("order", "day", "site_down", "site_up", "batch_done", "rework_done", "shipped", "delivered",
         "returned", "rerouted")


@dataclass(frozen=True, slots=True, order=True)
class Event:
    """Something that happens at minute ``at``; ``ref`` names what it is about (order, site, batch)."""

    at: int
    seq: int
    kind: str = field(compare=False)
    ref: str = field(compare=False, default="")
    data: Any = field(compare=False, default=None)


@dataclass(frozen=True, slots=True)
class TraceRow:
    """One line of the trace: when, what, about what, and a short detail."""

    at: int
    kind: str
    ref: str
    detail: str = ""

    def as_dict(self) -> dict[str, object]:
        return {"at_min": self.at, "kind": self.kind, "ref": self.ref, "detail": self.detail}


class EventQueue:
    """A min-heap of :class:`Event` with deterministic tie-breaking."""

    def __init__(self) -> None:
        self._heap: list[Event] = []
        self._seq = 0

    def push(self, at: int, kind: str, ref: str = "", data: Any = None) -> None:
        heapq.heappush(self._heap, Event(at, self._seq, kind, ref, data))
        self._seq += 1

    def pop(self) -> Event:
        return heapq.heappop(self._heap)

    def __len__(self) -> int:
        return len(self._heap)

    def peek_time(self) -> int | None:
        return self._heap[0].at if self._heap else None
