"""Pre-order campaigns in the store: open with a capacity hold, pledge, cancel, close and convert.

A campaign's cap is a reservation of capacity (``services/campaign_capacity.py``, engine
``engines/campaign_capacity.py``): when it opens, the free minutes of each chosen site, per
process and day of the production window (``capacity_min - reserved_min``, rows locked), give
the units each site can make of any mix of the campaign's variants (its bottleneck process
decides); the cap is their sum and those minutes are held in the ``capacity`` table under
``campaign:<id>``. Two campaigns (or a campaign and routing) can therefore never sell the same
minutes. At close the hold is released and the converted lines are routed to the campaign's
sites in the same transaction (``services/routing_bulk.py``), so held minutes become line
reservations; a released campaign just frees its hold.

Pledges are orders in status ``pledged`` (channel ``campaign``) plus a pledge row. The
campaign row is locked while a pledge is checked (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` serialises writers), and it carries the running
tally, so two concurrent pledges for the last unit cannot both pass. A pledge's line is made
at one site, so a pledge larger than the biggest site's share is refused.

Times: ``now`` is naive UTC (the store's convention) or timezone-aware (converted).
``uow`` is the SQL unit of work (``Any``: ``uow.demand`` is created lazily).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from microfactory.domain.catalog import Catalog, make_variant
from microfactory.domain.network import Network, SiteKind
from microfactory.domain.orders import (
    Channel,
    Delivery,
    Order,
    OrderLine,
    OrderStatus,
    StatusChanged,
    advance_order,
)
from microfactory.engines.campaign_capacity import site_cap
from microfactory.engines.campaigns import (
    Accepted,
    Campaign,
    CampaignState,
    CampaignStatus,
    CapacityLimit,
    PaymentPlan,
    Pledge,
    PledgeTally,
    Refusal,
    accept_pledge,
)
from microfactory.engines.campaigns import cancel_pledge as engine_cancel
from microfactory.engines.campaigns import close_campaign as engine_close
from microfactory.errors import (
    CapacityExceeded,
    Conflict,
    IllegalTransition,
    InvalidInput,
    MicrofactoryError,
)
from microfactory.services.campaign_capacity import release_hold, take_hold, window_free
from microfactory.services.demand_routing import route_orders

MAX_WINDOW_DAYS = 120


def utc_naive(now: datetime) -> datetime:
    """Naive UTC from a naive-UTC or aware datetime."""
    return now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo is not None else now


@dataclass(frozen=True)
class VariantRequest:
    product: str
    options: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CampaignRequest:
    """What a brand asks for; validated by :func:`open_campaign`."""

    brand: str
    name: str
    variants: tuple[VariantRequest, ...]
    deadline: datetime                   # wall-clock time in ``time_zone`` (naive)
    time_zone: str
    unit_price: float
    sites: tuple[str, ...]
    window_start: date
    window_end: date
    minimum_total: int | None = None
    minimum_per_product: dict[str, int] = field(default_factory=dict)
    payment: str = "full"
    deposit_fraction: float = 1.0
    partial_outcomes: bool = False
    campaign_id: str | None = None
    max_units: int | None = None         # the brand's own limit on the cap (None: all the free capacity)


def _variants(req: CampaignRequest, catalog: Catalog) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for n, vr in enumerate(req.variants):
        product = catalog.products.get(vr.product)
        if product is None or product.brand != req.brand:
            raise InvalidInput(f"product {vr.product!r} is not a product of brand {req.brand}",
                               field=f"variants[{n}].product")
        try:
            variant = make_variant(product, vr.options)
        except InvalidInput as exc:
            raise InvalidInput(exc.message, field=f"variants[{n}].options.{exc.field}") from None
        out[variant.sku] = {"product": product.id, "options": dict(variant.choices)}
    if not out:
        raise InvalidInput("a campaign needs at least one variant", field="variants")
    return out


def minutes_per_unit(variants: dict[str, dict[str, Any]], catalog: Catalog) -> dict[str, dict[str, float]]:
    """Per product, the most demanding of its campaign variants on each process."""
    out: dict[str, dict[str, float]] = {}
    for spec in variants.values():
        mins = catalog.explode(spec["product"], spec["options"]).minutes_by_process()
        mine = out.setdefault(spec["product"], {})
        for process, m in mins.items():
            mine[process] = max(mine.get(process, 0.0), m)
    return out


def _check_request(req: CampaignRequest, network: Network, now: datetime) -> None:
    if req.brand not in {b.id for b in network.brands}:
        raise InvalidInput(f"brand {req.brand!r} does not exist", field="brand")
    if not req.sites:
        raise InvalidInput("choose at least one site", field="sites")
    for sid in req.sites:
        site = network.site(sid)
        if site.kind is not SiteKind.MICROFACTORY or not site.serves(req.brand):
            raise InvalidInput(f"site {sid} is not a microfactory serving {req.brand}", field="sites")
    if not req.window_start <= req.window_end or (req.window_end - req.window_start).days > MAX_WINDOW_DAYS:
        raise InvalidInput(f"window must run forwards and last at most {MAX_WINDOW_DAYS} days", field="window_end")
    if not 1 <= len(req.name) <= 200:
        raise InvalidInput("name must have 1 to 200 characters", field="name")


def _engine_campaign(cid: str, req: CampaignRequest, variants: dict[str, dict[str, Any]]) -> Campaign:
    try:
        payment = PaymentPlan(req.payment)
    except ValueError:
        raise InvalidInput(f"payment {req.payment!r} is not full or deposit", field="payment") from None
    return Campaign(cid, req.brand, {s: v["product"] for s, v in variants.items()}, req.deadline, req.time_zone,
                    req.unit_price, payment, req.deposit_fraction, req.minimum_total,
                    dict(req.minimum_per_product), None, req.partial_outcomes)


def open_campaign(uow: Any, req: CampaignRequest, *, now: datetime, actor: str = "system") -> dict[str, Any]:
    """Validate, compute the cap from free capacity, and store an open campaign."""
    now = utc_naive(now)
    network = uow.network.load()
    _check_request(req, network, now)
    catalog = uow.catalog.load(network, brand=req.brand)
    variants = _variants(req, catalog)
    cid = req.campaign_id or "CMP-" + hashlib.sha1(f"{req.brand}|{req.name}|{now.isoformat()}".encode()
                                                   ).hexdigest()[:10].upper()
    if uow.demand.campaign_exists(cid):
        raise Conflict(f"campaign {cid} already exists", field="campaign_id")
    campaign = _engine_campaign(cid, req, variants)
    deadline_utc = campaign.deadline_utc.replace(tzinfo=None)
    if deadline_utc <= now or req.window_start < deadline_utc.date():
        raise InvalidInput("the deadline must be in the future and before the production window",
                           field="deadline")
    free = window_free(uow, network, req.sites, req.window_start, req.window_end)
    mpu = minutes_per_unit(variants, catalog)
    cap = site_cap(free, mpu, max_units=req.max_units)
    spec = {"variants": variants, "deadline_local": req.deadline.isoformat(), "time_zone": req.time_zone,
            "unit_price": req.unit_price, "payment": campaign.payment.value,
            "deposit_fraction": req.deposit_fraction, "minimum_total": req.minimum_total,
            "minimum_per_product": dict(req.minimum_per_product), "partial_outcomes": req.partial_outcomes,
            "sites": list(req.sites), "window_start": req.window_start.isoformat(),
            "window_end": req.window_end.isoformat(), "max_units": req.max_units}
    detail = {"free_minutes": {s: {k: round(sum(v), 2) for k, v in per.items()} for s, per in free.items()},
              "minutes_per_unit": mpu, "worst_minutes": cap.worst_minutes, "per_site": cap.per_site,
              "bottleneck": cap.bottleneck, "max_units": cap.units, "status": cap.status,
              "objective": cap.objective, "bound": cap.bound, "runtime_s": round(cap.runtime_s, 4), "seed": cap.seed}
    uow.demand.add_campaign({"id": cid, "brand_id": req.brand, "name": req.name, "status": "open",
                             "deadline_utc": deadline_utc, "spec": spec, "cap": cap.units, "cap_detail": detail,
                             "units_by_product": dict.fromkeys(campaign.products, 0), "outcome": None,
                             "created_at": now, "closed_at": None})
    detail["held_minutes"] = round(take_hold(uow, cid, cap, req.window_start), 2)
    uow.demand.set_cap_detail(cid, detail)
    uow.audit.add(actor, "campaign.open", "campaign", cid, {"cap": cap.units, "sites": list(req.sites),
                                                            "held_minutes": detail["held_minutes"]}, now)
    return campaign_view(uow.demand.get_campaign(cid))


def campaign_from_row(row: dict[str, Any]) -> Campaign:
    spec, detail = row["spec"], row["cap_detail"]
    return Campaign(row["id"], row["brand_id"], {s: v["product"] for s, v in spec["variants"].items()},
                    datetime.fromisoformat(spec["deadline_local"]), spec["time_zone"], spec["unit_price"],
                    PaymentPlan(spec["payment"]), spec["deposit_fraction"], spec["minimum_total"],
                    spec["minimum_per_product"], row["cap"], spec["partial_outcomes"],
                    None if "per_site" in detail else CapacityLimit(detail["free_minutes"], detail["minutes_per_unit"]))


def _state(row: dict[str, Any], pledges: tuple[Pledge, ...] | None = None) -> CampaignState:
    campaign = campaign_from_row(row)
    status = CampaignStatus(row["status"])
    if pledges is not None:
        return CampaignState(campaign, status, pledges)
    return CampaignState(campaign, status, (), None, PledgeTally(dict(row["units_by_product"]), frozenset()))


_REFUSAL_ERRORS: dict[Refusal, tuple[type[MicrofactoryError], str]] = {
    Refusal.CAMPAIGN_CLOSED: (IllegalTransition, "campaign_id"),
    Refusal.PAST_DEADLINE: (IllegalTransition, "deadline"),
    Refusal.UNKNOWN_VARIANT: (InvalidInput, "sku"),
    Refusal.DUPLICATE_PLEDGE: (Conflict, "pledge_id"),
    Refusal.CAP_REACHED: (CapacityExceeded, "quantity"),
}


@dataclass(frozen=True)
class PledgeRequest:
    campaign_id: str
    quantity: int
    sku: str | None = None
    product: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    customer_ref: str = ""
    customer_lat: float | None = None
    customer_lon: float | None = None
    delivery: str = "ship"


def _resolve_sku(req: PledgeRequest, spec: dict[str, Any]) -> str:
    if req.sku:
        return req.sku
    for sku, v in spec["variants"].items():
        if v["product"] == req.product and all(v["options"].get(k) == val for k, val in req.options.items()):
            return str(sku)
    raise InvalidInput(f"no variant of the campaign matches {req.product} {req.options}", field="sku")


def place_pledge(uow: Any, req: PledgeRequest, *, now: datetime, actor: str = "system") -> dict[str, Any]:
    """Take a pledge under the campaign lock, or raise a typed refusal (``details.reason``)."""
    at = utc_naive(now)
    row = uow.demand.get_campaign(req.campaign_id, lock=True)
    sku = _resolve_sku(req, row["spec"])
    n = uow.demand.count_pledges(req.campaign_id) + 1
    pid = f"{req.campaign_id}-P{n:05d}"
    _check_one_site(row, req.quantity)
    result = accept_pledge(_state(row), Pledge(pid, req.customer_ref, sku, req.quantity), at.replace(tzinfo=UTC))
    if not isinstance(result, Accepted):
        err, fld = _REFUSAL_ERRORS[result.reason]
        raise err(result.message, field=fld, details={"reason": result.reason.value})
    order = _pledge_order(uow, row, pid, sku, req, at)
    uow.orders.add(order, actor)
    uow.demand.add_pledge({"id": pid, "campaign_id": row["id"], "order_id": order.id, "line_id": order.lines[0].id,
                           "customer_ref": req.customer_ref, "sku": sku, "product_id": order.lines[0].product_id,
                           "quantity": req.quantity, "paid": result.event.amount, "status": "active",
                           "created_at": at})
    assert result.state.tally is not None
    uow.demand.set_tally(row["id"], dict(result.state.tally.units_by_product))
    uow.demand.add_order_events([_note(order.id, "pledge_accepted", at, actor,
                                       f"campaign {row['id']}: paid {result.event.amount:.2f}")])
    return pledge_view(uow.demand.get_pledge(pid))


def _check_one_site(row: dict[str, Any], quantity: int) -> None:
    """A pledge's line is made at one site: refuse one larger than the biggest site's share."""
    per_site = row["cap_detail"].get("per_site")
    if per_site and quantity > max(per_site.values()):
        raise CapacityExceeded(f"a pledge of {quantity} units is more than one site can make "
                               f"({max(per_site.values())})", field="quantity", details={"reason": "cap_reached"})


def _pledge_order(uow: Any, row: dict[str, Any], pid: str, sku: str, req: PledgeRequest, at: datetime) -> Order:
    from microfactory.domain.geo import Location

    spec = row["spec"]
    variant = spec["variants"][sku]
    if req.customer_lat is None or req.customer_lon is None:
        site = uow.network.get_site(spec["sites"][0])
        lat, lon = site.location.lat, site.location.lon
    else:
        lat, lon = req.customer_lat, req.customer_lon
    try:
        location = Location(lat, lon)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="customer") from None
    line = OrderLine(f"{pid}-1", pid, variant["product"], tuple(variant["options"].items()), sku, req.quantity,
                     OrderStatus.PLEDGED, float(spec["unit_price"]))
    return Order(pid, row["brand_id"], (line,), location, Delivery.parse(req.delivery),
                 date.fromisoformat(spec["window_end"]), at, Channel.CAMPAIGN, None, req.customer_ref,
                 False, OrderStatus.PLEDGED)


def _note(order_id: str, kind: str, at: datetime, actor: str, reason: str, line_id: str | None = None
          ) -> dict[str, Any]:
    return {"order_id": order_id, "line_id": line_id, "kind": kind, "old": None, "new": None, "at": at,
            "reason": reason, "actor": actor}


def cancel_pledge(uow: Any, campaign_id: str, pledge_id: str, *, now: datetime,
                  actor: str = "system") -> dict[str, Any]:
    """Cancel a live pledge before the deadline; its order is cancelled and refunded."""
    at = utc_naive(now)
    row = uow.demand.get_campaign(campaign_id, lock=True)
    prow = uow.demand.get_pledge(pledge_id, campaign_id)
    if prow["status"] != "active":
        raise IllegalTransition(f"pledge {pledge_id} is {prow['status']}", field="pledge_id")
    pledge = Pledge(prow["id"], prow["customer_ref"], prow["sku"], prow["quantity"])
    state = _state(row, (pledge,))
    _, events = engine_cancel(state, pledge_id, at.replace(tzinfo=UTC))
    units = dict(row["units_by_product"])
    units[prow["product_id"]] -= prow["quantity"]
    uow.demand.set_tally(campaign_id, units)
    uow.demand.set_pledge_statuses([(pledge_id, "cancelled")])
    order, evs = advance_order(uow.orders.get(prow["order_id"]), OrderStatus.CANCELLED, at, "pledge cancelled")
    uow.orders.save_status(order, evs, actor)
    uow.demand.add_order_events([_note(order.id, "refund", at, actor, f"refund {events[0].amount:.2f}")])
    return pledge_view(uow.demand.get_pledge(pledge_id))


def close_campaign(uow: Any, campaign_id: str, *, now: datetime, actor: str = "system") -> dict[str, Any]:
    """Decide go/release per product, convert and route or release every pledge. Idempotent.

    The campaign's capacity hold is released and the converted lines are routed in bulk to the
    campaign's sites by the routing service, in this transaction (module doc).
    """
    at = utc_naive(now)
    row = uow.demand.get_campaign(campaign_id, lock=True)
    if row["status"] == "closed":
        return campaign_view(row)
    prows = uow.demand.pledges(campaign_id, status="active")
    state = _state(row, tuple(Pledge(p["id"], p["customer_ref"], p["sku"], p["quantity"]) for p in prows))
    _, outcome, events = engine_close(state, at.replace(tzinfo=UTC))
    by_pledge = {p["id"]: p for p in prows}
    orders = {o.id: o for o in uow.demand.orders_by_ids([p["order_id"] for p in prows])}
    convert = [e for e in events if e.kind == "convert_pledge"]
    refund = [e for e in events if e.kind == "refund_pledge"]
    converted = _convert(uow, [orders[by_pledge[e.pledge_id]["order_id"]] for e in convert], campaign_id, at, actor)
    _release(uow, [(orders[by_pledge[e.pledge_id]["order_id"]], e.amount) for e in refund], campaign_id, at, actor)
    uow.demand.set_pledge_statuses([(e.pledge_id, "converted") for e in convert]
                                   + [(e.pledge_id, "refunded") for e in refund])
    released = release_hold(uow, campaign_id)
    routing = route_orders(uow, converted, now=at, actor=actor, site_ids=tuple(row["spec"]["sites"]))
    summary = {"products": [{"product": p.product, "outcome": p.outcome.value, "units": p.units,
                             "minimum": p.minimum} for p in outcome.products],
               "total_units": outcome.total_units, "converted": len(convert), "refunded": len(refund),
               "hold_released_minutes": round(released, 2), "routing": routing}
    uow.demand.close_campaign(campaign_id, summary, at)
    uow.audit.add(actor, "campaign.close", "campaign", campaign_id,
                  {"converted": len(convert), "refunded": len(refund)}, at)
    return campaign_view(uow.demand.get_campaign(campaign_id))


def _convert(uow: Any, orders: list[Order], cid: str, at: datetime, actor: str) -> list[Order]:
    out: list[Order] = []
    events: list[StatusChanged] = []
    for order in orders:
        received, ev1 = advance_order(order, OrderStatus.RECEIVED, at, f"campaign {cid}: minimum met")
        validated, ev2 = advance_order(received, OrderStatus.VALIDATED, at, "pledge converted to an order")
        out.append(validated)
        events.extend(ev1 + ev2)
    uow.demand.save_order_statuses(out, events, actor)
    return out


def _release(uow: Any, orders: list[tuple[Order, float]], cid: str, at: datetime, actor: str) -> None:
    out: list[Order] = []
    events: list[StatusChanged] = []
    notes = []
    for order, amount in orders:
        cancelled, evs = advance_order(order, OrderStatus.CANCELLED, at, f"campaign {cid}: minimum not met")
        out.append(cancelled)
        events.extend(evs)
        notes.append(_note(order.id, "refund", at, actor, f"refund {amount:.2f}: campaign {cid} released"))
    uow.demand.save_order_statuses(out, events, actor)
    uow.demand.add_order_events(notes)


def close_due_campaigns(uow: Any, *, now: datetime, actor: str = "system") -> list[dict[str, Any]]:
    """Close every open campaign whose deadline has passed (for a scheduler to call)."""
    at = utc_naive(now)
    return [close_campaign(uow, cid, now=at, actor=actor) for cid in uow.demand.due_campaign_ids(at)]


def campaign_view(row: dict[str, Any]) -> dict[str, Any]:
    spec = row["spec"]
    units = sum(row["units_by_product"].values())
    return {"id": row["id"], "brand": row["brand_id"], "name": row["name"], "status": row["status"],
            "deadline": spec["deadline_local"], "time_zone": spec["time_zone"],
            "deadline_utc": row["deadline_utc"].isoformat(), "unit_price": spec["unit_price"],
            "payment": spec["payment"], "deposit_fraction": spec["deposit_fraction"],
            "minimum_total": spec["minimum_total"], "minimum_per_product": spec["minimum_per_product"],
            "partial_outcomes": spec["partial_outcomes"], "sites": spec["sites"],
            "window": [spec["window_start"], spec["window_end"]],
            "variants": [{"sku": s, **v} for s, v in spec["variants"].items()],
            "cap": row["cap"], "cap_detail": row["cap_detail"], "units": units,
            "units_by_product": row["units_by_product"], "remaining": max(row["cap"] - units, 0),
            "outcome": row["outcome"], "closed_at": row["closed_at"].isoformat() if row["closed_at"] else None}


def public_view(row: dict[str, Any], product_names: dict[str, str]) -> dict[str, Any]:
    """The public campaign page: no pledger data, only aggregate progress."""
    spec = row["spec"]
    units = sum(row["units_by_product"].values())
    minimum = spec["minimum_total"] or sum(spec["minimum_per_product"].values())
    products = sorted({v["product"] for v in spec["variants"].values()})
    return {"id": row["id"], "name": row["name"], "status": row["status"], "unit_price": spec["unit_price"],
            "products": [{"id": p, "name": product_names.get(p, p), "units": row["units_by_product"].get(p, 0),
                          "minimum": spec["minimum_per_product"].get(p, 0)} for p in products],
            "units": units, "minimum": minimum,
            "progress": round(min(units / minimum, 1.0), 4) if minimum else 1.0,
            "deadline": spec["deadline_local"], "time_zone": spec["time_zone"],
            "deadline_utc": row["deadline_utc"].isoformat(), "remaining_cap": max(row["cap"] - units, 0)}


def pledge_view(p: dict[str, Any]) -> dict[str, Any]:
    return {"id": p["id"], "campaign_id": p["campaign_id"], "order_id": p["order_id"], "sku": p["sku"],
            "product": p["product_id"], "quantity": p["quantity"], "paid": round(p["paid"], 2),
            "status": p["status"], "customer_ref": p["customer_ref"], "created_at": p["created_at"].isoformat()}
