"""Re-planning on events with started operations frozen and few changes to the rest.

Operations that started before ``now`` keep their resource, worker and times; the
others start at ``now`` or later, and the objective adds ``deviation_weight`` x the
minutes each one moves from its previous start. A disruption that would hit a
running (frozen) operation starts when that operation ends (reported in ``notes``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from microfactory.engines.scheduling.core import compile_problem
from microfactory.engines.scheduling.problem import (
    Batch,
    Downtime,
    Interval,
    Schedule,
    ScheduledOp,
    ScheduleParams,
    SchedulingProblem,
    Worker,
)
from microfactory.engines.scheduling.site import solve_compiled, weights_of
from microfactory.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class MachineDown:
    """A resource (one unit or all) out of service in [start, end)."""

    resource_id: str
    start: int
    end: int
    unit: int | None = None


@dataclass(frozen=True, slots=True)
class WorkerAbsent:
    """A worker away in [start, end)."""

    worker_id: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class RushOrder:
    """A new batch to fit in."""

    batch: Batch


@dataclass(frozen=True, slots=True)
class BatchRejected:
    """QC rejected a batch: it is made again as ``<id>-R<n>``, released at ``now``."""

    batch_id: str


Event = MachineDown | WorkerAbsent | RushOrder | BatchRejected


@dataclass(frozen=True, slots=True)
class Move:
    """An operation whose resource, unit, worker or start changed (``before`` None: new)."""

    batch_id: str
    op_index: int
    before: ScheduledOp | None
    after: ScheduledOp


@dataclass(frozen=True, slots=True)
class Replan:
    """The new schedule, the problem it solves, frozen operations, moves and notes."""

    schedule: Schedule
    problem: SchedulingProblem
    frozen: tuple[ScheduledOp, ...]
    moved: tuple[Move, ...]
    notes: tuple[str, ...]


def _after_running(frozen: tuple[ScheduledOp, ...], start: int, end: int, hit: list[ScheduledOp]) -> int:
    for op in hit:
        if op.start < end and start < op.end:
            start = max(start, op.end)
    return start


def _apply(p: SchedulingProblem, frozen: tuple[ScheduledOp, ...], event: Event,
           now: int) -> tuple[SchedulingProblem, list[str]]:
    notes: list[str] = []
    if isinstance(event, MachineDown):
        p.resource(event.resource_id)
        hit = [o for o in frozen if o.resource_id == event.resource_id and event.unit in (None, o.unit)]
        start = _after_running(frozen, event.start, event.end, hit)
        if start != event.start:
            notes.append(f"{event.resource_id} goes down at {start}, after its running operation")
        if start >= event.end:
            return p, notes
        down = Downtime(event.resource_id, start, event.end, event.unit)
        return dataclasses.replace(p, downtime=(*p.downtime, down)), notes
    if isinstance(event, WorkerAbsent):
        worker = next((w for w in p.workers if w.id == event.worker_id), None)
        if worker is None:
            raise InvalidInput(f"unknown worker {event.worker_id}", field="worker_id")
        hit = [o for o in frozen if o.worker_id == event.worker_id]
        start = _after_running(frozen, event.start, event.end, hit)
        if start != event.start:
            notes.append(f"{event.worker_id} leaves at {start}, after the running operation")
        workers = tuple(_absent(w, start, event.end, p.horizon) if w.id == event.worker_id else w
                        for w in p.workers)
        return dataclasses.replace(p, workers=workers), notes
    if isinstance(event, RushOrder):
        b = dataclasses.replace(event.batch, release=max(event.batch.release, now))
        return dataclasses.replace(p, batches=(*p.batches, b)), notes
    old = p.batch(event.batch_id)
    n = 1 + sum(1 for b in p.batches if b.id.startswith(f"{old.id}-R"))
    remake = dataclasses.replace(old, id=f"{old.id}-R{n}", release=max(now, old.release))
    notes.append(f"{old.id} rejected by QC: remade as {remake.id}")
    return dataclasses.replace(p, batches=(*p.batches, remake)), notes


def _absent(w: Worker, start: int, end: int, horizon: int) -> Worker:
    base: tuple[Interval, ...] = w.available if w.available is not None else ((0, max(horizon, end) + 1),)
    out: list[Interval] = []
    for s, e in base:
        if e <= start or s >= end:
            out.append((s, e))
            continue
        if s < start:
            out.append((s, start))
        if e > end:
            out.append((end, e))
    return dataclasses.replace(w, available=tuple(out))


def _moves(previous: Schedule, new: Schedule, frozen: tuple[ScheduledOp, ...]) -> tuple[Move, ...]:
    before = {(o.batch_id, o.op_index): o for o in previous.ops}
    keep = {(o.batch_id, o.op_index) for o in frozen}
    out = []
    for op in new.ops:
        key = (op.batch_id, op.op_index)
        if key in keep:
            continue
        old = before.get(key)
        if old is None or (old.resource_id, old.unit, old.worker_id, old.start) != \
                (op.resource_id, op.unit, op.worker_id, op.start):
            out.append(Move(op.batch_id, op.op_index, old, op))
    return tuple(out)


def replan(problem: SchedulingProblem, previous: Schedule, event: Event, now: int,
           params: ScheduleParams) -> Replan:
    """Re-plan ``problem`` after ``event`` at minute ``now`` starting from ``previous``."""
    if now < 0:
        raise InvalidInput("now must be >= 0", field="now")
    frozen = tuple(o for o in previous.ops if o.start < now)
    updated, notes = _apply(problem, frozen, event, now)
    updated = dataclasses.replace(updated, frozen=frozen)
    cp = dataclasses.replace(compile_problem(updated, weights_of(params)), min_start=now)
    where = {(cp.jobs[t.job].name, t.index): i for i, t in enumerate(cp.tasks)}
    for op in previous.ops:
        t = where.get((op.batch_id, op.op_index))
        if t is not None and t not in cp.fixed:
            cp.previous[t] = op.start
    schedule = solve_compiled(updated, cp, params)
    return Replan(schedule, updated, frozen, _moves(previous, schedule, frozen), tuple(notes))
