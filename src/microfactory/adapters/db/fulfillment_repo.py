"""Fulfillment records: customer preferences, shipments, stored same-day plans, material
transfers and returns; plus the plan facts fulfillment reads (line sites, batch ends)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, select, update

from microfactory.adapters.db import tables as t
from microfactory.adapters.db import tables_fulfillment as tf
from microfactory.adapters.db.upsert import upsert
from microfactory.domain.returns import Inspection, Return, ReturnChange, ReturnReason, ReturnStatus
from microfactory.errors import NotFound

#: Line statuses after which a line has left production (counted as shipped for return rates).
SHIPPED_STATES = ("shipped", "ready_for_pickup", "delivered", "returned")
#: Order statuses that take no more fulfillment work.
CLOSED_ORDER_STATES = ("shipped", "delivered", "cancelled", "returned", "ready_for_pickup")


def _return_detail(r: Return) -> dict[str, Any]:
    insp = r.inspection
    return {"inspection": None if insp is None else {"resellable": insp.resellable, "notes": insp.notes,
                                                     "measurements": dict(insp.measurements)},
            "store": r.store, "remake_order_id": r.remake_order_id,
            "history": [{"old": c.old.value if c.old else None, "new": c.new.value, "at": c.at.isoformat(),
                         "note": c.note} for c in r.history]}


def _return(row: Any) -> Return:
    d = row.detail
    insp = d.get("inspection")
    inspection = None if insp is None else Inspection.of(insp["resellable"], insp.get("notes", ""),
                                                         insp.get("measurements") or {})
    history = tuple(ReturnChange(row.id, ReturnStatus(h["old"]) if h["old"] else None, ReturnStatus(h["new"]),
                                 datetime.fromisoformat(h["at"]), h.get("note", "")) for h in d.get("history", []))
    return Return(row.id, row.order_id, row.line_id, row.quantity, ReturnReason(row.reason), row.created_at,
                  ReturnStatus(row.status), inspection, d.get("store"), d.get("remake_order_id"), history)


class FulfillmentRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- preferences -------------------------------------------------------------------
    def put_preference(self, customer_ref: str, brand: str, cadence: str, weekday: int | None, anchor: date | None,
                       channel: str, pickup_store: str | None, at: datetime) -> None:
        upsert(self.conn, t.customer_preferences, [{
            "customer_ref": customer_ref, "brand_id": brand, "cadence": cadence, "weekday": weekday, "anchor": anchor,
            "channel": channel, "pickup_store": pickup_store, "updated_at": at}], ["customer_ref"])

    def preferences(self, refs: Iterable[str], brand: str | None = None) -> dict[str, dict[str, Any]]:
        """Stored preferences by customer; with a brand scope, only those that brand stored."""
        keys = sorted(set(refs))
        if not keys:
            return {}
        q = select(t.customer_preferences).where(t.customer_preferences.c.customer_ref.in_(keys))
        if brand is not None:
            q = q.where(t.customer_preferences.c.brand_id == brand)
        rows = self.conn.execute(q)
        return {r.customer_ref: {"customer_ref": r.customer_ref, "brand": r.brand_id, "cadence": r.cadence,
                                 "weekday": r.weekday, "anchor": r.anchor, "channel": r.channel,
                                 "pickup_store": r.pickup_store, "updated_at": r.updated_at} for r in rows}

    # -- plan facts ----------------------------------------------------------------------
    def line_sites(self, order_ids: Sequence[str]) -> dict[str, str | None]:
        """Producing site of each line of the orders (None: not routed)."""
        if not order_ids:
            return {}
        q = select(t.order_lines.c.id, t.order_lines.c.site_id).where(t.order_lines.c.order_id.in_(list(order_ids)))
        return {r.id: r.site_id for r in self.conn.execute(q)}

    def line_batches(self, line_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The live (not cancelled) batch of each line that is in one: id, site, status, planned end."""
        if not line_ids:
            return {}
        q = (select(t.batch_lines.c.line_id, t.batches.c.id, t.batches.c.site_id, t.batches.c.status,
                    t.batches.c.planned_end)
             .join(t.batches, t.batches.c.id == t.batch_lines.c.batch_id)
             .where(and_(t.batch_lines.c.line_id.in_(list(line_ids)), t.batches.c.status != "cancelled"))
             .order_by(t.batches.c.created_at))
        return {r.line_id: {"batch_id": r.id, "site_id": r.site_id, "status": r.status, "planned_end": r.planned_end}
                for r in self.conn.execute(q)}

    def order_ids_with_lines_at(self, site: str) -> list[str]:
        """Open orders with at least one line assigned to ``site``."""
        q = (select(t.orders.c.id).distinct()
             .join(t.order_lines, t.order_lines.c.order_id == t.orders.c.id)
             .where(and_(t.order_lines.c.site_id == site, t.orders.c.status.not_in(CLOSED_ORDER_STATES)))
             .order_by(t.orders.c.id))
        return [r[0] for r in self.conn.execute(q)]

    def same_day_order_ids(self, day: date, created_before: datetime) -> list[str]:
        """Open same-day orders due on or after ``day`` created before ``created_before``."""
        q = (select(t.orders.c.id).where(and_(
            t.orders.c.delivery == "same_day", t.orders.c.due >= day, t.orders.c.created_at < created_before,
            t.orders.c.status.not_in(CLOSED_ORDER_STATES))).order_by(t.orders.c.seq))
        return [r[0] for r in self.conn.execute(q)]

    def open_order_ids_of(self, customer_ref: str, exclude: str | None = None) -> list[str]:
        if not customer_ref:
            return []
        q = select(t.orders.c.id).where(and_(t.orders.c.customer_ref == customer_ref,
                                             t.orders.c.status.not_in(CLOSED_ORDER_STATES))).order_by(t.orders.c.seq)
        return [r[0] for r in self.conn.execute(q) if r[0] != exclude]

    # -- shipments -----------------------------------------------------------------------
    def add_shipment(self, shipment_id: str, order_id: str, kind: str, carrier: str, tracking: str | None,
                     status: str, from_site: str | None, detail: dict[str, Any], at: datetime) -> None:
        self.conn.execute(t.shipments.insert().values(id=shipment_id, order_id=order_id, kind=kind, carrier=carrier,
                                                      tracking=tracking, status=status, from_site=from_site,
                                                      detail=detail, created_at=at))

    @staticmethod
    def _shipment(r: Any) -> dict[str, Any]:
        return {"id": r.id, "order_id": r.order_id, "kind": r.kind, "carrier": r.carrier, "tracking": r.tracking,
                "status": r.status, "from_site": r.from_site, "detail": dict(r.detail),
                "created_at": r.created_at.isoformat()}

    def get_shipment(self, shipment_id: str, site: str | None = None) -> dict[str, Any] | None:
        """One shipment; with a site scope, only one leaving that site."""
        q = select(t.shipments).where(t.shipments.c.id == shipment_id)
        if site is not None:
            q = q.where(t.shipments.c.from_site == site)
        row = self.conn.execute(q).first()
        return None if row is None else self._shipment(row)

    def shipments(self, *, order_id: str | None = None, kind: str | None = None, open_only: bool = False,
                  carrier: str | None = None, after: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
        q = select(t.shipments).order_by(t.shipments.c.id).limit(limit)
        if order_id is not None:
            q = q.where(t.shipments.c.order_id == order_id)
        if kind is not None:
            q = q.where(t.shipments.c.kind == kind)
        if carrier is not None:
            q = q.where(t.shipments.c.carrier == carrier)
        if open_only:
            q = q.where(t.shipments.c.status.not_in(("delivered", "returned", "cancelled")))
        if after is not None:
            q = q.where(t.shipments.c.id > after)
        return [self._shipment(r) for r in self.conn.execute(q)]

    def update_shipment(self, shipment_id: str, status: str, detail: dict[str, Any]) -> None:
        self.conn.execute(update(t.shipments).where(t.shipments.c.id == shipment_id)
                          .values(status=status, detail=detail))

    def delete_shipments(self, ids: Sequence[str]) -> None:
        if ids:
            self.conn.execute(delete(t.shipments).where(t.shipments.c.id.in_(list(ids))))

    # -- delivery plans ------------------------------------------------------------------
    def save_delivery_plan(self, plan_id: str, site: str, day: date, meta: dict[str, Any], problem: dict[str, Any],
                           solution: dict[str, Any], at: datetime) -> None:
        self.conn.execute(delete(tf.delivery_plans).where(tf.delivery_plans.c.id == plan_id))
        self.conn.execute(tf.delivery_plans.insert().values(
            id=plan_id, site_id=site, day=day, status=meta["status"], objective=meta.get("objective"),
            runtime_s=meta.get("runtime_s"), seed=meta.get("seed"), problem=problem, solution=solution, created_at=at))

    def get_delivery_plan(self, plan_id: str, site: str | None = None) -> dict[str, Any]:
        """One same-day plan; with a site scope, another site's plan is not found."""
        q = select(tf.delivery_plans).where(tf.delivery_plans.c.id == plan_id)
        if site is not None:
            q = q.where(tf.delivery_plans.c.site_id == site)
        row = self.conn.execute(q).first()
        if row is None:
            raise NotFound(f"delivery plan {plan_id!r} does not exist", field="plan_id")
        return {"id": row.id, "site": row.site_id, "day": row.day, "status": row.status, "objective": row.objective,
                "runtime_s": row.runtime_s, "seed": row.seed, "problem": row.problem, "solution": row.solution,
                "created_at": row.created_at.isoformat()}

    # -- material transfers --------------------------------------------------------------
    def add_material_transfer(self, transfer_id: str, from_site: str, to_site: str, item: str, qty: float,
                              detail: dict[str, Any], at: datetime) -> None:
        self.conn.execute(tf.material_transfers.insert().values(id=transfer_id, from_site=from_site, to_site=to_site,
                                                                item=item, qty=qty, detail=detail, created_at=at))

    def material_transfers(self, site: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        q = select(tf.material_transfers).order_by(tf.material_transfers.c.created_at, tf.material_transfers.c.id)
        if site is not None:
            q = q.where((tf.material_transfers.c.from_site == site) | (tf.material_transfers.c.to_site == site))
        return [{"id": r.id, "kind": "transfer", "purpose": "material", "from_site": r.from_site,
                 "to_site": r.to_site, "item": r.item, "qty": r.qty, "detail": dict(r.detail),
                 "created_at": r.created_at.isoformat()} for r in self.conn.execute(q.limit(limit))]

    def material_transfer_exists(self, transfer_id: str) -> bool:
        q = select(tf.material_transfers.c.id).where(tf.material_transfers.c.id == transfer_id)
        return self.conn.execute(q).first() is not None

    # -- returns -------------------------------------------------------------------------
    def add_return(self, r: Return) -> None:
        self.conn.execute(t.returns.insert().values(id=r.id, order_id=r.order_id, line_id=r.line_id,
                                                    quantity=r.quantity, reason=r.reason.value, status=r.status.value,
                                                    detail=_return_detail(r), created_at=r.created))

    def save_return(self, r: Return) -> None:
        self.conn.execute(update(t.returns).where(t.returns.c.id == r.id)
                          .values(status=r.status.value, detail=_return_detail(r)))

    def get_return(self, return_id: str, brand: str | None = None) -> Return:
        """One return; with a brand scope, another brand's return is not found."""
        q = select(t.returns).where(t.returns.c.id == return_id)
        if brand is not None:
            q = q.where(t.returns.c.order_id.in_(select(t.orders.c.id).where(t.orders.c.brand_id == brand)))
        row = self.conn.execute(q).first()
        if row is None:
            raise NotFound(f"return {return_id!r} does not exist", field="return_id")
        return _return(row)

    def returns(self, *, order_id: str | None = None, status: str | None = None, brand: str | None = None,
                after: str | None = None, limit: int = 50) -> list[Return]:
        q = select(t.returns).order_by(t.returns.c.id).limit(limit)
        if order_id is not None:
            q = q.where(t.returns.c.order_id == order_id)
        if status is not None:
            q = q.where(t.returns.c.status == status)
        if brand is not None:
            q = q.where(t.returns.c.order_id.in_(select(t.orders.c.id).where(t.orders.c.brand_id == brand)))
        if after is not None:
            q = q.where(t.returns.c.id > after)
        return [_return(r) for r in self.conn.execute(q)]

    def returned_quantity(self, line_id: str) -> int:
        """Units of the line under a return that was not rejected."""
        q = select(func.coalesce(func.sum(t.returns.c.quantity), 0)).where(and_(
            t.returns.c.line_id == line_id, t.returns.c.status != "rejected"))
        return int(self.conn.execute(q).scalar() or 0)

    def shipped_units(self, brand: str | None = None) -> list[tuple[str, str, int]]:
        """(product, site, units) of lines that left production."""
        q = (select(t.order_lines.c.product_id, t.order_lines.c.site_id, func.sum(t.order_lines.c.quantity))
             .where(t.order_lines.c.status.in_(SHIPPED_STATES))
             .group_by(t.order_lines.c.product_id, t.order_lines.c.site_id))
        if brand is not None:
            q = q.where(t.order_lines.c.order_id.in_(select(t.orders.c.id).where(t.orders.c.brand_id == brand)))
        return [(r[0], r[1] or "", int(r[2])) for r in self.conn.execute(q)]

    def returned_units(self, brand: str | None = None) -> list[tuple[str, str, str, int]]:
        """(product, site, reason, units) of returns that were not rejected."""
        q = (select(t.order_lines.c.product_id, t.order_lines.c.site_id, t.returns.c.reason,
                    func.sum(t.returns.c.quantity))
             .join(t.order_lines, t.order_lines.c.id == t.returns.c.line_id)
             .where(t.returns.c.status != "rejected")
             .group_by(t.order_lines.c.product_id, t.order_lines.c.site_id, t.returns.c.reason))
        if brand is not None:
            q = q.where(t.returns.c.order_id.in_(select(t.orders.c.id).where(t.orders.c.brand_id == brand)))
        return [(r[0], r[1] or "", r[2], int(r[3])) for r in self.conn.execute(q)]
