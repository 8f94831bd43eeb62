"""API tokens (stored hashed, revocable, with expiry) and dashboard users."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from microfactory.domain.access import Principal, Role
from microfactory.errors import Conflict, InvalidInput, Unauthenticated

TOKEN_PREFIX = "mf_"
PBKDF2_ITERATIONS = 200_000


def _hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _principal(role: str, name: str, brand: str | None, site: str | None, token_id: str | None = None) -> Principal:
    try:
        return Principal(Role(role), name=name, brand=brand, site=site, token_id=token_id)
    except ValueError:
        raise InvalidInput(f"unknown role {role!r}", field="role") from None


def create_token(uow: Any, *, name: str, role: str, now: datetime, brand: str | None = None,
                 site: str | None = None, days: int | None = 90, actor: str = "system") -> tuple[str, dict[str, Any]]:
    """A new token; the secret is returned once and only its SHA-256 is stored."""
    principal = _principal(role, name, brand, site)
    if principal.brand is not None and principal.brand not in {b.id for b in uow.network.load().brands}:
        raise InvalidInput(f"brand {brand!r} does not exist", field="brand")
    if principal.site is not None:
        uow.network.get_site(principal.site)
    token_id = secrets.token_hex(8)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = now + timedelta(days=days) if days else None
    row = {"id": token_id, "name": name, "token_hash": _hash_token(secret), "role": principal.role.value,
           "brand_id": brand, "site_id": site, "created_at": now, "expires_at": expires, "revoked_at": None}
    uow.auth.add_token(row)
    uow.audit.add(actor, "token.create", "token", token_id, {"role": role, "brand": brand, "site": site}, now)
    return secret, {"id": token_id, "name": name, "role": role, "brand": brand, "site": site,
                    "expires_at": expires.isoformat() if expires else None}


def authenticate(uow: Any, secret: str, now: datetime) -> Principal:
    """The principal of a bearer token; Unauthenticated when unknown, revoked or expired."""
    row = uow.auth.token_by_hash(_hash_token(secret))
    if row is None:
        raise Unauthenticated("unknown API token", field="authorization")
    if row.revoked_at is not None:
        raise Unauthenticated("this API token was revoked", field="authorization")
    if row.expires_at is not None and row.expires_at <= now:
        raise Unauthenticated("this API token has expired", field="authorization")
    return _principal(row.role, row.name, row.brand_id, row.site_id, row.id)


def revoke_token(uow: Any, token_id: str, now: datetime, actor: str = "system") -> None:
    if not uow.auth.revoke(token_id, now):
        raise InvalidInput(f"no live token {token_id!r}", field="token_id")
    uow.audit.add(actor, "token.revoke", "token", token_id, {}, now)


def hash_password(password: str, salt: str | None = None, iterations: int = PBKDF2_ITERATIONS) -> str:
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations).hex()
    return f"pbkdf2_sha256${iterations}${salt}${digest}"


def check_password(password: str, stored: str) -> bool:
    try:
        _, iterations, salt, _digest = stored.split("$")
    except ValueError:
        return False
    return hmac.compare_digest(hash_password(password, salt, int(iterations)), stored)


def create_user(uow: Any, *, username: str, password: str, role: str, now: datetime, brand: str | None = None,
                site: str | None = None, actor: str = "system") -> None:
    _principal(role, username, brand, site)
    if len(password) < 8:
        raise InvalidInput("a password needs at least 8 characters", field="password")
    if uow.auth.user(username) is not None:
        raise Conflict(f"user {username!r} exists", field="username")
    uow.auth.add_user({"username": username, "password_hash": hash_password(password), "role": role,
                       "brand_id": brand, "site_id": site, "created_at": now})
    uow.audit.add(actor, "user.create", "user", username, {"role": role, "brand": brand, "site": site}, now)


def login(uow: Any, username: str, password: str) -> Principal:
    row = uow.auth.user(username)
    if row is None or not check_password(password, row.password_hash):
        raise Unauthenticated("wrong user name or password", field="password")
    return _principal(row.role, row.username, row.brand_id, row.site_id)
