"""Outgoing webhook subscriptions and their delivery log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header
from pydantic import BaseModel, ConfigDict, Field

from microfactory.domain.access import Role, brand_scope, require
from microfactory.entrypoints.api.deps import ContainerDep, PrincipalDep, UowDep
from microfactory.entrypoints.api.errors import error_responses
from microfactory.entrypoints.api.writes import idempotent_write, run_write
from microfactory.errors import NotFound
from microfactory.services import webhooks

router = APIRouter(prefix="/v1/webhook-subscriptions", tags=["webhooks"])
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)]


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=8, max_length=500)
    events: list[str] = Field(min_length=1, max_length=5)
    secret: str | None = Field(default=None, min_length=16, max_length=128)


@router.post("", status_code=201, responses=error_responses(401, 403, 409, 422))
def create(body: SubscriptionCreate, c: ContainerDep, p: PrincipalDep, idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Subscribe a URL to order and batch status changes (a brand gets only its own). The secret is shown once."""
    require(p, Role.ADMIN, Role.BRAND)
    brand = p.brand if p.role is Role.BRAND else None
    return idempotent_write(c, f"webhooks:{p.actor}", idempotency_key, body.model_dump(), lambda uow: webhooks.subscribe(
        uow, url=body.url, events=body.events, brand=brand, secret=body.secret, now=c.clock.now(), actor=p.actor), 201)


@router.get("", responses=error_responses(401, 403))
def list_subscriptions(uow: UowDep, p: PrincipalDep) -> dict[str, Any]:
    """Subscriptions visible to the caller (never their secrets)."""
    require(p, Role.ADMIN, Role.BRAND)
    return {"items": uow.webhooks.subscriptions(brand=brand_scope(p)), "next_cursor": None}


@router.delete("/{sub_id}", responses=error_responses(401, 403, 404))
def delete(sub_id: str, c: ContainerDep, p: PrincipalDep) -> dict[str, Any]:
    """Stop a subscription."""
    require(p, Role.ADMIN, Role.BRAND)

    def work(uow: Any) -> dict[str, Any]:
        if not uow.webhooks.deactivate(sub_id, brand=brand_scope(p)):
            raise NotFound(f"subscription {sub_id!r} does not exist", field="sub_id")
        uow.audit.add(p.actor, "webhook.unsubscribe", "webhook", sub_id, {}, c.clock.now())
        return {"id": sub_id, "active": False}

    return run_write(c, work)


@router.get("/{sub_id}/deliveries", responses=error_responses(401, 403, 404))
def deliveries(sub_id: str, uow: UowDep, p: PrincipalDep) -> dict[str, Any]:
    """The delivery log of one subscription: attempts, status codes, errors."""
    require(p, Role.ADMIN, Role.BRAND)
    if sub_id not in {s["id"] for s in uow.webhooks.subscriptions(brand=brand_scope(p))}:
        raise NotFound(f"subscription {sub_id!r} does not exist", field="sub_id")
    return {"items": uow.webhooks.log(sub_id), "next_cursor": None}
