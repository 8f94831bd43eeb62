"""Orders: create (idempotent), get, list with cursor paging, history; CSV import."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from microfactory.adapters.files.scenario import parse_orders
from microfactory.domain.access import Principal, Role, brand_scope, require, require_brand
from microfactory.entrypoints.api.deps import (
    ContainerDep,
    CursorQ,
    LimitQ,
    PrincipalDep,
    UowDep,
    decode_cursor,
)
from microfactory.entrypoints.api.errors import error_responses
from microfactory.entrypoints.api.schemas import OrderCreate, OrderPage, OrderPublic
from microfactory.entrypoints.api.writes import run_write, try_one_statement
from microfactory.errors import FileError, FileProblem
from microfactory.services.intake import LineRequest, OrderRequest, create_order, import_orders
from microfactory.services.views import order_view

router = APIRouter(prefix="/v1/orders", tags=["orders"])
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)]


def to_request(body: OrderCreate) -> OrderRequest:
    return OrderRequest(
        brand=body.brand,
        lines=tuple(LineRequest(ln.product, {k: str(v) for k, v in ln.options.items()}, ln.quantity) for ln in body.lines),
        customer_lat=body.customer.lat, customer_lon=body.customer.lon, customer_ref=body.customer.ref,
        delivery=body.delivery, due=body.due, external_id=body.external_id, channel=body.channel,
        keep_together=body.keep_together)


def _scopes(p: Principal) -> dict[str, str | None]:
    """The tenant filters of a caller: brand for brands, site for site operators."""
    return {"brand": brand_scope(p), "site": p.site if p.role is Role.SITE_OPERATOR else None}


@router.post("", status_code=201, response_model=OrderPublic,
             responses={**error_responses(401, 403, 404, 409, 413, 422),
                        200: {"model": OrderPublic, "description": "A replay: the order created the first time"}})
async def create(body: OrderCreate, c: ContainerDep, p: PrincipalDep, idempotency_key: IdemKey = None,
                 route: bool = Query(False, description="also place the order online at once (milliseconds)")) -> Any:
    """Create an order. Replaying the same Idempotency-Key or external_id returns the first order (200).

    With ``route=true`` the new order is placed on a site in the same transaction, against the
    capacity already reserved (no re-solve of the network); a batch routing run can improve it later."""
    require_brand(p, body.brand)
    req = to_request(body)

    def fast(uow: Any, ref: Any) -> Any:
        # optimistic: the unique keys refuse a replay, and try_one_statement hands it to the ordinary path
        return create_order(uow, req, now=c.clock.now(), actor=p.actor, idempotency_key=idempotency_key,
                            network=ref.network, catalog=ref.catalog, look_first=False,
                            subscriptions=ref.subscriptions)

    result: Any = None if route else await try_one_statement(c, fast)
    if result is None:  # the ordinary transaction, in the threadpool
        attempts = 0 if route or c.engine.dialect.name != "postgresql" else 1

        def work(uow: Any) -> Any:
            nonlocal attempts
            attempts += 1
            ref = c.reference.load(uow)
            # First attempt optimistic (the unique keys catch a replay); run_write's retry looks first.
            result = create_order(uow, req, now=c.clock.now(), actor=p.actor, idempotency_key=idempotency_key,
                                  network=ref.network, catalog=ref.catalog, look_first=attempts > 1,
                                  subscriptions=ref.subscriptions)
            if route and result.created:
                from microfactory.services.routing import place_new_order

                place_new_order(uow, result.order.id, now=c.clock.now(), actor=p.actor)
                return type(result)(uow.orders.get(result.order.id), True)
            return result

        result = await run_in_threadpool(run_write, c, work)
    # order_view's output is the documented OrderPublic (tests check it against the schema): sent
    # as it is, without validating our own output again per request
    return JSONResponse(order_view(result.order), status_code=201 if result.created else 200)


@router.get("", response_model=OrderPage, responses=error_responses(401, 403, 422))
def list_orders(uow: UowDep, p: PrincipalDep, limit: LimitQ = 50, cursor: CursorQ = None,
                brand: str | None = Query(None, max_length=64), status: str | None = Query(None, max_length=24),
                q: str | None = Query(None, max_length=64, description="search in order ids")) -> dict[str, Any]:
    """Orders in arrival order, one page at a time; pass next_cursor back as cursor."""
    site = p.site if p.role is Role.SITE_OPERATOR else None
    orders, nxt = uow.orders.list(brand=brand_scope(p, brand), status=status, after=decode_cursor(cursor),
                                  limit=limit, search=q, site=site)
    return {"items": [order_view(o) for o in orders], "next_cursor": str(nxt) if nxt is not None else None}


@router.get("/{order_id}", response_model=OrderPublic, responses=error_responses(401, 403, 404))
def get(order_id: str, uow: UowDep, p: PrincipalDep) -> dict[str, Any]:
    """One order with its lines (another tenant's order is not found)."""
    return order_view(uow.orders.get(order_id, **_scopes(p)))


@router.get("/{order_id}/events", responses=error_responses(401, 403, 404))
def events(order_id: str, uow: UowDep, p: PrincipalDep) -> dict[str, Any]:
    """The order's history: every status change and decision, oldest first."""
    uow.orders.get(order_id, **_scopes(p))
    return {"items": uow.orders.events(order_id), "next_cursor": None}


@router.post("/import", responses=error_responses(401, 403, 404, 413, 422),
             openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}, "required": True}})
async def import_csv(request: Request, c: ContainerDep, p: PrincipalDep) -> dict[str, Any]:
    """Import an orders.csv body (text/csv); all or nothing; FILE:LINE problems in the error details.

    A brand may import only its own orders; the network admin any."""
    require(p, Role.ADMIN, Role.BRAND)
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FileError([FileProblem("orders.csv", 0, "body is not UTF-8 text")]) from None

    def work(uow: Any) -> dict[str, int]:
        network = uow.network.load()
        catalog = uow.catalog.load(network)
        problems: list[FileProblem] = []
        orders = parse_orders("orders.csv", text, network, catalog, problems)
        if problems:
            raise FileError(problems)
        for order in orders:
            require_brand(p, order.brand)
        return import_orders(uow, list(orders), now=c.clock.now(), actor=p.actor)

    return run_write(c, work)
