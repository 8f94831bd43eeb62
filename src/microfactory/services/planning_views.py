"""Views of a site's active plan: work orders, batches, plan meta, Gantt data and SVG; folder plans."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from microfactory.domain.production import Batch
from microfactory.engines.scheduling import Schedule, SchedulingProblem, gantt_data, gantt_svg
from microfactory.errors import NotFound
from microfactory.services.planning import (
    FolderPlan,
    Loader,
    disruptions_of,
    stored_schedule,
    summary_of,
)
from microfactory.services.planning_problem import (
    PlanningParams,
    build_site_problem,
    to_datetime,
    with_disruptions,
)
from microfactory.services.routing_problem import production_sites


def _active(uow: Any, site_id: str) -> tuple[dict[str, Any], list[Any]]:
    uow.network.get_site(site_id)
    active = uow.production.active_plan(site_id)
    if active is None:
        raise NotFound(f"site {site_id} has no plan yet", field="site_id")
    return active  # type: ignore[no-any-return]


def stored_plan(uow: Any, site_id: str) -> tuple[dict[str, Any], SchedulingProblem, Schedule, datetime,
                                                 dict[str, Batch]]:
    """The active plan as (meta, problem, schedule, origin, batches) with the plan's batches."""
    meta, ops = _active(uow, site_id)
    network = uow.network.load()
    site = network.site(site_id)
    origin = datetime.fromisoformat(meta["summary"]["origin"])
    created = datetime.fromisoformat(meta["created_at"])
    loader = Loader(uow, uow.catalog.load(network))
    batches = {bid: uow.production.get_batch(bid) for bid in sorted({o.batch_id for o in ops})}
    sp = build_site_problem(site, [], [loader.batch(b) for b in batches.values()], created, _params(meta),
                            sites=production_sites(network), origin=origin)
    schedule = stored_schedule(site_id, meta, ops, origin)
    keys = {(str(b), int(k)) for b, k in meta["summary"].get("frozen_ops", [])}
    frozen = tuple(o for o in schedule.ops if (o.batch_id, o.op_index) in keys)
    problem = with_disruptions(replace(sp.problem, frozen=frozen), origin, disruptions_of(meta, created), frozen)
    return meta, problem, schedule, origin, batches


def _params(meta: dict[str, Any]) -> PlanningParams:
    return PlanningParams(horizon_days=int(meta["summary"].get("horizon_days", 7)))


def _meta_view(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: meta[k] for k in ("id", "site_id", "status", "objective", "bound", "runtime_s", "seed", "created_at")} \
        | {"summary": meta["summary"]}


def schedule_view(uow: Any, site_id: str, svg: bool = False) -> dict[str, Any]:
    """Plan meta, work orders (operation, resource, unit, worker, start, end) per batch, Gantt data
    (and with ``svg`` the Gantt chart, from the same stored plan)."""
    meta, problem, schedule, origin, batches = stored_plan(uow, site_id)
    due = {b.id: b.due for b in problem.batches}
    ops = [{"batch": o.batch_id, "lot": batches[o.batch_id].lot, "op": o.op_index, "process": o.process,
            "resource": o.resource_id, "unit": o.unit, "worker": o.worker_id, "setup_minutes": o.setup,
            "start": to_datetime(origin, o.start).isoformat(), "end": to_datetime(origin, o.end).isoformat()}
           for o in schedule.ops]
    rows = []
    for bid, b in batches.items():
        end = max(o.end for o in schedule.ops if o.batch_id == bid)
        rows.append({"id": bid, "lot": b.lot, "status": b.status.value, "setup_key": b.setup_key, "units": b.units,
                     "product_id": b.product_id, "due": to_datetime(origin, due[bid]).isoformat(),
                     "planned_end": to_datetime(origin, end).isoformat(), "late_minutes": max(0, end - due[bid]),
                     "lines": [{"line_id": x.line_id, "order_id": x.order_id, "quantity": x.quantity}
                               for x in b.lines]})
    out = {"plan": _meta_view(meta), "work_orders": ops, "batches": rows,
           "gantt": {**gantt_data(problem, schedule), "origin": origin.isoformat()}}
    if svg:
        out["svg"] = gantt_svg(problem, schedule, origin=origin)
    return out


def schedule_svg(uow: Any, site_id: str) -> str:
    """The active plan as an SVG Gantt chart."""
    _meta, problem, schedule, origin, _batches = stored_plan(uow, site_id)
    return gantt_svg(problem, schedule, origin=origin)


def folder_view(plan: FolderPlan) -> dict[str, Any]:
    """A folder plan as JSON-able data: solver report, figures, batches and work orders."""
    s, origin = plan.schedule, plan.origin
    batches = [{"id": b.id, "setup_key": b.setup_key, "units": b.qty, "lines": list(b.lines),
                "release": to_datetime(origin, b.release).isoformat(), "due": to_datetime(origin, b.due).isoformat()}
               for b in plan.problem.batches]
    ops = [{"batch": o.batch_id, "op": o.op_index, "process": o.process, "resource": o.resource_id, "unit": o.unit,
            "worker": o.worker_id, "setup_minutes": o.setup, "start": to_datetime(origin, o.start).isoformat(),
            "end": to_datetime(origin, o.end).isoformat()} for o in s.ops]
    return {"site_id": s.site_id, "status": s.status, "objective": s.objective, "bound": s.bound,
            "runtime_s": round(s.runtime_s, 4), "seed": s.seed, **summary_of(plan.problem, s, origin, plan.now),
            "batch_list": batches, "work_orders": ops}


__all__ = ["folder_view", "schedule_svg", "schedule_view", "stored_plan"]
