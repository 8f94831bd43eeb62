"""Who may see and change what: roles, principals and tenant scopes (pure).

Roles: the network admin sees everything; a site operator sees its own site's work,
schedule and inspections; a brand sees its own products, orders, campaigns and run shares;
the public sees provenance and campaign pages only. Repositories take the scope returned
here as a filter, so isolation is enforced in the queries, not only in the routes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from microfactory.errors import Forbidden, InvalidInput


class Role(str, Enum):
    ADMIN = "admin"
    SITE_OPERATOR = "site_operator"
    BRAND = "brand"
    PUBLIC = "public"


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: a role, bound to one brand or one site where the role needs it."""

    role: Role
    name: str = ""
    brand: str | None = None
    site: str | None = None
    token_id: str | None = None

    def __post_init__(self) -> None:
        if self.role is Role.BRAND and not self.brand:
            raise InvalidInput("a brand principal needs a brand", field="brand")
        if self.role is Role.SITE_OPERATOR and not self.site:
            raise InvalidInput("a site operator needs a site", field="site")

    @property
    def actor(self) -> str:
        """How the audit log names this caller."""
        bound = self.brand or self.site or ""
        return f"{self.role.value}:{self.name or bound or 'anonymous'}"


ADMIN = Principal(Role.ADMIN, name="system")


def brand_scope(p: Principal, requested: str | None = None) -> str | None:
    """The brand filter for a query: a brand sees only itself; others see what they ask for."""
    if p.role is Role.BRAND:
        if requested is not None and requested != p.brand:
            raise Forbidden(f"brand {p.brand} cannot read brand {requested}'s data", field="brand")
        return p.brand
    if p.role is Role.PUBLIC:
        raise Forbidden("this needs a signed-in role", field="authorization")
    return requested


def site_scope(p: Principal, requested: str | None = None) -> str | None:
    """The site filter for a query: a site operator sees only its site."""
    if p.role is Role.SITE_OPERATOR:
        if requested is not None and requested != p.site:
            raise Forbidden(f"operator of {p.site} cannot act on site {requested}", field="site_id")
        return p.site
    if p.role is Role.PUBLIC:
        raise Forbidden("this needs a signed-in role", field="authorization")
    return requested


def require(p: Principal, *roles: Role) -> None:
    """Raise Forbidden unless the caller has one of ``roles``."""
    if p.role not in roles:
        raise Forbidden(f"role {p.role.value} may not do this (needs {', '.join(r.value for r in roles)})",
                        field="authorization")


def require_brand(p: Principal, brand: str) -> None:
    """Raise Forbidden unless the caller may act for ``brand`` (admin, or that brand)."""
    if p.role is Role.ADMIN or (p.role is Role.BRAND and p.brand == brand):
        return
    raise Forbidden(f"role {p.role.value} may not act for brand {brand}", field="brand")
