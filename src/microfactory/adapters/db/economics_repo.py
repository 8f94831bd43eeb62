"""Read-only queries behind the economics service: KPI inputs, free capacity, inspection counts.

Every query tolerates empty tables (the capabilities that fill them may not have run yet).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, case, func, select

from microfactory.adapters.db import tables as t


def _orders_in(query: Select[Any], start: datetime | None, end: datetime | None, brand: str | None) -> Select[Any]:
    """``query`` limited to orders created in ``[start, end)`` (of one brand)."""
    if start is not None:
        query = query.where(t.orders.c.created_at >= start)
    if end is not None:
        query = query.where(t.orders.c.created_at < end)
    if brand is not None:
        query = query.where(t.orders.c.brand_id == brand)
    return query


class EconomicsRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def orders(self, start: datetime | None, end: datetime | None, brand: str | None) -> list[dict[str, Any]]:
        """Orders created in ``[start, end)`` (optionally of one brand) with items and due date."""
        items = func.coalesce(func.sum(t.order_lines.c.quantity), 0)
        query = (select(t.orders.c.id, t.orders.c.brand_id, t.orders.c.created_at, t.orders.c.due, items.label("items"))
                 .select_from(t.orders.outerjoin(t.order_lines, t.order_lines.c.order_id == t.orders.c.id))
                 .group_by(t.orders.c.id, t.orders.c.brand_id, t.orders.c.created_at, t.orders.c.due)
                 .order_by(t.orders.c.created_at, t.orders.c.id))
        return [{"id": r.id, "brand": r.brand_id, "created": r.created_at, "due": r.due, "items": int(r.items)}
                for r in self.conn.execute(_orders_in(query, start, end, brand))]

    def order_ids(self, start: datetime | None, end: datetime | None, brand: str | None) -> Select[Any]:
        """The ids :meth:`orders` returns, as a query: the per-order queries below take it in place of
        a list, so the database joins once instead of the client sending the ids in chunks."""
        return _orders_in(select(t.orders.c.id), start, end, brand)

    def _per_order(self, query: Any, ids: list[str] | Select[Any]) -> list[Any]:
        if isinstance(ids, Select):
            return list(self.conn.execute(query(ids)))
        rows: list[Any] = []
        for k in range(0, len(ids), 500):
            rows.extend(self.conn.execute(query(ids[k:k + 500])))
        return rows

    def delivered_at(self, ids: list[str] | Select[Any]) -> dict[str, datetime]:
        """First time each order reached ``delivered`` (order-level status events)."""
        def q(chunk: Any) -> Any:
            return (select(t.order_events.c.order_id, func.min(t.order_events.c.at))
                    .where(and_(t.order_events.c.order_id.in_(chunk), t.order_events.c.new == "delivered",
                                t.order_events.c.line_id.is_(None)))
                    .group_by(t.order_events.c.order_id))
        return {r[0]: r[1] for r in self._per_order(q, ids)}

    def line_sites(self, ids: list[str] | Select[Any]) -> dict[str, str]:
        """The (first) site making each order's lines."""
        def q(chunk: Any) -> Any:
            return (select(t.order_lines.c.order_id, func.min(t.order_lines.c.site_id))
                    .where(t.order_lines.c.order_id.in_(chunk)).group_by(t.order_lines.c.order_id))
        return {r[0]: r[1] for r in self._per_order(q, ids) if r[1] is not None}

    def assignment_costs(self, ids: list[str] | Select[Any]) -> dict[str, float]:
        """Sum of the routing assignments' cost per order (where routing recorded one)."""
        def q(chunk: Any) -> Any:
            return (select(t.order_lines.c.order_id, func.sum(t.assignments.c.cost))
                    .select_from(t.assignments.join(t.order_lines, t.order_lines.c.id == t.assignments.c.line_id))
                    .where(t.order_lines.c.order_id.in_(chunk)).group_by(t.order_lines.c.order_id))
        return {r[0]: float(r[1]) for r in self._per_order(q, ids) if r[1] is not None}

    def shipment_emissions(self, ids: list[str] | Select[Any]) -> dict[str, float]:
        """kg CO2e per order summed over its shipments' detail (``kg_co2e``)."""
        out: dict[str, float] = defaultdict(float)
        def q(chunk: Any) -> Any:
            return select(t.shipments.c.order_id, t.shipments.c.detail).where(t.shipments.c.order_id.in_(chunk))
        for order_id, detail in self._per_order(q, ids):
            value = (detail or {}).get("kg_co2e")
            if isinstance(value, (int, float)):
                out[order_id] += float(value)
        return dict(out)

    def returns(self, ids: list[str] | Select[Any]) -> list[tuple[str, str, int]]:
        """(order, reason, quantity) of every return of these orders."""
        def q(chunk: Any) -> Any:
            return (select(t.returns.c.order_id, t.returns.c.reason, t.returns.c.quantity)
                    .where(t.returns.c.order_id.in_(chunk)).order_by(t.returns.c.id))
        return [(r[0], r[1], int(r[2])) for r in self._per_order(q, ids)]

    def work_ops(self, start: datetime | None, end: datetime | None, site: str | None) -> list[dict[str, Any]]:
        """Planned or done operations starting in ``[start, end)`` with their site and setup minutes."""
        query = (select(t.batches.c.site_id, t.work_ops.c.process, t.work_ops.c.start, t.work_ops.c.end,
                        t.work_ops.c.setup_minutes)
                 .select_from(t.work_ops.join(t.batches, t.batches.c.id == t.work_ops.c.batch_id))
                 .order_by(t.work_ops.c.id))
        if start is not None:
            query = query.where(t.work_ops.c.start >= start)
        if end is not None:
            query = query.where(t.work_ops.c.start < end)
        if site is not None:
            query = query.where(t.batches.c.site_id == site)
        return [{"site": r.site_id, "process": r.process, "start": r.start, "end": r.end,
                 "setup_minutes": float(r.setup_minutes or 0.0)} for r in self.conn.execute(query)]

    def reserved_minutes(self, site: str, first: date, last: date) -> dict[str, float]:
        """Minutes already reserved per process at ``site`` over ``[first, last]``."""
        query = (select(t.capacity.c.process, func.sum(t.capacity.c.reserved_min))
                 .where(and_(t.capacity.c.site_id == site, t.capacity.c.day >= first, t.capacity.c.day <= last))
                 .group_by(t.capacity.c.process))
        return {r[0]: float(r[1] or 0.0) for r in self.conn.execute(query)}

    def inspection_counts(self) -> dict[str, tuple[int, int]]:
        """Per site: (inspections, rejected inspections)."""
        rejected = func.sum(case((t.inspections.c.decision == "reject", 1), else_=0))
        query = select(t.inspections.c.site_id, func.count(), rejected).group_by(t.inspections.c.site_id)
        return {r[0]: (int(r[1]), int(r[2] or 0)) for r in self.conn.execute(query)}
