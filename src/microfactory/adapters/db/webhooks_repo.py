"""Webhook subscriptions and the delivery outbox (written in the same transaction as the change)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, select, update

from microfactory.adapters.db.one_statement import InsertBatch
from microfactory.adapters.db.repositories import InsertingRepository
from microfactory.adapters.db.tables_webhooks import webhook_deliveries as d
from microfactory.adapters.db.tables_webhooks import webhook_subscriptions as s


class WebhookRepository(InsertingRepository):
    def __init__(self, conn: Connection, batch: InsertBatch | None = None) -> None:
        self.conn = conn
        self.batch = batch  # one-statement mode: the outbox rows go into the unit of work's batch

    def subscribe(self, row: dict[str, Any]) -> None:
        self.conn.execute(s.insert().values(**row))
        self._changed()

    def _changed(self) -> None:
        """Subscriptions are cached with the network and catalog (services/reference.py): bump their version."""
        from microfactory.adapters.db.repositories import NetworkRepository

        NetworkRepository(self.conn).bump_version()

    def active(self) -> list[Any]:
        """The active subscriptions (id, events, brand_id), for the outbox."""
        return list(self.conn.execute(select(s.c.id, s.c.events, s.c.brand_id).where(s.c.active.is_(True))
                                      .order_by(s.c.created_at, s.c.id)))

    def subscriptions(self, brand: str | None = None) -> list[dict[str, Any]]:
        q = select(s).order_by(s.c.created_at)
        if brand is not None:
            q = q.where(s.c.brand_id == brand)
        return [{"id": r.id, "url": r.url, "events": r.events, "brand": r.brand_id, "active": r.active,
                 "created_at": r.created_at.isoformat()} for r in self.conn.execute(q)]

    def deactivate(self, sub_id: str, brand: str | None = None) -> bool:
        q = update(s).where(s.c.id == sub_id)
        if brand is not None:
            q = q.where(s.c.brand_id == brand)
        changed = bool(self.conn.execute(q.values(active=False)).rowcount)
        if changed:
            self._changed()
        return changed

    def enqueue(self, event: str, payload: dict[str, Any], brand: str | None, at: datetime,
                subscriptions: list[Any] | None = None) -> int:
        """One pending delivery per active subscription that wants ``event`` (and may see ``brand``);
        ``subscriptions``: the caller's copy of :meth:`active` for this version of the store."""
        rows = []
        for sub in self.active() if subscriptions is None else subscriptions:
            if event not in sub.events and "*" not in sub.events:
                continue
            if sub.brand_id is not None and sub.brand_id != brand:
                continue
            rows.append({"subscription_id": sub.id, "event": event, "payload": payload, "status": "pending",
                         "attempts": 0, "next_attempt_at": at, "created_at": at})
        if rows:
            self._insert(d, rows)
        return len(rows)

    def due(self, now: datetime, limit: int = 100) -> list[Any]:
        q = (select(d, s.c.url, s.c.secret).join(s, s.c.id == d.c.subscription_id)
             .where(and_(d.c.status == "pending", d.c.next_attempt_at <= now)).order_by(d.c.id).limit(limit))
        if self.conn.dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True, of=d)
        return list(self.conn.execute(q))

    def record(self, delivery_id: int, *, status: str, attempts: int, next_attempt_at: datetime,
               code: int | None, error: str | None, delivered_at: datetime | None) -> None:
        self.conn.execute(update(d).where(d.c.id == delivery_id).values(
            status=status, attempts=attempts, next_attempt_at=next_attempt_at, last_status_code=code,
            last_error=error, delivered_at=delivered_at))

    def log(self, subscription_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        q = select(d).order_by(d.c.id.desc()).limit(limit)
        if subscription_id is not None:
            q = q.where(d.c.subscription_id == subscription_id)
        return [{"id": r.id, "subscription": r.subscription_id, "event": r.event, "status": r.status,
                 "attempts": r.attempts, "last_status_code": r.last_status_code, "last_error": r.last_error,
                 "created_at": r.created_at.isoformat(),
                 "delivered_at": r.delivered_at.isoformat() if r.delivered_at else None} for r in self.conn.execute(q)]
