"""Material planning and local purchasing in the store: net requirements, suggestions, POs, receipts.

Gross requirements per site and material come from three sources, each the exploded BOM
of its variants times units:

* planned batches (``uow.production.list_batches(status="planned")``), needed on the
  batch's planned start (else its due date, else today);
* open campaigns: the live pledges per variant, at the campaign's first site, needed on
  the first day of its production window;
* stocked store policies: the replenishment the planner would order today (every policy
  reviewed), at the nearest microfactory that serves the brand and has the processes,
  needed one week out.

Stock is on hand and reserved from the inventory ledger, and on order from open purchase
orders. :func:`engines.purchasing.net_requirements` nets them and
:func:`engines.purchasing.suggest_purchases` picks suppliers from ``Network.suppliers``.
A receipt puts a lot into inventory at the PO's site (item = material, reference = the PO),
so traceability finds the lot and its purchase order.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from microfactory.domain.catalog import Catalog
from microfactory.domain.geo import haversine_km
from microfactory.domain.network import Network, SiteKind
from microfactory.engines.purchasing import (
    GrossRequirement,
    MaterialInfo,
    MaterialStock,
    PriceBreak,
    PurchaseSuggestion,
    Supplier,
    SupplierOffer,
    net_requirements,
    suggest_purchases,
)
from microfactory.errors import IllegalTransition, InvalidInput, NotFound
from microfactory.services.stock import replenishment_plan


def _explode(catalog: Catalog, site: str, product: str, options: dict[str, str], units: float, need: date,
             out: list[GrossRequirement]) -> None:
    for m in catalog.explode(product, options).materials:
        out.append(GrossRequirement(site, m.material, round(m.qty * units, 6), need))


def _from_batches(uow: Any, catalog: Catalog, today: date, out: list[GrossRequirement]) -> None:
    for b in uow.production.list_batches(status="planned", limit=100_000):
        when = (b.planned_start or b.due)
        need = when.date() if when else today
        for bl in b.lines:
            ln = uow.orders.get(bl.order_id).line(bl.line_id)
            _explode(catalog, b.site_id, ln.product_id, dict(ln.options), bl.quantity, need, out)


def _from_campaigns(uow: Any, catalog: Catalog, out: list[GrossRequirement]) -> None:
    for row in uow.demand.list_campaigns(status="open"):
        spec = row["spec"]
        units: dict[str, int] = defaultdict(int)
        for p in uow.demand.pledges(row["id"], status="active"):
            units[p["sku"]] += p["quantity"]
        for sku, n in units.items():
            v = spec["variants"][sku]
            _explode(catalog, spec["sites"][0], v["product"], v["options"], n,
                     date.fromisoformat(spec["window_start"]), out)


def _nearest_maker(network: Network, catalog: Catalog, store: str, product: str) -> str | None:
    here = network.site(store).location
    brand, needs = catalog.product(product).brand, catalog.product(product).processes
    makers = [s for s in network.sites if s.kind is SiteKind.MICROFACTORY and s.serves(brand)
              and needs <= s.processes]
    best = min(makers, key=lambda s: (haversine_km(here, s.location), s.id), default=None)
    return best.id if best else None


def _from_policies(uow: Any, network: Network, catalog: Catalog, now: datetime, out: list[GrossRequirement]) -> None:
    for ro in replenishment_plan(uow, now=now, review_all=True):
        row = uow.demand.get_policy(ro.store, ro.sku)
        site = _nearest_maker(network, catalog, ro.store, row["product_id"])
        if site is not None:
            _explode(catalog, site, row["product_id"], row["options"], ro.quantity, now.date() + timedelta(days=7), out)


def gross_requirements(uow: Any, network: Network, catalog: Catalog, now: datetime) -> list[GrossRequirement]:
    out: list[GrossRequirement] = []
    _from_batches(uow, catalog, now.date(), out)
    _from_campaigns(uow, catalog, out)
    _from_policies(uow, network, catalog, now, out)
    return out


def _stock(uow: Any, keys: set[tuple[str, str]]) -> list[MaterialStock]:
    inv = uow.inventory.load(sorted(keys)) if keys else None
    on_order = uow.demand.on_order()
    return [MaterialStock(s, m, max(inv.on_hand(s, m), 0.0) if inv else 0.0, on_order.get((s, m), 0.0),
                          inv.reserved(s, m) if inv else 0.0) for s, m in sorted(keys)]


def engine_suppliers(network: Network) -> list[Supplier]:
    return [Supplier(s.id, (s.location.lat, s.location.lon),
                     tuple(SupplierOffer(o.material, o.lead_time_days, o.min_order,
                                         tuple(PriceBreak(q, p) for q, p in o.price_breaks)) for o in s.offers))
            for s in network.suppliers]


def plan(uow: Any, *, now: datetime) -> dict[str, Any]:
    """Net requirements per site and material and the purchase suggestions (nothing stored)."""
    return _plan(uow, now)[0]


def _plan(uow: Any, now: datetime) -> tuple[dict[str, Any], tuple[PurchaseSuggestion, ...]]:
    network = uow.network.load()
    catalog = uow.catalog.load(network)
    gross = gross_requirements(uow, network, catalog, now)
    keys = {(g.site, g.material) for g in gross}
    nets = net_requirements(gross, _stock(uow, keys))
    materials = {m.id: MaterialInfo(m.id, m.cost, m.substitutes) for m in catalog.materials.values()}
    suggestion = suggest_purchases(nets, engine_suppliers(network), materials, now.date())
    return {"gross_lines": len(gross),
            "net": [{"site": n.site, "material": n.material, "quantity": round(n.quantity, 4),
                     "need_date": n.need_date.isoformat()} for n in nets],
            "suggestions": [_suggestion_view(s) for s in suggestion.suggestions],
            "unfilled": [{"site": n.site, "material": n.material, "quantity": round(n.quantity, 4)}
                         for n in suggestion.unfilled],
            "total_cost": round(suggestion.total_cost, 2)}, suggestion.suggestions


def _suggestion_view(s: PurchaseSuggestion) -> dict[str, Any]:
    return {"site": s.site, "material": s.material, "supplier": s.supplier, "quantity": s.quantity,
            "unit_price": s.unit_price, "total": round(s.total, 2), "order_date": s.order_date.isoformat(),
            "arrival_date": s.arrival_date.isoformat(), "need_date": s.need_date.isoformat(), "late": s.late,
            "reason": s.reason, "substitute_for": s.substitute_for}


def order_suggested(uow: Any, *, now: datetime, actor: str = "system") -> list[dict[str, Any]]:
    """Store one purchase order per suggestion of today's plan."""
    suggestions = _plan(uow, now)[1]
    return [_add_po(uow, s, now, actor) for s in suggestions]


def _add_po(uow: Any, s: PurchaseSuggestion, now: datetime, actor: str) -> dict[str, Any]:
    po_id = f"PO-{now:%y%m%d}-{uow.demand.count_purchase_orders() + 1:04d}"
    uow.demand.add_purchase_order({
        "id": po_id, "site_id": s.site, "supplier_id": s.supplier, "material": s.material, "quantity": s.quantity,
        "unit_price": s.unit_price, "total": s.total, "order_date": s.order_date, "arrival_date": s.arrival_date,
        "need_date": s.need_date, "status": "open", "received_qty": 0.0,
        "detail": {"reason": s.reason, "substitute_for": s.substitute_for, "late": s.late}, "created_at": now})
    uow.audit.add(actor, "purchase.order", "purchase_order", po_id,
                  {"supplier": s.supplier, "material": s.material, "quantity": s.quantity}, now)
    return po_view(uow, po_id)


def order_manual(uow: Any, site: str, supplier: str, material: str, quantity: float, *, now: datetime,
                 actor: str = "system") -> dict[str, Any]:
    """A purchase order placed by hand at the supplier's price break and lead time."""
    network = uow.network.load()
    network.site(site)
    sup = next((s for s in engine_suppliers(network) if s.id == supplier), None)
    if sup is None:
        raise NotFound(f"supplier {supplier!r} does not exist", field="supplier")
    offer = next((o for o in sup.offers if o.material == material), None)
    if offer is None:
        raise InvalidInput(f"{supplier} does not sell {material}", field="material")
    if not quantity >= offer.min_order or quantity <= 0:
        raise InvalidInput(f"quantity must be > 0 and at least the minimum order {offer.min_order:g}",
                           field="quantity")
    price = offer.unit_price(quantity) or offer.price_breaks[0].unit_price
    arrival = now.date() + timedelta(days=offer.lead_time_days)
    s = PurchaseSuggestion(site, material, supplier, quantity, price, quantity * price, now.date(), arrival,
                           arrival, False, "manual")
    return _add_po(uow, s, now, actor)


def receive(uow: Any, po_id: str, quantity: float, lot: str, *, now: datetime, actor: str = "system") -> dict[str, Any]:
    """Receive (part of) a PO as a lot into inventory at its site; the lot records the PO as reference."""
    po = uow.demand.get_purchase_order(po_id, lock=True)
    if po["status"] not in ("open", "partial"):
        raise IllegalTransition(f"purchase order {po_id} is {po['status']}", field="po_id")
    if not lot or len(lot) > 40:
        raise InvalidInput("lot must be 1-40 characters", field="lot")
    if uow.inventory.lot_exists(po["site_id"], po["material"], lot):
        raise InvalidInput(f"lot {lot} already exists for {po['material']} at {po['site_id']}", field="lot")
    uow.inventory.apply([(po["site_id"], po["material"])], lambda inv: inv.receive(
        po["site_id"], po["material"], lot, quantity, now, f"po {po_id}"))
    got = po["received_qty"] + quantity
    status = "received" if got >= po["quantity"] - 1e-9 else "partial"
    uow.demand.add_receipt(po_id, lot, quantity, now, got, status)
    uow.audit.add(actor, "purchase.receive", "purchase_order", po_id, {"lot": lot, "quantity": quantity}, now)
    return po_view(uow, po_id)


def po_view(uow: Any, po_id: str) -> dict[str, Any]:
    po = uow.demand.get_purchase_order(po_id)
    return {"id": po["id"], "site": po["site_id"], "supplier": po["supplier_id"], "material": po["material"],
            "quantity": po["quantity"], "unit_price": po["unit_price"], "total": round(po["total"], 2),
            "order_date": po["order_date"].isoformat(), "arrival_date": po["arrival_date"].isoformat(),
            "need_date": po["need_date"].isoformat(), "status": po["status"], "received_qty": po["received_qty"],
            "detail": po["detail"], "receipts": uow.demand.receipts(po_id)}
