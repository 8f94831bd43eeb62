"""Genealogy, carbon footprint, labels and the public provenance view of a batch.

Footprint of one item (kg CO2e), what is included:

* inbound materials: each consumed material from the nearest network supplier offering it to
  the site (great-circle distance, van, ISO 14083 tonne-km allocation by the lot's weight);
  materials no local supplier offers, and the mill-to-supplier leg, are not counted;
* outbound: transport legs recorded by ``record_shipping`` for the batch's orders;
* production energy is not measured yet and is reported as ``None`` (not included).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from microfactory.domain.geo import haversine_km
from microfactory.domain.network import Network
from microfactory.domain.production import Batch
from microfactory.engines.emissions import leg_emissions
from microfactory.engines.trace.genealogy import (
    BatchRecord,
    LotUse,
    UnitRecord,
    build_genealogy,
    trace_back,
)
from microfactory.engines.trace.gs1 import DigitalLink, gtin14
from microfactory.engines.trace.labels import LabelContent, care_instructions, label_pdf, label_svg
from microfactory.engines.trace.provenance import (
    ProvenanceInput,
    PublicInspection,
    PublicMaterialLot,
    PublicSite,
    TransportLeg,
    provenance_view,
)
from microfactory.errors import InvalidInput, NotFound
from microfactory.services import trace as tr

INBOUND_MODE = "van"


def _lot_key(item: str, lot: str) -> str:
    return f"{item}:{lot}"


def _record(uow: Any, batch: Batch) -> BatchRecord:
    uses = [LotUse(_lot_key(c["item"], c["lot"]), c["qty"]) for c in uow.production.consumption(batch.id)]
    inspections = tuple(i["id"] for i in uow.quality.inspections(batch_ids=(batch.id,)))
    return BatchRecord(batch.id, batch.site_id, tuple(uses), _lot_key(batch.product_id or "product", batch.lot),
                       tuple(uow.quality.work_op_workers(batch.id)), inspections)


def _units(batches: list[Batch]) -> tuple[UnitRecord, ...]:
    return tuple(UnitRecord(f"{b.id}/{ln.line_id}", b.id, ln.order_id) for b in batches for ln in b.lines)


def trace_forward_view(uow: Any, item: str, lot: str, *, customers: bool = False,
                       site: str | None = None) -> dict[str, Any]:
    """From a material lot to the batches and orders made from it (customer refs for admins only).

    With ``site`` only that site's batches (and their orders) are followed."""
    batch_ids = uow.production.batches_using_lot(item, lot)
    if site is not None:
        batch_ids = [b.id for b in uow.production.list_batches(site=site, limit=100_000) if b.id in set(batch_ids)]
    if not batch_ids:
        raise NotFound(f"lot {item}/{lot} was not used by any batch", field="lot")
    batches = [uow.production.get_batch(b) for b in batch_ids]
    graph = build_genealogy(tuple(_record(uow, b) for b in batches), _units(batches))
    from microfactory.engines.trace.genealogy import trace_forward
    fwd = trace_forward(graph, _lot_key(item, lot))
    orders = []
    for order_id in fwd.orders:
        order = uow.orders.get(order_id)
        entry = {"order_id": order.id, "brand": order.brand, "status": order.status.value}
        if customers:
            entry["customer_ref"] = order.customer_ref
        orders.append(entry)
    return {"item": item, "lot": lot,
            "batches": [{"batch_id": b.id, "site_id": b.site_id, "lot": b.lot, "status": b.status.value,
                         "product_id": b.product_id, "units": b.units} for b in batches if b.id in fwd.batches],
            "units": list(fwd.units), "orders": orders}


def trace_back_view(uow: Any, batch_id: str) -> dict[str, Any]:
    """From a batch (its units) back to lots, sites, workers of the active plan, and inspections."""
    batch = uow.production.get_batch(batch_id)
    back = trace_back(build_genealogy((_record(uow, batch),), _units([batch])), batch_id)
    network = uow.network.load()
    return {"batch_id": batch_id, "lot": batch.lot, "status": batch.status.value,
            "lots": uow.production.consumption(batch_id),
            "sites": [{"site_id": s, "name": network.site(s).name} for s in back.sites],
            "workers": list(back.workers),
            "inspections": [{"id": i["id"], "decision": i["decision"], "severity": i["severity"],
                             "sample_size": i["sample_size"], "inspector": i["inspector"],
                             "at": i["at"].isoformat()} for i in uow.quality.inspections(batch_ids=(batch_id,))]}


# -- footprint -------------------------------------------------------------------------------
def _nearest_supplier(network: Network, site_id: str, item: str) -> tuple[str, float] | None:
    here = network.site(site_id).location
    offers = [(haversine_km(here, s.location), s.name) for s in network.suppliers
              if any(o.material == item for o in s.offers)]
    if not offers:
        return None
    km, name = min(offers)
    return name, km


def inbound_legs(uow: Any, batch: Batch, network: Network) -> list[dict[str, Any]]:
    """One leg per consumed material from its nearest supplier, with ISO 14083 emissions."""
    catalog = uow.catalog.load(network)
    legs = []
    for c in uow.production.consumption(batch.id):
        found = _nearest_supplier(network, batch.site_id, c["item"])
        material = catalog.materials.get(c["item"])
        if found is None or material is None:  # listed by not_counted()
            continue
        name, km = found
        leg = leg_emissions(INBOUND_MODE, km, c["qty"] * material.weight_kg_per_unit)
        legs.append({"stage": "to_site", "item": c["item"], "lot": c["lot"], "supplier": name,
                     "mode": INBOUND_MODE, "distance_km": round(km, 3), "kg_co2e": leg.kg_co2e})
    return legs


def not_counted(uow: Any, batch: Batch, network: Network) -> list[str]:
    """Names of the materials the batch used whose inbound leg is not in the footprint (no supplier of
    the network offers them, so their way to the site is unknown)."""
    catalog = uow.catalog.load(network)
    out = set()
    for c in uow.production.consumption(batch.id):
        material = catalog.materials.get(c["item"])
        if material is None or _nearest_supplier(network, batch.site_id, c["item"]) is None:
            out.add(material.name if material else c["item"])
    return sorted(out)


def outbound_legs(uow: Any, batch: Batch) -> list[dict[str, Any]]:
    """Transport legs of the batch's orders recorded with their shipping events."""
    legs = []
    for payload in uow.trace.events_for(batch_ids=(batch.id,), kind="shipping"):
        legs += list(payload.get("extra", {}).get("transport", []))
    return legs


def footprint(uow: Any, batch: Batch, network: Network | None = None) -> dict[str, Any]:
    """Per-item transport footprint of a batch and what it includes."""
    network = network or uow.network.load()
    inbound = inbound_legs(uow, batch, network)
    outbound = outbound_legs(uow, batch)
    inbound_kg = sum(leg["kg_co2e"] for leg in inbound)
    outbound_units = sum(int(leg.get("units", 0)) for leg in outbound) or 1
    outbound_per_unit = sum(leg["kg_co2e"] for leg in outbound) / outbound_units if outbound else 0.0
    per_unit = inbound_kg / max(1, batch.units) + outbound_per_unit
    return {"per_unit_kg_co2e": round(per_unit, 4), "inbound_kg_co2e": round(inbound_kg, 4),
            "outbound_per_unit_kg_co2e": round(outbound_per_unit, 4), "production_kg_co2e": None,
            "not_counted": not_counted(uow, batch, network),
            "included": "inbound material transport from the nearest supplier and recorded shipping legs; "
                        "production energy not included", "inbound": inbound, "outbound": outbound}


# -- labels and provenance ---------------------------------------------------------------------
def digital_link(uow: Any, batch: Batch, stem: str) -> DigitalLink:
    product = tr.batch_product(uow, batch)
    if not product.gtin:
        raise NotFound(f"product {product.id} has no GTIN: no Digital Link", field="gtin")
    return DigitalLink(gtin14(product.gtin), lot=batch.lot, stem=stem.rstrip("/"))


def label(uow: Any, batch_id: str, *, stem: str, kind: str = "sewn_in", fmt: str = "svg") -> str | bytes:
    """A receipt or sewn-in label (SVG text or PDF bytes) with QR, care text and footprint."""
    if fmt not in ("svg", "pdf"):
        raise InvalidInput("format is svg or pdf", field="format")
    batch = uow.production.get_batch(batch_id)
    product = tr.batch_product(uow, batch)
    network = uow.network.load()
    content = LabelContent(digital_link(uow, batch, stem), network.brand(product.brand).name, product.name,
                           product.care, footprint(uow, batch, network)["per_unit_kg_co2e"],
                           network.site(batch.site_id).name)
    return label_svg(content, kind) if fmt == "svg" else label_pdf(content, kind)


def _public_sites(network: Network, site_ids: list[str]) -> tuple[PublicSite, ...]:
    town = network.timezone.split("/")[-1].replace("_", " ") if "/" in network.timezone else ""
    out = []
    for sid in site_ids:
        s = network.site(sid)
        operator = network.name if s.operator.value == "in_house" else s.name
        out.append(PublicSite(s.id, s.name, operator, s.operator.value, town, ""))
    return tuple(out)


def _times(uow: Any, batch: Batch) -> tuple[str, str]:
    events = uow.trace.events_for(batch_ids=(batch.id,))
    made = [e["event"]["eventTime"][:10] for e in events if e["kind"] in ("transformation", "commissioning")]
    return (made[0], made[-1]) if made else ("", "")


def provenance(uow: Any, gtin: str, lot: str, *, stem: str) -> dict[str, Any]:
    """The public view of a lot: where, when, by how many people, materials, inspections, emissions."""
    try:
        batch = uow.production.batch_by_lot(lot)
        product = tr.batch_product(uow, batch)
        same = bool(product.gtin) and gtin14(product.gtin) == gtin14(gtin)
    except InvalidInput:
        same = False
    if not same:
        raise NotFound(f"no lot {lot} of GTIN {gtin}", field="lot")
    network = uow.network.load()
    catalog = uow.catalog.load(network)
    graph = build_genealogy((_record(uow, batch),), _units([batch]))
    materials = []
    for c in uow.production.consumption(batch.id):
        m = catalog.materials.get(c["item"])
        supplier = _nearest_supplier(network, batch.site_id, c["item"])
        materials.append(PublicMaterialLot(_lot_key(c["item"], c["lot"]), m.name if m else c["item"],
                                           m.name if m else "", m.origin if m else "",
                                           supplier[0] if supplier else ""))
    inspections = tuple(PublicInspection(i["id"], i["at"].date().isoformat(), _plan_text(i),
                                         i["decision"] != "reject",
                                         float(i["detail"].get("defects_per_hundred_units", 0.0)))
                        for i in uow.quality.inspections(batch_ids=(batch.id,)))
    fp = footprint(uow, batch, network)
    legs = tuple(TransportLeg(leg["stage"], leg["mode"], leg["distance_km"], leg["kg_co2e"] / max(1, batch.units))
                 for leg in fp["inbound"])
    made_from, made_to = _times(uow, batch)
    view = provenance_view(graph, ProvenanceInput(
        digital_link(uow, batch, stem), batch.id, network.brand(product.brand).name, product.name, made_from,
        made_to, _public_sites(network, [batch.site_id]), tuple(materials), inspections, legs,
        None))
    body = view.to_dict()
    body["care"] = [c.meaning for c in care_instructions(product.care)]
    body["footprint_per_unit_kg_co2e"] = fp["per_unit_kg_co2e"]
    body["footprint_included"] = fp["included"]
    body["transport_not_counted"] = fp["not_counted"]
    body["transport_counted"] = [{"material": catalog.materials[leg["item"]].name, "from": leg["supplier"],
                                  "distance_km": leg["distance_km"]} for leg in fp["inbound"]]
    return body


def _plan_text(inspection: dict[str, Any]) -> str:
    plans = [p for p in inspection["detail"].get("plans", []) if p.get("aql") is not None]
    return "; ".join(f"{p['class']} AQL {p['aql']}: n={p['n']}, Ac {p['ac']} ({p['severity']})" for p in plans)


def provenance_at(uow: Any, gtin: str, lot: str, *, stem: str, now: datetime) -> dict[str, Any]:
    """:func:`provenance` stamped with the time it was read (for caches and the page footer)."""
    return {**provenance(uow, gtin, lot, stem=stem), "read_at": now.isoformat()}
