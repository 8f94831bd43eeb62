"""Re-planning a site on events, and its bottlenecks with cross-training / extra-shift candidates.

Events: ``machine_down {resource, unit?, from, to}``, ``worker_absent {worker, from, to}``,
``rush_order {order_id}`` (its routed lines at the site become high-weight batches),
``batch_rejected {batch_id}`` (the remake batch — QC's, or one made here of the whole batch —
is fitted in). The engine's ``replan`` freezes operations that started before ``now`` and
penalises moving the others; the new plan is checked, stored, and reports what moved.
Machine-down and absence periods are kept in the plan summary and applied to later plans.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from microfactory.domain.network import Site
from microfactory.domain.production import Batch, BatchStatus, lot_code, move_batch
from microfactory.engines.scheduling import Batch as EngineBatch
from microfactory.engines.scheduling import (
    Event,
    MachineDown,
    Move,
    RushOrder,
    Schedule,
    ScheduleParams,
    SchedulingProblem,
    WorkerAbsent,
    bottlenecks,
    plan_site,
    replan,
    utilisation,
)
from microfactory.errors import IllegalTransition, InvalidInput, NotFound
from microfactory.services.planning import (
    Loader,
    PlanRequest,
    disruptions_of,
    live_batches,
    open_lines,
    plan_origin,
    store_new_batches,
    store_plan,
    stored_schedule,
)
from microfactory.services.planning_problem import (
    Disruption,
    build_site_problem,
    rename_batches,
    to_datetime,
    to_minutes,
    with_disruptions,
)
from microfactory.services.routing_problem import production_sites

EVENT_KINDS = ("machine_down", "worker_absent", "rush_order", "batch_rejected")


@dataclass(frozen=True)
class SiteState:
    """A site's live batches as a problem, its active plan as a schedule, both from ``origin``."""

    site: Site
    problem: SchedulingProblem
    previous: Schedule
    origin: datetime
    meta: dict[str, Any]
    loader: Loader


def site_state(uow: Any, site_id: str, now: datetime, req: PlanRequest, *, exclude: frozenset[str] = frozenset(),
               lines: list[Any] | None = None, actor: str = "system") -> tuple[SiteState, dict[str, str]]:
    """The state to re-plan from (``exclude``: batches left out; ``lines``: new lines batched and stored)."""
    network = uow.network.load()
    site = network.site(site_id)
    active = uow.production.active_plan(site_id)
    if active is None:
        raise NotFound(f"site {site_id} has no active plan; run `microfactory plan` first", field="site_id")
    meta, ops = active
    loader = Loader(uow, uow.catalog.load(network))
    batches = [b for b in live_batches(uow, site_id) if b.id not in exclude]
    live = {b.id for b in batches}
    plan_ops = [o for o in ops if o.batch_id in live]
    origin = plan_origin(now, plan_ops)
    sp = build_site_problem(site, lines or [], [loader.batch(b) for b in batches], now,
                            req.params(), sites=production_sites(network), origin=origin)
    names = store_new_batches(uow, sp, site_id, now, actor) if lines else {}
    previous = stored_schedule(site_id, meta, plan_ops, origin)
    frozen = [o for o in previous.ops if o.start < to_minutes(origin, now)]
    problem = with_disruptions(rename_batches(sp.problem, names), origin, disruptions_of(meta, now), frozen)
    return SiteState(site, problem, previous, origin, meta, loader), names


def _when(event: Mapping[str, Any], key: str) -> datetime:
    value = event.get(key)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    try:
        return datetime.fromisoformat(str(value)).replace(tzinfo=None)
    except ValueError:
        raise InvalidInput(f"{key!r} must be an ISO datetime, got {value!r}", field=key) from None


def _required(event: Mapping[str, Any], key: str) -> str:
    value = event.get(key)
    if not value:
        raise InvalidInput(f"event {event.get('kind')} needs {key!r}", field=key)
    return str(value)


def _remakes(uow: Any, st_batches: list[Batch], batch_id: str, site_id: str, planned: set[str], now: datetime,
             actor: str) -> list[Batch]:
    """Remake batches of ``batch_id`` not yet in the plan; one of the whole batch is made if QC made none."""
    original = uow.production.get_batch(batch_id)
    if original.site_id != site_id:
        raise NotFound(f"batch {batch_id!r} does not exist at {site_id}", field="batch_id")
    found = [b for b in st_batches if b.id.startswith(f"{batch_id}-R") and b.status is BatchStatus.PLANNED]
    fresh = [b for b in found if b.id not in planned]
    if fresh:
        return fresh
    if found:
        raise InvalidInput(f"the remake of {batch_id} ({found[0].id}) is already planned", field="batch_id")
    if original.status is not BatchStatus.REJECTED:
        raise IllegalTransition(f"batch {batch_id} is {original.status.value}; QC must reject it first",
                                field="batch_id")
    k = 1 + sum(1 for b in uow.production.list_batches(site=site_id, limit=100_000) if b.id.startswith(f"{batch_id}-R"))
    used = uow.production.lots_with_prefix(lot_code(site_id, now, 0)[:-3])
    lot = next(x for seq in range(1, 999) if (x := lot_code(site_id, now, seq)) not in used)
    remake = Batch(f"{batch_id}-R{k}", site_id, original.setup_key, original.lines, lot, BatchStatus.PLANNED,
                   original.product_id, original.due)
    uow.production.add_batch(remake, now)
    uow.production.set_batch_status(batch_id, move_batch(original, BatchStatus.CANCELLED).status)
    uow.audit.add(actor, "planning.remake", "batch", remake.id, {"rejected": batch_id}, now)
    return [remake]


def _pop(problem: SchedulingProblem, bid: str) -> tuple[SchedulingProblem, EngineBatch]:
    batch = problem.batch(bid)
    return replace(problem, batches=tuple(b for b in problem.batches if b.id != bid)), batch


def _event(uow: Any, site_id: str, event: Mapping[str, Any], now: datetime, req: PlanRequest,
           actor: str) -> tuple[SiteState, Event, list[Disruption]]:
    kind = event.get("kind")
    if kind in ("machine_down", "worker_absent"):
        st, _ = site_state(uow, site_id, now, req)
        key = "resource" if kind == "machine_down" else "worker"
        unit = event.get("unit")
        d = Disruption(kind, _required(event, key), _when(event, "from"), _when(event, "to"),
                       int(unit) if unit is not None else None)
        start, end = max(0, to_minutes(st.origin, d.start)), to_minutes(st.origin, d.end)
        if end <= to_minutes(st.origin, now):
            raise InvalidInput(f"{kind} ends at {d.end:%Y-%m-%d %H:%M}, before now", field="to")
        ev: Event = MachineDown(d.target, start, end, d.unit) if kind == "machine_down" else \
            WorkerAbsent(d.target, start, end)
        return st, ev, [d]
    if kind == "rush_order":
        order_id = _required(event, "order_id")
        probe = Loader(uow, uow.catalog.load(uow.network.load()))
        lines = open_lines(uow, probe, site_id, order_id, rush=True)
        if not lines:
            raise InvalidInput(f"order {order_id} has no routed, unbatched line at {site_id}", field="order_id")
        st, names = site_state(uow, site_id, now, req, lines=lines, actor=actor)
        problem, first = _pop(st.problem, min(names.values()))
        return replace(st, problem=problem), RushOrder(first), []
    if kind == "batch_rejected":
        batch_id = _required(event, "batch_id")
        active = uow.production.active_plan(site_id)
        planned = {o.batch_id for o in active[1]} if active else set()
        remakes = _remakes(uow, live_batches(uow, site_id), batch_id, site_id, planned, now, actor)
        st, _ = site_state(uow, site_id, now, req)
        problem, first = _pop(st.problem, remakes[0].id)
        return replace(st, problem=problem), RushOrder(first), []
    raise InvalidInput(f"event kind must be one of {', '.join(EVENT_KINDS)}", field="kind")


def _op_view(origin: datetime, op: Any) -> dict[str, Any] | None:
    if op is None:
        return None
    return {"start": to_datetime(origin, op.start).isoformat(), "end": to_datetime(origin, op.end).isoformat(),
            "resource": op.resource_id, "unit": op.unit, "worker": op.worker_id}


def move_view(origin: datetime, m: Move) -> dict[str, Any]:
    shift = m.after.start - m.before.start if m.before is not None else None
    return {"batch": m.batch_id, "op": m.op_index, "process": m.after.process, "before": _op_view(origin, m.before),
            "after": _op_view(origin, m.after), "shift_minutes": shift}


def apply_event(uow: Any, site_id: str, event: Mapping[str, Any], *, now: datetime, req: PlanRequest | None = None,
                actor: str = "system") -> dict[str, Any]:
    """Re-plan the site after ``event`` (frozen: operations started before now); store it; report moves."""
    req = req or PlanRequest(time_limit_s=5.0)
    st, ev, new = _event(uow, site_id, event, now, req, actor)
    result = replan(st.problem, st.previous, ev, to_minutes(st.origin, now), req.solver())
    moves = [move_view(st.origin, m) for m in result.moved]
    disruptions = [d.as_dict() for d in [*disruptions_of(st.meta, now), *new]]
    view = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in event.items()}
    extra = {"event": view, "moves": moves, "moved": len(moves), "notes": list(result.notes),
             "kept_frozen": len(result.frozen), "disruptions": disruptions, "replanned_from": st.meta.get("id")}
    return store_plan(uow, result.problem, result.schedule, st.origin, now, actor, extra)


def bottleneck_report(uow: Any, site_id: str, *, now: datetime, time_limit_s: float = 1.0, top: int = 2,
                      seed: int = 0) -> dict[str, Any]:
    """Loads of the active plan by resource, process and skill; candidates re-solved and ranked."""
    if not 1 <= top <= 5:
        raise InvalidInput("top must be 1 to 5", field="top")
    req = PlanRequest(time_limit_s=time_limit_s, seed=seed)
    st, _ = site_state(uow, site_id, now, req)
    loads = utilisation(st.problem, st.previous)
    params = ScheduleParams(time_limit_s=time_limit_s, seed=seed, workers=1)
    baseline = plan_site(st.problem, params)
    report = bottlenecks(st.problem, baseline, params, top=top)
    rows = [{"kind": u.kind, "name": u.name, "busy_minutes": u.busy_minutes, "available_minutes": u.available_minutes,
             "utilisation": round(u.utilisation, 4)} for u in loads]
    limiting = max(rows, key=lambda r: (r["utilisation"], r["kind"], r["name"]))
    return {"site_id": site_id, "plan_id": st.meta.get("id"), "loads": rows, "limiting": limiting,
            "plan_tardiness": st.previous.weighted_tardiness,
            "baseline": {"weighted_tardiness": baseline.weighted_tardiness, "status": baseline.status,
                         "changeover_minutes": baseline.changeover_minutes, "makespan": baseline.makespan,
                         "time_limit_s": time_limit_s, "seed": seed},
            "candidates": [{"kind": c.kind, "description": c.description, "weighted_tardiness": c.weighted_tardiness,
                            "reduction": c.reduction, "changeover_minutes": c.changeover_minutes,
                            "makespan": c.makespan, "status": c.status} for c in report.candidates],
            "best": report.candidates[0].description if report.candidates and report.candidates[0].reduction > 0
            else None}


__all__ = ["EVENT_KINDS", "SiteState", "apply_event", "bottleneck_report", "move_view", "site_state"]
