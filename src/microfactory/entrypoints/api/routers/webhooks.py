"""Inbound webhooks: Shopify orders/create."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response

from microfactory.adapters.files import shopify
from microfactory.entrypoints.api.deps import ContainerDep
from microfactory.entrypoints.api.errors import error_responses
from microfactory.entrypoints.api.writes import run_write
from microfactory.errors import BadSignature, NotFound
from microfactory.services.intake import create_order
from microfactory.services.views import order_view

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


@router.post("/shopify/{brand_id}", status_code=201,
             responses={**error_responses(401, 404, 413, 422), 200: {"description": "A replay: the order created the first time"}},
             openapi_extra={"requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}, "required": True}})
async def shopify_order_created(brand_id: str, request: Request, c: ContainerDep, response: Response,
                                hmac_header: Annotated[str | None, Header(alias="X-Shopify-Hmac-Sha256")] = None) -> dict[str, Any]:
    """Shopify ``orders/create``: verified with the brand's shared secret, then taken in like any order."""
    secret = c.settings.shopify_secrets.get(brand_id)
    if secret is None:
        raise NotFound(f"no Shopify shop is connected to brand {brand_id!r}", field="brand_id")
    body = await request.body()
    shopify.verify(secret, body, hmac_header)
    payload = shopify.load_body(body)

    def work(uow: Any) -> Any:
        network = uow.network.load()
        catalog = uow.catalog.load(network, brand=brand_id)
        req = shopify.parse_order(payload, brand_id, catalog, c.clock.now())
        return create_order(uow, req, now=c.clock.now(), actor=f"shopify:{brand_id}", network=network, catalog=catalog)

    result = run_write(c, work)
    if not result.created:
        response.status_code = 200
    return order_view(result.order)


__all__ = ["BadSignature", "router"]
