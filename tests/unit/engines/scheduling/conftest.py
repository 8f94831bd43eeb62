"""Small hand-checkable site fixtures for the scheduling tests."""

from __future__ import annotations

from microfactory.engines.scheduling import (
    Batch,
    OpSpec,
    Resource,
    ScheduleParams,
    SchedulingProblem,
    Worker,
)

FAST = ScheduleParams(time_limit_s=3.0, seed=1, workers=2, tardiness_weight=100, changeover_weight=10,
                      makespan_weight=1)


def batch(bid: str, key: str, minutes: int, *, process: str = "sew", due: int = 10_000, release: int = 0,
          weight: float = 1.0) -> Batch:
    """A one-operation batch of one unit taking ``minutes``."""
    return Batch(bid, key, (bid,), (OpSpec(process, float(minutes)),), release, due, weight, 1)


def one_machine(*batches: Batch, setup: int = 10, units: int = 1, automated: bool = False,
                workers: int = 1, calendar: tuple[tuple[int, int], ...] | None = None) -> SchedulingProblem:
    """A site with one sewing resource and ``workers`` sewers."""
    staff = tuple(Worker(f"W{i}", frozenset({"sew"})) for i in range(workers))
    return SchedulingProblem("s1", (Resource("R", "sew", units, setup_minutes=setup, automated=automated),),
                             staff, tuple(batches), 10_000, calendar)
