"""Traceability: EPCIS exports, chain verification, genealogy, labels and receipts, packing and shipping.

Roles: batch documents (EPCIS, trace back, footprint, labels, packing) are the admin's and the
batch site's operator's; an order's EPCIS document is readable by whoever may read the order
(its brand, the operator of a site making a line of it, the admin); following a material lot
forward is scoped to the operator's site; verifying the whole log is the admin's.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from microfactory.domain.access import Role, require, site_scope
from microfactory.entrypoints.api.deps import ContainerDep, PrincipalDep, UowDep
from microfactory.entrypoints.api.errors import error_responses
from microfactory.entrypoints.api.scopes import (
    OPERATIONS,
    batch_in_scope,
    order_in_scope,
    tenant_scope,
)
from microfactory.entrypoints.api.writes import idempotent_write
from microfactory.services import trace, trace_views

router = APIRouter(prefix="/v1", tags=["trace"])
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)]
LD = "application/ld+json"
LABELS = {"label.svg": ("sewn_in", "svg"), "label.pdf": ("sewn_in", "pdf"),
          "receipt.svg": ("receipt", "svg"), "receipt.pdf": ("receipt", "pdf")}


class ShippingIn(BaseModel):
    """A shipment leaving a site: mode and distance feed the item's footprint (no address is stored)."""

    model_config = ConfigDict(extra="forbid")

    mode: str | None = Field(None, max_length=32)
    distance_km: float | None = Field(None, ge=0, le=40_000)
    from_site: str | None = Field(None, max_length=64)
    shipment_id: str | None = Field(None, max_length=64)


@router.get("/trace/verify", responses=error_responses(401, 403, 422))
def verify(uow: UowDep, p: PrincipalDep) -> dict[str, Any]:
    """Recompute every hash and link of the trace log; name edited, removed or inserted events (admin only)."""
    require(p, Role.ADMIN)
    return trace.verify_log(uow)


@router.get("/batches/{batch_id}/epcis", responses={**error_responses(401, 403, 404), 200: {"content": {LD: {}}}})
def batch_epcis(batch_id: str, c: ContainerDep, uow: UowDep, p: PrincipalDep) -> JSONResponse:
    """The batch's EPCIS 2.0 JSON-LD document."""
    batch_in_scope(uow, p, batch_id)
    return JSONResponse(trace.export_batch(uow, batch_id, now=c.clock.now()), media_type=LD)


@router.get("/orders/{order_id}/epcis", responses={**error_responses(401, 403, 404), 200: {"content": {LD: {}}}})
def order_epcis(order_id: str, c: ContainerDep, uow: UowDep, p: PrincipalDep) -> JSONResponse:
    """The order's EPCIS 2.0 JSON-LD document (its events and its batches')."""
    order_in_scope(uow, p, order_id)
    return JSONResponse(trace.export_order(uow, order_id, now=c.clock.now()), media_type=LD)


@router.get("/trace/lots/{item}/{lot}/forward", responses=error_responses(401, 403, 404))
def forward(item: str, lot: str, uow: UowDep, p: PrincipalDep) -> dict[str, Any]:
    """From a material lot to batches, units and orders (customer references are not shown here)."""
    require(p, *OPERATIONS)
    return trace_views.trace_forward_view(uow, item, lot, customers=False, site=site_scope(p))


@router.get("/trace/units/{batch_id}/back", responses=error_responses(401, 403, 404))
def back(batch_id: str, uow: UowDep, p: PrincipalDep) -> dict[str, Any]:
    """From a batch's units back to material lots, sites, workers and inspections."""
    return trace_views.trace_back_view(uow, batch_in_scope(uow, p, batch_id).id)


@router.get("/batches/{batch_id}/footprint", responses=error_responses(401, 403, 404))
def footprint(batch_id: str, uow: UowDep, p: PrincipalDep) -> dict[str, Any]:
    """Per-item transport footprint of a batch and what it includes."""
    return trace_views.footprint(uow, batch_in_scope(uow, p, batch_id))


def _label_route(name: str) -> None:
    kind, fmt = LABELS[name]
    media = "image/svg+xml" if fmt == "svg" else "application/pdf"

    def route(batch_id: str, c: ContainerDep, uow: UowDep, p: PrincipalDep) -> Response:
        batch_in_scope(uow, p, batch_id)
        body = trace_views.label(uow, batch_id, stem=c.settings.public_base_url, kind=kind, fmt=fmt)
        return Response(body, media_type=media)

    route.__doc__ = (f"The batch's {'sewn-in label' if kind == 'sewn_in' else 'receipt'} as {fmt.upper()}: "
                     "QR code of its GS1 Digital Link, care instructions, carbon footprint.")
    router.add_api_route(f"/batches/{{batch_id}}/{name}", route, methods=["GET"], name=f"batch_{kind}_{fmt}",
                         responses={**error_responses(401, 403, 404, 422), 200: {"content": {media: {}}}})


for _name in LABELS:
    _label_route(_name)


@router.post("/batches/{batch_id}/packing", status_code=201, responses=error_responses(401, 403, 404, 409, 422))
def packing(batch_id: str, c: ContainerDep, p: PrincipalDep, idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Record the batch packed into a logistic unit (EPCIS AggregationEvent)."""
    def work(uow: Any) -> dict[str, Any]:
        batch_in_scope(uow, p, batch_id)
        return trace.record_packing(uow, batch_id, now=c.clock.now(), actor=p.actor)

    require(p, *OPERATIONS)
    return idempotent_write(c, tenant_scope(f"trace-packing:{batch_id}", p), idempotency_key, {"batch": batch_id},
                            work, 201)


@router.post("/orders/{order_id}/shipping", status_code=201, responses=error_responses(401, 403, 404, 409, 422))
def shipping(order_id: str, body: ShippingIn, c: ContainerDep, p: PrincipalDep,
             idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Record an order's goods leaving a site (EPCIS shipping ObjectEvent): the admin, or the operator of
    a site making a line of the order (leaving from its own site)."""
    require(p, *OPERATIONS)
    fields = body.model_dump()
    if p.role is Role.SITE_OPERATOR:
        fields["from_site"] = site_scope(p, body.from_site)

    def work(uow: Any) -> dict[str, Any]:
        order_in_scope(uow, p, order_id)
        return trace.record_shipping(uow, order_id, now=c.clock.now(), actor=p.actor, **fields)

    return idempotent_write(c, tenant_scope(f"trace-shipping:{order_id}", p), idempotency_key, body.model_dump(),
                            work, 201)
