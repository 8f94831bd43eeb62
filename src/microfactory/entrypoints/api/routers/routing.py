"""Routing: runs (batch), online placement of an order, assignments, site capacity and status."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query
from pydantic import BaseModel, ConfigDict, Field

from microfactory.entrypoints.api.deps import ContainerDep, UowDep
from microfactory.entrypoints.api.errors import error_responses
from microfactory.entrypoints.api.writes import idempotent_write
from microfactory.services.routing import (
    RouteRequest,
    place_new_order,
    route_stored,
    set_site_status,
)
from microfactory.services.routing_views import assignment_view, capacity_view, run_view

router = APIRouter(prefix="/v1", tags=["routing"])
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)]


class RunCreate(BaseModel):
    """A batch routing run over the validated lines (optionally of one brand)."""

    model_config = ConfigDict(extra="forbid")

    policy: Literal["optimal", "greedy", "rules"] = "optimal"
    brand: str | None = Field(None, max_length=64)
    time_limit_s: float = Field(30.0, gt=0, le=600)


class SiteStatusChange(BaseModel):
    """Take a site down (its unstarted lines are re-routed) or bring it back up."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["up", "down"]
    reason: str = Field("", max_length=500)


@router.post("/routing/runs", status_code=201, responses=error_responses(404, 409, 422))
def create_run(body: RunCreate, c: ContainerDep, idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Route the open lines; returns the run summary (status, objective, bound, gap, assigned, unassigned, late, costs)."""
    req = RouteRequest(body.policy, body.brand, body.time_limit_s)
    return idempotent_write(c, "routing:runs", idempotency_key, body.model_dump(),
                            lambda uow: route_stored(uow, req, now=c.clock.now(), actor="api"), 201)


@router.get("/routing/runs/{run_id}", responses=error_responses(404))
def get_run(run_id: str, uow: UowDep) -> dict[str, Any]:
    """A stored routing run's summary."""
    return run_view(uow, run_id)


@router.post("/orders/{order_id}/route", responses=error_responses(404, 409, 422))
def route_order(order_id: str, c: ContainerDep, idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Place one order's validated lines online against the reserved capacity (milliseconds, no re-solve)."""
    return idempotent_write(c, f"routing:order:{order_id}", idempotency_key, {"order_id": order_id},
                            lambda uow: place_new_order(uow, order_id, now=c.clock.now(), actor="api"))


@router.get("/orders/{order_id}/assignment", responses=error_responses(404))
def get_assignment(order_id: str, uow: UowDep, brand: str | None = Query(None, max_length=64)) -> dict[str, Any]:
    """Per line: site, cost breakdown, next best candidates and why other sites were rejected."""
    return assignment_view(uow, order_id, brand=brand)


@router.get("/sites/{site_id}/capacity", responses=error_responses(404, 422))
def get_capacity(site_id: str, uow: UowDep, c: ContainerDep, from_: date | None = Query(None, alias="from"),
                 days: int = Query(14, ge=1, le=366)) -> dict[str, Any]:
    """Capacity against reserved minutes per process and day."""
    return capacity_view(uow, site_id, from_ or c.clock.now().date(), days)


@router.post("/sites/{site_id}/status", responses=error_responses(404, 409, 422))
def change_site_status(site_id: str, body: SiteStatusChange, c: ContainerDep,
                       idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Set a site up or down; going down re-routes its unstarted lines (started work stays)."""
    return idempotent_write(c, f"sites:status:{site_id}", idempotency_key, body.model_dump(),
                            lambda uow: set_site_status(uow, site_id, body.status, now=c.clock.now(),
                                                        reason=body.reason, actor="api"))
