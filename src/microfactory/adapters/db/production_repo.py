"""Batches, plans with their scheduled operations, and material consumption (genealogy)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, func, select, update

from microfactory.adapters.db import tables as t
from microfactory.domain.production import Batch, BatchLine, BatchStatus, ScheduledOp
from microfactory.errors import NotFound


class ProductionRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- batches ---------------------------------------------------------------------
    def add_batch(self, batch: Batch, at: datetime) -> None:
        self.conn.execute(t.batches.insert().values(
            id=batch.id, site_id=batch.site_id, setup_key=batch.setup_key, product_id=batch.product_id, lot=batch.lot,
            status=batch.status.value, units=batch.units, due=batch.due, planned_start=batch.planned_start,
            planned_end=batch.planned_end, plan_id=batch.plan_id, created_at=at))
        self.conn.execute(t.batch_lines.insert(), [
            {"batch_id": batch.id, "line_id": ln.line_id, "order_id": ln.order_id, "sku": ln.sku, "quantity": ln.quantity}
            for ln in batch.lines])

    def _batches(self, rows: list[Any]) -> list[Batch]:
        ids = [r.id for r in rows]
        lines: dict[str, list[BatchLine]] = {i: [] for i in ids}
        if ids:
            for ln in self.conn.execute(select(t.batch_lines).where(t.batch_lines.c.batch_id.in_(ids))
                                        .order_by(t.batch_lines.c.batch_id, t.batch_lines.c.line_id)):
                lines[ln.batch_id].append(BatchLine(ln.line_id, ln.order_id, ln.sku, ln.quantity))
        return [Batch(r.id, r.site_id, r.setup_key, tuple(lines[r.id]), r.lot, BatchStatus(r.status), r.product_id,
                      r.due, r.planned_start, r.planned_end, r.plan_id) for r in rows]

    def get_batch(self, batch_id: str, site: str | None = None) -> Batch:
        """One batch; with a site scope, a batch of another site is simply not found."""
        q = select(t.batches).where(t.batches.c.id == batch_id)
        if site is not None:
            q = q.where(t.batches.c.site_id == site)
        row = self.conn.execute(q).first()
        if row is None:
            raise NotFound(f"batch {batch_id!r} does not exist", field="batch_id")
        return self._batches([row])[0]

    def batch_by_lot(self, lot: str) -> Batch:
        row = self.conn.execute(select(t.batches).where(t.batches.c.lot == lot)).first()
        if row is None:
            raise NotFound(f"no batch has lot {lot!r}", field="lot")
        return self._batches([row])[0]

    def list_batches(self, *, site: str | None = None, status: str | None = None, order_id: str | None = None,
                     limit: int = 500) -> list[Batch]:
        q = select(t.batches).order_by(t.batches.c.created_at, t.batches.c.id).limit(limit)
        if site is not None:
            q = q.where(t.batches.c.site_id == site)
        if status is not None:
            q = q.where(t.batches.c.status == status)
        if order_id is not None:
            q = q.where(t.batches.c.id.in_(select(t.batch_lines.c.batch_id).where(t.batch_lines.c.order_id == order_id)))
        return self._batches(list(self.conn.execute(q)))

    def set_batch_status(self, batch_id: str, status: BatchStatus, at: datetime | None = None) -> None:
        """Set a batch's status; the change goes out to webhook subscribers in the same transaction."""
        row = self.conn.execute(select(t.batches.c.status, t.batches.c.site_id).where(t.batches.c.id == batch_id)).first()
        self.conn.execute(update(t.batches).where(t.batches.c.id == batch_id).values(status=status.value))
        if row is not None and row.status != status.value:
            from microfactory.adapters.db.webhooks_repo import WebhookRepository

            when = at or datetime.now(UTC).replace(tzinfo=None, microsecond=0)
            brands = sorted({r[0] for r in self.conn.execute(
                select(t.orders.c.brand_id).join(t.batch_lines, t.batch_lines.c.order_id == t.orders.c.id)
                .where(t.batch_lines.c.batch_id == batch_id))})
            hooks = WebhookRepository(self.conn)
            for brand in brands or [None]:
                hooks.enqueue("batch.status_changed", {"event": "batch.status_changed", "batch_id": batch_id,
                                                       "site": row.site_id, "from": row.status, "to": status.value,
                                                       "at": when.isoformat()}, brand, when)

    def set_batch_times(self, batch_id: str, start: datetime | None, end: datetime | None, plan_id: str) -> None:
        self.conn.execute(update(t.batches).where(t.batches.c.id == batch_id)
                          .values(planned_start=start, planned_end=end, plan_id=plan_id))

    def batched_line_ids(self, site: str | None = None) -> set[str]:
        """Lines already in a live (not cancelled) batch."""
        q = select(t.batch_lines.c.line_id).join(t.batches, t.batches.c.id == t.batch_lines.c.batch_id) \
            .where(t.batches.c.status != BatchStatus.CANCELLED.value)
        if site is not None:
            q = q.where(t.batches.c.site_id == site)
        return {r[0] for r in self.conn.execute(q)}

    def lots_with_prefix(self, prefix: str) -> set[str]:
        """Lot codes starting with ``prefix`` (to pick the next free sequence number)."""
        return {r[0] for r in self.conn.execute(select(t.batches.c.lot).where(t.batches.c.lot.startswith(prefix)))}

    # -- plans -----------------------------------------------------------------------
    def count_plans(self, site_id: str) -> int:
        """How many plans (active or not) the site has had."""
        return int(self.conn.execute(select(func.count()).select_from(t.plans)
                                     .where(t.plans.c.site_id == site_id)).scalar() or 0)

    def save_plan(self, plan_id: str, site_id: str, meta: dict[str, Any], ops: list[ScheduledOp], at: datetime) -> None:
        """Store a plan and its operations; it becomes the site's active plan."""
        self.conn.execute(update(t.plans).where(and_(t.plans.c.site_id == site_id, t.plans.c.active.is_(True)))
                          .values(active=False))
        self.conn.execute(t.plans.insert().values(
            id=plan_id, site_id=site_id, status=meta.get("status", "unknown"), active=True,
            objective=meta.get("objective"), bound=meta.get("bound"), runtime_s=meta.get("runtime_s"),
            seed=meta.get("seed"), summary=meta.get("summary", {}), created_at=at))
        if ops:
            self.conn.execute(t.work_ops.insert(), [
                {"plan_id": plan_id, "batch_id": o.batch_id, "op_id": o.op_id, "process": o.process,
                 "resource_id": o.resource_id, "unit": o.unit, "worker_id": o.worker_id, "start": o.start,
                 "end": o.end, "setup_minutes": o.setup_minutes, "status": "planned"} for o in ops])

    def active_plan(self, site_id: str) -> tuple[dict[str, Any], list[ScheduledOp]] | None:
        row = self.conn.execute(select(t.plans).where(and_(t.plans.c.site_id == site_id, t.plans.c.active.is_(True)))).first()
        if row is None:
            return None
        ops = [ScheduledOp(r.batch_id, r.op_id, r.process, r.resource_id, r.start, r.end, r.unit, r.worker_id,
                           r.setup_minutes)
               for r in self.conn.execute(select(t.work_ops).where(t.work_ops.c.plan_id == row.id)
                                          .order_by(t.work_ops.c.start, t.work_ops.c.id))]
        meta = {"id": row.id, "site_id": row.site_id, "status": row.status, "objective": row.objective,
                "bound": row.bound, "runtime_s": row.runtime_s, "seed": row.seed, "summary": row.summary,
                "created_at": row.created_at.isoformat()}
        return meta, ops

    # -- genealogy -------------------------------------------------------------------
    def consume(self, batch_id: str, site_id: str, item: str, lot: str, qty: float, at: datetime) -> None:
        self.conn.execute(t.material_consumption.insert().values(batch_id=batch_id, site_id=site_id, item=item, lot=lot,
                                                                 qty=qty, at=at))

    def consumption(self, batch_id: str) -> list[dict[str, Any]]:
        rows = self.conn.execute(select(t.material_consumption).where(t.material_consumption.c.batch_id == batch_id)
                                 .order_by(t.material_consumption.c.id))
        return [{"item": r.item, "lot": r.lot, "qty": r.qty, "site": r.site_id, "at": r.at.isoformat()} for r in rows]

    def batches_using_lot(self, item: str, lot: str) -> list[str]:
        rows = self.conn.execute(select(t.material_consumption.c.batch_id).distinct().where(and_(
            t.material_consumption.c.item == item, t.material_consumption.c.lot == lot)))
        return sorted(r[0] for r in rows)
