"""Demand programs: /v1/campaigns, /v1/stock-policies, /v1/replenishment, /v1/runs,
/v1/purchase-orders and /v1/market. Brand filters are query parameters passed down to the
repository queries (tenant isolation in the queries).

Roles: campaigns are their brand's (the public reads a campaign's public page and pledges); run
offers, stock policies, store sales and purchase orders belong to a site (the admin, or that
site's operator); a brand sees the runs it is in (its own share) and joins with its own lines;
replenishment, proposals and closing every due campaign are the admin's.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from pydantic import BaseModel, Field

from microfactory.domain.access import (
    Principal,
    Role,
    brand_scope,
    require,
    require_brand,
    site_scope,
)
from microfactory.engines.pooling import RunOffer
from microfactory.entrypoints.api.deps import ContainerDep, PrincipalDep, UowDep
from microfactory.entrypoints.api.errors import error_responses
from microfactory.entrypoints.api.scopes import (
    OPERATIONS,
    TENANTS,
    operated_site,
    operator_site,
    tenant_scope,
)
from microfactory.entrypoints.api.writes import idempotent_write
from microfactory.errors import NotFound
from microfactory.services import campaigns as cs
from microfactory.services import market as mk
from microfactory.services import purchasing as pu
from microfactory.services import runs as rs
from microfactory.services import stock as st

router = APIRouter(prefix="/v1", tags=["demand programs"])
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)]
BrandQ = Annotated[str | None, Query(max_length=64, description="only this brand's data")]
E = error_responses(401, 403, 404, 409, 422)
R = error_responses(401, 403, 404, 422)


def _campaign(uow: Any, p: Principal, campaign_id: str) -> dict[str, Any]:
    """The campaign if the caller may manage it: the admin any, a brand its own (else not found)."""
    require(p, *TENANTS)
    return uow.demand.get_campaign(campaign_id, brand=brand_scope(p))  # type: ignore[no-any-return]


def _site_row(row: dict[str, Any], p: Principal, what: str, row_id: str) -> dict[str, Any]:
    """A site's row (run, purchase order) if the caller operates that site, else not found."""
    site = operator_site(p)
    if site is not None and row["site_id"] != site:
        raise NotFound(f"{what} {row_id!r} does not exist", field=f"{what.replace(' ', '_')}_id")
    return row


class VariantIn(BaseModel):
    product: str = Field(max_length=64)
    options: dict[str, str] = Field(default_factory=dict)


class CampaignCreate(BaseModel):
    brand: str = Field(max_length=64)
    name: str = Field(min_length=1, max_length=200)
    variants: list[VariantIn] = Field(min_length=1, max_length=200)
    deadline: datetime = Field(description="local wall-clock time in time_zone (no offset)")
    time_zone: str = Field(max_length=64)
    unit_price: float = Field(ge=0)
    sites: list[str] = Field(min_length=1, max_length=50)
    window_start: date
    window_end: date
    minimum_total: int | None = Field(None, ge=0)
    minimum_per_product: dict[str, int] = Field(default_factory=dict)
    payment: str = "full"
    deposit_fraction: float = Field(1.0, gt=0, le=1)
    partial_outcomes: bool = False
    id: str | None = Field(None, max_length=40, pattern=r"^[A-Za-z0-9\-_]+$")


class PledgeCreate(BaseModel):
    sku: str | None = Field(None, max_length=200)
    product: str | None = Field(None, max_length=64)
    options: dict[str, str] = Field(default_factory=dict)
    quantity: int = Field(1, ge=1, le=10_000)
    customer_ref: str = Field("", max_length=200)
    customer_lat: float | None = None
    customer_lon: float | None = None
    delivery: str = "ship"


@router.post("/campaigns", status_code=201, responses=E)
def open_campaign(body: CampaignCreate, c: ContainerDep, p: PrincipalDep, idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Open a campaign; its cap is computed from the free capacity of the chosen sites in the window."""
    require_brand(p, body.brand)
    req = cs.CampaignRequest(body.brand, body.name, tuple(cs.VariantRequest(v.product, v.options) for v in body.variants),
                             body.deadline.replace(tzinfo=None), body.time_zone, body.unit_price, tuple(body.sites),
                             body.window_start, body.window_end, body.minimum_total, body.minimum_per_product,
                             body.payment, body.deposit_fraction, body.partial_outcomes, body.id)
    return idempotent_write(c, f"campaigns:{body.brand}", idempotency_key, body.model_dump(mode="json"),
                            lambda uow: cs.open_campaign(uow, req, now=c.clock.now(), actor=p.actor), 201)


@router.get("/campaigns", responses=error_responses(401, 403, 422))
def list_campaigns(uow: UowDep, p: PrincipalDep, brand: BrandQ = None,
                   status: str | None = Query(None, max_length=16)) -> dict[str, Any]:
    """Campaigns (of one brand with ``brand``; a brand sees its own)."""
    require(p, *TENANTS)
    return {"items": [cs.campaign_view(r) for r in uow.demand.list_campaigns(brand=brand_scope(p, brand),
                                                                            status=status)],
            "next_cursor": None}


@router.get("/campaigns/{campaign_id}", responses=R)
def get_campaign(campaign_id: str, uow: UowDep, p: PrincipalDep, brand: BrandQ = None) -> dict[str, Any]:
    """One campaign with its cap, tally and outcome (another brand's is not found)."""
    require(p, *TENANTS)
    return cs.campaign_view(uow.demand.get_campaign(campaign_id, brand=brand_scope(p, brand)))


@router.get("/campaigns/{campaign_id}/public", responses=error_responses(401, 404))
def public_campaign(campaign_id: str, uow: UowDep, p: PrincipalDep) -> dict[str, Any]:
    """Public page data: name, products, price, progress, deadline, remaining cap; no pledger data (any role)."""
    row = uow.demand.get_campaign(campaign_id)
    names = {p.id: p.name for p in uow.catalog.load(uow.network.load(), brand=row["brand_id"]).products.values()}
    return cs.public_view(row, names)


@router.post("/campaigns/{campaign_id}/pledges", status_code=201, responses=E)
def pledge(campaign_id: str, body: PledgeCreate, c: ContainerDep, p: PrincipalDep,
           idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Pledge (the public page, the campaign's brand or the admin); refused past the cap (409 capacity_exceeded)
    or the deadline (409 illegal_transition). Another brand's campaign is not found."""
    require(p, Role.ADMIN, Role.BRAND, Role.PUBLIC)
    req = cs.PledgeRequest(campaign_id, body.quantity, body.sku, body.product, body.options, body.customer_ref,
                           body.customer_lat, body.customer_lon, body.delivery)

    def work(uow: Any) -> dict[str, Any]:
        uow.demand.get_campaign(campaign_id, brand=p.brand if p.role is Role.BRAND else None)
        result = cs.place_pledge(uow, req, now=c.clock.now(), actor=p.actor)
        uow.audit.add(p.actor, "campaign.pledge", "campaign", campaign_id,
                      {"pledge": result.get("pledge_id") or result.get("id"), "quantity": body.quantity}, c.clock.now())
        return result

    return idempotent_write(c, tenant_scope(f"pledges:{campaign_id}", p), idempotency_key,
                            body.model_dump(mode="json"), work, 201)


@router.post("/campaigns/{campaign_id}/pledges/{pledge_id}/cancel", responses=E)
def cancel_pledge(campaign_id: str, pledge_id: str, c: ContainerDep, p: PrincipalDep,
                  idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Cancel a pledge before the deadline; its order is cancelled and refunded (the admin or the campaign's brand)."""
    def work(uow: Any) -> dict[str, Any]:
        _campaign(uow, p, campaign_id)
        result = cs.cancel_pledge(uow, campaign_id, pledge_id, now=c.clock.now(), actor=p.actor)
        uow.audit.add(p.actor, "campaign.pledge_cancel", "campaign", campaign_id, {"pledge": pledge_id}, c.clock.now())
        return result

    require(p, *TENANTS)
    return idempotent_write(c, tenant_scope(f"pledge-cancel:{campaign_id}", p), idempotency_key, {"pledge": pledge_id},
                            work)


@router.post("/campaigns/{campaign_id}/close", responses=E)
def close_campaign(campaign_id: str, c: ContainerDep, p: PrincipalDep, idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Close by hand (idempotent): convert and route, or release and refund (the admin or the campaign's brand)."""
    def work(uow: Any) -> dict[str, Any]:
        _campaign(uow, p, campaign_id)
        return cs.close_campaign(uow, campaign_id, now=c.clock.now(), actor=p.actor)

    require(p, *TENANTS)
    return idempotent_write(c, tenant_scope(f"campaign-close:{campaign_id}", p), idempotency_key, {}, work)


@router.post("/campaigns/close-due", responses=E)
def close_due(c: ContainerDep, p: PrincipalDep, idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Close every open campaign past its deadline (admin only)."""
    require(p, Role.ADMIN)
    def work(uow: Any) -> dict[str, Any]:
        items = cs.close_due_campaigns(uow, now=c.clock.now(), actor=p.actor)
        uow.audit.add(p.actor, "campaigns.close_due", "campaign", "*", {"closed": len(items)}, c.clock.now())
        return {"items": items, "next_cursor": None}

    return idempotent_write(c, "campaigns-close-due", idempotency_key, {}, work)


class PolicyIn(BaseModel):
    store: str = Field(max_length=64)
    product: str = Field(max_length=64)
    options: dict[str, str] = Field(default_factory=dict)
    kind: str = "stocked"
    demand_per_day: float | None = Field(None, ge=0)
    sd_per_day: float = Field(0.0, ge=0)
    lead_time_days: float = Field(3.0, ge=0)
    service_level: float = Field(0.95, ge=0.5, lt=1)
    review_period_days: int = Field(7, ge=1)
    review_offset_day: int = Field(0, ge=0)
    reorder_point: int | None = Field(None, ge=0)
    order_up_to: int | None = Field(None, ge=1)
    stock_promise_days: int = Field(0, ge=0)
    mto_promise_days: int = Field(7, ge=0)


class SaleIn(BaseModel):
    store: str = Field(max_length=64)
    product: str = Field(max_length=64)
    options: dict[str, str] = Field(default_factory=dict)
    quantity: int = Field(ge=1, le=10_000)
    customer_ref: str = Field("", max_length=200)


@router.put("/stock-policies", responses=E)
def put_policy(body: PolicyIn, c: ContainerDep, p: PrincipalDep, idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Set one store's policy for one variant (the cushion is computed from demand when given); the admin or
    the store's operator."""
    operated_site(p, body.store)
    req = st.PolicyRequest(**body.model_dump())
    return idempotent_write(c, tenant_scope("stock-policies", p), idempotency_key, body.model_dump(mode="json"),
                            lambda uow: st.set_policy(uow, req, now=c.clock.now(), actor=p.actor))


@router.get("/stock-policies", responses=error_responses(401, 403, 422))
def list_policies(uow: UowDep, p: PrincipalDep, store: str | None = Query(None, max_length=64)) -> dict[str, Any]:
    """Stock policies, by store and SKU (a store's operator: its own)."""
    require(p, *OPERATIONS)
    return {"items": [st.policy_view(r) for r in uow.demand.list_policies(site_scope(p, store))], "next_cursor": None}


@router.post("/stock-policies/sales", status_code=201, responses=E)
def store_sale(body: SaleIn, c: ContainerDep, p: PrincipalDep, idempotency_key: IdemKey = None) -> dict[str, Any]:
    """A store sale: from the shelf, or made to order with the longer promise (the admin or the store's operator)."""
    store = operated_site(p, body.store)
    req = st.SaleRequest(store, body.product, body.options, body.quantity, body.customer_ref)
    return idempotent_write(c, tenant_scope(f"sales:{store}", p), idempotency_key, body.model_dump(mode="json"),
                            lambda uow: st.store_sale(uow, req, now=c.clock.now(), actor=p.actor), 201)


@router.get("/stock-policies/replenishment", responses=error_responses(401, 403, 422))
def replenishment_plan(c: ContainerDep, uow: UowDep, p: PrincipalDep, all: bool = False) -> dict[str, Any]:
    """What the replenishment planner would order today (nothing stored; admin only)."""
    require(p, Role.ADMIN)
    return {"items": st.plan_view(st.replenishment_plan(uow, now=c.clock.now(), review_all=all)), "next_cursor": None}


@router.post("/stock-policies/replenishment", responses=E)
def replenishment_run(c: ContainerDep, p: PrincipalDep, all: bool = False,
                      idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Create and route today's replenishment orders (admin only)."""
    require(p, Role.ADMIN)
    return idempotent_write(c, "replenishment", idempotency_key, {"all": all},
                            lambda uow: st.run_replenishment(uow, now=c.clock.now(), actor=p.actor, review_all=all))


class RunIn(BaseModel):
    site: str = Field(max_length=64)
    setup_key: str = Field(max_length=200)
    min_batch: int = Field(ge=1)
    deadline: datetime
    fixed_cost: float = Field(ge=0)
    shortfall_cost_per_unit: float = Field(0.0, ge=0)
    max_batch: int | None = Field(None, ge=1)
    rule: str = "shapley"
    id: str | None = Field(None, max_length=40, pattern=r"^[A-Za-z0-9\-_]+$")


class JoinIn(BaseModel):
    brand: str = Field(max_length=64)
    line_id: str = Field(max_length=80)
    on_fail: str = "reroute"


class OfferIn(BaseModel):
    site: str
    setup_key: str
    min_batch: int = Field(ge=1)
    fixed_cost: float = Field(ge=0)
    shortfall_cost_per_unit: float = Field(0.0, ge=0)
    max_batch: int | None = None


@router.post("/runs", status_code=201, responses=E)
def offer_run(body: RunIn, c: ContainerDep, p: PrincipalDep, idempotency_key: IdemKey = None) -> dict[str, Any]:
    """A site offers a collaborative run for one setup key (the admin or the site's operator)."""
    operated_site(p, body.site)
    req = rs.RunRequest(body.site, body.setup_key, body.min_batch, body.deadline.replace(tzinfo=None), body.fixed_cost,
                        body.shortfall_cost_per_unit, body.max_batch, body.rule, body.id)
    return idempotent_write(c, tenant_scope("runs", p), idempotency_key, body.model_dump(mode="json"),
                            lambda uow: rs.offer_run(uow, req, now=c.clock.now(), actor=p.actor), 201)


@router.get("/runs", responses=error_responses(401, 403, 422))
def list_runs(uow: UowDep, p: PrincipalDep, brand: BrandQ = None,
              status: str | None = Query(None, max_length=16)) -> dict[str, Any]:
    """Runs; with ``brand``, the runs it is in (its own view) and open runs it may join (a brand: itself;
    a site operator: its site's runs)."""
    brand = brand_scope(p, brand)
    rows = uow.demand.list_runs(brand=brand, site=operator_site(p), status=status, open_to_all=True)
    items = [rs.run_view(uow, r["id"], brand) if brand and uow.demand.run_lines(r["id"], brand)
             else {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r.items() if k != "sharing"}
             for r in rows]
    return {"items": items, "next_cursor": None}


@router.get("/runs/{run_id}", responses=R)
def get_run(run_id: str, uow: UowDep, p: PrincipalDep, brand: BrandQ = None) -> dict[str, Any]:
    """The coordinator's view (admin, the site's operator), or one brand's (own lines and own share; 404
    without a line in it)."""
    brand = brand_scope(p, brand)
    _site_row(uow.demand.get_run(run_id, brand=brand), p, "run", run_id)
    return rs.run_view(uow, run_id, brand)


@router.post("/runs/{run_id}/lines", status_code=201, responses=E)
def join_run(run_id: str, body: JoinIn, c: ContainerDep, p: PrincipalDep,
             idempotency_key: IdemKey = None) -> dict[str, Any]:
    """A brand puts one of its open order lines in the run; the run becomes a batch when it fills."""
    require_brand(p, body.brand)
    def work(uow: Any) -> dict[str, Any]:
        result = rs.join(uow, run_id, body.brand, body.line_id, on_fail=body.on_fail, now=c.clock.now(),
                         actor=p.actor)
        uow.audit.add(p.actor, "run.join", "run", run_id, {"line": body.line_id, "brand": body.brand}, c.clock.now())
        return result

    return idempotent_write(c, tenant_scope(f"run-join:{run_id}", p), idempotency_key, body.model_dump(mode="json"),
                            work, 201)


@router.post("/runs/{run_id}/resolve", responses=E)
def resolve_run(run_id: str, c: ContainerDep, p: PrincipalDep, idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Schedule a filled run, or fail an unfilled one past its deadline (idempotent; the admin or the site's
    operator)."""
    def work(uow: Any) -> dict[str, Any]:
        _site_row(uow.demand.get_run(run_id), p, "run", run_id)
        result = rs.resolve(uow, run_id, now=c.clock.now(), actor=p.actor)
        uow.audit.add(p.actor, "run.resolve", "run", run_id, {"status": result.get("status")}, c.clock.now())
        return result

    require(p, *OPERATIONS)
    return idempotent_write(c, tenant_scope(f"run-resolve:{run_id}", p), idempotency_key, {}, work)


@router.post("/runs/propose", responses=E)
def propose_runs(offers: list[OfferIn], uow: UowDep, p: PrincipalDep, time_limit_s: float = Query(5.0, gt=0, le=60),
                 seed: int = Query(0, ge=0, le=2**31 - 1)) -> dict[str, Any]:
    """Which open routed lines of different brands would pool into runs under these offers (admin only)."""
    require(p, Role.ADMIN)
    return rs.propose(uow, [RunOffer(o.site, o.setup_key, o.min_batch, o.fixed_cost, o.shortfall_cost_per_unit,
                                     o.max_batch) for o in offers], time_limit_s=time_limit_s, seed=seed)


class PurchaseIn(BaseModel):
    site: str
    supplier: str
    material: str
    quantity: float = Field(gt=0)


class ReceiptIn(BaseModel):
    quantity: float = Field(gt=0)
    lot: str = Field(min_length=1, max_length=40)


@router.get("/purchase-orders/plan", responses=R)
def purchase_plan(c: ContainerDep, uow: UowDep, p: PrincipalDep) -> dict[str, Any]:
    """Net material requirements per site and the purchase suggestions (nothing stored; admin only)."""
    require(p, Role.ADMIN)
    return pu.plan(uow, now=c.clock.now())


@router.get("/purchase-orders", responses=error_responses(422))
def list_pos(uow: UowDep, p: PrincipalDep, site: str | None = Query(None, max_length=64),
             status: str | None = Query(None, max_length=16)) -> dict[str, Any]:
    """Purchase orders (a site operator: its site's)."""
    require(p, *OPERATIONS)
    rows = uow.demand.list_purchase_orders(site=site_scope(p, site), status=status)
    return {"items": [pu.po_view(uow, r["id"]) for r in rows],
            "next_cursor": None}


@router.post("/purchase-orders", status_code=201, responses=E)
def create_po(body: PurchaseIn, c: ContainerDep, p: PrincipalDep, idempotency_key: IdemKey = None) -> dict[str, Any]:
    """A purchase order placed by hand (the admin or the site's operator)."""
    site = operated_site(p, body.site)
    return idempotent_write(c, tenant_scope("purchase-orders", p), idempotency_key, body.model_dump(mode="json"),
                            lambda uow: pu.order_manual(uow, site, body.supplier, body.material, body.quantity,
                                                        now=c.clock.now(), actor=p.actor), 201)


@router.post("/purchase-orders/suggested", status_code=201, responses=E)
def create_suggested(c: ContainerDep, p: PrincipalDep, idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Place one purchase order per suggestion of today's plan (admin only)."""
    require(p, Role.ADMIN)
    def work(uow: Any) -> dict[str, Any]:
        items = pu.order_suggested(uow, now=c.clock.now(), actor=p.actor)
        uow.audit.add(p.actor, "purchase_orders.suggested", "purchase_order", "*",
                      {"placed": [i.get("id") for i in items]}, c.clock.now())
        return {"items": items, "next_cursor": None}

    return idempotent_write(c, "purchase-orders-suggested", idempotency_key, {}, work, 201)


def _po(uow: Any, p: Principal, po_id: str) -> dict[str, Any]:
    require(p, *OPERATIONS)
    return _site_row(uow.demand.get_purchase_order(po_id), p, "purchase order", po_id)


@router.get("/purchase-orders/{po_id}", responses=R)
def get_po(po_id: str, uow: UowDep, p: PrincipalDep) -> dict[str, Any]:
    """One purchase order with its receipts (lots); another site's is not found for its operator."""
    _po(uow, p, po_id)
    return pu.po_view(uow, po_id)


@router.post("/purchase-orders/{po_id}/receipts", status_code=201, responses=E)
def receive_po(po_id: str, body: ReceiptIn, c: ContainerDep, p: PrincipalDep,
               idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Receive (part of) a purchase order as a lot into inventory at its site (the admin or its operator)."""
    def work(uow: Any) -> dict[str, Any]:
        _po(uow, p, po_id)
        return pu.receive(uow, po_id, body.quantity, body.lot, now=c.clock.now(), actor=p.actor)

    require(p, *OPERATIONS)
    return idempotent_write(c, tenant_scope(f"po-receipt:{po_id}", p), idempotency_key, body.model_dump(mode="json"),
                            work, 201)


@router.get("/market/{product}/analysis", responses=R)
def market_analysis(product: str, uow: UowDep, p: PrincipalDep, start: date, end: date,
                    horizon_days: float = Query(28.0, gt=0),
                    unit_cost: float | None = Query(None, ge=0), salvage: float = Query(0.0, ge=0),
                    scale_units: int = Query(200, ge=1), stop_units: int = Query(20, ge=0),
                    brand: BrandQ = None) -> dict[str, Any]:
    """Posterior demand rate, predictive demand, newsvendor quantity and keep/scale/stop (the admin, or the
    product's brand: another brand's product is not found)."""
    require(p, *TENANTS)
    brand = brand_scope(p, brand)
    if product not in uow.catalog.load(uow.network.load(), brand=brand).products:
        raise NotFound(f"product {product!r} does not exist", field="product")
    return mk.analyse(uow, mk.MarketRequest(product, start, end, horizon_days, unit_cost, salvage, None, scale_units,
                                            stop_units, brand=brand))
