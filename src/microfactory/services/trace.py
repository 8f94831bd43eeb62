"""The trace log: GS1 identifiers of batches, lots and sites; EPCIS events appended in the
caller's transaction; export per batch or order; verification of the hash chain.

Identifiers (class level, no serial numbers):

* a batch's garments: ``urn:epc:class:lgtin:GCP.ITEM.LOT`` from the product's GTIN and the
  batch lot; the GS1 company prefix length comes from the ``gs1`` setting per brand (default
  7, which fits the example's ``952 1234`` demonstration prefix);
* a material lot (materials carry no GTIN): ``https://example.org/microfactory/voc/material/
  {item}/lot/{lot}``, a private class URI as EPCIS 2.0 allows;
* a site: ``urn:epc:id:sgln:...`` from its GLN (private URI when it has none).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from microfactory.domain.catalog import Catalog, Product
from microfactory.domain.network import Site
from microfactory.domain.production import Batch
from microfactory.engines.trace.epcis import (
    MF_NAMESPACE,
    QuantityItem,
    TraceEvent,
    document_from_jsonld,
    event_to_jsonld,
)
from microfactory.engines.trace.gs1 import check_digit, gtin14, lgtin_urn, sgln_urn, sscc_urn
from microfactory.errors import InvalidInput, NotFound

DEFAULT_PREFIX_LENGTH = 7
UOM = {"m": "MTR", "ml": "MLT", "l": "LTR", "kg": "KGM", "g": "GRM", "m2": "MTK"}
_NS = uuid.UUID("0b8c6a52-6f0e-4d4b-9a43-6c3e2f1d7a90")


def utc(moment: datetime) -> datetime:
    """A naive UTC store time as a timezone-aware datetime."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def prefix_length(uow: Any, brand: str | None = None) -> int:
    """The GS1 company prefix length for a brand: setting ``gs1`` or the default 7."""
    body = uow.trace.setting("gs1") or {}
    per_brand = body.get("company_prefix_length", {})
    value = per_brand.get(brand) if brand else None
    return int(value if value is not None else body.get("default", DEFAULT_PREFIX_LENGTH))


def set_prefix_length(uow: Any, brand: str | None, length: int) -> None:
    """Store a brand's company prefix length (``brand=None`` sets the default)."""
    if not 6 <= length <= 12:
        raise InvalidInput("company prefix length must be 6-12", field="length")
    body = dict(uow.trace.setting("gs1") or {})
    if brand is None:
        body["default"] = length
    else:
        body["company_prefix_length"] = {**body.get("company_prefix_length", {}), brand: length}
    uow.trace.set_setting("gs1", body)


def valid_gln(gln: str) -> bool:
    return len(gln) == 13 and gln.isdigit() and check_digit(gln[:-1]) == int(gln[-1])


def site_uri(uow: Any, site: Site) -> str:
    """SGLN of the site's GLN; a private URI when it has none or its check digit is wrong."""
    if valid_gln(site.gln):
        return sgln_urn(site.gln, prefix_length(uow))
    return f"{MF_NAMESPACE}site/{quote(site.id, safe='')}"


def product_class(uow: Any, product: Product, lot: str) -> str:
    """LGTIN of a product lot (private URI for a product without a GTIN)."""
    if product.gtin:
        return lgtin_urn(product.gtin, lot, prefix_length(uow, product.brand))
    return f"{MF_NAMESPACE}product/{quote(product.id, safe='')}/lot/{quote(lot, safe='')}"


def material_class(item: str, lot: str) -> str:
    return f"{MF_NAMESPACE}material/{quote(item, safe='')}/lot/{quote(lot, safe='')}"


def batch_product(uow: Any, batch: Batch) -> Product:
    """The product a batch makes (from the batch, else from its first order line)."""
    network = uow.network.load()
    catalog: Catalog = uow.catalog.load(network)
    product_id = batch.product_id
    if not product_id:
        first = batch.lines[0]
        product_id = uow.orders.get(first.order_id).line(first.line_id).product_id
    return catalog.product(product_id)


def record(uow: Any, event: TraceEvent, now: datetime, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Append one EPCIS event to the hash-chained log (same transaction as the change it records)."""
    body = event_to_jsonld(event)
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    body["eventID"] = f"urn:uuid:{uuid.uuid5(_NS, f'{uow.trace.count()}|{canonical}')}"
    payload = {"kind": event.kind, "batch_ids": list(event.batch_ids), "order_ids": list(event.order_ids),
               "event": body, "extra": extra or {}}
    uow.trace.append(event.kind, body["eventID"], payload, now, event.batch_ids, event.order_ids)
    return body


def record_packing(uow: Any, batch_id: str, *, now: datetime, actor: str = "system") -> dict[str, Any]:
    """An AggregationEvent: the batch's units packed into one logistic unit (an SSCC)."""
    batch = uow.production.get_batch(batch_id)
    product = batch_product(uow, batch)
    site = uow.network.get_site(batch.site_id)
    length = prefix_length(uow, product.brand)
    prefix = gtin14(product.gtin)[1:1 + length] if product.gtin else "9521234"
    parent = sscc_urn(prefix, uow.trace.count(kind="packing") + 1)
    event = TraceEvent("packing", utc(now), site_uri(uow, site), site_uri(uow, site),
                       quantities=(QuantityItem(product_class(uow, product, batch.lot), float(batch.units)),),
                       parent_id=parent, batch_ids=(batch.id,), order_ids=tuple(sorted(batch.order_ids)))
    body = record(uow, event, now)
    uow.audit.add(actor, "trace.packing", "batch", batch.id, {"sscc": parent}, now)
    return body


def record_shipping(uow: Any, order_id: str, *, now: datetime, actor: str = "system", mode: str | None = None,
                    distance_km: float | None = None, from_site: str | None = None,
                    shipment_id: str | None = None) -> dict[str, Any]:
    """A shipping ObjectEvent for an order: its batches' lots leave a site.

    ``mode`` and ``distance_km`` (when known) become the transport leg of the item's footprint,
    with emissions from the ISO 14083 factors; the customer's address is never written.
    """
    from microfactory.engines.emissions import leg_emissions

    order = uow.orders.get(order_id)
    batches = [b for b in uow.production.list_batches(order_id=order_id) if b.status.value != "cancelled"]
    if not batches:
        raise NotFound(f"order {order_id} has no batch to ship", field="order_id")
    site = uow.network.get_site(from_site or batches[0].site_id)
    quantities, weight = [], 0.0
    for b in batches:
        product = batch_product(uow, b)
        units = sum(ln.quantity for ln in b.lines if ln.order_id == order_id)
        quantities.append(QuantityItem(product_class(uow, product, b.lot), float(units)))
        weight += units * product.weight_kg
    extra: dict[str, Any] = {"shipment_id": shipment_id or ""}
    if mode is not None and distance_km is not None:
        leg = leg_emissions(mode, distance_km, weight)
        extra["transport"] = [{"stage": "to_customer", "mode": mode, "distance_km": round(leg.distance_km, 3),
                               "kg_co2e": round(leg.kg_co2e, 6), "units": order.units}]
    event = TraceEvent("shipping", utc(now), site_uri(uow, site), quantities=tuple(quantities),
                       sources=(("location", site_uri(uow, site)),), batch_ids=tuple(b.id for b in batches),
                       order_ids=(order_id,))
    body = record(uow, event, now, extra)
    uow.audit.add(actor, "trace.shipping", "order", order_id, {"batches": [b.id for b in batches]}, now)
    return body


def export_batch(uow: Any, batch_id: str, *, now: datetime) -> dict[str, Any]:
    """The EPCIS 2.0 JSON-LD document of one batch (every logged event naming it)."""
    uow.production.get_batch(batch_id)
    events = [p["event"] for p in uow.trace.events_for(batch_ids=(batch_id,))]
    if not events:
        raise NotFound(f"batch {batch_id} has no trace events yet", field="batch_id")
    return document_from_jsonld(events, utc(now), f"urn:uuid:{uuid.uuid5(_NS, 'batch|' + batch_id)}")


def export_order(uow: Any, order_id: str, *, now: datetime) -> dict[str, Any]:
    """The EPCIS document of one order: its own events and those of the batches that made it."""
    uow.orders.get(order_id)
    batch_ids = tuple(b.id for b in uow.production.list_batches(order_id=order_id))
    events = [p["event"] for p in uow.trace.events_for(batch_ids=batch_ids, order_ids=(order_id,))]
    if not events:
        raise NotFound(f"order {order_id} has no trace events yet", field="order_id")
    return document_from_jsonld(events, utc(now), f"urn:uuid:{uuid.uuid5(_NS, 'order|' + order_id)}")


def verify_log(uow: Any) -> dict[str, Any]:
    """Check every hash and link of the stored log; name each edited, removed or inserted entry."""
    report = uow.trace.verify()
    return {"ok": report.ok, "length": report.length, "head": report.head,
            "problems": [{"kind": p.kind, "position": p.position, "seq": p.seq, "message": p.message}
                         for p in report.problems]}
