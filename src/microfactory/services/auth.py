"""API tokens (stored hashed, revocable, with expiry) and dashboard users."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from microfactory.domain.access import Principal, Role
from microfactory.errors import Conflict, InvalidInput, Unauthenticated

TOKEN_PREFIX = "mf_"
PBKDF2_ITERATIONS = 200_000


def _hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_key(secret: str) -> str:
    """How a process refers to a token it holds in memory: its SHA-256, never the secret."""
    return _hash_token(secret)


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
    return _check_token_row(uow.auth.token_by_hash(_hash_token(secret)), now)


def _check_token_row(row: Any, now: datetime) -> Principal:
    if row is None:
        raise Unauthenticated("unknown API token", field="authorization")
    if row.revoked_at is not None:
        raise Unauthenticated("this API token was revoked", field="authorization")
    if row.expires_at is not None and row.expires_at <= now:
        raise Unauthenticated("this API token has expired", field="authorization")
    return _principal(row.role, row.name, row.brand_id, row.site_id, row.id)


class TokenCache:
    """Recently checked tokens of this process, for ``ttl_s`` seconds (0: no caching).

    A hit skips the database: the principal is reused and only the expiry is checked again (so an
    expired token is refused at once). A revocation committed elsewhere is therefore honoured
    within ``ttl_s`` seconds in every process; a token revoked through :meth:`invalidate` (or
    ``revoke_token(..., cache=...)``) is refused at once in this one. Unknown, revoked and expired
    tokens are never cached, so each of their requests is looked up (and refused) again.
    Keys are the SHA-256 of the secret, never the secret itself.
    """

    def __init__(self, ttl_s: float, max_entries: int = 10_000,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, Principal, datetime | None]] = {}

    def get(self, secret: str, now: datetime) -> Principal | None:
        """The cached principal of a live token, or None (look it up)."""
        if self.ttl_s <= 0:
            return None
        key = _hash_token(secret)
        with self._lock:
            entry = self._entries.get(key)
        if entry is None:
            return None
        stamped, principal, expires_at = entry
        if self._monotonic() - stamped >= self.ttl_s or (expires_at is not None and expires_at <= now):
            with self._lock:
                self._entries.pop(key, None)
            return None
        return principal

    def put(self, secret: str, principal: Principal, expires_at: datetime | None) -> None:
        if self.ttl_s <= 0:
            return
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()  # a flood of distinct tokens: start again rather than grow
            self._entries[_hash_token(secret)] = (self._monotonic(), principal, expires_at)

    def invalidate(self, token_id: str | None = None) -> None:
        """Forget one token (by id) or, without an id, every token."""
        with self._lock:
            if token_id is None:
                self._entries.clear()
            else:
                for key in [k for k, (_, p, _) in self._entries.items() if p.token_id == token_id]:
                    del self._entries[key]


def authenticate_cached(cache: TokenCache, uow_factory: Callable[[], Any], secret: str, now: datetime) -> Principal:
    """:func:`authenticate` through ``cache``: a database lookup (its own read-only unit of work)
    only when the token is not cached."""
    principal = cache.get(secret, now)
    if principal is not None:
        return principal
    with uow_factory() as uow:
        row = uow.auth.token_by_hash(_hash_token(secret))
        principal = _check_token_row(row, now)
    cache.put(secret, principal, row.expires_at)
    return principal


def revoke_token(uow: Any, token_id: str, now: datetime, actor: str = "system",
                 cache: TokenCache | None = None) -> None:
    """Revoke a token; with ``cache``, this process forgets it at once (others within their TTL)."""
    if not uow.auth.revoke(token_id, now):
        raise InvalidInput(f"no live token {token_id!r}", field="token_id")
    uow.audit.add(actor, "token.revoke", "token", token_id, {}, now)
    if cache is not None:
        cache.invalidate(token_id)


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
