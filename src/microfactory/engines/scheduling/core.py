"""The solver-facing form of a scheduling problem: machines, tasks, jobs, staff.

A site problem (:class:`SchedulingProblem`) and a benchmark job shop both compile to a
:class:`CoreProblem`, so the dispatch rules, the CP-SAT model and the large-neighbourhood
search are the same code for both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from microfactory.engines.scheduling.problem import Interval, ScheduledOp, SchedulingProblem
from microfactory.errors import Infeasible

SetupFn = Callable[[int, "str | None", "str | None"], int]


@dataclass(frozen=True, slots=True)
class CoreMachine:
    """One unit of one resource; ``blocked`` are closed periods and downtime."""

    resource_id: str
    unit: int
    automated: bool
    initial_key: str | None
    blocked: tuple[Interval, ...] = ()


@dataclass(frozen=True, slots=True)
class CoreTask:
    """One operation: alternatives (machine index, processing minutes), setup key, needed skill."""

    job: int
    index: int
    alts: tuple[tuple[int, int], ...]
    key: str | None = None
    skill: str | None = None


@dataclass(frozen=True, slots=True)
class CoreJob:
    """A batch (or benchmark job): its task indices in order, release, due date and integer weight."""

    name: str
    tasks: tuple[int, ...]
    release: int = 0
    due: int | None = None
    weight: int = 0


@dataclass(frozen=True, slots=True)
class CoreStaff:
    """A worker: skills and blocked (unavailable) periods."""

    name: str
    skills: frozenset[str]
    blocked: tuple[Interval, ...] = ()


@dataclass(frozen=True, slots=True)
class TaskSol:
    """Where and when one task runs."""

    alt: int
    start: int
    setup: int
    end: int
    staff: int | None


@dataclass(frozen=True, slots=True)
class Weights:
    """Integer objective weights."""

    tardiness: int = 0
    changeover: int = 0
    makespan: int = 1
    deviation: int = 0


@dataclass(frozen=True, slots=True)
class CoreProblem:
    """Everything the model needs; ``fixed`` tasks are frozen, ``previous`` starts are penalised on moving."""

    machines: tuple[CoreMachine, ...]
    tasks: tuple[CoreTask, ...]
    jobs: tuple[CoreJob, ...]
    staff: tuple[CoreStaff, ...] = ()
    setup: SetupFn | None = None
    weights: Weights = field(default_factory=Weights)
    fixed: dict[int, TaskSol] = field(default_factory=dict)
    previous: dict[int, int] = field(default_factory=dict)
    min_start: int = 0

    def setup_minutes(self, machine: int, from_key: str | None, to_key: str | None) -> int:
        """Changeover minutes on ``machine`` from ``from_key`` to ``to_key``."""
        return 0 if self.setup is None else self.setup(machine, from_key, to_key)

    def machine_has_setups(self, machine: int, keys: set[str | None]) -> bool:
        """True when some changeover on ``machine`` among ``keys`` takes time."""
        if self.setup is None:
            return False
        init = self.machines[machine].initial_key
        return any(self.setup(machine, a, b) > 0 for a in keys | {init} for b in keys)

    def staff_for(self, skill: str) -> list[int]:
        """Indices of staff having ``skill``."""
        return [i for i, s in enumerate(self.staff) if skill in s.skills]


def evaluate(cp: CoreProblem, sol: dict[int, TaskSol]) -> tuple[int, int, int, int]:
    """(objective, weighted tardiness, changeover minutes, makespan) of a solution, from the data."""
    tard = 0
    makespan = 0
    for job in cp.jobs:
        end = sol[job.tasks[-1]].end
        makespan = max(makespan, end)
        if job.due is not None:
            tard += job.weight * max(0, end - job.due)
    changeover = sum(s.setup for s in sol.values())
    dev = sum(abs(sol[t].start - s) for t, s in cp.previous.items() if t in sol)
    w = cp.weights
    obj = w.tardiness * tard + w.changeover * changeover + w.makespan * makespan + w.deviation * dev
    return obj, tard, changeover, makespan


def complement(open_: tuple[Interval, ...] | None, horizon: int) -> list[Interval]:
    """Closed periods within [0, horizon] of a calendar of open intervals (None: always open)."""
    if open_ is None:
        return []
    closed: list[Interval] = []
    t = 0
    for start, end in open_:
        if start > t:
            closed.append((t, start))
        t = max(t, end)
    if t < horizon:
        closed.append((t, horizon))
    return closed


def _merge(intervals: list[Interval]) -> tuple[Interval, ...]:
    out: list[Interval] = []
    for s, e in sorted(intervals):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return tuple(out)


def weight_int(weight: float) -> int:
    """Batch weights as integers for the model (hundredths)."""
    return round(weight * 100)


def compile_problem(p: SchedulingProblem, weights: Weights) -> CoreProblem:
    """Build the core form of a site problem."""
    closed = complement(p.calendar, p.horizon)
    machines: list[CoreMachine] = []
    for r in p.resources:
        for u in range(r.units):
            down = [(d.start, d.end) for d in p.downtime if d.resource_id == r.id and d.unit in (None, u)]
            machines.append(CoreMachine(r.id, u, r.automated, r.initial_setup_key, _merge(closed + down)))
    staff = tuple(_compile_worker(w.id, w.skills, w.available, closed, p.horizon) for w in p.workers)
    skills = set().union(*(w.skills for w in p.workers)) if p.workers else set()
    tasks: list[CoreTask] = []
    jobs: list[CoreJob] = []
    for b in p.batches:
        idx: list[int] = []
        for k, op in enumerate(b.ops):
            alts = tuple((m, b.op_minutes(k)) for m, mc in enumerate(machines)
                         if p.resource(mc.resource_id).process == op.process)
            if op.process not in skills:
                raise Infeasible(f"batch {b.id}: no worker has skill {op.process!r}", field="workers.skills")
            idx.append(len(tasks))
            tasks.append(CoreTask(len(jobs), k, alts, b.op_key(k), op.process))
        jobs.append(CoreJob(b.id, tuple(idx), b.release, b.due, weight_int(b.weight)))
    resources = [p.resource(m.resource_id) for m in machines]

    def setup(m: int, a: str | None, b: str | None) -> int:
        return p.changeovers.minutes(resources[m], a, b)

    cp = CoreProblem(tuple(machines), tuple(tasks), tuple(jobs), staff, setup, weights)
    return _with_frozen(cp, p)


def _compile_worker(wid: str, skills: frozenset[str], available: tuple[Interval, ...] | None,
                    closed: list[Interval], horizon: int) -> CoreStaff:
    own = complement(available, max(horizon, available[-1][1] if available else 0)) if available is not None else []
    return CoreStaff(wid, skills, _merge(closed + own))


def _with_frozen(cp: CoreProblem, p: SchedulingProblem) -> CoreProblem:
    if not p.frozen:
        return cp
    where = {(cp.jobs[t.job].name, t.index): i for i, t in enumerate(cp.tasks)}
    mindex = {(m.resource_id, m.unit): i for i, m in enumerate(cp.machines)}
    sindex = {s.name: i for i, s in enumerate(cp.staff)}
    for op in p.frozen:
        t = where.get((op.batch_id, op.op_index))
        if t is None:
            continue
        m = mindex[(op.resource_id, op.unit)]
        alt = next(a for a, (mm, _d) in enumerate(cp.tasks[t].alts) if mm == m)
        staff = sindex.get(op.worker_id) if op.worker_id is not None else None
        cp.fixed[t] = TaskSol(alt, op.start, op.setup, op.end, staff)
    return cp


def to_ops(cp: CoreProblem, sol: dict[int, TaskSol], processes: dict[str, str] | None = None) -> tuple[ScheduledOp, ...]:
    """Work-order operations of a core solution, sorted by start."""
    ops = []
    for t, s in sol.items():
        task = cp.tasks[t]
        m = cp.machines[task.alts[s.alt][0]]
        staff = cp.staff[s.staff].name if s.staff is not None else None
        process = task.skill or (processes or {}).get(m.resource_id, m.resource_id)
        ops.append(ScheduledOp(cp.jobs[task.job].name, task.index, process, m.resource_id, m.unit, staff,
                               s.start, s.setup, s.end))
    return tuple(sorted(ops, key=lambda o: (o.start, o.resource_id, o.unit)))
