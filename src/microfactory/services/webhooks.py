"""Outgoing webhooks: subscribe, sign, deliver with retries and back-off, keep a delivery log.

Every order or batch status change is put in the outbox in the same transaction as the
change itself (so nothing is sent for a change that rolled back, and nothing is lost when
a process dies after committing). :func:`deliver_due` sends what is due: the body is the
event as JSON, signed ``X-Microfactory-Signature: sha256=<hex HMAC-SHA256(secret, body)>``;
a 2xx answer marks it delivered; anything else is retried after 30 s, 1, 2, 4, ... minutes
(capped at 1 h) and marked failed after ``max_attempts``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlparse

from microfactory.errors import InvalidInput

EVENTS = ("order.status_changed", "batch.status_changed")


class Sender(Protocol):
    def __call__(self, url: str, body: bytes, headers: dict[str, str]) -> int: ...


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def subscribe(uow: Any, *, url: str, events: list[str], now: datetime, brand: str | None = None,
              secret: str | None = None, actor: str = "system") -> dict[str, Any]:
    """A new subscription; the signing secret is returned once."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InvalidInput("url must be an http(s) URL", field="url")
    unknown = [e for e in events if e not in EVENTS and e != "*"]
    if not events or unknown:
        raise InvalidInput(f"events must be among {', '.join(EVENTS)} or *", field="events")
    sub_id = secrets.token_hex(8)
    secret = secret or secrets.token_urlsafe(24)
    uow.webhooks.subscribe({"id": sub_id, "url": url, "secret": secret, "events": events, "brand_id": brand,
                            "active": True, "created_at": now})
    uow.audit.add(actor, "webhook.subscribe", "webhook", sub_id, {"url": url, "events": events, "brand": brand}, now)
    return {"id": sub_id, "url": url, "events": events, "brand": brand, "secret": secret}


def backoff(attempts: int, base: timedelta = timedelta(seconds=30), cap: timedelta = timedelta(hours=1)) -> timedelta:
    return min(cap, base * (1 << max(0, attempts - 1)))


def deliver_due(uow_factory: Callable[[], Any], send: Sender, now: datetime, *, max_attempts: int = 8,
                limit: int = 100) -> dict[str, int]:
    """Send every due delivery once; returns counts of delivered, retried and failed."""
    counts = {"delivered": 0, "retried": 0, "failed": 0}
    with uow_factory() as uow:
        for row in uow.webhooks.due(now, limit):
            body = json.dumps(row.payload, sort_keys=True, separators=(",", ":")).encode()
            headers = {"content-type": "application/json", "X-Microfactory-Event": row.event,
                       "X-Microfactory-Delivery": str(row.id), "X-Microfactory-Signature": signature(row.secret, body)}
            code, error = None, None
            try:
                code = send(row.url, body, headers)
            except Exception as exc:  # noqa: BLE001 - a subscriber's failure is recorded, never raised into our writes
                error = f"{type(exc).__name__}: {exc}"[:500]
            attempts = row.attempts + 1
            if code is not None and 200 <= code < 300:
                uow.webhooks.record(row.id, status="delivered", attempts=attempts, next_attempt_at=now, code=code,
                                    error=None, delivered_at=now)
                counts["delivered"] += 1
            else:
                gave_up = attempts >= max_attempts
                uow.webhooks.record(row.id, status="failed" if gave_up else "pending", attempts=attempts,
                                    next_attempt_at=now + backoff(attempts), code=code,
                                    error=error or f"HTTP {code}", delivered_at=None)
                counts["failed" if gave_up else "retried"] += 1
        uow.commit()
    return counts
