"""Shipments through carriers, tracking sync, pickups and transfers between sites.

* :func:`create_shipment` books packed lines with a carrier: a ``parcel`` (or ``same_day``
  for the local courier) to the customer, or a ``transfer`` to the pickup store for a
  pickup order (with the leg's cost and ISO 14083 emissions). Idempotent per order,
  carrier and reference.
* :func:`sync_tracking` reads every open shipment's events from its carrier and moves the
  lines: shipped / in transit / out for delivery -> ``shipped``; delivered -> ``delivered``
  (a pickup transfer delivered at the store -> ``ready_for_pickup``). Each move is an
  event in the order history. Running it twice changes nothing the second time.
* :func:`transfer_material` moves stock between sites through the inventory ledger and
  records the leg.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from microfactory.adapters.carriers import (
    Carrier,
    Party,
    ShipmentRequest,
    TrackingEvent,
    latest_status,
)
from microfactory.domain.geo import haversine_km
from microfactory.domain.inventory import Inventory
from microfactory.domain.orders import TRANSITIONS, Order, OrderStatus, StatusChanged, advance_line
from microfactory.engines.delivery import TransferRate, transfer_leg
from microfactory.engines.emissions import leg_emissions
from microfactory.errors import IllegalTransition, InvalidInput, NotFound
from microfactory.services.fulfillment import ff, order_weight_kg, party_of, site_point
from microfactory.services.fulfillment_sameday import shipment_id, stored_courier
from microfactory.services.ports import UnitOfWork

S = OrderStatus
TO_CUSTOMER: dict[str, tuple[OrderStatus, ...]] = {
    "shipped": (S.SHIPPED,), "in_transit": (S.SHIPPED,), "out_for_delivery": (S.SHIPPED,),
    "delivered": (S.SHIPPED, S.DELIVERED),
}
TO_STORE: dict[str, tuple[OrderStatus, ...]] = {"delivered": (S.READY_FOR_PICKUP,)}


def _leg_detail(leg: Any) -> dict[str, Any]:
    return {"origin": leg.origin, "destination": leg.destination, "mode": leg.mode, "distance_km": leg.distance_km,
            "duration_minutes": leg.duration_minutes, "cost": leg.cost, "kg_co2e": round(leg.kg_co2e, 6)}


def _packed_lines(order: Order) -> list[str]:
    live = [ln for ln in order.lines if ln.status is not S.CANCELLED]
    waiting = [ln for ln in live if ln.status is not S.PACKED]
    if waiting:
        ln = waiting[0]
        raise IllegalTransition(f"line {ln.id} is {ln.status.value}; only packed lines can be shipped",
                                field="status", details={"line_id": ln.id, "status": ln.status.value})
    return [ln.id for ln in live]


def create_shipment(uow: UnitOfWork, order_id: str, carrier: Carrier, now: datetime, actor: str = "system",
                    reference: str = "", transfer: TransferRate | None = None) -> dict[str, Any]:
    """Book the order's packed lines with ``carrier`` (see the module docstring)."""
    for existing in ff(uow).shipments(order_id=order_id, carrier=carrier.name):
        if existing["detail"].get("reference", "") == reference:
            return {**existing, "created": False}
    order = uow.orders.get(order_id)
    line_ids = _packed_lines(order)
    network = uow.network.load()
    sites = {ln: s for ln, s in ff(uow).line_sites([order.id]).items() if s}
    if not sites:
        raise InvalidInput(f"order {order_id} has no producing site assigned", field="site_id")
    site = network.site(min(sites.values()))
    weight = order_weight_kg(order, uow.catalog.load(network, brand=order.brand))
    store = network.site(order.delivery.store) if order.delivery.store else None
    recipient = Party(store.name, store.location) if store else party_of(order)
    request = ShipmentRequest(order.id, Party(site.name, site.location), recipient, weight, reference=reference)
    quotes = carrier.quote(request)
    label = carrier.create_shipment(request)
    detail: dict[str, Any] = {"reference": reference, "line_ids": line_ids, "service": label.service,
                              "label_path": label.path, "price": quotes[0].price if quotes else None,
                              "transit_days": quotes[0].transit_days if quotes else None, "events": []}
    if store is not None:
        leg = transfer_leg(site_point(site), site_point(store), weight, transfer or TransferRate())
        kind = "transfer"
        detail.update(purpose="pickup", to_site=store.id, legs=[_leg_detail(leg)], kg_co2e=round(leg.kg_co2e, 6))
    else:
        km = haversine_km(site.location, order.customer_location) * 1.3
        kind = "same_day" if label.service == "same_day" else "parcel"
        detail.update(kg_co2e=round(leg_emissions(quotes[0].mode if quotes else "parcel", km, weight).kg_co2e, 6))
    sid = shipment_id(label.tracking_number)
    ff(uow).add_shipment(sid, order.id, kind, carrier.name, label.tracking_number, "label_created", site.id,
                         detail, now)
    uow.audit.add(actor, "shipment.create", "shipment", sid, {"order_id": order.id, "carrier": carrier.name,
                                                               "kind": kind}, now)
    shipment = ff(uow).get_shipment(sid)
    return {**shipment, "created": True}


def _move_lines(order: Order, line_ids: list[str], targets: tuple[OrderStatus, ...], at: datetime,
                reason: str) -> tuple[Order, list[StatusChanged]]:
    events: list[StatusChanged] = []
    for line_id in line_ids:
        for target in targets:
            line = order.line(line_id)
            if target in TRANSITIONS[line.status]:
                order, evs = advance_line(order, line_id, target, at, reason)
                events += evs
    return order, events


def _event_dict(e: TrackingEvent) -> dict[str, Any]:
    return {"status": e.status, "at": e.at.isoformat(), "location": e.location, "note": e.note}


def _apply_tracking(uow: UnitOfWork, shipment: dict[str, Any], events: list[TrackingEvent], actor: str
                    ) -> dict[str, Any] | None:
    status = latest_status(events) or shipment["status"]
    if status == shipment["status"] and len(events) == len(shipment["detail"].get("events", [])):
        return None
    detail = {**shipment["detail"], "events": [_event_dict(e) for e in sorted(events, key=lambda e: e.at)]}
    ff(uow).update_shipment(shipment["id"], status, detail)
    table = TO_STORE if shipment["kind"] == "transfer" else TO_CUSTOMER
    moved: list[StatusChanged] = []
    if status in table:
        at = max((e.at for e in events if e.status == status), default=None) or max(e.at for e in events)
        order = uow.orders.get(shipment["order_id"])
        order, moved = _move_lines(order, list(detail.get("line_ids", [])), table[status], at,
                                   f"tracking {shipment['tracking']}: {status}")
        if moved:
            uow.orders.save_status(order, moved, actor)
    if status == shipment["status"] and not moved:
        return None  # new detail events only
    return {"shipment": shipment["id"], "order_id": shipment["order_id"], "tracking": shipment["tracking"],
            "old": shipment["status"], "new": status, "lines_moved": len([e for e in moved if e.line_id])}


def sync_tracking(uow: UnitOfWork, now: datetime, carriers: Mapping[str, Carrier], actor: str = "system",
                  order_id: str | None = None) -> dict[str, Any]:
    """Read tracking for every open shipment (local-courier plans are rebuilt from the store)."""
    changes, skipped = [], []
    couriers: dict[str, Carrier] = dict(carriers)
    for shipment in ff(uow).shipments(open_only=True, order_id=order_id):
        if shipment["tracking"] is None:
            continue
        carrier = couriers.get(shipment["carrier"])
        if carrier is None and shipment["kind"] == "same_day" and shipment["detail"].get("plan_id"):
            carrier = stored_courier(uow, shipment["detail"]["plan_id"], lambda: now)
            couriers[shipment["carrier"]] = carrier
        if carrier is None:
            skipped.append({"shipment": shipment["id"], "carrier": shipment["carrier"], "reason": "no such carrier"})
            continue
        change = _apply_tracking(uow, shipment, carrier.track(shipment["tracking"]), actor)
        if change is not None:
            changes.append(change)
    if changes:
        uow.audit.add(actor, "shipments.sync", "shipment", "*", {"changed": len(changes)}, now)
    return {"changed": changes, "skipped": skipped}


def confirm_delivery(uow: UnitOfWork, shipment_ref: str, at: datetime, now: datetime, actor: str = "system",
                     note: str = "") -> dict[str, Any]:
    """A local-courier driver's proof of delivery: stored, then the shipment is synced."""
    shipment = ff(uow).get_shipment(shipment_ref)
    if shipment is None or shipment["kind"] != "same_day":
        raise NotFound(f"no same-day shipment {shipment_ref!r}", field="shipment_id")
    detail = {**shipment["detail"], "pod": {"at": at.isoformat(), "note": note}}
    ff(uow).update_shipment(shipment["id"], shipment["status"], detail)
    return sync_tracking(uow, now, {}, actor, order_id=shipment["order_id"])


def confirm_pickup(uow: UnitOfWork, order_id: str, now: datetime, actor: str = "system") -> Order:
    """The customer collected the order at the store: ready_for_pickup -> delivered."""
    order = uow.orders.get(order_id)
    ready = [ln.id for ln in order.lines if ln.status is S.READY_FOR_PICKUP]
    if not ready:
        raise IllegalTransition(f"order {order_id} has nothing ready for pickup", field="status")
    order, events = _move_lines(order, ready, (S.DELIVERED,), now, "picked up at the store")
    uow.orders.save_status(order, events, actor)
    return order


def _item_weight(uow: UnitOfWork, item: str, qty: float) -> float:
    catalog = uow.catalog.load(uow.network.load())
    if item in catalog.materials and catalog.materials[item].weight_kg_per_unit > 0:
        return catalog.materials[item].weight_kg_per_unit * qty
    products = [p for p in catalog.products.values() if item == p.id or item.startswith(p.id + "-")]
    if products:
        return max(products, key=lambda p: len(p.id)).weight_kg * qty
    raise InvalidInput(f"the weight of {item!r} is not known; give weight_kg", field="weight_kg")


def transfer_material(uow: UnitOfWork, from_site: str, to_site: str, item: str, qty: float, now: datetime,
                      actor: str = "system", weight_kg: float | None = None, transfer_id: str | None = None,
                      rate: TransferRate | None = None) -> dict[str, Any]:
    """Move ``qty`` of ``item`` between sites (FIFO lots) and record the leg's cost and emissions."""
    network = uow.network.load()
    origin, dest = network.site(from_site), network.site(to_site)
    tid = transfer_id or "TR-" + hashlib.sha1(f"{from_site}|{to_site}|{item}|{qty}|{now.isoformat()}"
                                               .encode()).hexdigest()[:12].upper()
    if ff(uow).material_transfer_exists(tid):
        return {**next(t for t in ff(uow).material_transfers(limit=10_000) if t["id"] == tid), "created": False}
    weight = weight_kg if weight_kg is not None else _item_weight(uow, item, qty)
    leg = transfer_leg(site_point(origin), site_point(dest), weight, rate or TransferRate())

    def change(inv: Inventory) -> Any:
        return inv.transfer(from_site, to_site, item, qty, now, ref=tid)

    moves = uow.inventory.apply([(from_site, item), (to_site, item)], change)
    lots = sorted({m.lot for m in moves})
    detail = {"weight_kg": weight, "legs": [_leg_detail(leg)], "lots": lots, "kg_co2e": round(leg.kg_co2e, 6),
              "cost": leg.cost}
    ff(uow).add_material_transfer(tid, from_site, to_site, item, qty, detail, now)
    uow.audit.add(actor, "transfer.material", "transfer", tid, {"from": from_site, "to": to_site, "item": item,
                                                                  "qty": qty}, now)
    return {"id": tid, "kind": "transfer", "purpose": "material", "from_site": from_site, "to_site": to_site,
            "item": item, "qty": qty, "detail": detail, "created": True}

