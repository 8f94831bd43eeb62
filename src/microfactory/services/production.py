"""Production execution: start a batch (issue materials FIFO, record genealogy), finish it.

``start_batch`` moves a planned batch and its scheduled lines to in_production, explodes the
BOM of every line, issues each material FIFO from the site's lots (an approved substitute
takes the whole need when the material is short: one batch is one cut of one material),
records every lot used (genealogy) and appends a TransformationEvent (material lots in,
the batch's garment lot out). ``finish_batch`` sends it to inspection and commissions the
output lot. Everything happens in the caller's unit of work; the caller commits.

``uow`` is the SQL unit of work (typed ``Any``: the capability repositories ``production``,
``quality`` and ``trace`` are created lazily on it).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from microfactory.domain.catalog import Catalog
from microfactory.domain.inventory import EPS, Inventory
from microfactory.domain.orders import OrderStatus, advance_line
from microfactory.domain.production import Batch, BatchStatus, move_batch
from microfactory.engines.trace.epcis import (
    BizTransaction,
    QuantityItem,
    TraceEvent,
    biz_transaction_uri,
)
from microfactory.errors import IllegalTransition, InsufficientStock
from microfactory.services import trace as tr

_DOC_ID = re.compile(r"^[A-Za-z0-9\-._]{1,60}$")


@dataclass(frozen=True, slots=True)
class Need:
    """A material the batch needs in total, with its approved substitutes."""

    material: str
    qty: float
    unit: str
    substitutes: tuple[str, ...]


def batch_needs(uow: Any, batch: Batch, catalog: Catalog) -> list[Need]:
    """The exploded BOM of every line times its units, summed per material (first-seen order)."""
    total: dict[str, float] = defaultdict(float)
    meta: dict[str, tuple[str, tuple[str, ...]]] = {}
    for bl in batch.lines:
        line = uow.orders.get(bl.order_id).line(bl.line_id)
        for m in catalog.explode(line.product_id, dict(line.options)).materials:
            total[m.material] += m.qty * bl.quantity
            meta.setdefault(m.material, (m.unit, m.substitutes))
    return [Need(k, round(v, 6), meta[k][0], meta[k][1]) for k, v in total.items()]


def choose_item(inv: Inventory, site: str, need: Need, ref: str) -> str:
    """The material itself when it covers the need, else the first substitute that does."""
    for item in (need.material, *need.substitutes):
        own = inv.reservations.get((site, item, ref), 0.0)
        if inv.available(site, item) + own >= need.qty - EPS:
            return item
    shown = {i: round(inv.available(site, i), 3) for i in (need.material, *need.substitutes)}
    raise InsufficientStock(f"{site}: {need.qty:g} {need.unit} of {need.material} needed, available {shown} "
                            "(substitutes included)", field="materials",
                            details={"site": site, "item": need.material, "need": need.qty})


def _advance_lines(uow: Any, batch: Batch, new: OrderStatus, skip: OrderStatus | None, now: datetime,
                   actor: str, reason: str) -> None:
    """Move each of the batch's order lines to ``new`` (lines already at ``skip`` stay)."""
    by_order: dict[str, list[str]] = defaultdict(list)
    for bl in batch.lines:
        by_order[bl.order_id].append(bl.line_id)
    for order_id in sorted(by_order):
        order, events = uow.orders.get(order_id), []
        for line_id in by_order[order_id]:
            status = order.line(line_id).status
            if status is new or status is skip or status is OrderStatus.CANCELLED:
                continue
            order, evs = advance_line(order, line_id, new, now, reason)
            events.extend(evs)
        if events:
            uow.orders.save_status(order, events, actor)


def _issue(uow: Any, batch: Batch, catalog: Catalog, now: datetime) -> list[dict[str, Any]]:
    """Issue every need FIFO and record each lot taken; returns the lots used."""
    needs = batch_needs(uow, batch, catalog)
    pairs = [(batch.site_id, i) for n in needs for i in (n.material, *n.substitutes)]
    inv = uow.inventory.load(pairs, lock=True)
    used: list[dict[str, Any]] = []
    for need in needs:
        item = choose_item(inv, batch.site_id, need, batch.id)
        moves = uow.inventory.apply([(batch.site_id, item)],
                                    lambda state, i=item, q=need.qty: state.issue(batch.site_id, i, q, now,
                                                                                  ref=batch.id))
        for m in moves:
            uow.production.consume(batch.id, batch.site_id, item, m.lot, -m.qty, now)
            used.append({"item": item, "lot": m.lot, "qty": round(-m.qty, 6), "unit": need.unit,
                         "substitute_for": need.material if item != need.material else None})
    return used


def start_batch(uow: Any, batch_id: str, *, now: datetime, actor: str = "system") -> dict[str, Any]:
    """Planned → in_production: lines follow, materials issued FIFO, genealogy and trace recorded."""
    batch = uow.production.get_batch(batch_id)
    if batch.status is not BatchStatus.PLANNED:
        raise IllegalTransition(f"batch {batch_id} is {batch.status.value}; only a planned batch starts "
                                "(a rejected batch goes back through rework)", field="status")
    started = move_batch(batch, BatchStatus.IN_PRODUCTION)
    network = uow.network.load()
    catalog = uow.catalog.load(network)
    _advance_lines(uow, batch, OrderStatus.IN_PRODUCTION, None, now, actor, f"batch {batch_id} started")
    used = _issue(uow, batch, catalog, now)
    uow.production.set_batch_status(batch_id, started.status)
    _record_transformation(uow, batch, used, now)
    uow.audit.add(actor, "batch.start", "batch", batch_id, {"lots": used}, now)
    return {"batch": batch_view(started), "lots": used}


def _record_transformation(uow: Any, batch: Batch, used: list[dict[str, Any]], now: datetime) -> None:
    product = tr.batch_product(uow, batch)
    site = uow.network.get_site(batch.site_id)
    where = tr.site_uri(uow, site)
    inputs = tuple(QuantityItem(tr.material_class(u["item"], u["lot"]), u["qty"], tr.UOM.get(u["unit"]))
                   for u in used)
    bts: tuple[BizTransaction, ...] = ()
    if tr.valid_gln(site.gln) and _DOC_ID.match(batch.id):
        bts = (BizTransaction("prodorder", biz_transaction_uri(site.gln, batch.id)),)
    event = TraceEvent("transformation", tr.utc(now), where, where, inputs=inputs,
                       quantities=(QuantityItem(tr.product_class(uow, product, batch.lot), float(batch.units)),),
                       biz_transactions=bts, ilmd=(("batch", batch.id),), batch_ids=(batch.id,),
                       order_ids=tuple(sorted(batch.order_ids)))
    tr.record(uow, event, now)


def finish_batch(uow: Any, batch_id: str, *, now: datetime, actor: str = "system") -> dict[str, Any]:
    """In_production → inspection; the output lot is commissioned (once, not again after rework)."""
    batch = uow.production.get_batch(batch_id)
    done = move_batch(batch, BatchStatus.INSPECTION)
    uow.production.set_batch_status(batch_id, done.status)
    if not uow.trace.events_for(batch_ids=(batch_id,), kind="commissioning"):
        product = tr.batch_product(uow, batch)
        where = tr.site_uri(uow, uow.network.get_site(batch.site_id))
        event = TraceEvent("commissioning", tr.utc(now), where, where,
                           quantities=(QuantityItem(tr.product_class(uow, product, batch.lot), float(batch.units)),),
                           ilmd=(("batch", batch.id),), batch_ids=(batch.id,),
                           order_ids=tuple(sorted(batch.order_ids)))
        tr.record(uow, event, now)
    uow.audit.add(actor, "batch.finish", "batch", batch_id, {}, now)
    return batch_view(done)


def batch_view(b: Batch) -> dict[str, Any]:
    """A batch as JSON-able data."""
    return {"id": b.id, "site_id": b.site_id, "product_id": b.product_id, "setup_key": b.setup_key, "lot": b.lot,
            "status": b.status.value, "units": b.units, "plan_id": b.plan_id,
            "due": b.due.isoformat() if b.due else None,
            "planned_start": b.planned_start.isoformat() if b.planned_start else None,
            "planned_end": b.planned_end.isoformat() if b.planned_end else None,
            "lines": [{"line_id": ln.line_id, "order_id": ln.order_id, "sku": ln.sku, "quantity": ln.quantity}
                      for ln in b.lines]}


def batch_detail(uow: Any, batch_id: str) -> dict[str, Any]:
    """A batch with the lots it consumed, its inspections and how many trace events name it."""
    batch = uow.production.get_batch(batch_id)
    inspections = uow.quality.inspections(batch_ids=(batch_id,))
    return {**batch_view(batch), "consumption": uow.production.consumption(batch_id),
            "inspections": [{"id": i["id"], "decision": i["decision"], "severity": i["severity"],
                             "sample_size": i["sample_size"], "at": i["at"].isoformat(),
                             "dhu": i["detail"].get("defects_per_hundred_units")} for i in inspections],
            "trace_events": len(uow.trace.events_for(batch_ids=(batch_id,)))}


def list_batches(uow: Any, *, site: str | None = None, status: str | None = None, order_id: str | None = None,
                 limit: int = 200) -> list[dict[str, Any]]:
    return [batch_view(b) for b in uow.production.list_batches(site=site, status=status, order_id=order_id,
                                                               limit=limit)]
