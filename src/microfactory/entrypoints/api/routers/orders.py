"""Orders: create (idempotent), get, list with cursor paging, history; CSV import."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response

from microfactory.adapters.files.scenario import parse_orders
from microfactory.entrypoints.api.deps import ContainerDep, CursorQ, LimitQ, UowDep, decode_cursor
from microfactory.entrypoints.api.errors import error_responses
from microfactory.entrypoints.api.schemas import OrderCreate, OrderPage, OrderPublic
from microfactory.entrypoints.api.writes import run_write
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


@router.post("", status_code=201, response_model=OrderPublic, responses=error_responses(404, 409, 413, 422))
def create(body: OrderCreate, c: ContainerDep, response: Response, idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Create an order. Replaying the same Idempotency-Key or external_id returns the first order (200)."""
    req = to_request(body)
    result = run_write(c, lambda uow: create_order(uow, req, now=c.clock.now(), actor="api",
                                                   idempotency_key=idempotency_key))
    if not result.created:
        response.status_code = 200
    return order_view(result.order)


@router.get("", response_model=OrderPage, responses=error_responses(422))
def list_orders(uow: UowDep, limit: LimitQ = 50, cursor: CursorQ = None,
                brand: str | None = Query(None, max_length=64), status: str | None = Query(None, max_length=24),
                q: str | None = Query(None, max_length=64, description="search in order ids")) -> dict[str, Any]:
    """Orders in arrival order, one page at a time; pass next_cursor back as cursor."""
    orders, nxt = uow.orders.list(brand=brand, status=status, after=decode_cursor(cursor), limit=limit, search=q)
    return {"items": [order_view(o) for o in orders], "next_cursor": str(nxt) if nxt is not None else None}


@router.get("/{order_id}", response_model=OrderPublic, responses=error_responses(404))
def get(order_id: str, uow: UowDep) -> dict[str, Any]:
    """One order with its lines."""
    return order_view(uow.orders.get(order_id))


@router.get("/{order_id}/events", responses=error_responses(404))
def events(order_id: str, uow: UowDep) -> dict[str, Any]:
    """The order's history: every status change and decision, oldest first."""
    uow.orders.get(order_id)
    return {"items": uow.orders.events(order_id), "next_cursor": None}


@router.post("/import", responses=error_responses(404, 413, 422),
             openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}, "required": True}})
async def import_csv(request: Request, c: ContainerDep) -> dict[str, Any]:
    """Import an orders.csv body (text/csv); all or nothing; FILE:LINE problems in the error details."""
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
        return import_orders(uow, list(orders), now=c.clock.now(), actor="api")

    return run_write(c, work)
