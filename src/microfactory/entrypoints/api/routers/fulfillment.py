"""Fulfillment: delivery options, customer preferences, same-day plans, shipments and
tracking, transfers, returns and return KPIs.

Roles: delivery options and shipments of an order are readable by whoever may read the order;
same-day plans, booking shipments, proof of delivery, pickups and transfers are operations (the
admin, or the operator of the site concerned); customer preferences, returns and return KPIs are
a brand's own (the admin sees every brand); syncing every carrier is the admin's.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from pydantic import BaseModel, ConfigDict, Field

from microfactory.adapters.carriers import FileCarrier
from microfactory.bootstrap import Container
from microfactory.domain.access import Role, brand_scope, require, require_brand, site_scope
from microfactory.engines.delivery import DeliveryParams, LocalRate
from microfactory.entrypoints.api.deps import ContainerDep, CursorQ, LimitQ, PrincipalDep, UowDep
from microfactory.entrypoints.api.errors import error_responses
from microfactory.entrypoints.api.scopes import (
    OPERATIONS,
    TENANTS,
    operated_site,
    order_in_scope,
    tenant_scope,
)
from microfactory.entrypoints.api.writes import idempotent_write
from microfactory.errors import NotFound
from microfactory.services.fulfillment import (
    PreferenceRequest,
    get_preference,
    order_options,
    set_preference,
)
from microfactory.services.fulfillment_sameday import plan_stored, run_view, vehicle
from microfactory.services.fulfillment_shipping import (
    confirm_delivery,
    confirm_pickup,
    create_shipment,
    sync_tracking,
    transfer_material,
)
from microfactory.services.fulfillment_views import options_view
from microfactory.services.returns import (
    ReceiveRequest,
    authorise_return,
    receive_return,
    return_kpis,
    return_view,
)
from microfactory.services.views import order_view

router = APIRouter(prefix="/v1", tags=["fulfillment"])
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)]
Id = Annotated[str, Field(min_length=1, max_length=80)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PreferenceIn(Strict):
    brand: str = Field(min_length=1, max_length=64)
    cadence: str = Field(default="asap", pattern=r"^(asap|weekly|biweekly)$")
    weekday: int | None = Field(default=None, ge=0, le=6, description="0 = Monday (weekly)")
    anchor: date | None = Field(default=None, description="first delivery day (biweekly)")
    channel: str = Field(default="email", pattern=r"^(email|sms|push|none)$")
    pickup_store: str | None = Field(default=None, max_length=64)


class VehicleIn(Strict):
    mode: str = Field(pattern=r"^(van|electric_van|cargo_bike)$")
    name: str | None = Field(default=None, max_length=40)
    count: int | None = Field(default=None, ge=1, le=100)
    capacity: int | None = Field(default=None, ge=1, le=10_000)
    speed_kmh: float | None = Field(default=None, gt=0, le=120)
    cost_per_km: float | None = Field(default=None, ge=0)
    cost_per_hour: float | None = Field(default=None, ge=0)
    fixed_cost: float | None = Field(default=None, ge=0)


class PlanIn(Strict):
    site: Id
    date: date
    vehicles: list[VehicleIn] = Field(default_factory=list, max_length=10,
                                      description="default: the site's delivery mode with its defaults")
    time_limit_s: float = Field(default=2.0, gt=0, le=60)
    seed: int = Field(default=0, ge=0)


class ShipmentIn(Strict):
    carrier: str = Field(default="filex", pattern=r"^filex$", description="the file carrier (settings.data_dir)")
    reference: str = Field(default="", max_length=80)


class DeliveredIn(Strict):
    at: datetime
    note: str = Field(default="", max_length=500)


class TransferIn(Strict):
    from_site: Id
    to_site: Id
    item: str = Field(min_length=1, max_length=200)
    qty: float = Field(gt=0)
    weight_kg: float | None = Field(default=None, ge=0)
    id: str | None = Field(default=None, min_length=1, max_length=64)


class ReturnIn(Strict):
    order_id: Id
    line_id: Id
    quantity: int = Field(default=1, ge=1, le=10_000)
    reason: str = Field(pattern=r"^(fit|defect|not_as_described|changed_mind)$")
    note: str = Field(default="", max_length=500)


class ReceiveIn(Strict):
    resellable: bool
    notes: str = Field(default="", max_length=500)
    measurements: dict[str, float] = Field(default_factory=dict, max_length=16)
    outcome: str | None = Field(default=None, pattern=r"^(restocked|remade|rejected)$")
    store: str | None = Field(default=None, max_length=64)


def _carrier(c: Container) -> FileCarrier:
    return FileCarrier.in_folder(c.settings.data_dir / "carriers" / "filex", c.clock.now)


@router.get("/orders/{order_id}/delivery-options", responses=error_responses(401, 403, 404, 422))
def delivery_options(order_id: str, c: ContainerDep, uow: UowDep, p: PrincipalDep,
                     brand: str | None = Query(None, max_length=64)) -> dict[str, Any]:
    """Same day, pickup per store, parcel and consolidated options with promised date, price and kg CO2e."""
    scoped = brand_scope(p, brand)
    order_in_scope(uow, p, order_id)
    return options_view(order_options(uow, order_id, c.clock.now(), carriers=[_carrier(c)], brand=scoped))


@router.put("/customers/{customer_ref}/preferences", responses=error_responses(401, 403, 404, 409, 422))
def put_preferences(customer_ref: str, body: PreferenceIn, c: ContainerDep, p: PrincipalDep,
                    idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Store a customer's cadence (asap, weekly on a weekday, biweekly from an anchor), channel and pickup store.

    The admin, or the brand itself (a customer's preferences stored by another brand are not overwritten)."""
    require_brand(p, body.brand)
    req = PreferenceRequest(body.brand, body.cadence, body.weekday, body.anchor, body.channel, body.pickup_store)

    def work(uow: Any) -> dict[str, Any]:
        stored = uow.fulfillment.preferences([customer_ref]).get(customer_ref)
        if stored is not None and p.role is Role.BRAND and stored["brand"] != p.brand:
            raise NotFound(f"customer {customer_ref!r} has no preferences of brand {p.brand}", field="customer_ref")
        return set_preference(uow, customer_ref, req, c.clock.now(), p.actor)

    return idempotent_write(c, tenant_scope(f"preferences:{customer_ref}", p), idempotency_key,
                            body.model_dump(mode="json"), work)


@router.get("/customers/{customer_ref}/preferences", responses=error_responses(401, 403, 404))
def get_preferences(customer_ref: str, uow: UowDep, p: PrincipalDep) -> dict[str, Any]:
    """A customer's stored preferences (a brand: only those it stored)."""
    require(p, *TENANTS)
    return get_preference(uow, customer_ref, brand=brand_scope(p))


@router.post("/deliveries/plans", status_code=201, responses=error_responses(401, 403, 404, 409, 422))
def create_plan(body: PlanIn, c: ContainerDep, p: PrincipalDep, idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Plan a site's same-day runs for a day on the stored orders; the runs become same_day shipments."""
    site = operated_site(p, body.site)
    params = DeliveryParams(time_limit_s=body.time_limit_s, seed=body.seed)

    def work(uow: Any) -> dict[str, Any]:
        fleet = [vehicle(v.mode, LocalRate().cutoff_minute, **v.model_dump(exclude={"mode"})) for v in body.vehicles]
        return run_view(plan_stored(uow, site, body.date, c.clock.now(), p.actor, fleet, params))

    return idempotent_write(c, tenant_scope("delivery-plans", p), idempotency_key, body.model_dump(mode="json"),
                            work, 201)


@router.get("/deliveries/plans/{plan_id}", responses=error_responses(401, 403, 404))
def get_plan(plan_id: str, uow: UowDep, p: PrincipalDep) -> dict[str, Any]:
    """A stored same-day plan: its problem and its routes (another site's plan is not found)."""
    require(p, *OPERATIONS)
    plan = uow.fulfillment.get_delivery_plan(plan_id, site=site_scope(p))
    return {**plan, "day": plan["day"].isoformat()}


@router.post("/orders/{order_id}/shipments", status_code=201, responses=error_responses(401, 403, 404, 409, 422, 502))
def ship(order_id: str, body: ShipmentIn, c: ContainerDep, p: PrincipalDep,
         idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Book the order's packed lines with the carrier (pickup orders: a transfer to the store)."""
    require(p, *OPERATIONS)

    def work(uow: Any) -> dict[str, Any]:
        order_in_scope(uow, p, order_id)
        result = create_shipment(uow, order_id, _carrier(c), c.clock.now(), p.actor, body.reference)
        uow.audit.add(p.actor, "shipment.create", "order", order_id, {"carrier": body.carrier}, c.clock.now())
        return result

    return idempotent_write(c, tenant_scope(f"shipments:{order_id}", p), idempotency_key, body.model_dump(), work, 201)


@router.get("/orders/{order_id}/shipments", responses=error_responses(401, 403, 404))
def order_shipments(order_id: str, uow: UowDep, p: PrincipalDep) -> dict[str, Any]:
    """The order's shipments with their tracking events."""
    order_in_scope(uow, p, order_id)
    return {"items": uow.fulfillment.shipments(order_id=order_id), "next_cursor": None}


@router.post("/shipments/sync", responses=error_responses(401, 403, 409, 422, 502))
def sync(c: ContainerDep, p: PrincipalDep, idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Read tracking of every open shipment and move orders through shipped and delivered (admin only)."""
    require(p, Role.ADMIN)
    fc = _carrier(c)
    def work(uow: Any) -> dict[str, Any]:
        result = sync_tracking(uow, c.clock.now(), {fc.name: fc}, p.actor)
        uow.audit.add(p.actor, "shipments.sync", "shipment", "*", {"carrier": fc.name}, c.clock.now())
        return result

    return idempotent_write(c, "shipments-sync", idempotency_key, {}, work)


@router.post("/shipments/{shipment_id}/delivered", responses=error_responses(401, 403, 404, 409, 422))
def delivered(shipment_id: str, body: DeliveredIn, c: ContainerDep, p: PrincipalDep,
              idempotency_key: IdemKey = None) -> dict[str, Any]:
    """A local-courier driver's proof of delivery (the admin, or the operator of the site it left)."""
    require(p, *OPERATIONS)

    def work(uow: Any) -> dict[str, Any]:
        if uow.fulfillment.get_shipment(shipment_id, site=site_scope(p)) is None:
            raise NotFound(f"shipment {shipment_id!r} does not exist", field="shipment_id")
        result = confirm_delivery(uow, shipment_id, body.at, c.clock.now(), p.actor, body.note)
        uow.audit.add(p.actor, "shipment.delivered", "shipment", shipment_id, {"at": body.at.isoformat()},
                      c.clock.now())
        return result

    return idempotent_write(c, tenant_scope(f"delivered:{shipment_id}", p), idempotency_key,
                            body.model_dump(mode="json"), work)


@router.post("/orders/{order_id}/pickup", responses=error_responses(401, 403, 404, 409))
def picked_up(order_id: str, c: ContainerDep, p: PrincipalDep, idempotency_key: IdemKey = None) -> dict[str, Any]:
    """The customer collected the order at the store."""
    require(p, *OPERATIONS)

    def work(uow: Any) -> dict[str, Any]:
        order_in_scope(uow, p, order_id)
        result = order_view(confirm_pickup(uow, order_id, c.clock.now(), p.actor))
        uow.audit.add(p.actor, "order.pickup", "order", order_id, {}, c.clock.now())
        return result

    return idempotent_write(c, tenant_scope(f"pickup:{order_id}", p), idempotency_key, {}, work)


@router.post("/transfers", status_code=201, responses=error_responses(401, 403, 404, 409, 422))
def transfer(body: TransferIn, c: ContainerDep, p: PrincipalDep, idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Move stock between sites and record the leg's cost and emissions (an operator: from its own site)."""
    source = operated_site(p, body.from_site)
    return idempotent_write(c, tenant_scope("transfers", p), idempotency_key, body.model_dump(),
                            lambda uow: transfer_material(uow, source, body.to_site, body.item, body.qty,
                                                          c.clock.now(), p.actor, body.weight_kg, body.id), 201)


@router.post("/returns", status_code=201, responses=error_responses(401, 403, 404, 409, 422))
def create_return(body: ReturnIn, c: ContainerDep, p: PrincipalDep, idempotency_key: IdemKey = None,
                  brand: str | None = Query(None, max_length=64)) -> dict[str, Any]:
    """Authorise the return of a shipped or delivered line with a reason code (the admin, or the order's brand)."""
    require(p, *TENANTS)
    scoped = brand_scope(p, brand)
    return idempotent_write(c, tenant_scope("returns", p), idempotency_key, body.model_dump(),
                            lambda uow: return_view(authorise_return(uow, body.order_id, body.line_id, body.quantity,
                                                                     body.reason, c.clock.now(), p.actor, body.note,
                                                                     scoped)), 201)


@router.post("/returns/{return_id}/receive", responses=error_responses(401, 403, 404, 409, 422))
def receive(return_id: str, body: ReceiveIn, c: ContainerDep, p: PrincipalDep,
            idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Receive and inspect a return, then restock at a store, remake (adjusted measurements) or reject."""
    require(p, *TENANTS)
    req = ReceiveRequest(body.resellable, body.notes, dict(body.measurements), body.outcome, body.store)

    def work(uow: Any) -> dict[str, Any]:
        uow.fulfillment.get_return(return_id, brand=brand_scope(p))
        return return_view(receive_return(uow, return_id, req, c.clock.now(), p.actor))

    return idempotent_write(c, tenant_scope(f"returns:{return_id}", p), idempotency_key, body.model_dump(), work)


@router.get("/returns", responses=error_responses(401, 403, 422))
def list_returns(uow: UowDep, p: PrincipalDep, limit: LimitQ = 50, cursor: CursorQ = None,
                 status: str | None = Query(None, max_length=24), order_id: str | None = Query(None, max_length=64),
                 brand: str | None = Query(None, max_length=64)) -> dict[str, Any]:
    """Returns by id, a page at a time (a brand: its own)."""
    require(p, *TENANTS)
    rows = uow.fulfillment.returns(order_id=order_id, status=status, brand=brand_scope(p, brand), after=cursor or None,
                                   limit=limit + 1)
    nxt = rows[limit - 1].id if len(rows) > limit else None
    return {"items": [return_view(r) for r in rows[:limit]], "next_cursor": nxt}


@router.get("/returns/{return_id}", responses=error_responses(401, 403, 404))
def get_return(return_id: str, uow: UowDep, p: PrincipalDep) -> dict[str, Any]:
    """One return with its inspection and history (another brand's is not found)."""
    require(p, *TENANTS)
    return return_view(uow.fulfillment.get_return(return_id, brand=brand_scope(p)))


@router.get("/kpis/returns", responses=error_responses(401, 403, 422))
def kpis(uow: UowDep, p: PrincipalDep, brand: str | None = Query(None, max_length=64)) -> dict[str, Any]:
    """Return rate overall and by reason, product and producing site (a brand: its own)."""
    require(p, *TENANTS)
    return return_kpis(uow, brand_scope(p, brand))


__all__ = ["router"]
