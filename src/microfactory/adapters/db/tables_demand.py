"""Tables of the demand programs (migration 0003_demand): campaigns and pledges, stock policies,
collaborative runs and their lines, purchase orders and their receipts."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, DateTime, Float, Index, Integer, String, Table

from microfactory.adapters.db.tables import metadata

campaigns = Table(
    "campaigns", metadata,
    Column("id", String(64), primary_key=True),
    Column("brand_id", String(64), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("status", String(16), nullable=False),            # open, closed
    Column("deadline_utc", DateTime, nullable=False, index=True),
    Column("spec", JSON, nullable=False),                    # variants, minima, price, plan, sites, window
    Column("cap", Integer, nullable=False),
    Column("cap_detail", JSON, nullable=False),              # free minutes, minutes per unit, solver figures
    Column("units_by_product", JSON, nullable=False),        # running tally of live pledges
    Column("outcome", JSON, nullable=True),
    Column("version", Integer, nullable=False, default=1),
    Column("created_at", DateTime, nullable=False),
    Column("closed_at", DateTime, nullable=True),
)

campaign_pledges = Table(
    "campaign_pledges", metadata,
    Column("id", String(64), primary_key=True),
    Column("campaign_id", String(64), nullable=False, index=True),
    Column("order_id", String(64), nullable=False, unique=True),
    Column("line_id", String(80), nullable=False),
    Column("customer_ref", String(200), nullable=False, default=""),
    Column("sku", String(200), nullable=False),
    Column("product_id", String(64), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("paid", Float, nullable=False),
    Column("status", String(16), nullable=False),            # active, cancelled, converted, refunded
    Column("created_at", DateTime, nullable=False),
)

stock_policies = Table(
    "stock_policies", metadata,
    Column("store_id", String(64), primary_key=True),
    Column("sku", String(200), primary_key=True),
    Column("product_id", String(64), nullable=False),
    Column("options", JSON, nullable=False),
    Column("kind", String(16), nullable=False),              # stocked, made_to_order, preorder_only
    Column("reorder_point", Integer, nullable=False, default=0),
    Column("order_up_to", Integer, nullable=False, default=0),
    Column("stock_promise_days", Integer, nullable=False, default=0),
    Column("mto_promise_days", Integer, nullable=False, default=7),
    Column("review_period_days", Integer, nullable=False, default=7),
    Column("review_offset_day", Integer, nullable=False, default=0),
    Column("detail", JSON, nullable=False),                  # demand, sd, lead time, service level, cushion
    Column("updated_at", DateTime, nullable=False),
)

runs = Table(
    "runs", metadata,
    Column("id", String(64), primary_key=True),
    Column("site_id", String(64), nullable=False, index=True),
    Column("setup_key", String(200), nullable=False),
    Column("min_batch", Integer, nullable=False),
    Column("max_batch", Integer, nullable=True),
    Column("deadline", DateTime, nullable=False),
    Column("fixed_cost", Float, nullable=False),
    Column("shortfall_cost_per_unit", Float, nullable=False, default=0.0),
    Column("status", String(16), nullable=False),            # open, scheduled, failed
    Column("batch_id", String(64), nullable=True),
    Column("sharing", JSON, nullable=True),                  # rule, inputs, result (auditable)
    Column("created_at", DateTime, nullable=False),
    Column("resolved_at", DateTime, nullable=True),
)

run_lines = Table(
    "run_lines", metadata,
    Column("run_id", String(64), primary_key=True),
    Column("line_id", String(80), primary_key=True),
    Column("brand_id", String(64), nullable=False),
    Column("order_id", String(64), nullable=False),
    Column("sku", String(200), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("on_fail", String(16), nullable=False),           # reroute, release
    Column("outcome", String(16), nullable=True),            # batched, rerouted, released
    Column("joined_at", DateTime, nullable=False),
    Index("ix_run_lines_brand_run", "brand_id", "run_id"),
)

purchase_orders = Table(
    "purchase_orders", metadata,
    Column("id", String(64), primary_key=True),
    Column("site_id", String(64), nullable=False, index=True),
    Column("supplier_id", String(64), nullable=False),
    Column("material", String(64), nullable=False),
    Column("quantity", Float, nullable=False),
    Column("unit_price", Float, nullable=False),
    Column("total", Float, nullable=False),
    Column("order_date", Date, nullable=False),
    Column("arrival_date", Date, nullable=False),
    Column("need_date", Date, nullable=False),
    Column("status", String(16), nullable=False),            # open, partial, received, cancelled
    Column("received_qty", Float, nullable=False, default=0.0),
    Column("detail", JSON, nullable=False),                  # reason, substitute_for, late
    Column("created_at", DateTime, nullable=False),
)

purchase_receipts = Table(
    "purchase_receipts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("po_id", String(64), nullable=False, index=True),
    Column("lot", String(40), nullable=False),
    Column("quantity", Float, nullable=False),
    Column("at", DateTime, nullable=False),
)
