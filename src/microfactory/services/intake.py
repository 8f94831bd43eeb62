"""Order intake: from the API, CSV files and Shopify, idempotent and all-or-nothing.

The same request with the same Idempotency-Key, or the same external order id of a brand,
never creates a second order: the first one is returned again.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from microfactory.domain.catalog import Catalog, make_variant
from microfactory.domain.geo import Location
from microfactory.domain.network import Network, SiteKind
from microfactory.domain.orders import (
    Channel,
    Delivery,
    Order,
    OrderLine,
    OrderStatus,
    advance_order,
)
from microfactory.errors import Conflict, ErrorCode, InvalidInput, MicrofactoryError, NotFound
from microfactory.services.ports import UnitOfWork

MAX_LINES = 200


@dataclass(frozen=True)
class LineRequest:
    product: str
    options: dict[str, str]
    quantity: int


@dataclass(frozen=True)
class OrderRequest:
    """What a caller asks for; validated against the network and catalog by :func:`build_order`."""

    brand: str
    lines: tuple[LineRequest, ...]
    customer_lat: float
    customer_lon: float
    delivery: str = "ship"
    due: date | None = None
    created: datetime | None = None
    external_id: str | None = None
    channel: str = "api"
    customer_ref: str = ""
    keep_together: bool = False
    order_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def fingerprint(self) -> str:
        body = json.dumps({k: v for k, v in self.__dict__.items() if k != "extra"}, default=str, sort_keys=True)
        return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class IntakeResult:
    order: Order
    created: bool


def build_order(req: OrderRequest, network: Network, catalog: Catalog, now: datetime, order_id: str) -> Order:
    """Validate a request into a domain Order (status received); InvalidInput names the field."""
    if req.brand not in {b.id for b in network.brands}:
        raise NotFound(f"brand {req.brand!r} does not exist", field="brand")
    if not req.lines:
        raise InvalidInput("an order needs at least one line", field="lines")
    if len(req.lines) > MAX_LINES:
        raise InvalidInput(f"an order may have at most {MAX_LINES} lines", field="lines")
    lines = []
    for n, lr in enumerate(req.lines, start=1):
        where = f"lines[{n - 1}]"
        product = catalog.products.get(lr.product)
        if product is None or product.brand != req.brand:
            raise InvalidInput(f"product {lr.product!r} is not a product of brand {req.brand}", field=f"{where}.product")
        if not 1 <= lr.quantity <= 10_000:
            raise InvalidInput("quantity must be between 1 and 10000", field=f"{where}.quantity")
        try:
            variant = make_variant(product, lr.options)
        except InvalidInput as exc:
            raise InvalidInput(exc.message, field=f"{where}.options.{exc.field}") from None
        lines.append(OrderLine(f"{order_id}-{n}", order_id, product.id, variant.choices, variant.sku, lr.quantity,
                               OrderStatus.RECEIVED, product.price))
    try:
        location = Location(req.customer_lat, req.customer_lon)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="customer") from None
    delivery = Delivery.parse(req.delivery)
    if delivery.store is not None:
        store = next((s for s in network.sites if s.id == delivery.store), None)
        if store is None or store.kind is not SiteKind.STORE:
            raise InvalidInput(f"pickup store {delivery.store!r} is not a store of the network", field="delivery")
    created = req.created or now
    due = req.due or (created + timedelta(days=7)).date()
    if due < created.date():
        raise InvalidInput(f"due {due} is before the order was created ({created.date()})", field="due")
    try:
        channel = Channel(req.channel)
    except ValueError:
        raise InvalidInput(f"channel {req.channel!r} is not known", field="channel") from None
    return Order(order_id, req.brand, tuple(lines), location, delivery, due, created, channel,
                 req.external_id, req.customer_ref, req.keep_together)


def _new_order_id(req: OrderRequest, idempotency_key: str | None) -> str:
    """The caller's id, else one derived from the brand's external id or Idempotency-Key (so a
    retried request gets the same id), else a random one."""
    if req.order_id:
        return req.order_id
    if req.external_id or idempotency_key:
        basis = f"{req.brand}|{req.external_id or ''}|{idempotency_key or ''}"
        return "ORD-" + hashlib.sha256(basis.encode()).hexdigest()[:16].upper()
    return "ORD-" + uuid.uuid4().hex[:16].upper()


def _replay(uow: UnitOfWork, req: OrderRequest, idempotency_key: str | None) -> IntakeResult | None:
    """The order a replayed request (same Idempotency-Key, or same external id) already created."""
    if idempotency_key:
        seen = uow.idempotency.get(f"orders:{req.brand}", idempotency_key)
        if seen is not None:
            if seen.request_hash != req.fingerprint():
                raise MicrofactoryError("this Idempotency-Key was used with a different request",
                                        field="Idempotency-Key", code=ErrorCode.IDEMPOTENCY_MISMATCH)
            return IntakeResult(uow.orders.get(seen.response["order_id"]), False)
    if req.external_id:
        existing = uow.orders.id_for_external(req.brand, req.external_id)
        if existing is not None:
            return IntakeResult(uow.orders.get(existing), False)
    return None


def create_order(uow: UnitOfWork, req: OrderRequest, *, now: datetime, actor: str = "system",
                 idempotency_key: str | None = None, network: Network | None = None,
                 catalog: Catalog | None = None, look_first: bool = True,
                 subscriptions: list[Any] | None = None) -> IntakeResult:
    """Create, validate and store one order in one transaction; replays return the first result.

    ``look_first=False`` is the optimistic first attempt for callers that retry on a unique-key
    violation (``run_write``): it skips the replay and exists lookups and lets the database's
    unique keys (order id, derived from the Idempotency-Key; brand + external id; scope + key)
    refuse a replay; the retry, with ``look_first=True``, then returns the first order or the
    409. A request that fails validation is still checked for a replay first, so the answers
    are the same either way. ``subscriptions``: the active webhook subscriptions when the caller
    has them cached (else the outbox looks them up)."""
    if look_first:
        replay = _replay(uow, req, idempotency_key)
        if replay is not None:
            return replay
    network = network or uow.network.load()
    catalog = catalog or uow.catalog.load(network, brand=req.brand)
    order_id = _new_order_id(req, idempotency_key)
    if look_first and uow.orders.exists(order_id):
        # A concurrent twin may have committed since the first look: look again before refusing.
        replay = _replay(uow, req, idempotency_key)
        if replay is not None:
            return replay
        raise Conflict(f"order {order_id} already exists", field="order_id")
    try:
        order = build_order(req, network, catalog, now, order_id)
    except MicrofactoryError:
        replay = None if look_first else _replay(uow, req, idempotency_key)
        if replay is not None:
            return replay
        raise
    order, events = advance_order(order, OrderStatus.VALIDATED, now, "intake validation passed")
    uow.orders.add(order, actor, events, subscriptions=subscriptions)
    if idempotency_key:
        uow.idempotency.put(f"orders:{req.brand}", idempotency_key, req.fingerprint(), 201, {"order_id": order.id}, now)
    uow.audit.add(actor, "order.create", "order", order.id, {"channel": order.channel.value, "lines": len(order.lines),
                                                            "units": order.units}, now)
    return IntakeResult(order, True)


def import_orders(uow: UnitOfWork, orders: list[Order], *, now: datetime, actor: str = "system",
                  progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Store parsed orders (from a CSV); an order already imported (same brand and external id) is skipped.

    ``progress(done, total)`` is called along the way (the CLI draws a progress bar with it)."""
    created = skipped = 0
    for n, order in enumerate(orders, start=1):
        if progress is not None and (n % 200 == 0 or n == len(orders)):
            progress(n, len(orders))
        if (order.external_id and uow.orders.id_for_external(order.brand, order.external_id)) or uow.orders.exists(order.id):
            skipped += 1
            continue
        validated, events = advance_order(order, OrderStatus.VALIDATED, now, "imported from CSV")
        uow.orders.add(validated, actor, events)
        created += 1
    if created:
        uow.audit.add(actor, "orders.import", "order", "*", {"created": created, "skipped": skipped}, now)
    return {"created": created, "skipped": skipped}
