"""Demand programs in the database: campaigns and pledges, stock policies, collaborative runs,
purchase orders and receipts, and the bulk order-status writes a campaign close needs.

Tenant isolation for runs is in the queries: every run-line read takes the brand and
filters on it, so another brand's lines never leave the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, select, update

from microfactory.adapters.db import tables as t
from microfactory.adapters.db import tables_demand as d
from microfactory.adapters.db.bulk_sql import insert_rows, update_rows
from microfactory.adapters.db.upsert import upsert
from microfactory.domain.orders import Order, StatusChanged
from microfactory.errors import NotFound

Row = dict[str, Any]


def _row(r: Any) -> Row:
    return dict(r._mapping)


class DemandRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _lock(self, query: Any) -> Any:
        # PostgreSQL: row lock until commit. SQLite: BEGIN IMMEDIATE already serialises writers.
        return query.with_for_update() if self.conn.dialect.name == "postgresql" else query

    # -- campaigns -------------------------------------------------------------------
    def add_campaign(self, row: Row) -> None:
        self.conn.execute(d.campaigns.insert().values(**row, version=1))

    def get_campaign(self, campaign_id: str, *, lock: bool = False, brand: str | None = None) -> Row:
        q = select(d.campaigns).where(d.campaigns.c.id == campaign_id)
        if brand is not None:
            q = q.where(d.campaigns.c.brand_id == brand)
        found = self.conn.execute(self._lock(q) if lock else q).first()
        if found is None:
            raise NotFound(f"campaign {campaign_id!r} does not exist", field="campaign_id")
        return _row(found)

    def campaign_exists(self, campaign_id: str) -> bool:
        return self.conn.execute(select(d.campaigns.c.id).where(d.campaigns.c.id == campaign_id)).first() is not None

    def list_campaigns(self, *, brand: str | None = None, status: str | None = None) -> list[Row]:
        q = select(d.campaigns).order_by(d.campaigns.c.created_at, d.campaigns.c.id)
        if brand is not None:
            q = q.where(d.campaigns.c.brand_id == brand)
        if status is not None:
            q = q.where(d.campaigns.c.status == status)
        return [_row(r) for r in self.conn.execute(q)]

    def due_campaign_ids(self, now: datetime) -> list[str]:
        q = select(d.campaigns.c.id).where(and_(d.campaigns.c.status == "open", d.campaigns.c.deadline_utc <= now))
        return sorted(r[0] for r in self.conn.execute(q))

    def set_tally(self, campaign_id: str, units_by_product: dict[str, int]) -> None:
        self.conn.execute(update(d.campaigns).where(d.campaigns.c.id == campaign_id)
                          .values(units_by_product=units_by_product, version=d.campaigns.c.version + 1))

    def set_cap_detail(self, campaign_id: str, detail: dict[str, Any]) -> None:
        self.conn.execute(update(d.campaigns).where(d.campaigns.c.id == campaign_id).values(cap_detail=detail))

    def close_campaign(self, campaign_id: str, outcome: dict[str, Any], at: datetime) -> None:
        self.conn.execute(update(d.campaigns).where(d.campaigns.c.id == campaign_id)
                          .values(status="closed", outcome=outcome, closed_at=at, version=d.campaigns.c.version + 1))

    def capacity_rows(self, site_ids: Sequence[str], start: date, end: date) -> dict[tuple[str, str, date], tuple[float, float]]:
        """(capacity_min, reserved_min) per (site, process, day) where routing has filled the table."""
        q = select(t.capacity).where(and_(t.capacity.c.site_id.in_(list(site_ids)), t.capacity.c.day >= start,
                                          t.capacity.c.day <= end))
        return {(r.site_id, r.process, r.day): (r.capacity_min, r.reserved_min) for r in self.conn.execute(q)}

    def reserve_capacity(self, rows: Sequence[tuple[str, str, str, date, float]]) -> None:
        """Bulk capacity reservations: (reference, site, process, day, minutes) rows are inserted and
        added to ``capacity.reserved_min`` per (site, process, day), in lock order, one statement each.
        The capacity rows must exist and be locked by the caller (the routing service's rule)."""
        kept = [r for r in rows if r[4] > 1e-6]
        if not kept:
            return
        insert_rows(self.conn, t.capacity_reservations, [
            {"line_id": ref, "site_id": s, "process": p, "day": day, "minutes": m} for ref, s, p, day, m in kept])
        per_key: dict[tuple[str, str, date], float] = {}
        for _, s, p, day, m in kept:
            per_key[(s, p, day)] = per_key.get((s, p, day), 0.0) + m
        update_rows(self.conn, t.capacity, ["site_id", "process", "day"],
                    [{"reserved_min": m, "site_id": s, "process": p, "day": day}
                     for (s, p, day), m in sorted(per_key.items())], increment=["reserved_min"])

    def save_assignments(self, rows: Sequence[Row]) -> None:
        """Bulk upsert of routing assignments (line_id, site_id, run_id, cost, detail, at)."""
        insert_rows(self.conn, t.assignments, list(rows), conflict=["line_id"])

    # -- pledges ---------------------------------------------------------------------
    def count_pledges(self, campaign_id: str) -> int:
        q = select(func.count()).select_from(d.campaign_pledges).where(d.campaign_pledges.c.campaign_id == campaign_id)
        return int(self.conn.execute(q).scalar() or 0)

    def add_pledge(self, row: Row) -> None:
        self.conn.execute(d.campaign_pledges.insert().values(**row))

    def get_pledge(self, pledge_id: str, campaign_id: str | None = None) -> Row:
        q = select(d.campaign_pledges).where(d.campaign_pledges.c.id == pledge_id)
        if campaign_id is not None:
            q = q.where(d.campaign_pledges.c.campaign_id == campaign_id)
        found = self.conn.execute(q).first()
        if found is None:
            raise NotFound(f"pledge {pledge_id!r} does not exist", field="pledge_id")
        return _row(found)

    def pledges(self, campaign_id: str, status: str | None = None) -> list[Row]:
        q = select(d.campaign_pledges).where(d.campaign_pledges.c.campaign_id == campaign_id) \
            .order_by(d.campaign_pledges.c.created_at, d.campaign_pledges.c.id)
        if status is not None:
            q = q.where(d.campaign_pledges.c.status == status)
        return [_row(r) for r in self.conn.execute(q)]

    def set_pledge_statuses(self, statuses: Sequence[tuple[str, str]]) -> None:
        """(pledge id, status) pairs, in one executemany."""
        update_rows(self.conn, d.campaign_pledges, ["id"], [{"status": s, "id": p} for p, s in statuses])

    # -- orders in bulk (a campaign close converts thousands at once) ----------------
    def save_order_statuses(self, orders: Sequence[Order], events: Iterable[StatusChanged], actor: str) -> None:
        """Bulk form of ``OrderRepository.save_status``: statuses of orders and lines, then events."""
        if orders:
            update_rows(self.conn, t.orders, ["id"], [{"status": o.status.value, "version": 1, "id": o.id}
                                                      for o in orders], increment=["version"])
            update_rows(self.conn, t.order_lines, ["id"], [{"status": ln.status.value, "id": ln.id}
                                                           for o in orders for ln in o.lines])
        self.add_order_events([{"order_id": e.order_id, "line_id": e.line_id, "kind": "status_changed",
                                "old": e.old.value, "new": e.new.value, "at": e.at, "reason": e.reason,
                                "actor": actor} for e in events])

    def add_order_events(self, rows: list[Row]) -> None:
        insert_rows(self.conn, t.order_events, rows)

    def set_line_sites(self, sites: dict[str, str | None]) -> None:
        update_rows(self.conn, t.order_lines, ["id"], [{"site_id": v, "id": k} for k, v in sites.items()])

    def orders_by_ids(self, order_ids: Sequence[str]) -> list[Order]:
        """Orders with their lines, a thousand ids per query."""
        from microfactory.adapters.db.repositories import OrderRepository

        repo, out = OrderRepository(self.conn), []
        for i in range(0, len(order_ids), 1000):
            chunk = list(order_ids[i:i + 1000])
            rows = list(self.conn.execute(select(t.orders).where(t.orders.c.id.in_(chunk))))
            out.extend(repo._orders(rows))
        return out

    def demand_counts(self, product_id: str, start: datetime, end: datetime,
                      brand: str | None = None) -> list[Row]:
        """Units of a product ordered or pledged per day and channel in [start, end), cancelled excluded."""
        day = func.date(t.orders.c.created_at)
        q = (select(day.label("day"), t.orders.c.channel, func.sum(t.order_lines.c.quantity).label("units"))
             .join(t.orders, t.orders.c.id == t.order_lines.c.order_id)
             .where(and_(t.order_lines.c.product_id == product_id, t.orders.c.created_at >= start,
                         t.orders.c.created_at < end, t.order_lines.c.status != "cancelled"))
             .group_by(day, t.orders.c.channel).order_by(day))
        if brand is not None:
            q = q.where(t.orders.c.brand_id == brand)
        return [{"day": str(r.day), "channel": r.channel, "units": int(r.units)} for r in self.conn.execute(q)]

    # -- stock policies --------------------------------------------------------------
    def save_policy(self, row: Row) -> None:
        upsert(self.conn, d.stock_policies, [row], ["store_id", "sku"])

    def get_policy(self, store: str, sku: str) -> Row | None:
        found = self.conn.execute(select(d.stock_policies).where(and_(
            d.stock_policies.c.store_id == store, d.stock_policies.c.sku == sku))).first()
        return _row(found) if found else None

    def list_policies(self, store: str | None = None) -> list[Row]:
        q = select(d.stock_policies).order_by(d.stock_policies.c.store_id, d.stock_policies.c.sku)
        if store is not None:
            q = q.where(d.stock_policies.c.store_id == store)
        return [_row(r) for r in self.conn.execute(q)]

    def replenishment_on_order(self, store: str) -> dict[str, int]:
        """Units per SKU that open replenishment orders still bring to ``store``."""
        done = ("delivered", "cancelled", "returned")
        q = (select(t.order_lines.c.sku, func.sum(t.order_lines.c.quantity))
             .join(t.orders, t.orders.c.id == t.order_lines.c.order_id)
             .where(and_(t.orders.c.channel == "replenishment", t.orders.c.delivery == f"pickup:{store}",
                         t.order_lines.c.status.not_in(done)))
             .group_by(t.order_lines.c.sku))
        return {sku: int(n) for sku, n in self.conn.execute(q)}

    # -- runs ------------------------------------------------------------------------
    def add_run(self, row: Row) -> None:
        self.conn.execute(d.runs.insert().values(**row))

    def get_run(self, run_id: str, *, lock: bool = False, brand: str | None = None) -> Row:
        """A run; with ``brand``, only if that brand has a line in it (else NotFound: no existence leak)."""
        q = select(d.runs).where(d.runs.c.id == run_id)
        if brand is not None:
            q = q.where(d.runs.c.id.in_(select(d.run_lines.c.run_id).where(d.run_lines.c.brand_id == brand)))
        found = self.conn.execute(self._lock(q) if lock else q).first()
        if found is None:
            raise NotFound(f"run {run_id!r} does not exist", field="run_id")
        return _row(found)

    def list_runs(self, *, brand: str | None = None, site: str | None = None, status: str | None = None,
                  open_to_all: bool = False) -> list[Row]:
        """Runs; a brand sees runs it has lines in (and, with ``open_to_all``, open runs to join)."""
        q = select(d.runs).order_by(d.runs.c.deadline, d.runs.c.id)
        if brand is not None:
            mine = d.runs.c.id.in_(select(d.run_lines.c.run_id).where(d.run_lines.c.brand_id == brand))
            q = q.where(mine | (d.runs.c.status == "open") if open_to_all else mine)
        if site is not None:
            q = q.where(d.runs.c.site_id == site)
        if status is not None:
            q = q.where(d.runs.c.status == status)
        return [_row(r) for r in self.conn.execute(q)]

    def run_lines(self, run_id: str, brand: str | None = None) -> list[Row]:
        """Lines of a run, in joining order; with ``brand`` only that brand's lines."""
        q = select(d.run_lines).where(d.run_lines.c.run_id == run_id) \
            .order_by(d.run_lines.c.joined_at, d.run_lines.c.line_id)
        if brand is not None:
            q = q.where(d.run_lines.c.brand_id == brand)
        return [_row(r) for r in self.conn.execute(q)]

    def run_units(self, run_id: str) -> int:
        """Aggregate fill of a run (what every member may see)."""
        q = select(func.coalesce(func.sum(d.run_lines.c.quantity), 0)).where(d.run_lines.c.run_id == run_id)
        return int(self.conn.execute(q).scalar() or 0)

    def lines_in_open_runs(self) -> set[str]:
        q = select(d.run_lines.c.line_id).join(d.runs, d.runs.c.id == d.run_lines.c.run_id) \
            .where(d.runs.c.status == "open")
        return {r[0] for r in self.conn.execute(q)}

    def add_run_line(self, row: Row) -> None:
        self.conn.execute(d.run_lines.insert().values(**row))

    def remove_run_line(self, run_id: str, line_id: str) -> None:
        self.conn.execute(d.run_lines.delete().where(and_(d.run_lines.c.run_id == run_id,
                                                          d.run_lines.c.line_id == line_id)))

    def set_run_lines_outcome(self, run_id: str, outcomes: dict[str, str]) -> None:
        if outcomes:
            self.conn.execute(update(d.run_lines).where(and_(d.run_lines.c.run_id == run_id,
                                                             d.run_lines.c.line_id == bindparam("lid")))
                              .values(outcome=bindparam("oc")), [{"lid": k, "oc": v} for k, v in outcomes.items()])

    def resolve_run(self, run_id: str, status: str, at: datetime, batch_id: str | None,
                    sharing: dict[str, Any] | None) -> None:
        self.conn.execute(update(d.runs).where(d.runs.c.id == run_id)
                          .values(status=status, resolved_at=at, batch_id=batch_id, sharing=sharing))

    # -- purchasing ------------------------------------------------------------------
    def add_purchase_order(self, row: Row) -> None:
        self.conn.execute(d.purchase_orders.insert().values(**row))

    def get_purchase_order(self, po_id: str, *, lock: bool = False) -> Row:
        q = select(d.purchase_orders).where(d.purchase_orders.c.id == po_id)
        found = self.conn.execute(self._lock(q) if lock else q).first()
        if found is None:
            raise NotFound(f"purchase order {po_id!r} does not exist", field="po_id")
        return _row(found)

    def list_purchase_orders(self, *, site: str | None = None, status: str | None = None) -> list[Row]:
        q = select(d.purchase_orders).order_by(d.purchase_orders.c.created_at, d.purchase_orders.c.id)
        if site is not None:
            q = q.where(d.purchase_orders.c.site_id == site)
        if status is not None:
            q = q.where(d.purchase_orders.c.status == status)
        return [_row(r) for r in self.conn.execute(q)]

    def count_purchase_orders(self) -> int:
        return int(self.conn.execute(select(func.count()).select_from(d.purchase_orders)).scalar() or 0)

    def on_order(self) -> dict[tuple[str, str], float]:
        """Open quantity not yet received per (site, material)."""
        q = select(d.purchase_orders.c.site_id, d.purchase_orders.c.material,
                   func.sum(d.purchase_orders.c.quantity - d.purchase_orders.c.received_qty)) \
            .where(d.purchase_orders.c.status.in_(("open", "partial"))) \
            .group_by(d.purchase_orders.c.site_id, d.purchase_orders.c.material)
        return {(s, m): float(q_) for s, m, q_ in self.conn.execute(q)}

    def add_receipt(self, po_id: str, lot: str, qty: float, at: datetime, received_qty: float, status: str) -> None:
        self.conn.execute(d.purchase_receipts.insert().values(po_id=po_id, lot=lot, quantity=qty, at=at))
        self.conn.execute(update(d.purchase_orders).where(d.purchase_orders.c.id == po_id)
                          .values(received_qty=received_qty, status=status))

    def receipts(self, po_id: str) -> list[Row]:
        q = select(d.purchase_receipts).where(d.purchase_receipts.c.po_id == po_id).order_by(d.purchase_receipts.c.id)
        return [{"lot": r.lot, "quantity": r.quantity, "at": r.at.isoformat()} for r in self.conn.execute(q)]


__all__ = ["DemandRepository", "date"]
