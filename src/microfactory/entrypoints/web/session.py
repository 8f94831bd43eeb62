"""Dashboard sessions: a signed cookie (HMAC-SHA256) naming the signed-in user and role.

The secret comes from ``MICROFACTORY_SESSION_SECRET`` (hex or text); without it the first
process to need one stores 32 random bytes in the database's settings, and every worker and
restart of the service reads that one, so a sign-in holds across workers. (Anyone who can read
the database can then forge a session; set the variable to keep the secret out of it.)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from microfactory.domain.access import Principal, Role
from microfactory.errors import InvalidInput

COOKIE = "mf_session"
SECRET_KEY = "ui_session_secret"
SESSION_HOURS = 12


@dataclass(frozen=True)
class SessionCodec:
    """Signs and reads session cookies with one secret."""

    secret: bytes

    def __post_init__(self) -> None:
        if len(self.secret) < 16:
            raise InvalidInput("the session secret needs at least 16 bytes", field="session_secret")

    def _mac(self, payload: str) -> str:
        return hmac.new(self.secret, payload.encode(), hashlib.sha256).hexdigest()

    def issue(self, p: Principal, now: datetime, hours: int = SESSION_HOURS) -> str:
        """The cookie value for ``p``, valid ``hours`` from ``now``."""
        body = {"n": p.name, "r": p.role.value, "b": p.brand, "s": p.site,
                "x": (now + timedelta(hours=hours)).isoformat(timespec="seconds"), "k": secrets.token_hex(8)}
        payload = base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()).decode().rstrip("=")
        return f"{payload}.{self._mac(payload)}"

    def read(self, value: str | None, now: datetime) -> Principal | None:
        """The principal of a valid, unexpired cookie; None for anything else (never raises)."""
        if not value or value.count(".") != 1 or len(value) > 2000:
            return None
        payload, mac = value.split(".")
        if not hmac.compare_digest(self._mac(payload), mac):
            return None
        try:
            body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            if datetime.fromisoformat(body["x"]) <= now:
                return None
            return Principal(Role(body["r"]), name=body["n"], brand=body["b"], site=body["s"])
        except (ValueError, KeyError, TypeError, InvalidInput):
            return None

    def csrf(self, value: str) -> str:
        """The anti-forgery token of a session (sent back in every form)."""
        return self._mac("csrf:" + value)[:32]


def secret_from_env() -> bytes | None:
    """``MICROFACTORY_SESSION_SECRET`` if set, else None."""
    text = os.environ.get("MICROFACTORY_SESSION_SECRET", "").strip()
    if text:
        try:
            return bytes.fromhex(text)
        except ValueError:
            return text.encode()
    return None


def session_secret(uow_factory: Callable[[], Any]) -> bytes:
    """The environment's secret, else the one shared through the store (made on first use)."""
    env = secret_from_env()
    if env is not None:
        return env
    with uow_factory() as uow:
        stored = uow.auth.shared_secret(SECRET_KEY, secrets.token_hex(32))
        uow.commit()
    return bytes.fromhex(stored)


__all__ = ["COOKIE", "SESSION_HOURS", "SessionCodec", "secret_from_env", "session_secret"]
