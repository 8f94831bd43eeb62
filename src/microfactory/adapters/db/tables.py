"""SQLAlchemy tables. The same metadata serves SQLite and PostgreSQL; Alembic migrates it."""

from __future__ import annotations

from sqlalchemy import (JSON, Boolean, Column, Date, DateTime, Float, ForeignKey, Index, Integer, MetaData,
                        String, Table, Text, UniqueConstraint)

metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

settings = Table(
    "settings", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", JSON, nullable=False),
)

brands = Table(
    "brands", metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
)

sites = Table(
    "sites", metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("operator", String(16), nullable=False),
    Column("status", String(8), nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("spec", JSON, nullable=False),  # calendar, resources, workers, rules: the site as in network.yaml
    Column("version", Integer, nullable=False, default=1),
)

suppliers = Table(
    "suppliers", metadata,
    Column("id", String(64), primary_key=True),
    Column("spec", JSON, nullable=False),
)

materials = Table(
    "materials", metadata,
    Column("id", String(64), primary_key=True),
    Column("unit", String(16), nullable=False),
    Column("cost", Float, nullable=False),
    Column("spec", JSON, nullable=False),
)

products = Table(
    "products", metadata,
    Column("id", String(64), primary_key=True),
    Column("brand_id", String(64), ForeignKey("brands.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("price", Float, nullable=False),
    Column("spec", JSON, nullable=False),  # options, bom, operations as in catalog.yaml
)

orders = Table(
    "orders", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),  # insertion order, for cursor paging
    Column("id", String(64), nullable=False, unique=True),
    Column("brand_id", String(64), ForeignKey("brands.id"), nullable=False),
    Column("external_id", String(128), nullable=True),
    Column("channel", String(16), nullable=False),
    Column("status", String(24), nullable=False),
    Column("customer_lat", Float, nullable=False),
    Column("customer_lon", Float, nullable=False),
    Column("customer_ref", String(200), nullable=False, default=""),
    Column("delivery", String(80), nullable=False),
    Column("due", Date, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("keep_together", Boolean, nullable=False, default=False),
    Column("version", Integer, nullable=False, default=1),
    UniqueConstraint("brand_id", "external_id", name="uq_orders_brand_external"),
    Index("ix_orders_brand_seq", "brand_id", "seq"),
    Index("ix_orders_status", "status"),
)

order_lines = Table(
    "order_lines", metadata,
    Column("id", String(80), primary_key=True),
    Column("order_id", String(64), ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("product_id", String(64), ForeignKey("products.id"), nullable=False),
    Column("sku", String(200), nullable=False),
    Column("options", JSON, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", Float, nullable=False),
    Column("status", String(24), nullable=False),
    Column("site_id", String(64), ForeignKey("sites.id"), nullable=True, index=True),
)

order_events = Table(
    "order_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", String(64), ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("line_id", String(80), nullable=True),
    Column("kind", String(32), nullable=False),  # status_changed, routed, rerouted, note...
    Column("old", String(24), nullable=True),
    Column("new", String(24), nullable=True),
    Column("at", DateTime, nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("actor", String(128), nullable=False, default="system"),
)

idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("scope", String(128), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response", JSON, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

inventory_lots = Table(
    "inventory_lots", metadata,
    Column("site_id", String(64), primary_key=True),
    Column("item", String(200), primary_key=True),
    Column("lot", String(40), primary_key=True),
    Column("qty", Float, nullable=False),
    Column("received_at", DateTime, nullable=False),
)

inventory_reservations = Table(
    "inventory_reservations", metadata,
    Column("site_id", String(64), primary_key=True),
    Column("item", String(200), primary_key=True),
    Column("ref", String(128), primary_key=True),
    Column("qty", Float, nullable=False),
)

inventory_movements = Table(
    "inventory_movements", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("site_id", String(64), nullable=False, index=True),
    Column("item", String(200), nullable=False),
    Column("lot", String(40), nullable=False),
    Column("qty", Float, nullable=False),
    Column("at", DateTime, nullable=False),
    Column("ref", String(128), nullable=False, default=""),
)

capacity = Table(
    "capacity", metadata,
    Column("site_id", String(64), primary_key=True),
    Column("process", String(64), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("capacity_min", Float, nullable=False),
    Column("reserved_min", Float, nullable=False, default=0.0),
)

capacity_reservations = Table(
    "capacity_reservations", metadata,
    Column("line_id", String(80), primary_key=True),
    Column("site_id", String(64), primary_key=True),
    Column("process", String(64), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("minutes", Float, nullable=False),
)

assignments = Table(
    "assignments", metadata,
    Column("line_id", String(80), ForeignKey("order_lines.id", ondelete="CASCADE"), primary_key=True),
    Column("site_id", String(64), nullable=True),
    Column("run_id", String(64), nullable=True, index=True),
    Column("cost", Float, nullable=True),
    Column("detail", JSON, nullable=False),  # breakdown, candidates, reasons
    Column("at", DateTime, nullable=False),
)

routing_runs = Table(
    "routing_runs", metadata,
    Column("id", String(64), primary_key=True),
    Column("policy", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("summary", JSON, nullable=False),
    Column("at", DateTime, nullable=False),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    Column("entity", String(64), nullable=False),
    Column("entity_id", String(128), nullable=False),
    Column("data", JSON, nullable=False),
)
