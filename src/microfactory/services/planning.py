"""Production planning use cases: form batches, schedule a site with CP-SAT, store the plan.

``plan_stored`` plans one site or every production site of the store: the routed lines not
yet batched become batches (stored with lots, lines → scheduled), the site's live batches
are scheduled (operations of started batches frozen, earlier disruptions kept), the result is
checked by the engine's independent checker (an infeasible plan is never stored) and stored
as the site's active plan with its work orders. Several sites are solved in a process pool
and stored one after the other. ``plan_scenario`` does the same on a scenario folder, routing
it first, without a store. Re-planning on events lives in :mod:`planning_events`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from microfactory.adapters.files.scenario import Scenario
from microfactory.domain.catalog import Catalog
from microfactory.domain.network import Network, Site
from microfactory.domain.orders import Order, OrderStatus, advance_line
from microfactory.domain.production import Batch, BatchLine, BatchStatus, lot_code
from microfactory.domain.production import ScheduledOp as WorkOp
from microfactory.engines.scheduling import (
    Schedule,
    ScheduledOp,
    ScheduleParams,
    SchedulingProblem,
    check_schedule,
    plan_site,
    plan_sites,
)
from microfactory.errors import Infeasible, InvalidInput, NotFound
from microfactory.services.planning_problem import (
    Disruption,
    PlanBatch,
    PlanLine,
    PlanningParams,
    SiteProblem,
    build_site_problem,
    floor_minute,
    releasable,
    rename_batches,
    to_datetime,
    to_minutes,
    with_disruptions,
)
from microfactory.services.routing_problem import production_sites

LIVE = (BatchStatus.PLANNED, BatchStatus.IN_PRODUCTION)


@dataclass(frozen=True)
class PlanRequest:
    """What to plan and how: horizon, batch size, solver time limit, seed, threads, processes."""

    horizon_days: int = 7
    max_batch: int = 20
    time_limit_s: float = 10.0
    seed: int = 0
    workers: int = 2
    processes: int = 2
    planning: PlanningParams = field(default_factory=PlanningParams)

    def __post_init__(self) -> None:
        if not 0 < self.time_limit_s <= 600:
            raise InvalidInput("time_limit_s must be in (0, 600]", field="time_limit_s")
        if self.workers < 1 or self.processes < 1:
            raise InvalidInput("workers and processes must be >= 1", field="workers")

    def params(self) -> PlanningParams:
        return replace(self.planning, horizon_days=self.horizon_days, max_batch=self.max_batch)

    def solver(self, workers: int | None = None) -> ScheduleParams:
        return ScheduleParams(time_limit_s=self.time_limit_s, seed=self.seed, workers=workers or self.workers)


def parse_horizon(text: str) -> int:
    """``7d`` / ``7`` → 7 days; ``48h`` → 2 days (rounded up)."""
    raw = text.strip().lower()
    try:
        if raw.endswith("h"):
            return max(1, -(-int(raw[:-1]) // 24))
        return int(raw.removesuffix("d"))
    except ValueError:
        raise InvalidInput(f"horizon {text!r} is not like 7d or 48h", field="horizon") from None


# -- loading the store ---------------------------------------------------------------------------
@dataclass
class Loader:
    """Reads orders once and explodes BOMs for the builder."""

    uow: Any
    catalog: Catalog
    orders: dict[str, Order] = field(default_factory=dict)

    def order(self, order_id: str) -> Order:
        if order_id not in self.orders:
            self.orders[order_id] = self.uow.orders.get(order_id)
        return self.orders[order_id]

    def line(self, order_id: str, line_id: str, qty: int = 0, rush: bool = False) -> PlanLine:
        order = self.order(order_id)
        line = order.line(line_id)
        return PlanLine(order, line, self.catalog.explode(line.product_id, dict(line.options)), qty, rush)

    def batch(self, b: Batch) -> PlanBatch:
        return PlanBatch(b.id, b.setup_key, tuple(self.line(x.order_id, x.line_id, x.quantity) for x in b.lines))


def open_lines(uow: Any, loader: Loader, site_id: str, order_id: str | None = None,
               rush: bool = False) -> list[PlanLine]:
    """Routed lines of the site not in a live batch (of one order when given)."""
    batched = uow.production.batched_line_ids(site_id)
    refs = [r for r in uow.routing.line_refs(statuses=["routed"], site_id=site_id)
            if r["line_id"] not in batched and (order_id is None or r["order_id"] == order_id)]
    return [loader.line(r["order_id"], r["line_id"], rush=rush) for r in refs]


def live_batches(uow: Any, site_id: str) -> list[Batch]:
    return [b for st in LIVE for b in uow.production.list_batches(site=site_id, status=st.value, limit=100_000)]


def stored_schedule(site_id: str, meta: dict[str, Any], ops: Sequence[WorkOp], origin: datetime,
                    keep: set[str] | None = None) -> Schedule:
    """The engine schedule of stored work orders (minutes from ``origin``), of ``keep`` batches only."""
    engine_ops = tuple(ScheduledOp(o.batch_id, int(o.op_id), o.process, o.resource_id, o.unit, o.worker_id,
                                   to_minutes(origin, o.start), round(o.setup_minutes), to_minutes(origin, o.end))
                       for o in ops if keep is None or o.batch_id in keep)
    s = meta.get("summary", {})
    return Schedule(site_id, str(s.get("method", "stored")), str(meta.get("status")), float(meta.get("objective") or 0),
                    float(meta.get("bound") or 0), float(meta.get("runtime_s") or 0), int(meta.get("seed") or 0),
                    engine_ops, float(s.get("weighted_tardiness", 0)), int(s.get("changeover_minutes", 0)),
                    int(s.get("makespan", 0)))


def disruptions_of(meta: dict[str, Any] | None, now: datetime) -> list[Disruption]:
    """Disruptions of the active plan that have not ended by ``now``."""
    items = [Disruption.from_dict(d) for d in (meta or {}).get("summary", {}).get("disruptions", [])]
    return [d for d in items if d.end > now]


def started_ops(batches: Sequence[Batch], ops: Sequence[WorkOp], now: datetime) -> list[WorkOp]:
    """Work orders of started batches: in production, or whose first operation began before ``now``."""
    first: dict[str, datetime] = {}
    for o in ops:
        first[o.batch_id] = min(first.get(o.batch_id, o.start), o.start)
    started = {b.id for b in batches if b.status is BatchStatus.IN_PRODUCTION
               or (b.id in first and first[b.id] < now)}
    return [o for o in ops if o.batch_id in started]


def plan_origin(now: datetime, ops: Sequence[WorkOp]) -> datetime:
    return floor_minute(min([now] + [o.start for o in ops]))


# -- storing -------------------------------------------------------------------------------------
def _next_lots(uow: Any, site_id: str, now: datetime, n: int) -> list[str]:
    prefix = lot_code(site_id, now, 0)[:-3]
    used = uow.production.lots_with_prefix(prefix)
    free = [lot for seq in range(1, 999) if (lot := lot_code(site_id, now, seq)) not in used]
    if len(free) < n:
        raise Infeasible(f"no free lot codes left at {site_id} today", field="lot")
    return free[:n]


def store_new_batches(uow: Any, sp: SiteProblem, site_id: str, now: datetime, actor: str,
                      ids: Sequence[str] | None = None) -> dict[str, str]:
    """Store the formed batches (lines → scheduled); returns engine id → stored id."""
    formed = [b for b in sp.formation.batches if ids is None or b.id in ids]
    names: dict[str, str] = {}
    for b, lot in zip(formed, _next_lots(uow, site_id, now, len(formed))):
        lines = [sp.lines[name] for name in b.lines]
        batch = Batch(f"B-{lot}", site_id, b.setup_key,
                      tuple(BatchLine(pl.line.id, pl.order.id, pl.line.sku, pl.units) for pl in lines), lot,
                      product_id=lines[0].line.product_id, due=sp.at(b.due))
        uow.production.add_batch(batch, now)
        names[b.id] = batch.id
        _schedule_lines(uow, [(pl.order.id, pl.line.id) for pl in lines], now, actor, f"in batch {batch.id}")
    return names


def _schedule_lines(uow: Any, refs: list[tuple[str, str]], now: datetime, actor: str, reason: str) -> None:
    by_order: dict[str, list[str]] = {}
    for order_id, line_id in refs:
        by_order.setdefault(order_id, []).append(line_id)
    for order_id in sorted(by_order):
        order, events = uow.orders.get(order_id), []
        for line_id in by_order[order_id]:
            if order.line(line_id).status is OrderStatus.ROUTED:
                order, evs = advance_line(order, line_id, OrderStatus.SCHEDULED, now, reason)
                events += evs
        if events:
            uow.orders.save_status(order, events, actor)


def check_or_raise(problem: SchedulingProblem, schedule: Schedule) -> None:
    """Refuse a schedule the independent checker finds infeasible."""
    errors = check_schedule(problem, schedule)
    if errors or schedule.unscheduled:
        shown = "; ".join(errors[:5]) or f"unscheduled {', '.join(schedule.unscheduled)}"
        raise Infeasible(f"site {problem.site_id}: the schedule ({schedule.status}) is not feasible: {shown}",
                         field="schedule", details={"errors": errors[:50], "status": schedule.status})


def work_ops(schedule: Schedule, origin: datetime) -> list[WorkOp]:
    return [WorkOp(o.batch_id, str(o.op_index), o.process, o.resource_id, to_datetime(origin, o.start),
                   to_datetime(origin, o.end), o.unit, o.worker_id, float(o.setup)) for o in schedule.ops]


def summary_of(problem: SchedulingProblem, schedule: Schedule, origin: datetime, now: datetime) -> dict[str, Any]:
    """Figures of a schedule: tardiness (weight x minutes), changeover minutes, makespan, late batches."""
    last: dict[str, int] = {}
    for o in schedule.ops:
        last[o.batch_id] = max(last.get(o.batch_id, 0), o.end)
    late = sorted(b.id for b in problem.batches if b.id in last and last[b.id] > b.due)
    return {"method": schedule.method, "weighted_tardiness": schedule.weighted_tardiness,
            "changeover_minutes": schedule.changeover_minutes, "makespan": schedule.makespan,
            "makespan_at": to_datetime(origin, schedule.makespan).isoformat(), "origin": origin.isoformat(),
            "now": now.isoformat(), "horizon_min": problem.horizon, "batches": len(problem.batches),
            "operations": len(schedule.ops), "late_batches": late, "frozen": len(problem.frozen),
            "frozen_ops": [[o.batch_id, o.op_index] for o in problem.frozen]}


def store_plan(uow: Any, problem: SchedulingProblem, schedule: Schedule, origin: datetime, now: datetime,
               actor: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Check, then store the plan as the site's active plan and set the batches' planned times."""
    check_or_raise(problem, schedule)
    site_id = problem.site_id
    plan_id = f"PL-{site_id}-{now:%Y%m%d%H%M%S}-{uow.production.count_plans(site_id) + 1:03d}"
    summary = {**summary_of(problem, schedule, origin, now), **(extra or {})}
    meta = {"status": schedule.status, "objective": schedule.objective, "bound": schedule.bound,
            "runtime_s": round(schedule.runtime_s, 4), "seed": schedule.seed, "summary": summary}
    uow.production.save_plan(plan_id, site_id, meta, work_ops(schedule, origin), now)
    spans: dict[str, tuple[int, int]] = {}
    for o in schedule.ops:
        s, e = spans.get(o.batch_id, (o.start, o.end))
        spans[o.batch_id] = (min(s, o.start), max(e, o.end))
    for bid, (s, e) in sorted(spans.items()):
        uow.production.set_batch_times(bid, to_datetime(origin, s), to_datetime(origin, e), plan_id)
    uow.audit.add(actor, "planning.plan", "plan", plan_id,
                  {"site": site_id, "status": schedule.status, "batches": summary["batches"],
                   "weighted_tardiness": schedule.weighted_tardiness}, now)
    return {"plan_id": plan_id, "site_id": site_id, **{k: meta[k] for k in ("status", "objective", "bound",
                                                                              "runtime_s", "seed")}, **summary}


# -- use cases ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Prepared:
    """A site's problem with its new batches stored, ready to solve."""

    problem: SchedulingProblem
    origin: datetime
    new_batches: tuple[str, ...]
    disruptions: tuple[Disruption, ...]


def prepare_site(uow: Any, network: Network, loader: Loader, site: Site, now: datetime, req: PlanRequest,
                 actor: str) -> Prepared:
    """Form and store batches of the site's open lines; the problem of every live batch."""
    params = req.params()
    active = uow.production.active_plan(site.id)
    meta, ops = active if active is not None else (None, [])
    batches = live_batches(uow, site.id)
    live = {b.id for b in batches}
    frozen_ops = started_ops(batches, [o for o in ops if o.batch_id in live], now)
    origin = plan_origin(now, frozen_ops)
    lines = releasable(open_lines(uow, loader, site.id), site, now, params)
    sp = build_site_problem(site, lines, [loader.batch(b) for b in batches], now, params,
                            sites=production_sites(network), origin=origin)
    names = store_new_batches(uow, sp, site.id, now, actor)
    frozen = stored_schedule(site.id, meta or {}, frozen_ops, origin).ops
    disruptions = disruptions_of(meta, now)
    problem = replace(rename_batches(sp.problem, names), frozen=frozen)
    problem = with_disruptions(problem, origin, disruptions, frozen)
    return Prepared(problem, origin, tuple(names.values()), tuple(disruptions))


def plan_stored(uow: Any, req: PlanRequest, *, now: datetime, site: str | None = None,
                actor: str = "system") -> dict[str, Any]:
    """Plan one site (or every production site): batches, CP-SAT schedule, checked, stored."""
    network = uow.network.load()
    loader = Loader(uow, uow.catalog.load(network))
    sites = [network.site(site)] if site else [s for s in production_sites(network) if s.is_up]
    if site and not sites[0].resources:
        raise InvalidInput(f"site {site} has no resources to plan", field="site")
    prepared = {s.id: prepare_site(uow, network, loader, s, now, req, actor) for s in sites}
    todo = [p.problem for p in prepared.values() if p.problem.batches]
    if len(todo) > 1 and req.processes > 1:
        schedules = plan_sites(todo, req.solver(workers=1), max_workers=req.processes)
    else:
        schedules = {p.site_id: plan_site(p, req.solver()) for p in todo}
    out = []
    for sid, p in prepared.items():
        if sid not in schedules:
            out.append({"site_id": sid, "status": "optimal", "batches": 0, "plan_id": None,
                        "note": "nothing to plan"})
            continue
        extra = {"new_batches": list(p.new_batches), "disruptions": [d.as_dict() for d in p.disruptions],
                 "horizon_days": req.horizon_days, "time_limit_s": req.time_limit_s}
        out.append(store_plan(uow, p.problem, schedules[sid], p.origin, now, actor, extra))
    return {"sites": out} if site is None else out[0]


# -- scenario folder (no store) -------------------------------------------------------------------
@dataclass(frozen=True)
class FolderPlan:
    """One site's plan from a folder: the problem, its schedule and origin."""

    problem: SchedulingProblem
    schedule: Schedule
    origin: datetime
    now: datetime


def plan_scenario(scenario: Scenario, req: PlanRequest, *, site: str | None = None, now: datetime | None = None,
                  route_policy: str = "greedy", route_time_limit_s: float = 10.0) -> dict[str, FolderPlan]:
    """Route the folder's lines, then plan the site (or each site with lines); checked schedules."""
    from microfactory.services.routing import RouteRequest, route_scenario

    if not scenario.orders:
        raise InvalidInput("the scenario has no orders to plan", field="orders")
    now = floor_minute(now or datetime.combine(min(o.created for o in scenario.orders).date(), datetime.min.time()))
    routed = route_scenario(scenario, RouteRequest(route_policy, time_limit_s=route_time_limit_s),
                            start=now.date(), compare=False)
    where = {r["line_id"]: r["site_id"] for r in routed["items"]}
    network = scenario.network
    if site is not None:
        network.site(site)
    wanted = [network.site(site)] if site else [s for s in production_sites(network) if s.is_up]
    problems = {}
    for s in wanted:
        lines = [PlanLine(o, ln, scenario.catalog.explode(ln.product_id, dict(ln.options)))
                 for o in scenario.orders for ln in o.lines if where.get(ln.id) == s.id]
        lines = releasable(lines, s, now, req.params())
        if lines or site:
            problems[s.id] = build_site_problem(s, lines, [], now, req.params(), sites=production_sites(network))
    if site is not None and not problems[site].problem.batches:
        raise NotFound(f"no order line of the folder is routed to {site} within the horizon", field="site")
    todo = [p.problem for p in problems.values()]
    if len(todo) > 1 and req.processes > 1:
        schedules = plan_sites(todo, req.solver(workers=1), max_workers=req.processes)
    else:
        schedules = {p.site_id: plan_site(p, req.solver()) for p in todo}
    for p in todo:
        check_or_raise(p, schedules[p.site_id])
    return {sid: FolderPlan(sp.problem, schedules[sid], sp.origin, now) for sid, sp in problems.items()}


__all__ = [
    "LIVE",
    "FolderPlan",
    "Loader",
    "PlanRequest",
    "Prepared",
    "check_or_raise",
    "disruptions_of",
    "live_batches",
    "open_lines",
    "parse_horizon",
    "plan_origin",
    "plan_scenario",
    "plan_stored",
    "prepare_site",
    "started_ops",
    "store_new_batches",
    "store_plan",
    "stored_schedule",
    "summary_of",
    "work_ops",
]
