"""Production planning: plan a site, its schedule (JSON and SVG Gantt), events that re-plan it, bottlenecks.

Admins act on every site, a site operator on its own site only (403 for another site);
brands and the public get 403.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from microfactory.domain.access import Principal, Role, require, site_scope
from microfactory.entrypoints.api.deps import ContainerDep, PrincipalDep, UowDep
from microfactory.entrypoints.api.errors import error_responses
from microfactory.entrypoints.api.writes import idempotent_write
from microfactory.services.planning import PlanRequest, plan_stored
from microfactory.services.planning_events import apply_event, bottleneck_report
from microfactory.services.planning_views import schedule_svg, schedule_view

router = APIRouter(prefix="/v1/sites", tags=["planning"])
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)]


def _site(p: Principal, site_id: str) -> str:
    """The site the caller may plan: admin any, a site operator its own (else 403)."""
    require(p, Role.ADMIN, Role.SITE_OPERATOR)
    return site_scope(p, site_id) or site_id


class PlanCreate(BaseModel):
    """Plan the site: batch its routed lines and schedule every live batch."""

    horizon_days: int = Field(7, ge=1, le=60)
    max_batch: int = Field(20, ge=1, le=1000)
    time_limit_s: float = Field(10.0, gt=0, le=120)
    seed: int = Field(0, ge=0)


class SiteEvent(BaseModel):
    """Something happened at the site; the schedule is re-planned around it."""

    kind: Literal["machine_down", "worker_absent", "rush_order", "batch_rejected"]
    resource: str | None = Field(None, max_length=64, description="machine_down: the resource")
    unit: int | None = Field(None, ge=0, description="machine_down: one unit (default: all)")
    worker: str | None = Field(None, max_length=64, description="worker_absent: the worker")
    from_: datetime | None = Field(None, alias="from", description="machine_down / worker_absent: start")
    to: datetime | None = Field(None, description="machine_down / worker_absent: end")
    order_id: str | None = Field(None, max_length=64, description="rush_order: the order")
    batch_id: str | None = Field(None, max_length=64, description="batch_rejected: the batch")
    time_limit_s: float = Field(5.0, gt=0, le=120)
    seed: int = Field(0, ge=0)

    model_config = {"populate_by_name": True}

    def event(self) -> dict[str, Any]:
        body = self.model_dump(by_alias=True, exclude={"time_limit_s", "seed"}, exclude_none=True)
        return body


@router.post("/{site_id}/plan", status_code=201, responses=error_responses(403, 404, 409, 422))
def create_plan(site_id: str, body: PlanCreate, c: ContainerDep, p: PrincipalDep,
                idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Form batches of the routed lines and schedule the site (status, objective, bound, runtime, seed, figures)."""
    site = _site(p, site_id)
    req = PlanRequest(body.horizon_days, body.max_batch, body.time_limit_s, body.seed)
    return idempotent_write(c, f"planning:plan:{site}", idempotency_key, body.model_dump(),
                            lambda uow: plan_stored(uow, req, now=c.clock.now(), site=site, actor=p.actor), 201)


@router.get("/{site_id}/schedule", responses=error_responses(403, 404))
def get_schedule(site_id: str, uow: UowDep, p: PrincipalDep) -> dict[str, Any]:
    """The active plan: meta, work orders (resource, unit, worker, start, end), batches and Gantt data."""
    return schedule_view(uow, _site(p, site_id))


@router.get("/{site_id}/schedule.svg", response_class=Response, responses=error_responses(403, 404))
def get_schedule_svg(site_id: str, uow: UowDep, p: PrincipalDep) -> Response:
    """The active plan as an SVG Gantt chart."""
    return Response(schedule_svg(uow, _site(p, site_id)), media_type="image/svg+xml")


@router.post("/{site_id}/events", responses=error_responses(403, 404, 409, 422))
def post_event(site_id: str, body: SiteEvent, c: ContainerDep, p: PrincipalDep,
               idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Re-plan after an event with started operations frozen; the new plan and the operations that moved."""
    site = _site(p, site_id)
    req = PlanRequest(time_limit_s=body.time_limit_s, seed=body.seed)
    return idempotent_write(c, f"planning:event:{site}", idempotency_key, body.model_dump(mode="json", by_alias=True),
                            lambda uow: apply_event(uow, site, body.event(), now=c.clock.now(), req=req,
                                                    actor=p.actor))


@router.get("/{site_id}/bottlenecks", responses=error_responses(403, 404, 422))
def get_bottlenecks(site_id: str, uow: UowDep, c: ContainerDep, p: PrincipalDep,
                    time_limit_s: float = Query(1.0, gt=0, le=30), top: int = Query(2, ge=1, le=5),
                    seed: int = Query(0, ge=0)) -> dict[str, Any]:
    """Utilisation by resource, process and skill; the single added skill or extra shift that cuts tardiness most."""
    return bottleneck_report(uow, _site(p, site_id), now=c.clock.now(), time_limit_s=time_limit_s, top=top, seed=seed)
