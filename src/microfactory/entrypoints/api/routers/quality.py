"""Batches on the shop floor (start, finish, inspect, disposition) and quality: plans, states, drift.

Roles: batches, inspections and quality series belong to a site: the network admin sees and acts
on every site, a site operator on its own (another site's batch is not found, an explicit filter
on another site is 403); brands and the public get 403. Sampling plans (a table, no data) are
open to every signed-in role.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from pydantic import BaseModel, ConfigDict, Field

from microfactory.domain.access import require, site_scope
from microfactory.entrypoints.api.deps import ContainerDep, LimitQ, PrincipalDep, UowDep
from microfactory.entrypoints.api.errors import error_responses
from microfactory.entrypoints.api.scopes import (
    OPERATIONS,
    SIGNED_IN,
    batch_in_scope,
    operated_site,
    tenant_scope,
)
from microfactory.entrypoints.api.writes import idempotent_write
from microfactory.services import production, quality

router = APIRouter(prefix="/v1", tags=["production", "quality"])
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)]


class DefectIn(BaseModel):
    """One nonconformity: its class, type, how many, and (optionally) which sampled unit."""

    model_config = ConfigDict(extra="forbid")

    defect_class: str = Field(alias="class", pattern="^(critical|major|minor)$")
    type: str = Field(min_length=1, max_length=64)
    count: int = Field(1, ge=1, le=1000)
    unit: int | None = Field(None, ge=0)


class InspectionIn(BaseModel):
    """What the inspector records; ``action`` decides what a rejection leads to."""

    model_config = ConfigDict(extra="forbid")

    inspector: str = Field(min_length=1, max_length=128)
    defects: list[DefectIn] = Field(default_factory=list, max_length=2000)
    sample_size: int | None = Field(None, ge=1)
    level: str = Field("II", pattern="^(S-1|S-2|S-3|S-4|I|II|III)$")
    action: str = Field("recommended", pattern="^(recommended|rework|remake|hold)$")


class DispositionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str = Field(pattern="^(recommended|rework|remake)$")


def _defects(body: InspectionIn) -> list[dict[str, Any]]:
    return [{"class": d.defect_class, "type": d.type, "count": d.count, "unit": d.unit} for d in body.defects]


def _site(p: Any, site: str | None) -> str | None:
    """The site filter of an operations read (brands and the public: 403)."""
    require(p, *OPERATIONS)
    return site_scope(p, site)


@router.get("/batches", responses=error_responses(401, 403, 422))
def list_batches(uow: UowDep, p: PrincipalDep, limit: LimitQ = 200, site: str | None = Query(None, max_length=64),
                 status: str | None = Query(None, max_length=16),
                 order_id: str | None = Query(None, max_length=64)) -> dict[str, Any]:
    """Batches oldest first, filtered by site, status or order (a site operator: its own site's)."""
    return {"items": production.list_batches(uow, site=_site(p, site), status=status, order_id=order_id, limit=limit),
            "next_cursor": None}


@router.get("/batches/{batch_id}", responses=error_responses(401, 403, 404))
def get_batch(batch_id: str, uow: UowDep, p: PrincipalDep) -> dict[str, Any]:
    """One batch with the lots it consumed, its inspections and its trace event count."""
    return production.batch_detail(uow, batch_in_scope(uow, p, batch_id).id)


@router.post("/batches/{batch_id}/start", responses=error_responses(401, 403, 404, 409, 422))
def start(batch_id: str, c: ContainerDep, p: PrincipalDep, idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Start a planned batch: lines to in_production, materials issued FIFO, genealogy and trace recorded."""
    def work(uow: Any) -> dict[str, Any]:
        batch_in_scope(uow, p, batch_id)
        return production.start_batch(uow, batch_id, now=c.clock.now(), actor=p.actor)

    require(p, *OPERATIONS)
    return idempotent_write(c, tenant_scope(f"batch-start:{batch_id}", p), idempotency_key, {"batch": batch_id}, work)


@router.post("/batches/{batch_id}/finish", responses=error_responses(401, 403, 404, 409, 422))
def finish(batch_id: str, c: ContainerDep, p: PrincipalDep, idempotency_key: IdemKey = None) -> dict[str, Any]:
    """A batch made: it waits for inspection and its lot is commissioned."""
    def work(uow: Any) -> dict[str, Any]:
        batch_in_scope(uow, p, batch_id)
        return production.finish_batch(uow, batch_id, now=c.clock.now(), actor=p.actor)

    require(p, *OPERATIONS)
    return idempotent_write(c, tenant_scope(f"batch-finish:{batch_id}", p), idempotency_key, {"batch": batch_id}, work)


@router.post("/batches/{batch_id}/inspections", status_code=201, responses=error_responses(401, 403, 404, 409, 422))
def inspect(batch_id: str, body: InspectionIn, c: ContainerDep, p: PrincipalDep,
            idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Record an inspection by the sampling plan of the site's switching state; pass or reject the batch."""
    def work(uow: Any) -> dict[str, Any]:
        batch_in_scope(uow, p, batch_id)
        return quality.inspect_batch(uow, batch_id, _defects(body), inspector=body.inspector, now=c.clock.now(),
                                     actor=p.actor, action=body.action, sample_size=body.sample_size, level=body.level)

    require(p, *OPERATIONS)
    return idempotent_write(c, tenant_scope(f"batch-inspect:{batch_id}", p), idempotency_key,
                            body.model_dump(by_alias=True), work, 201)


@router.post("/batches/{batch_id}/disposition", responses=error_responses(401, 403, 404, 409, 422))
def disposition(batch_id: str, body: DispositionIn, c: ContainerDep, p: PrincipalDep,
                idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Rework or remake a rejected batch that was put on hold."""
    def work(uow: Any) -> dict[str, Any]:
        batch_in_scope(uow, p, batch_id)
        return quality.resolve_rejection(uow, batch_id, body.action, now=c.clock.now(), actor=p.actor)

    require(p, *OPERATIONS)
    return idempotent_write(c, tenant_scope(f"batch-disposition:{batch_id}", p), idempotency_key, body.model_dump(),
                            work)


@router.get("/quality/plan", responses=error_responses(401, 403, 422))
def plan(p: PrincipalDep, lot: int = Query(ge=1, le=10_000_000), aql: str = Query(max_length=8),
         level: str = Query("II", max_length=4), severity: str = Query("normal", max_length=12)) -> dict[str, Any]:
    """The single sampling plan (MIL-STD-105E / ISO 2859-1) for a lot size, AQL, level and severity."""
    require(p, *SIGNED_IN)
    return quality.plan_view(lot, aql, level, severity)


@router.get("/quality/states", responses=error_responses(401, 403, 422))
def states(uow: UowDep, p: PrincipalDep, site: str | None = Query(None, max_length=64),
           family: str | None = Query(None, max_length=64)) -> dict[str, Any]:
    """Switching states per site and product family, with their changes."""
    return {"items": quality.states(uow, _site(p, site), family), "next_cursor": None}


@router.get("/quality/charts", responses=error_responses(401, 403, 404, 422))
def charts(uow: UowDep, p: PrincipalDep, site: str = Query(max_length=64),
           family: str = Query(max_length=64)) -> dict[str, Any]:
    """p-chart points with limits, Western Electric and CUSUM alerts and the score of one series."""
    return quality.chart(uow, operated_site(p, site), family)


@router.get("/quality/alerts", responses=error_responses(401, 403, 422))
def alerts(uow: UowDep, p: PrincipalDep, site: str | None = Query(None, max_length=64),
           family: str | None = Query(None, max_length=64)) -> dict[str, Any]:
    """Drift alerts naming the site, family, rule and batches."""
    return {"items": quality.alerts(uow, _site(p, site), family), "next_cursor": None}


@router.get("/quality/scores", responses=error_responses(401, 403, 422))
def scores(uow: UowDep, p: PrincipalDep) -> dict[str, Any]:
    """Quality score per site and family: the penalty routing adds, or a suspension (an operator: its site's)."""
    from dataclasses import asdict
    return {"items": [asdict(s) for s in quality.scores(uow, site=_site(p, None))], "next_cursor": None}
