"""Outgoing webhooks: subscriptions and the delivery outbox/log (migration 0003_webhooks)."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, Integer, String, Table, Text

from microfactory.adapters.db.tables import metadata

webhook_subscriptions = Table(
    "webhook_subscriptions", metadata,
    Column("id", String(32), primary_key=True),
    Column("url", String(500), nullable=False),
    Column("secret", String(128), nullable=False),   # shared with the subscriber to sign bodies (HMAC-SHA256)
    Column("events", JSON, nullable=False),          # e.g. ["order.status_changed", "batch.status_changed"]
    Column("brand_id", String(64), nullable=True),   # a brand's subscription only gets that brand's events
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime, nullable=False),
)

webhook_deliveries = Table(
    "webhook_deliveries", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subscription_id", String(32), nullable=False, index=True),
    Column("event", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("status", String(16), nullable=False, index=True),   # pending, delivered, failed (gave up)
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime, nullable=False, index=True),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("delivered_at", DateTime, nullable=True),
)
