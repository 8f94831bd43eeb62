"""EPCIS 2.0 events as JSON-LD: plain :class:`TraceEvent` objects in, documents out.

Six microfactory steps map to EPCIS event types and CBV 2.0 vocabulary (the mapping of
the project's GS1 reference notes):

| kind | EPCIS event | action | bizStep | default disposition |
|---|---|---|---|---|
| commissioning | ObjectEvent | ADD | commissioning | active |
| transformation | TransformationEvent | - | commissioning | active |
| inspecting | ObjectEvent | OBSERVE | inspecting | conformant / non_conformant |
| packing | AggregationEvent | ADD | packing | in_progress |
| shipping | ObjectEvent | OBSERVE | shipping | in_transit |
| receiving | ObjectEvent | OBSERVE | receiving | sellable_not_accessible |

There is no ``transforming`` business step in CBV 2.0: production uses ``commissioning``.
Identifiers are class level (LGTIN URNs in quantity lists) unless units are serialised
(SGTIN URNs in ``epcs``). Times are timezone-aware datetimes; the event keeps its local
offset in ``eventTimeZoneOffset``.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from microfactory.errors import InvalidInput

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
MF_NAMESPACE = "https://example.org/microfactory/voc/"
_EVENT_NS = uuid.UUID("6f1c2d0e-8a4b-4f3e-9c1d-2b7a5e0c9d41")
KINDS: dict[str, tuple[str, str | None, str, str]] = {
    "commissioning": ("ObjectEvent", "ADD", "commissioning", "active"),
    "transformation": ("TransformationEvent", None, "commissioning", "active"),
    "inspecting": ("ObjectEvent", "OBSERVE", "inspecting", "conformant"),
    "packing": ("AggregationEvent", "ADD", "packing", "in_progress"),
    "shipping": ("ObjectEvent", "OBSERVE", "shipping", "in_transit"),
    "receiving": ("ObjectEvent", "OBSERVE", "receiving", "sellable_not_accessible"),
}
#: CBV 2.0 dispositions accepted by GS1's EPCIS 2.0 JSON Schema
DISPOSITIONS: frozenset[str] = frozenset(["active", "container_closed", "damaged", "destroyed", "dispensed", "disposed", "encoded", "expired", "in_progress", "in_transit", "inactive", "no_pedigree_match", "non_sellable_other", "partially_dispensed", "recalled", "reserved", "retail_sold", "returned", "sellable_accessible", "sellable_not_accessible", "stolen", "unknown", "available", "completeness_verified", "completeness_inferred", "conformant", "container_open", "mismatch_instance", "mismatch_class", "mismatch_quantity", "needs_replacement", "non_conformant", "unavailable"])
BIZ_TRANSACTION_TYPES: frozenset[str] = frozenset(
    ["po", "poc", "bol", "cert", "desadv", "inv", "pedigree", "prodorder", "recadv", "rma", "testprd", "testres", "upevt"])
SOURCE_DEST_TYPES: frozenset[str] = frozenset({"owning_party", "possessing_party", "location"})
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")
_UOM = re.compile(r"^[A-Z0-9]{2,3}$")


def _require_uri(value: str, name: str) -> None:
    if not isinstance(value, str) or not _URI.match(value):
        raise InvalidInput(f"{name} {value!r} must be a URI (urn:... or https://...)", field=name)


@dataclass(frozen=True, slots=True)
class QuantityItem:
    """A quantity of a class (LGTIN): ``uom`` is a UN/ECE Rec. 20 code, None for units."""

    epc_class: str
    quantity: float
    uom: str | None = None

    def __post_init__(self) -> None:
        _require_uri(self.epc_class, "epc_class")
        if not self.quantity > 0:
            raise InvalidInput("quantity must be positive", field="quantity")
        if self.uom is not None and not _UOM.match(self.uom):
            raise InvalidInput(f"uom {self.uom!r} must be a 2-3 character UN/ECE code",
                               field="uom")

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"epcClass": self.epc_class, "quantity": self.quantity}
        if self.uom is not None:
            body["uom"] = self.uom
        return body


@dataclass(frozen=True, slots=True)
class BizTransaction:
    """A business document the event relates to (production order, purchase order...)."""

    type: str
    id: str

    def __post_init__(self) -> None:
        if self.type not in BIZ_TRANSACTION_TYPES:
            raise InvalidInput(f"business transaction type {self.type!r} is not a CBV type",
                               field="biz_transactions")
        _require_uri(self.id, "biz_transactions")


def biz_transaction_uri(gln: str, document_id: str) -> str:
    """CBV business transaction URI ``urn:epcglobal:cbv:bt:{GLN}:{document id}``."""
    if not re.match(r"^[0-9]{13}$", gln) or not re.match(r"^[A-Za-z0-9\-._]{1,60}$", document_id):
        raise InvalidInput("need a 13-digit GLN and a plain document id", field="document_id")
    return f"urn:epcglobal:cbv:bt:{gln}:{document_id}"


@dataclass(frozen=True, slots=True)
class TraceEvent:
    """One traceability event of a batch or order, before JSON-LD rendering."""

    kind: str
    event_time: datetime
    read_point: str
    biz_location: str | None = None
    quantities: tuple[QuantityItem, ...] = ()
    epcs: tuple[str, ...] = ()
    inputs: tuple[QuantityItem, ...] = ()
    parent_id: str | None = None
    conformant: bool | None = None
    disposition: str | None = None
    biz_transactions: tuple[BizTransaction, ...] = ()
    sources: tuple[tuple[str, str], ...] = ()
    destinations: tuple[tuple[str, str], ...] = ()
    ilmd: tuple[tuple[str, str], ...] = ()
    batch_ids: tuple[str, ...] = ()
    order_ids: tuple[str, ...] = ()
    event_id: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InvalidInput(f"unknown event kind {self.kind!r}; expected one of "
                               f"{sorted(KINDS)}", field="kind")
        if self.event_time.utcoffset() is None:
            raise InvalidInput("event_time must be timezone-aware", field="event_time")
        for uri in (self.read_point, *self.epcs):
            _require_uri(uri, "read_point" if uri == self.read_point else "epcs")
        for optional in (self.biz_location, self.parent_id, self.event_id):
            if optional is not None:
                _require_uri(optional, "biz_location")
        self._check_kind()
        if self.disposition is not None and self.disposition not in DISPOSITIONS:
            raise InvalidInput(f"disposition {self.disposition!r} is not a CBV disposition",
                               field="disposition")
        for kind_, uri in self.sources + self.destinations:
            if kind_ not in SOURCE_DEST_TYPES:
                raise InvalidInput(f"source/destination type {kind_!r} is not a CBV type",
                                   field="sources")
            _require_uri(uri, "sources")

    def _check_kind(self) -> None:
        has_what = bool(self.quantities or self.epcs)
        if not has_what:
            raise InvalidInput(f"a {self.kind} event needs quantities or epcs", field="quantities")
        if (self.kind == "transformation") != bool(self.inputs):
            raise InvalidInput("inputs are required on, and only on, transformation events",
                               field="inputs")
        if (self.kind == "packing") != (self.parent_id is not None):
            raise InvalidInput("parent_id (e.g. an SSCC) is required on, and only on, packing",
                               field="parent_id")
        if (self.kind == "inspecting") != (self.conformant is not None):
            raise InvalidInput("conformant is required on, and only on, inspecting events",
                               field="conformant")
        if self.ilmd and self.kind not in ("commissioning", "transformation"):
            raise InvalidInput("ilmd is allowed only where the lot is created", field="ilmd")


def _offset(moment: datetime) -> str:
    delta = moment.utcoffset()
    assert delta is not None
    minutes = int(delta.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _disposition(event: TraceEvent) -> str:
    if event.disposition is not None:
        return event.disposition
    if event.kind == "inspecting":
        return "conformant" if event.conformant else "non_conformant"
    return KINDS[event.kind][3]


def _what(event: TraceEvent) -> dict[str, Any]:
    items = [q.to_json() for q in event.quantities]
    if event.kind == "transformation":
        body: dict[str, Any] = {"inputQuantityList": [q.to_json() for q in event.inputs]}
        if event.epcs:
            body["outputEPCList"] = list(event.epcs)
        if items:
            body["outputQuantityList"] = items
        return body
    if event.kind == "packing":
        body = {"parentID": event.parent_id}
        if event.epcs:
            body["childEPCs"] = list(event.epcs)
        if items:
            body["childQuantityList"] = items
        return body
    body = {"epcList": list(event.epcs)} if event.epcs else {}
    if items:
        body["quantityList"] = items
    return body


def _why_where(event: TraceEvent) -> dict[str, Any]:
    body: dict[str, Any] = {"bizStep": KINDS[event.kind][2], "disposition": _disposition(event),
                            "readPoint": {"id": event.read_point}}
    if event.biz_location is not None:
        body["bizLocation"] = {"id": event.biz_location}
    if event.biz_transactions:
        body["bizTransactionList"] = [{"type": b.type, "bizTransaction": b.id}
                                      for b in event.biz_transactions]
    if event.sources:
        body["sourceList"] = [{"type": t, "source": s} for t, s in event.sources]
    if event.destinations:
        body["destinationList"] = [{"type": t, "destination": d} for t, d in event.destinations]
    if event.ilmd:
        body["ilmd"] = {(k if ":" in k else f"mf:{k}"): v for k, v in event.ilmd}
    return body


def event_to_jsonld(event: TraceEvent) -> dict[str, Any]:
    """One event as an EPCIS 2.0 JSON-LD event object (without the document's @context)."""
    event_type, action, _, _ = KINDS[event.kind]
    body: dict[str, Any] = {"type": event_type}
    body["eventTime"] = event.event_time.isoformat(timespec="milliseconds")
    body["eventTimeZoneOffset"] = _offset(event.event_time)
    if action is not None:
        body["action"] = action
    body.update(_what(event))
    body.update(_why_where(event))
    body["eventID"] = event.event_id or _derived_id(body)
    return body


def _derived_id(body: dict[str, Any]) -> str:
    """A deterministic ``urn:uuid`` (version 5) from the event's canonical JSON."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"urn:uuid:{uuid.uuid5(_EVENT_NS, canonical)}"


def select_events(events: tuple[TraceEvent, ...], batch_ids: tuple[str, ...] = (),
                  order_ids: tuple[str, ...] = ()) -> tuple[TraceEvent, ...]:
    """Events touching any of the batches or orders, in time order."""
    wanted_b, wanted_o = set(batch_ids), set(order_ids)
    chosen = [e for e in events if wanted_b & set(e.batch_ids) or wanted_o & set(e.order_ids)]
    return tuple(sorted(chosen, key=lambda e: e.event_time))


def epcis_document(events: tuple[TraceEvent, ...], creation_date: datetime,
                   document_id: str | None = None) -> dict[str, Any]:
    """An EPCISDocument (JSON-LD) holding the events in time order."""
    if creation_date.utcoffset() is None:
        raise InvalidInput("creation_date must be timezone-aware", field="creation_date")
    if not events:
        raise InvalidInput("an EPCIS document needs at least one event", field="events")
    ordered = sorted(events, key=lambda e: e.event_time)
    doc: dict[str, Any] = {
        "@context": [EPCIS_CONTEXT, {"mf": MF_NAMESPACE}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": creation_date.isoformat(timespec="seconds"),
        "epcisBody": {"eventList": [event_to_jsonld(e) for e in ordered]},
    }
    if document_id is not None:
        _require_uri(document_id, "document_id")
        doc["id"] = document_id
    return doc


def document_from_jsonld(events: list[dict[str, Any]], creation_date: datetime,
                         document_id: str | None = None) -> dict[str, Any]:
    """An EPCISDocument around events already rendered by :func:`event_to_jsonld` (e.g. from a log)."""
    if creation_date.utcoffset() is None:
        raise InvalidInput("creation_date must be timezone-aware", field="creation_date")
    if not events:
        raise InvalidInput("an EPCIS document needs at least one event", field="events")
    doc: dict[str, Any] = {
        "@context": [EPCIS_CONTEXT, {"mf": MF_NAMESPACE}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": creation_date.isoformat(timespec="seconds"),
        "epcisBody": {"eventList": sorted(events, key=lambda e: str(e.get("eventTime", "")))},
    }
    if document_id is not None:
        _require_uri(document_id, "document_id")
        doc["id"] = document_id
    return doc


def export_batch(events: tuple[TraceEvent, ...], batch_id: str,
                 creation_date: datetime) -> dict[str, Any]:
    """The EPCIS document of one batch (every event naming it)."""
    return epcis_document(select_events(events, batch_ids=(batch_id,)), creation_date)


def export_order(events: tuple[TraceEvent, ...], order_id: str, batch_ids: tuple[str, ...],
                 creation_date: datetime) -> dict[str, Any]:
    """The EPCIS document of one order: its own events and those of the batches that made it."""
    return epcis_document(select_events(events, batch_ids, (order_id,)), creation_date)
