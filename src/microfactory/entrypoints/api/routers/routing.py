"""Routing: runs (batch), online placement of an order, assignments, site capacity and status.

Roles: routing runs are the network admin's (they weigh every brand's lines); a brand places and
reads the assignment of its own orders; a site operator reads assignments to its site and the
capacity and status of its own site, and may take it down or up.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query
from pydantic import BaseModel, ConfigDict, Field

from microfactory.domain.access import Role, brand_scope, require
from microfactory.entrypoints.api.deps import ContainerDep, PrincipalDep, UowDep
from microfactory.entrypoints.api.errors import error_responses
from microfactory.entrypoints.api.scopes import (
    TENANTS,
    operated_site,
    operator_site,
    order_in_scope,
    tenant_scope,
)
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


@router.post("/routing/runs", status_code=201, responses=error_responses(401, 403, 404, 409, 422))
def create_run(body: RunCreate, c: ContainerDep, p: PrincipalDep, idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Route the open lines; returns the run summary (status, objective, bound, gap, assigned, unassigned, late, costs).

    Network admin only."""
    require(p, Role.ADMIN)
    req = RouteRequest(body.policy, body.brand, body.time_limit_s)
    return idempotent_write(c, "routing:runs", idempotency_key, body.model_dump(),
                            lambda uow: route_stored(uow, req, now=c.clock.now(), actor=p.actor), 201)


@router.get("/routing/runs/{run_id}", responses=error_responses(401, 403, 404))
def get_run(run_id: str, uow: UowDep, p: PrincipalDep) -> dict[str, Any]:
    """A stored routing run's summary (network admin only: it covers every brand)."""
    require(p, Role.ADMIN)
    return run_view(uow, run_id)


@router.post("/orders/{order_id}/route", responses=error_responses(401, 403, 404, 409, 422))
def route_order(order_id: str, c: ContainerDep, p: PrincipalDep, idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Place one order's validated lines online against the reserved capacity (milliseconds, no re-solve).

    The admin, or the brand of the order (another brand's order is not found)."""
    require(p, *TENANTS)

    def work(uow: Any) -> dict[str, Any]:
        order_in_scope(uow, p, order_id)
        return place_new_order(uow, order_id, now=c.clock.now(), actor=p.actor)

    return idempotent_write(c, tenant_scope(f"routing:order:{order_id}", p), idempotency_key, {"order_id": order_id}, work)


@router.get("/orders/{order_id}/assignment", responses=error_responses(401, 403, 404))
def get_assignment(order_id: str, uow: UowDep, p: PrincipalDep,
                   brand: str | None = Query(None, max_length=64)) -> dict[str, Any]:
    """Per line: site, cost breakdown, next best candidates and why other sites were rejected.

    A brand sees its own orders; a site operator the lines assigned to its site."""
    return assignment_view(uow, order_id, brand=brand_scope(p, brand), site=operator_site(p))


@router.get("/sites/{site_id}/capacity", responses=error_responses(401, 403, 404, 422))
def get_capacity(site_id: str, uow: UowDep, c: ContainerDep, p: PrincipalDep,
                 from_: date | None = Query(None, alias="from"), days: int = Query(14, ge=1, le=366)) -> dict[str, Any]:
    """Capacity against reserved minutes per process and day (admin, or the site's operator)."""
    return capacity_view(uow, operated_site(p, site_id), from_ or c.clock.now().date(), days)


@router.post("/sites/{site_id}/status", responses=error_responses(401, 403, 404, 409, 422))
def change_site_status(site_id: str, body: SiteStatusChange, c: ContainerDep, p: PrincipalDep,
                       idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Set a site up or down; going down re-routes its unstarted lines (started work stays).

    The admin, or the site's own operator."""
    site = operated_site(p, site_id)
    return idempotent_write(c, tenant_scope(f"sites:status:{site}", p), idempotency_key, body.model_dump(),
                            lambda uow: set_site_status(uow, site, body.status, now=c.clock.now(),
                                                        reason=body.reason, actor=p.actor))
