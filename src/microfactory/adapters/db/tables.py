"""SQLAlchemy tables. The same metadata serves SQLite and PostgreSQL; Alembic migrates it."""

from __future__ import annotations

from sqlalchemy import (
                        JSON,
                        Boolean,
                        Column,
                        Date,
                        DateTime,
                        Float,
                        ForeignKey,
                        Index,
                        Integer,
                        MetaData,
                        String,
                        Table,
                        Text,
                        UniqueConstraint,
)

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

# --- production, quality, traceability, fulfillment (migration 0002) ---------------------

plans = Table(
    "plans", metadata,
    Column("id", String(64), primary_key=True),
    Column("site_id", String(64), nullable=False, index=True),
    Column("status", String(16), nullable=False),   # solver status
    Column("active", Boolean, nullable=False, default=True),
    Column("objective", Float, nullable=True),
    Column("bound", Float, nullable=True),
    Column("runtime_s", Float, nullable=True),
    Column("seed", Integer, nullable=True),
    Column("summary", JSON, nullable=False),        # kpis, moved operations, bottlenecks
    Column("created_at", DateTime, nullable=False),
)

batches = Table(
    "batches", metadata,
    Column("id", String(64), primary_key=True),
    Column("site_id", String(64), ForeignKey("sites.id"), nullable=False, index=True),
    Column("setup_key", String(200), nullable=False),
    Column("product_id", String(64), nullable=False, default=""),
    Column("lot", String(20), nullable=False, unique=True),
    Column("status", String(16), nullable=False, index=True),
    Column("units", Integer, nullable=False),
    Column("due", DateTime, nullable=True),
    Column("planned_start", DateTime, nullable=True),
    Column("planned_end", DateTime, nullable=True),
    Column("plan_id", String(64), nullable=True, index=True),
    Column("created_at", DateTime, nullable=False),
)

batch_lines = Table(
    "batch_lines", metadata,
    Column("batch_id", String(64), ForeignKey("batches.id", ondelete="CASCADE"), primary_key=True),
    Column("line_id", String(80), ForeignKey("order_lines.id"), primary_key=True),
    Column("order_id", String(64), nullable=False, index=True),
    Column("sku", String(200), nullable=False),
    Column("quantity", Integer, nullable=False),
)

work_ops = Table(
    "work_ops", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("plan_id", String(64), nullable=False, index=True),
    Column("batch_id", String(64), ForeignKey("batches.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("op_id", String(64), nullable=False),
    Column("process", String(64), nullable=False),
    Column("resource_id", String(64), nullable=False),
    Column("unit", Integer, nullable=False, default=0),
    Column("worker_id", String(64), nullable=True),
    Column("start", DateTime, nullable=False),
    Column("end", DateTime, nullable=False),
    Column("setup_minutes", Float, nullable=False, default=0.0),
    Column("status", String(16), nullable=False, default="planned"),  # planned, started, done
)

material_consumption = Table(
    "material_consumption", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("batch_id", String(64), ForeignKey("batches.id"), nullable=False, index=True),
    Column("site_id", String(64), nullable=False),
    Column("item", String(200), nullable=False),
    Column("lot", String(40), nullable=False, index=True),
    Column("qty", Float, nullable=False),
    Column("at", DateTime, nullable=False),
)

inspections = Table(
    "inspections", metadata,
    Column("id", String(64), primary_key=True),
    Column("batch_id", String(64), ForeignKey("batches.id"), nullable=False, index=True),
    Column("site_id", String(64), nullable=False, index=True),
    Column("family", String(64), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("sample_size", Integer, nullable=False),
    Column("defects", JSON, nullable=False),
    Column("decision", String(32), nullable=False),
    Column("inspector", String(128), nullable=False, default=""),
    Column("detail", JSON, nullable=False),
    Column("at", DateTime, nullable=False),
)

quality_states = Table(
    "quality_states", metadata,
    Column("site_id", String(64), primary_key=True),
    Column("family", String(64), primary_key=True),
    Column("state", JSON, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

trace_events = Table(
    "trace_events", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(128), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("batch_id", String(64), nullable=True, index=True),
    Column("order_id", String(64), nullable=True, index=True),
    Column("event", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("at", DateTime, nullable=False),
)

shipments = Table(
    "shipments", metadata,
    Column("id", String(64), primary_key=True),
    Column("order_id", String(64), ForeignKey("orders.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),        # parcel, same_day, pickup, transfer
    Column("carrier", String(64), nullable=False),
    Column("tracking", String(128), nullable=True, unique=True),
    Column("status", String(24), nullable=False),
    Column("from_site", String(64), nullable=True),
    Column("detail", JSON, nullable=False),            # legs, price, emissions, promised date
    Column("created_at", DateTime, nullable=False),
)

customer_preferences = Table(
    "customer_preferences", metadata,
    Column("customer_ref", String(200), primary_key=True),
    Column("brand_id", String(64), ForeignKey("brands.id"), nullable=False),
    Column("cadence", String(16), nullable=False),     # asap, weekly, biweekly
    Column("weekday", Integer, nullable=True),
    Column("anchor", Date, nullable=True),
    Column("channel", String(16), nullable=False, default="email"),
    Column("pickup_store", String(64), nullable=True),
    Column("updated_at", DateTime, nullable=False),
)

returns = Table(
    "returns", metadata,
    Column("id", String(64), primary_key=True),
    Column("order_id", String(64), ForeignKey("orders.id"), nullable=False, index=True),
    Column("line_id", String(80), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("reason", String(24), nullable=False),      # fit, defect, not_as_described, changed_mind
    Column("status", String(24), nullable=False),      # authorised, received, restocked, remade, rejected
    Column("detail", JSON, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

ui_jobs = Table(  # dashboard jobs (routing, planning, simulation): state shared by every worker
    "ui_jobs", metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("owner", String(200), nullable=False),
    Column("label", String(300), nullable=False),
    Column("status", String(16), nullable=False),       # running, done, failed
    Column("progress", Float, nullable=False),
    Column("message", String(300), nullable=False),
    Column("result", JSON, nullable=True),
    Column("error", Text, nullable=True),
    Column("elapsed_s", Float, nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),     # heartbeat of the worker running it
    Index("ix_ui_jobs_owner_started", "owner", "started_at"),
)
