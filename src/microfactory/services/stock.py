"""Stock policies per store and variant, store sales, and the replenishment planner in the store.

Store stock is finished goods in the inventory ledger at the store with item = SKU. A
variant's *position* is that stock (available), plus what open replenishment orders to
the store still bring (channel ``replenishment``, delivery ``pickup:<store>``, not yet
delivered or cancelled), minus backorders (0: a sale the shelf cannot cover becomes a
made-to-order order instead). Review days count from Monday 3 January 2000, so with the
weekly default ``review_offset_day`` is the weekday (0 = Monday).

``uow`` is the SQL unit of work (``Any``: ``uow.demand`` is created lazily).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from microfactory.domain.catalog import make_variant
from microfactory.domain.network import SiteKind
from microfactory.domain.orders import (
    Channel,
    Delivery,
    Order,
    OrderLine,
    OrderStatus,
    advance_order,
)
from microfactory.engines.stock_policy import (
    PolicyKind,
    ReplenishmentOrder,
    StockPolicy,
    StockPosition,
    cushion,
    plan_replenishment,
    sell,
)
from microfactory.errors import InvalidInput, NotFound
from microfactory.services.demand_routing import route_orders

EPOCH = date(2000, 1, 3)  # a Monday: review day numbers are days since it


def review_day(day: date) -> int:
    return (day - EPOCH).days


@dataclass(frozen=True)
class PolicyRequest:
    """A policy; ``stocked`` takes (s, S) directly or computes them from demand (module doc of the engine)."""

    store: str
    product: str
    options: dict[str, str]
    kind: str
    demand_per_day: float | None = None
    sd_per_day: float = 0.0
    lead_time_days: float = 3.0
    service_level: float = 0.95
    review_period_days: int = 7
    review_offset_day: int = 0
    reorder_point: int | None = None
    order_up_to: int | None = None
    stock_promise_days: int = 0
    mto_promise_days: int = 7
    extra: dict[str, Any] = field(default_factory=dict)


def _levels(req: PolicyRequest) -> tuple[int, int, dict[str, Any]]:
    if req.kind != PolicyKind.STOCKED.value:
        return 0, 0, {}
    if req.demand_per_day is not None:
        c = cushion(req.demand_per_day, req.sd_per_day, req.lead_time_days, req.service_level,
                    req.review_period_days)
        return c.reorder_point, c.order_up_to, {
            "demand_per_day": req.demand_per_day, "sd_per_day": req.sd_per_day, "lead_time_days": req.lead_time_days,
            "service_level": req.service_level, "z": round(c.z, 4), "safety_stock": round(c.safety_stock, 4),
            "lead_time_demand": round(c.lead_time_demand, 4),
            "formula": "s = d*L + z*sd*sqrt(L); S = s + d*R (rounded up)"}
    if req.reorder_point is None or req.order_up_to is None:
        raise InvalidInput("a stocked policy needs demand_per_day or reorder_point and order_up_to",
                           field="demand_per_day")
    return req.reorder_point, req.order_up_to, {"given": True}


def set_policy(uow: Any, req: PolicyRequest, *, now: datetime, actor: str = "system") -> dict[str, Any]:
    """Validate and store (replace) one store/variant policy."""
    network = uow.network.load()
    store = network.site(req.store)
    if store.kind is not SiteKind.STORE:
        raise InvalidInput(f"site {req.store} is not a store", field="store")
    catalog = uow.catalog.load(network)
    product = catalog.products.get(req.product)
    if product is None:
        raise NotFound(f"product {req.product!r} does not exist", field="product")
    try:
        kind = PolicyKind(req.kind)
    except ValueError:
        raise InvalidInput(f"kind {req.kind!r} is not stocked, made_to_order or preorder_only", field="kind") from None
    variant = make_variant(product, req.options)
    s, big_s, detail = _levels(req)
    policy = StockPolicy(req.store, variant.sku, kind, s, big_s, req.stock_promise_days, req.mto_promise_days,
                         req.review_period_days, req.review_offset_day)
    uow.demand.save_policy({"store_id": policy.store, "sku": policy.sku, "product_id": product.id,
                            "options": dict(variant.choices), "kind": kind.value, "reorder_point": s,
                            "order_up_to": big_s, "stock_promise_days": policy.stock_promise_days,
                            "mto_promise_days": policy.made_to_order_promise_days,
                            "review_period_days": policy.review_period_days,
                            "review_offset_day": policy.review_offset_day, "detail": detail, "updated_at": now})
    uow.audit.add(actor, "stock_policy.set", "stock_policy", f"{policy.store}/{policy.sku}",
                  {"kind": kind.value, "s": s, "S": big_s}, now)
    return policy_view(uow.demand.get_policy(policy.store, policy.sku))


def policy_from_row(r: dict[str, Any]) -> StockPolicy:
    return StockPolicy(r["store_id"], r["sku"], PolicyKind(r["kind"]), r["reorder_point"], r["order_up_to"],
                       r["stock_promise_days"], r["mto_promise_days"], r["review_period_days"], r["review_offset_day"])


def policy_view(r: dict[str, Any]) -> dict[str, Any]:
    return {"store": r["store_id"], "sku": r["sku"], "product": r["product_id"], "options": r["options"],
            "kind": r["kind"], "reorder_point": r["reorder_point"], "order_up_to": r["order_up_to"],
            "stock_promise_days": r["stock_promise_days"], "mto_promise_days": r["mto_promise_days"],
            "review_period_days": r["review_period_days"], "review_offset_day": r["review_offset_day"],
            "detail": r["detail"]}


def position(uow: Any, store: str, sku: str) -> StockPosition:
    on_hand = uow.inventory.load([(store, sku)]).available(store, sku)
    on_order = uow.demand.replenishment_on_order(store).get(sku, 0)
    return StockPosition(store, sku, max(int(on_hand + 1e-9), 0), on_order)


@dataclass(frozen=True)
class SaleRequest:
    store: str
    product: str
    options: dict[str, str]
    quantity: int
    customer_ref: str = ""
    sale_id: str | None = None


def store_sale(uow: Any, req: SaleRequest, *, now: datetime, actor: str = "system") -> dict[str, Any]:
    """Sell at a store: from the shelf when stocked, the rest made to order with the longer promise."""
    network = uow.network.load()
    store = network.site(req.store)
    if store.kind is not SiteKind.STORE:
        raise InvalidInput(f"site {req.store} is not a store", field="store")
    catalog = uow.catalog.load(network)
    product = catalog.products.get(req.product)
    if product is None:
        raise NotFound(f"product {req.product!r} does not exist", field="product")
    variant = make_variant(product, req.options)
    row = uow.demand.get_policy(req.store, variant.sku)
    policy = policy_from_row(row) if row else StockPolicy(req.store, variant.sku, PolicyKind.MADE_TO_ORDER)
    sale_id = req.sale_id or "SALE-" + hashlib.sha1(f"{req}|{now.isoformat()}".encode()).hexdigest()[:10].upper()
    outcome = sell(policy, position(uow, req.store, variant.sku), req.quantity)
    if outcome.from_stock:
        uow.inventory.apply([(req.store, variant.sku)], lambda inv: inv.issue(
            req.store, variant.sku, outcome.from_stock, now, f"sale {sale_id}"))
    order_id = None
    if outcome.made_to_order:
        line = OrderLine(f"{sale_id}-1", sale_id, product.id, variant.choices, variant.sku, outcome.made_to_order,
                         OrderStatus.RECEIVED, product.price)
        order = Order(sale_id, product.brand, (line,), store.location, Delivery.parse(f"pickup:{req.store}"),
                      (now + timedelta(days=outcome.promise_days)).date(), now, Channel.SHOP, None,
                      req.customer_ref)
        _store_and_route(uow, order, now, actor, "made to order: shelf could not cover the sale")
        order_id = order.id
    uow.audit.add(actor, "store.sale", "sale", sale_id, {"store": req.store, "sku": variant.sku,
                                                         "from_stock": outcome.from_stock,
                                                         "made_to_order": outcome.made_to_order}, now)
    return {"sale_id": sale_id, "store": req.store, "sku": variant.sku, "from_stock": outcome.from_stock,
            "made_to_order": outcome.made_to_order, "promise_days": outcome.promise_days,
            "promise_date": (now + timedelta(days=outcome.promise_days)).date().isoformat(),
            "order_id": order_id, "policy": policy.kind.value}


def _store_and_route(uow: Any, order: Order, now: datetime, actor: str, why: str) -> dict[str, Any]:
    uow.orders.add(order, actor)
    validated, events = advance_order(order, OrderStatus.VALIDATED, now, why)
    uow.orders.save_status(validated, events, actor)
    return route_orders(uow, [validated], now=now, actor=actor)


def replenishment_plan(uow: Any, *, now: datetime, review_all: bool = False) -> list[ReplenishmentOrder]:
    """Orders up to S for the stocked variants under review today (or all with ``review_all``)."""
    rows = uow.demand.list_policies()
    policies = [policy_from_row(r) for r in rows if r["kind"] == PolicyKind.STOCKED.value]
    if review_all:
        policies = [StockPolicy(p.store, p.sku, p.kind, p.reorder_point, p.order_up_to, p.stock_promise_days,
                                p.made_to_order_promise_days, 1, 0) for p in policies]
    positions = [position(uow, p.store, p.sku) for p in policies]
    return list(plan_replenishment(policies, positions, review_day(now.date())))


def run_replenishment(uow: Any, *, now: datetime, actor: str = "system", review_all: bool = False,
                      lead_days: int = 7) -> dict[str, Any]:
    """Create and route one replenishment order (channel replenishment) per planned line."""
    plan = replenishment_plan(uow, now=now, review_all=review_all)
    network = uow.network.load()
    catalog = uow.catalog.load(network)
    created = []
    for ro in plan:
        row = uow.demand.get_policy(ro.store, ro.sku)
        product = catalog.product(row["product_id"])
        oid = "RPL-" + hashlib.sha1(f"{ro.store}|{ro.sku}|{now.isoformat()}".encode()).hexdigest()[:10].upper()
        if uow.orders.exists(oid):
            continue
        line = OrderLine(f"{oid}-1", oid, product.id, tuple(row["options"].items()), ro.sku, ro.quantity,
                         OrderStatus.RECEIVED, 0.0)
        store = network.site(ro.store)
        order = Order(oid, product.brand, (line,), store.location, Delivery.parse(f"pickup:{ro.store}"),
                      (now + timedelta(days=lead_days)).date(), now, Channel.REPLENISHMENT, None, ro.store)
        _store_and_route(uow, order, now, actor, f"replenish {ro.store} up to {ro.order_up_to} "
                                                 f"(position {ro.inventory_position} <= {ro.reorder_point})")
        created.append({"order_id": oid, "store": ro.store, "sku": ro.sku, "quantity": ro.quantity,
                        "position": ro.inventory_position, "reorder_point": ro.reorder_point,
                        "order_up_to": ro.order_up_to})
    uow.audit.add(actor, "replenishment.run", "store", "*", {"orders": len(created)}, now)
    return {"review_day": review_day(now.date()), "orders": created}


def plan_view(plan: list[ReplenishmentOrder]) -> list[dict[str, Any]]:
    return [{"store": r.store, "sku": r.sku, "quantity": r.quantity, "position": r.inventory_position,
             "reorder_point": r.reorder_point, "order_up_to": r.order_up_to} for r in plan]
