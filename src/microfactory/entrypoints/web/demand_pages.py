"""Dashboard pages of demand programs (campaigns, collaborative runs) and the public campaign page ``/c/{id}``."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from microfactory.domain.access import Role, brand_scope, require
from microfactory.entrypoints.api.writes import idempotent_write
from microfactory.entrypoints.web.guard import UiRoute, UserDep, container, page
from microfactory.errors import MicrofactoryError

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)
public = APIRouter(route_class=UiRoute, include_in_schema=False)


@router.get("/campaigns", response_class=HTMLResponse)
def campaigns(request: Request, user: UserDep) -> Response:
    from microfactory.services.campaigns import campaign_view

    require(user, Role.ADMIN, Role.BRAND)
    with container(request).uow(readonly=True) as uow:
        items = [campaign_view(r) for r in uow.demand.list_campaigns(brand=brand_scope(user))]
    return page(request, "campaigns.html", user, items=items)


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def campaign(request: Request, user: UserDep, campaign_id: str) -> Response:
    from microfactory.services.campaigns import campaign_view

    require(user, Role.ADMIN, Role.BRAND)
    with container(request).uow(readonly=True) as uow:
        view = campaign_view(uow.demand.get_campaign(campaign_id, brand=brand_scope(user)))
    return page(request, "campaign.html", user, c=view)


@router.get("/runs", response_class=HTMLResponse)
def runs(request: Request, user: UserDep) -> Response:
    """Runs: the coordinator sees all; a brand the runs it is in and open runs it may join, with its share."""
    from microfactory.errors import NotFound
    from microfactory.services.runs import run_view

    require(user, Role.ADMIN, Role.BRAND)
    brand = brand_scope(user)
    items = []
    with container(request).uow(readonly=True) as uow:
        for row in uow.demand.list_runs(brand=brand, open_to_all=True):
            try:
                items.append(run_view(uow, row["id"], brand))
            except NotFound:  # an open run this brand is not in yet: show what is public about it
                items.append({"id": row["id"], "site": row["site_id"], "setup_key": row["setup_key"],
                              "min_batch": row["min_batch"], "status": row["status"],
                              "deadline": row["deadline"].isoformat(), "lines": [], "share": None, "joinable": True})
            items[-1]["units"] = uow.demand.run_units(row["id"])
    return page(request, "runs.html", user, items=items)


def _public(uow: Any, campaign_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The public campaign view and its variants (SKU, product, options: nothing about pledgers)."""
    from microfactory.services.campaigns import public_view

    row = uow.demand.get_campaign(campaign_id)
    network = uow.network.load()
    products = uow.catalog.load(network, brand=row["brand_id"]).products
    names = {p.id: p.name for p in products.values()}
    variants = [{"sku": sku, "product": names.get(v["product"], v["product"]),
                 "options": ", ".join(f"{k} {val}" for k, val in sorted(v["options"].items()))}
                for sku, v in sorted(row["spec"]["variants"].items())]
    view = public_view(row, names)
    deadline = datetime.fromisoformat(str(view["deadline"]))  # local time of the campaign's zone
    view["deadline_text"] = f"{deadline:%a %d %b %Y, %H:%M}"
    view["brand_name"] = next((b.name for b in network.brands if b.id == row["brand_id"]), "")
    return view, variants


def _campaign_page(request: Request, campaign_id: str, status: int = 200, **extra: Any) -> Response:
    with container(request).uow(readonly=True) as uow:
        view, variants = _public(uow, campaign_id)
    return page(request, "public_campaign.html", None, code=status, c=view, variants=variants,
                nonce=secrets.token_urlsafe(16), **{"pledged": None, "error": None, **extra})


@public.get("/c/{campaign_id}", response_class=HTMLResponse)
def public_campaign(request: Request, campaign_id: str) -> Response:
    """The public campaign page (no login): progress, deadline, price and a pledge form."""
    return _campaign_page(request, campaign_id)


@public.post("/c/{campaign_id}", response_class=HTMLResponse)
def pledge(request: Request, campaign_id: str, sku: Annotated[str, Form(max_length=200)],
           quantity: Annotated[int, Form(ge=1, le=100)], nonce: Annotated[str, Form(min_length=8, max_length=64)],
           reference: Annotated[str, Form(max_length=200)] = "") -> Response:
    """Pledge through the demand service; the form's nonce is the Idempotency-Key (a double submit pledges once)."""
    from microfactory.services.campaigns import PledgeRequest, place_pledge

    c = container(request)
    req = PledgeRequest(campaign_id, quantity, sku=sku, customer_ref=reference.strip())
    try:
        out = idempotent_write(c, f"pledges:{campaign_id}", nonce, {"sku": sku, "quantity": quantity,
                                                                   "customer_ref": req.customer_ref},
                               lambda uow: place_pledge(uow, req, now=c.clock.now(), actor="public"), 201)
    except MicrofactoryError as exc:
        if exc.code.value == "not_found" and exc.field == "campaign_id":
            raise
        return _campaign_page(request, campaign_id, status=409 if exc.code.value != "invalid_input" else 422,
                              error=exc.message)
    return _campaign_page(request, campaign_id, status=201,
                          pledged={"id": out["id"], "quantity": out["quantity"], "paid": out["paid"]})


__all__ = ["public", "router"]
