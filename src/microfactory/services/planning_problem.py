"""Build the scheduling engine's problem of one site from the domain (pure: no I/O, no clock).

Time is integer minutes from ``origin`` (a naive UTC datetime, normally ``now`` floored to
the minute). The formulas, written down in ``docs/planning.md``:

* calendar: the site's open shift of every open day, clipped to ``[origin, origin + horizon
  + spill]`` (the spill keeps late work on shifts instead of running round the clock);
* a worker's own calendar becomes their availability (the engine intersects it with the site's);
* release = max(now, created + L days), L the calendar days from the creation day to the
  site's ``lead_time_days``-th working day (``routing_problem.lead_days``);
* due = end of the day ``order.due - delivery days`` (same_day 0, pickup transfer days, ship
  1 or 2: ``routing_problem.delivery_days``);
* weight per line by delivery kind (same_day 3, pickup 2, ship 1), replenishment 0.5, rush x10;
* operations: the line's exploded BOM operations; a blank setup key means the line's key
  (the first keyed operation), so changing product on a station costs its setup minutes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta

from microfactory.domain.catalog import ExplodedBom
from microfactory.domain.network import Calendar, Site
from microfactory.domain.orders import Channel, Order, OrderLine
from microfactory.engines.scheduling import Batch as EngineBatch
from microfactory.engines.scheduling import (
    BatchFormation,
    BatchRules,
    Downtime,
    Interval,
    Line,
    OpSpec,
    Resource,
    ScheduledOp,
    SchedulingProblem,
    Worker,
    form_batches,
)
from microfactory.errors import InvalidInput
from microfactory.services.routing_problem import BuildParams, delivery_days, lead_days

DEFAULT_WEIGHTS: Mapping[str, float] = {"same_day": 3.0, "pickup": 2.0, "ship": 1.0}


@dataclass(frozen=True, slots=True)
class PlanningParams:
    """Knobs of the builder and of batch formation."""

    horizon_days: int = 7
    spill_days: int = 28
    max_batch: int = 20
    due_window_min: int = 1440
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    replenishment_weight: float = 0.5
    rush_factor: float = 10.0

    def __post_init__(self) -> None:
        if not 1 <= self.horizon_days <= 60:
            raise InvalidInput("horizon must be 1 to 60 days", field="horizon_days")
        if self.spill_days < 0 or self.max_batch < 1 or self.due_window_min < 0:
            raise InvalidInput("spill_days >= 0, max_batch >= 1 and due_window_min >= 0", field="max_batch")
        if min([self.replenishment_weight, self.rush_factor, *self.weights.values()]) < 0:
            raise InvalidInput("weights must not be negative", field="weights")

    @property
    def horizon_min(self) -> int:
        return self.horizon_days * 1440


@dataclass(frozen=True, slots=True)
class PlanLine:
    """An order line to plan at a site, with its exploded BOM and the units to make."""

    order: Order
    line: OrderLine
    bom: ExplodedBom
    qty: int = 0  # 0: the line's quantity
    rush: bool = False

    @property
    def units(self) -> int:
        return self.qty or self.line.quantity


@dataclass(frozen=True, slots=True)
class PlanBatch:
    """A stored batch to schedule: its id, setup key and lines (units per line)."""

    id: str
    setup_key: str
    lines: tuple[PlanLine, ...]


@dataclass(frozen=True, slots=True)
class SiteProblem:
    """The engine problem, its origin, and the formation of the new (not yet stored) batches."""

    problem: SchedulingProblem
    origin: datetime
    formation: BatchFormation
    lines: Mapping[str, PlanLine]

    def at(self, minute: int) -> datetime:
        return to_datetime(self.origin, minute)


def floor_minute(dt: datetime) -> datetime:
    return dt.replace(second=0, microsecond=0)


def to_minutes(origin: datetime, dt: datetime) -> int:
    """Whole minutes from ``origin`` to ``dt`` (floored)."""
    return math.floor((dt - origin).total_seconds() / 60)


def to_datetime(origin: datetime, minute: int) -> datetime:
    return origin + timedelta(minutes=minute)


def open_intervals(calendar: Calendar, origin: datetime, minutes: int) -> tuple[Interval, ...]:
    """Open shifts of ``calendar`` in ``[origin, origin + minutes)`` as minute intervals."""
    out: list[Interval] = []
    day = origin.date()
    while datetime.combine(day, time.min) < origin + timedelta(minutes=minutes):
        span = calendar.open_interval(day)
        if span is not None:
            s = max(0, to_minutes(origin, span[0]))
            e = min(minutes, to_minutes(origin, span[1]))
            if e > s:
                out.append((s, e))
        day += timedelta(days=1)
    return tuple(out)


def engine_resources(site: Site) -> tuple[Resource, ...]:
    return tuple(Resource(r.id, r.process, r.units, r.cost_per_hour, round(r.setup_minutes), r.automated)
                 for r in site.resources)


def engine_workers(site: Site, origin: datetime, minutes: int) -> tuple[Worker, ...]:
    """Workers; one with an own calendar is available on its open shifts only."""
    return tuple(Worker(w.id, w.skills, w.cost_per_hour,
                        open_intervals(w.calendar, origin, minutes) if w.calendar is not None else None)
                 for w in site.workers)


def release_at(site: Site, order: Order, now: datetime) -> datetime:
    """max(now, created + calendar days to the site's lead-time working day)."""
    return max(now, order.created + timedelta(days=lead_days(site, order.created.date())))


def due_at(order: Order, sites: Sequence[Site], build: BuildParams | None = None) -> datetime:
    """End of the day ``order.due - delivery days``: production must be done by then."""
    days = delivery_days(order, sites, build or BuildParams())
    return datetime.combine(order.due - timedelta(days=days - 1), time.min)


def line_weight(order: Order, params: PlanningParams, rush: bool = False) -> float:
    base = params.weights.get(order.delivery.kind.value, 1.0)
    if order.channel is Channel.REPLENISHMENT:
        base = params.replenishment_weight
    return base * (params.rush_factor if rush else 1.0)


def engine_line(pl: PlanLine, site: Site, sites: Sequence[Site], origin: datetime, now: datetime,
                params: PlanningParams, line_id: str | None = None) -> Line:
    """The engine line of ``pl`` (minutes from ``origin``)."""
    ops = tuple(OpSpec(op.process, op.minutes_per_unit, op.setup_key or None) for op in pl.bom.operations)
    if not ops:
        raise InvalidInput(f"line {pl.line.id}: product {pl.line.product_id} has no operation", field="operations")
    return Line(line_id or pl.line.id, pl.order.id, pl.line.product_id, pl.units, pl.bom.setup_key,
                to_minutes(origin, due_at(pl.order, sites)), ops,
                release_min=max(0, to_minutes(origin, release_at(site, pl.order, now))),
                weight=line_weight(pl.order, params, pl.rush))


def batch_of(bid: str, setup_key: str, lines: Sequence[Line]) -> EngineBatch:
    """A batch of whole lines: unit-weighted minutes, latest release, earliest due, summed weight."""
    if not lines:
        raise InvalidInput(f"batch {bid}: no lines", field="lines")
    qty = sum(ln.qty for ln in lines)
    first = lines[0]
    if any(len(ln.ops) != len(first.ops) for ln in lines):
        raise InvalidInput(f"batch {bid}: lines with different operations", field="lines")
    ops = tuple(OpSpec(op.process, sum(ln.ops[k].minutes_per_unit * ln.qty for ln in lines) / qty, op.setup_key)
                for k, op in enumerate(first.ops))
    return EngineBatch(bid, setup_key, tuple(ln.id for ln in lines), ops, max(ln.release_min for ln in lines),
                       min(ln.due_min for ln in lines), sum(ln.weight for ln in lines), qty)


def build_site_problem(site: Site, lines: Sequence[PlanLine], batches: Sequence[PlanBatch], now: datetime,
                       params: PlanningParams, *, sites: Sequence[Site] = (), origin: datetime | None = None,
                       frozen: Sequence[ScheduledOp] = ()) -> SiteProblem:
    """The site's problem: stored ``batches`` plus batches formed from the unbatched ``lines``.

    Formed batches keep the engine's ids (``B001-<key>``) until the service stores them and
    renames them (:func:`rename_batches`). Lines are never split: ``max_batch`` is raised to
    the largest line so a big line makes a batch of its own.
    """
    origin = floor_minute(origin or now)
    if origin > now:
        raise InvalidInput("origin must not be after now", field="origin")
    horizon = to_minutes(origin, now) + params.horizon_min
    calendar_span = horizon + params.spill_days * 1440
    sites = sites or (site,)
    new = [engine_line(pl, site, sites, origin, now, params) for pl in lines]
    # An operation never crosses a closed period, so a batch's longest operation (plus its setup)
    # must fit in one shift: batches are capped at 85% of the shift in minutes of any one operation.
    rules = BatchRules(min_batch=site.min_batch, max_batch=max([params.max_batch, site.min_batch]
                                                                + [ln.qty for ln in new]),
                       due_window=params.due_window_min,
                       max_batch_minutes=max(1, int(site.calendar.shift_minutes * 0.85)))
    formation = form_batches(new, rules) if new else BatchFormation((), ())
    stored = [batch_of(b.id, b.setup_key, [engine_line(pl, site, sites, origin, now, params, f"{pl.line.id}@{b.id}")
                                            for pl in b.lines]) for b in batches]
    problem = SchedulingProblem(site.id, engine_resources(site), engine_workers(site, origin, calendar_span),
                                (*stored, *formation.batches), horizon,
                                open_intervals(site.calendar, origin, calendar_span), frozen=tuple(frozen))
    return SiteProblem(problem, origin, formation, {pl.line.id: pl for pl in lines})


def rename_batches(problem: SchedulingProblem, names: Mapping[str, str]) -> SchedulingProblem:
    """The problem with batches renamed (engine id → stored id)."""
    return replace(problem, batches=tuple(replace(b, id=names.get(b.id, b.id)) for b in problem.batches))


@dataclass(frozen=True, slots=True)
class Disruption:
    """A machine down or a worker absent in [start, end) (datetimes), carried from plan to plan."""

    kind: str  # machine_down | worker_absent
    target: str
    start: datetime
    end: datetime
    unit: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("machine_down", "worker_absent"):
            raise InvalidInput(f"unknown disruption {self.kind!r}", field="kind")
        if self.end <= self.start:
            raise InvalidInput(f"{self.kind} {self.target}: 'to' must be after 'from'", field="to")

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "target": self.target, "from": self.start.isoformat(),
                "to": self.end.isoformat(), "unit": self.unit}

    @classmethod
    def from_dict(cls, d: Mapping[str, object]) -> Disruption:
        unit = d.get("unit")
        return cls(str(d["kind"]), str(d["target"]), datetime.fromisoformat(str(d["from"])),
                   datetime.fromisoformat(str(d["to"])), int(unit) if isinstance(unit, int) else None)


def _after_frozen(start: int, end: int, busy: Sequence[ScheduledOp]) -> int:
    for op in sorted(busy, key=lambda o: o.start):
        if op.start < end and start < op.end:
            start = max(start, op.end)
    return start


def _without(available: tuple[Interval, ...] | None, start: int, end: int, horizon: int) -> tuple[Interval, ...]:
    base = available if available is not None else ((0, max(horizon, end) + 1),)
    out: list[Interval] = []
    for s, e in base:
        if s < start:
            out.append((s, min(e, start)))
        if e > end:
            out.append((max(s, end), e))
    return tuple(iv for iv in out if iv[1] > iv[0])


def with_disruptions(problem: SchedulingProblem, origin: datetime, disruptions: Sequence[Disruption],
                     frozen: Sequence[ScheduledOp]) -> SchedulingProblem:
    """Downtime and absences added; one hitting a frozen (running) operation starts when it ends."""
    rids = {r.id for r in problem.resources}
    workers = {w.id: w for w in problem.workers}
    down = list(problem.downtime)
    span = max([problem.horizon] + [e for _s, e in problem.calendar or ()])
    for d in disruptions:
        start, end = max(0, to_minutes(origin, d.start)), to_minutes(origin, d.end)
        if d.kind == "machine_down" and d.target in rids:
            start = _after_frozen(start, end, [o for o in frozen if o.resource_id == d.target
                                               and d.unit in (None, o.unit)])
            if start < end:
                down.append(Downtime(d.target, start, end, d.unit))
        elif d.kind == "worker_absent" and d.target in workers:
            start = _after_frozen(start, end, [o for o in frozen if o.worker_id == d.target])
            if start < end:
                w = workers[d.target]
                workers[d.target] = replace(w, available=_without(w.available, start, end, span))
    return replace(problem, downtime=tuple(down), workers=tuple(workers[w.id] for w in problem.workers))


def releasable(lines: Sequence[PlanLine], site: Site, now: datetime, params: PlanningParams) -> list[PlanLine]:
    """Lines released before the horizon ends (later ones wait for a later plan)."""
    end = floor_minute(now) + timedelta(days=params.horizon_days)
    return [pl for pl in lines if release_at(site, pl.order, now) < end]


__all__ = ["DEFAULT_WEIGHTS", "Disruption", "PlanBatch", "PlanLine", "PlanningParams", "SiteProblem", "batch_of",
           "build_site_problem", "due_at", "engine_line", "engine_resources", "engine_workers", "floor_minute",
           "line_weight", "open_intervals", "releasable", "release_at", "rename_batches", "to_datetime", "to_minutes", "with_disruptions"]
