"""Fulfillment tables added by migration 0003_fulfillment: stored same-day plans and
material transfers between sites (shipments, preferences and returns are in tables.py)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, DateTime, Float, Index, Integer, String, Table

from microfactory.adapters.db.tables import metadata

delivery_plans = Table(
    "delivery_plans", metadata,
    Column("id", String(128), primary_key=True),
    Column("site_id", String(64), nullable=False),
    Column("day", Date, nullable=False),
    Column("status", String(16), nullable=False),      # solver status
    Column("objective", Float, nullable=True),
    Column("runtime_s", Float, nullable=True),
    Column("seed", Integer, nullable=True),
    Column("problem", JSON, nullable=False),          # depot, stops, fleet: enough to re-check the plan
    Column("solution", JSON, nullable=False),         # routes, unserved, totals
    Column("created_at", DateTime, nullable=False),
    Index("ix_delivery_plans_site_day", "site_id", "day"),
)

material_transfers = Table(
    "material_transfers", metadata,
    Column("id", String(64), primary_key=True),
    Column("from_site", String(64), nullable=False, index=True),
    Column("to_site", String(64), nullable=False, index=True),
    Column("item", String(200), nullable=False),
    Column("qty", Float, nullable=False),
    Column("detail", JSON, nullable=False),           # leg: distance, duration, cost, emissions; lots moved
    Column("created_at", DateTime, nullable=False),
)
