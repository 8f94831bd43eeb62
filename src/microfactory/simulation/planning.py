"""Daily planning of one site with the real scheduling engine.

The lines routed to a site whose planned finish day has come are grouped into batches
(:func:`form_batches`, same variant and routing, at most ``max_batch`` units) and scheduled
over the day's shift (and the same shift on the next two days, for spill-over) with the day's
machine breakdowns as downtime. Two modes (``planning.mode``):

* ``dispatch``: :func:`dispatch_schedule` with the rule ``planning.rule`` (EDD by default);
  milliseconds per site, used for long runs and the 90-day benchmark;
* ``cpsat``: :func:`plan_site` (dispatch warm start, CP-SAT, LNS) with ``planning.time_limit_s``
  per site and day, single-threaded; closer to what the planning service runs, much slower.

A batch is done when its last operation ends. Busy minutes (processing and setup) per process
and the schedule's changeover minutes feed the utilisation and changeover KPIs.
"""

from __future__ import annotations

from dataclasses import dataclass

from microfactory.engines.scheduling import (
    BatchRules,
    Downtime,
    Line,
    OpSpec,
    Schedule,
    ScheduleParams,
    SchedulingProblem,
    dispatch_schedule,
    form_batches,
    plan_site,
)
from microfactory.simulation.clock import MINUTES_PER_DAY
from microfactory.simulation.scenario import PlanningParams
from microfactory.simulation.simnet import SimProduct, SimSite

SPILL_DAYS = 3


@dataclass(frozen=True, slots=True)
class WorkItem:
    """A routed line to plan: id, order, variant, quantity and due minute (from the day start)."""

    line_id: str
    order_id: str
    product: SimProduct
    qty: int
    due_min: int


@dataclass(frozen=True, slots=True)
class PlannedBatch:
    """A batch of the day's plan: its parts (``line#k``), units and end minute from the day start."""

    id: str
    parts: tuple[str, ...]
    units: int
    end_min: int


@dataclass(frozen=True, slots=True)
class DayPlan:
    """One site's plan for one day, with the solver report and the minutes it uses."""

    site: str
    day: int
    method: str
    status: str
    objective: float
    bound: float
    runtime_s: float
    seed: int
    batches: tuple[PlannedBatch, ...]
    busy_by_process: dict[str, float]
    changeover_minutes: int


def _line(item: WorkItem, processes: frozenset[str]) -> Line:
    ops = tuple(OpSpec(p, m, key) for p, m, key in item.product.ops if p in processes and m > 0)
    if not ops:  # a variant with no timed work still passes through packing-like handling
        ops = (OpSpec(min(processes), 0.1, item.product.sku),)
    return Line(item.line_id, item.order_id, item.product.sku, item.qty, item.product.sku,
                max(0, item.due_min), ops)


def _problem(site: SimSite, day: int, items: list[WorkItem], params: PlanningParams,
             downtime: tuple[Downtime, ...]) -> SchedulingProblem:
    processes = frozenset(r.process for r in site.resources)
    lines = [_line(i, processes) for i in items]
    formed = form_batches(lines, BatchRules(max_batch=params.max_batch), prefix=f"{site.id}-d{day}-")
    windows = []
    for k in range(SPILL_DAYS):
        w = site.open_minutes[day + k] if day + k < len(site.open_minutes) else None
        if w is not None:
            windows.append((k * MINUTES_PER_DAY + w[0], k * MINUTES_PER_DAY + w[1]))
    return SchedulingProblem(site.id, site.resources, site.workers, formed.batches,
                             horizon=SPILL_DAYS * MINUTES_PER_DAY, calendar=tuple(windows) or None,
                             downtime=downtime)


def _schedule(problem: SchedulingProblem, params: PlanningParams, seed: int) -> Schedule:
    if params.mode == "cpsat":
        return plan_site(problem, ScheduleParams(time_limit_s=params.time_limit_s, seed=seed, workers=1))
    return dispatch_schedule(problem, params.rule, ScheduleParams(seed=seed))


def plan_day(site: SimSite, day: int, items: list[WorkItem], params: PlanningParams,
             downtime: tuple[Downtime, ...] = (), seed: int = 0) -> DayPlan:
    """The plan of ``site`` on ``day`` for ``items`` (an empty plan when there is nothing to do)."""
    if not items:
        return DayPlan(site.id, day, "none", "optimal", 0.0, 0.0, 0.0, seed, (), {}, 0)
    problem = _problem(site, day, items, params, downtime)
    schedule = _schedule(problem, params, seed)
    ends: dict[str, int] = {}
    busy: dict[str, float] = {}
    for op in schedule.ops:
        ends[op.batch_id] = max(ends.get(op.batch_id, 0), op.end)
        busy[op.process] = busy.get(op.process, 0.0) + (op.end - op.start)
    batches = tuple(PlannedBatch(b.id, b.lines, b.qty, ends.get(b.id, SPILL_DAYS * MINUTES_PER_DAY))
                    for b in problem.batches)
    return DayPlan(site.id, day, schedule.method, schedule.status, schedule.objective, schedule.bound,
                   schedule.runtime_s, schedule.seed, batches, busy, schedule.changeover_minutes)
