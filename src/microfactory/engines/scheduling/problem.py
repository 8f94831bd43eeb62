"""Input and output types of the scheduling engine.

Time is integer minutes from the start of the planning horizon. A resource with
``units`` copies is modelled as ``units`` identical machines (unit 0, 1, ...).
Calendar rule (documented choice): an operation, including its changeover, runs
without pausing inside one open interval of the site calendar; it never crosses a
closed period (night, day off) or a resource's downtime.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from microfactory.errors import InvalidInput

Interval = tuple[int, int]


def _check_intervals(intervals: tuple[Interval, ...], name: str) -> None:
    last_end = -1
    for start, end in intervals:
        if start < 0 or end <= start:
            raise InvalidInput(f"interval ({start}, {end}) must satisfy 0 <= start < end", field=name)
        if start < last_end:
            raise InvalidInput("intervals must be sorted and must not overlap", field=name)
        last_end = end


@dataclass(frozen=True, slots=True)
class Resource:
    """A machine or station doing one process, with ``units`` identical copies."""

    id: str
    process: str
    units: int = 1
    cost_per_hour: float = 0.0
    setup_minutes: int = 0
    automated: bool = False
    initial_setup_key: str | None = None

    def __post_init__(self) -> None:
        if not self.id or not self.process:
            raise InvalidInput("resource needs an id and a process", field="resource.id")
        if self.units < 1:
            raise InvalidInput(f"resource {self.id}: units must be >= 1", field="resource.units")
        if self.setup_minutes < 0 or self.cost_per_hour < 0:
            raise InvalidInput(f"resource {self.id}: negative setup or cost", field="resource.setup_minutes")


@dataclass(frozen=True, slots=True)
class Worker:
    """A person with skills (process names); ``available`` None means always (within the site calendar)."""

    id: str
    skills: frozenset[str]
    cost_per_hour: float = 0.0
    available: tuple[Interval, ...] | None = None

    def __post_init__(self) -> None:
        if not self.id:
            raise InvalidInput("worker needs an id", field="worker.id")
        if self.available is not None:
            _check_intervals(self.available, f"worker.{self.id}.available")


@dataclass(frozen=True, slots=True)
class Changeover:
    """Sequence-dependent changeover minutes on a resource (``resource_id`` "*" = every resource)."""

    resource_id: str
    from_key: str
    to_key: str
    minutes: int

    def __post_init__(self) -> None:
        if self.minutes < 0:
            raise InvalidInput("changeover minutes must be >= 0", field="changeover.minutes")


@dataclass(frozen=True, slots=True)
class ChangeoverTable:
    """Changeover times: explicit entries, else ``resource.setup_minutes`` when keys differ, 0 when equal."""

    entries: tuple[Changeover, ...] = ()
    _lookup: dict[tuple[str, str, str], int] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for e in self.entries:
            self._lookup[(e.resource_id, e.from_key, e.to_key)] = e.minutes

    def minutes(self, resource: Resource, from_key: str | None, to_key: str | None) -> int:
        """Minutes to change ``resource`` from ``from_key`` (None: cold start) to ``to_key``."""
        if to_key is None or from_key == to_key:
            return 0
        if from_key is not None:
            for rid in (resource.id, "*"):
                hit = self._lookup.get((rid, from_key, to_key))
                if hit is not None:
                    return hit
        return resource.setup_minutes


@dataclass(frozen=True, slots=True)
class OpSpec:
    """One step of a product's routing: a process at ``minutes_per_unit`` (setup key None: the line's)."""

    process: str
    minutes_per_unit: float
    setup_key: str | None = None

    def __post_init__(self) -> None:
        if not self.process or self.minutes_per_unit < 0:
            raise InvalidInput("op needs a process and minutes_per_unit >= 0", field="op.minutes_per_unit")


@dataclass(frozen=True, slots=True)
class Line:
    """An order line routed to this site."""

    id: str
    order_id: str
    product: str
    qty: int
    setup_key: str
    due_min: int
    ops: tuple[OpSpec, ...]
    release_min: int = 0
    weight: float = 1.0

    def __post_init__(self) -> None:
        if self.qty < 1:
            raise InvalidInput(f"line {self.id}: qty must be >= 1", field="line.qty")
        if not self.ops:
            raise InvalidInput(f"line {self.id}: needs at least one op", field="line.ops")
        if self.release_min < 0 or self.weight < 0:
            raise InvalidInput(f"line {self.id}: negative release or weight", field="line.release_min")


@dataclass(frozen=True, slots=True)
class Batch:
    """Units of one setup made together: the unit of scheduling, QC and traceability."""

    id: str
    setup_key: str
    lines: tuple[str, ...]
    ops: tuple[OpSpec, ...]
    release: int
    due: int
    weight: float
    qty: int

    def __post_init__(self) -> None:
        if not self.ops or self.qty < 1:
            raise InvalidInput(f"batch {self.id}: needs ops and qty >= 1", field="batch.ops")
        if self.release < 0 or self.weight < 0:
            raise InvalidInput(f"batch {self.id}: negative release or weight", field="batch.release")

    def op_minutes(self, index: int) -> int:
        """Processing minutes of op ``index`` for the whole batch (rounded up)."""
        return math.ceil(self.ops[index].minutes_per_unit * self.qty - 1e-9)

    def op_key(self, index: int) -> str:
        """Setup key of op ``index``."""
        return self.ops[index].setup_key or self.setup_key


@dataclass(frozen=True, slots=True)
class Downtime:
    """A resource (one unit, or every unit when ``unit`` is None) unavailable in [start, end)."""

    resource_id: str
    start: int
    end: int
    unit: int | None = None

    def __post_init__(self) -> None:
        if self.start < 0 or self.end <= self.start:
            raise InvalidInput("downtime needs 0 <= start < end", field="downtime.start")


@dataclass(frozen=True, slots=True)
class ScheduledOp:
    """One operation of a work order: changeover in [start, start+setup), work until ``end``."""

    batch_id: str
    op_index: int
    process: str
    resource_id: str
    unit: int
    worker_id: str | None
    start: int
    setup: int
    end: int


@dataclass(frozen=True, slots=True)
class SchedulingProblem:
    """One site's batches, resources, workers and calendar (open intervals; None = always open)."""

    site_id: str
    resources: tuple[Resource, ...]
    workers: tuple[Worker, ...]
    batches: tuple[Batch, ...]
    horizon: int
    calendar: tuple[Interval, ...] | None = None
    changeovers: ChangeoverTable = field(default_factory=ChangeoverTable)
    downtime: tuple[Downtime, ...] = ()
    frozen: tuple[ScheduledOp, ...] = ()

    def __post_init__(self) -> None:
        if self.horizon <= 0:
            raise InvalidInput("horizon must be > 0", field="horizon")
        if self.calendar is not None:
            _check_intervals(self.calendar, "calendar")
        _unique([r.id for r in self.resources], "resources")
        _unique([w.id for w in self.workers], "workers")
        _unique([b.id for b in self.batches], "batches")
        processes = {r.process for r in self.resources}
        for b in self.batches:
            for op in b.ops:
                if op.process not in processes:
                    raise InvalidInput(f"batch {b.id}: no resource does {op.process!r}", field="batches.ops")
        rids = {r.id for r in self.resources}
        for d in self.downtime:
            if d.resource_id not in rids:
                raise InvalidInput(f"downtime on unknown resource {d.resource_id}", field="downtime")

    def resource(self, rid: str) -> Resource:
        """The resource with id ``rid``."""
        for r in self.resources:
            if r.id == rid:
                return r
        raise InvalidInput(f"unknown resource {rid}", field="resource_id")

    def batch(self, bid: str) -> Batch:
        """The batch with id ``bid``."""
        for b in self.batches:
            if b.id == bid:
                return b
        raise InvalidInput(f"unknown batch {bid}", field="batch_id")


def _unique(ids: list[str], name: str) -> None:
    if len(ids) != len(set(ids)):
        raise InvalidInput(f"duplicate ids in {name}", field=name)


@dataclass(frozen=True, slots=True)
class ScheduleParams:
    """Solver knobs and objective weights (objective = sum of weight x term)."""

    time_limit_s: float = 10.0
    seed: int = 0
    workers: int = 2
    tardiness_weight: int = 100
    changeover_weight: int = 10
    makespan_weight: int = 1
    deviation_weight: int = 1
    warm_start_rule: str = "best"
    lns: bool = True
    local_search_share: float = 0.5

    def __post_init__(self) -> None:
        if self.time_limit_s <= 0 or self.workers < 1:
            raise InvalidInput("time_limit_s must be > 0 and workers >= 1", field="time_limit_s")
        weights = (self.tardiness_weight, self.changeover_weight, self.makespan_weight, self.deviation_weight)
        if min(weights) < 0:
            raise InvalidInput("objective weights must be >= 0", field="tardiness_weight")
        if not 0.0 <= self.local_search_share < 1.0:
            raise InvalidInput("local_search_share must be in [0, 1)", field="local_search_share")
        rules = ("best", "edd", "spt", "fifo", "mwkr", "group", "none")
        if self.warm_start_rule not in rules:
            raise InvalidInput(f"warm_start_rule must be one of {', '.join(rules)}", field="warm_start_rule")


@dataclass(frozen=True, slots=True)
class Schedule:
    """A site plan: work orders plus the solver's report."""

    site_id: str
    method: str
    status: str
    objective: float
    bound: float
    runtime_s: float
    seed: int
    ops: tuple[ScheduledOp, ...]
    weighted_tardiness: float
    changeover_minutes: int
    makespan: int
    unscheduled: tuple[str, ...] = ()
