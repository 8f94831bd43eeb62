"""Return use cases: authorise, receive with inspection, then restock / remake / reject;
return rates as a KPI. The rules live in :mod:`microfactory.domain.returns`.

* Authorise: the line must be shipped or delivered; the units under open or finished
  (not rejected) returns of the line may not exceed its quantity.
* Receive: the inspection decides the outcome by :func:`~microfactory.domain.returns.decide`
  unless the caller names one. Restock puts the units back into finished goods at a store
  (the given store, else the customer's pickup store, else the order's pickup store, else
  the store nearest the customer) as lot ``RET-<return id>``. Remake creates a new order
  (channel api, same customer and delivery, external id ``remake-<return id>`` so it is
  made once) with the inspection's adjusted measurements; a fit return of a
  made-to-measure item needs them. Restocked or remade: the original line goes to
  ``returned``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from microfactory.domain.catalog import OptionKind, Product
from microfactory.domain.geo import haversine_km
from microfactory.domain.inventory import Inventory
from microfactory.domain.network import Network, SiteKind
from microfactory.domain.orders import TRANSITIONS, Order, OrderLine, OrderStatus, advance_line
from microfactory.domain.returns import (
    LINE_RETURNED,
    Inspection,
    Return,
    ReturnedUnits,
    ReturnReason,
    ReturnStatus,
    ShippedUnits,
    authorise,
    decide,
    receive,
    reject,
    remade,
    restock,
    return_rates,
)
from microfactory.errors import IllegalTransition, InvalidInput, NotFound
from microfactory.services.fulfillment import ff
from microfactory.services.intake import LineRequest, OrderRequest, create_order
from microfactory.services.ports import UnitOfWork

RETURNABLE = frozenset({OrderStatus.SHIPPED, OrderStatus.DELIVERED})


def authorise_return(uow: UnitOfWork, order_id: str, line_id: str, quantity: int, reason: str, now: datetime,
                     actor: str = "system", note: str = "", brand: str | None = None) -> Return:
    """A return authorisation (RMA) for ``quantity`` units of a shipped or delivered line."""
    order = uow.orders.get(order_id, brand=brand)
    line = order.line(line_id)
    if line.status not in RETURNABLE:
        raise IllegalTransition(f"line {line_id} is {line.status.value}; only shipped or delivered lines can be "
                                "returned", field="line_id", details={"status": line.status.value})
    already = ff(uow).returned_quantity(line_id)
    if quantity + already > line.quantity:
        raise InvalidInput(f"line {line_id} has {line.quantity} units and {already} already under return",
                           field="quantity")
    rid = "RMA-" + hashlib.sha1(f"{order_id}|{line_id}|{already}|{now.isoformat()}".encode()).hexdigest()[:10].upper()
    ret = authorise(rid, order_id, line_id, quantity, reason, now, note)
    ff(uow).add_return(ret)
    uow.audit.add(actor, "return.authorise", "return", rid, {"order_id": order_id, "line_id": line_id,
                                                              "quantity": quantity, "reason": reason}, now)
    return ret


@dataclass(frozen=True)
class ReceiveRequest:
    """The inspection on receipt and, optionally, the outcome and the store to restock at."""

    resellable: bool
    notes: str = ""
    measurements: dict[str, float] = field(default_factory=dict)
    outcome: str | None = None      # restocked | remade | rejected; None: the domain rule decides
    store: str | None = None


def _made_to_measure(product: Product) -> bool:
    return any(o.kind is OptionKind.NUMBER for o in product.options)


def _outcome(req: ReceiveRequest, ret: Return, product: Product) -> ReturnStatus:
    if req.outcome is None:
        return decide(ret.reason, _made_to_measure(product), req.resellable)
    allowed = (ReturnStatus.RESTOCKED, ReturnStatus.REMADE, ReturnStatus.REJECTED)
    if req.outcome not in {s.value for s in allowed}:
        raise InvalidInput("outcome must be restocked, remade or rejected", field="outcome")
    return ReturnStatus(req.outcome)


def _restock_store(uow: UnitOfWork, network: Network, order: Order, wanted: str | None) -> str:
    pref = ff(uow).preferences([order.customer_ref]).get(order.customer_ref) if order.customer_ref else None
    store_id = wanted or (pref or {}).get("pickup_store") or order.delivery.store
    if store_id is not None:
        site = next((s for s in network.sites if s.id == store_id), None)
        if site is None or site.kind is not SiteKind.STORE:
            raise InvalidInput(f"{store_id!r} is not a store of the network", field="store")
        return store_id
    stores = [s for s in network.stores if s.serves(order.brand)]
    if not stores:
        raise NotFound(f"no store takes back brand {order.brand}", field="store")
    return min(stores, key=lambda s: (haversine_km(s.location, order.customer_location), s.id)).id


def _remake(uow: UnitOfWork, ret: Return, order: Order, line: OrderLine, product: Product,
            measurements: dict[str, float], now: datetime, actor: str) -> str:
    numeric = {o.name for o in product.options if o.kind is OptionKind.NUMBER}
    unknown = sorted(set(measurements) - numeric)
    if unknown:
        raise InvalidInput(f"{unknown[0]!r} is not a measurement of {product.id}", field="measurements")
    if ret.reason is ReturnReason.FIT and numeric and not measurements:
        raise InvalidInput("a fit remake of a made-to-measure item needs adjusted measurements",
                           field="measurements")
    options = {**dict(line.options), **{k: f"{v:g}" for k, v in measurements.items()}}
    req = OrderRequest(order.brand, (LineRequest(product.id, options, ret.quantity),),
                       order.customer_location.lat, order.customer_location.lon, delivery=str(order.delivery),
                       channel="api", customer_ref=order.customer_ref, external_id=f"remake-{ret.id}")
    return create_order(uow, req, now=now, actor=actor).order.id


def receive_return(uow: UnitOfWork, return_id: str, req: ReceiveRequest, now: datetime,
                   actor: str = "system") -> Return:
    """Receive and inspect a returned item, then restock, remake or reject it."""
    ret = ff(uow).get_return(return_id)
    ret = receive(ret, Inspection.of(req.resellable, req.notes, req.measurements), now)
    order = uow.orders.get(ret.order_id)
    line = order.line(ret.line_id)
    network = uow.network.load()
    product = uow.catalog.load(network, brand=order.brand).products[line.product_id]
    outcome = _outcome(req, ret, product)
    if outcome is ReturnStatus.RESTOCKED:
        store = _restock_store(uow, network, order, req.store)
        ret = restock(ret, store, now)

        def put_back(inv: Inventory) -> Any:
            return inv.receive(store, line.sku, f"RET-{ret.id}", float(ret.quantity), now, ref=ret.id)

        uow.inventory.apply([(store, line.sku)], put_back)
    elif outcome is ReturnStatus.REMADE:
        ret = remade(ret, _remake(uow, ret, order, line, product, req.measurements, now, actor), now)
    else:
        ret = reject(ret, now, req.notes)
    if ret.status in LINE_RETURNED and OrderStatus.RETURNED in TRANSITIONS[line.status]:
        order, events = advance_line(order, line.id, OrderStatus.RETURNED, now, f"return {ret.id}: {ret.status.value}")
        uow.orders.save_status(order, events, actor)
    ff(uow).save_return(ret)
    uow.audit.add(actor, "return.receive", "return", ret.id, {"outcome": ret.status.value, "store": ret.store,
                                                               "remake_order_id": ret.remake_order_id}, now)
    return ret


def return_kpis(uow: UnitOfWork, brand: str | None = None) -> dict[str, Any]:
    """Return rates overall and by reason, product and producing site."""
    repo = ff(uow)
    shipped = [ShippedUnits(p, s, q) for p, s, q in repo.shipped_units(brand)]
    returned = [ReturnedUnits(p, s, r, q) for p, s, r, q in repo.returned_units(brand)]
    return return_rates(shipped, returned)


def return_view(ret: Return) -> dict[str, Any]:
    insp = ret.inspection
    return {"id": ret.id, "order_id": ret.order_id, "line_id": ret.line_id, "quantity": ret.quantity,
            "reason": ret.reason.value, "status": ret.status.value, "created": ret.created.isoformat(),
            "inspection": None if insp is None else {"resellable": insp.resellable, "notes": insp.notes,
                                                     "measurements": dict(insp.measurements)},
            "store": ret.store, "remake_order_id": ret.remake_order_id,
            "history": [{"old": c.old.value if c.old else None, "new": c.new.value, "at": c.at.isoformat(),
                         "note": c.note} for c in ret.history]}
