"""Tenant scopes of the routes: look a row up through the caller's brand or site filter.

Each helper reads through the repository with the caller's scope as a query filter, so another
tenant's batch, order or return is simply not found (404), and a role that has no business with
the row at all gets 403. Writes call these inside their own unit of work before acting.
"""

from __future__ import annotations

from typing import Any

from microfactory.domain.access import Principal, Role, brand_scope, require, site_scope
from microfactory.domain.orders import Order
from microfactory.domain.production import Batch

OPERATIONS = (Role.ADMIN, Role.SITE_OPERATOR)
TENANTS = (Role.ADMIN, Role.BRAND)
SIGNED_IN = (Role.ADMIN, Role.SITE_OPERATOR, Role.BRAND)


def tenant_scope(scope: str, p: Principal) -> str:
    """An Idempotency-Key scope private to the caller's tenant.

    A replay returns the stored response without running the write again, so a key must never
    be shared across tenants: another brand replaying a key would read the first brand's answer."""
    return f"{scope}|{p.role.value}:{p.brand or p.site or ''}"


def operator_site(p: Principal) -> str | None:
    """The site filter of a site operator (None for every other role)."""
    return p.site if p.role is Role.SITE_OPERATOR else None


def order_filters(p: Principal) -> dict[str, str | None]:
    """Filters of orders: a brand its own, a site operator those with a line at its site (public: 403)."""
    return {"brand": brand_scope(p), "site": operator_site(p)}


def order_in_scope(uow: Any, p: Principal, order_id: str) -> Order:
    """The order if the caller may see it, else NotFound (another tenant's) or Forbidden (public)."""
    return uow.orders.get(order_id, **order_filters(p))  # type: ignore[no-any-return]


def batch_in_scope(uow: Any, p: Principal, batch_id: str) -> Batch:
    """The batch if the caller is the admin or the operator of its site (brands, public: 403)."""
    require(p, *OPERATIONS)
    return uow.production.get_batch(batch_id, site=site_scope(p))  # type: ignore[no-any-return]


def operated_site(p: Principal, site_id: str) -> str:
    """A site the caller may operate: the admin any, a site operator its own (else 403)."""
    require(p, *OPERATIONS)
    return site_scope(p, site_id) or site_id


__all__ = ["OPERATIONS", "SIGNED_IN", "TENANTS", "batch_in_scope", "operated_site", "operator_site",
           "order_filters", "order_in_scope", "tenant_scope"]
