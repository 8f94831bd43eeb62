"""EPCIS 2.0 documents: envelope, event types, identifiers and CBV vocabulary."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from microfactory.engines.trace import (
    QuantityItem,
    TraceEvent,
    epcis_document,
    export_batch,
    export_order,
)
from microfactory.engines.trace.epcis import DISPOSITIONS, EPCIS_CONTEXT
from microfactory.errors import InvalidInput

CET = timezone(timedelta(hours=1))
CREATED = datetime(2025, 4, 14, 9, 0, tzinfo=UTC)
BATCH = "B-0412-03"
GARMENT = "urn:epc:class:lgtin:9521234.000010.J32-250412"
BIZ_STEPS = {"commissioning", "inspecting", "packing", "shipping", "receiving"}
LGTIN = re.compile(r"^urn:epc:class:lgtin:[0-9]{6,12}\.[0-9]{1,7}\.[A-Za-z0-9\-]{1,20}$")
SGLN = re.compile(r"^urn:epc:id:sgln:[0-9]{6,12}\.[0-9]{0,6}\.[A-Za-z0-9\-]{1,20}$")
OFFSET = re.compile(r"^[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00)$")
REQUIRED_BY_TYPE = {"ObjectEvent": {"action"}, "AggregationEvent": {"action", "parentID"},
                    "TransformationEvent": {"inputQuantityList"}}


def _events(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return list(doc["epcisBody"]["eventList"])


def test_document_envelope(events: tuple[TraceEvent, ...]) -> None:
    """The document has the standard context, type, version, creation date and an event list."""
    doc = epcis_document(events, CREATED)
    assert doc["@context"][0] == EPCIS_CONTEXT and "mf" in doc["@context"][1]
    assert doc["type"] == "EPCISDocument" and doc["schemaVersion"] == "2.0"
    assert datetime.fromisoformat(doc["creationDate"]) == CREATED
    assert len(_events(doc)) == len(events)


def test_every_event_has_required_fields_and_cbv_values(events: tuple[TraceEvent, ...]) -> None:
    """Each event has time with offset, a CBV bizStep and disposition, and its type's fields."""
    for event in _events(epcis_document(events, CREATED)):
        assert event["type"] in REQUIRED_BY_TYPE
        assert REQUIRED_BY_TYPE[event["type"]] <= set(event)
        assert datetime.fromisoformat(event["eventTime"]).utcoffset() is not None
        assert OFFSET.match(event["eventTimeZoneOffset"])
        assert event["bizStep"] in BIZ_STEPS and event["disposition"] in DISPOSITIONS
        assert SGLN.match(event["readPoint"]["id"])
        assert event["eventID"].startswith("urn:uuid:")
        assert event.get("epcList") or event.get("quantityList") or event.get("childEPCs") \
            or event.get("childQuantityList") or event.get("outputQuantityList")


def test_transformation_event_shape(events: tuple[TraceEvent, ...]) -> None:
    """Fabric lots go in with metres, the garment lot comes out, bizStep is commissioning."""
    doc = export_batch(events, BATCH, CREATED)
    (event,) = [e for e in _events(doc) if e["type"] == "TransformationEvent"]
    assert "action" not in event and event["bizStep"] == "commissioning"
    assert all(LGTIN.match(q["epcClass"]) and q["uom"] == "MTR"
               for q in event["inputQuantityList"])
    assert event["outputQuantityList"] == [{"epcClass": GARMENT, "quantity": 40}]
    assert event["bizTransactionList"][0]["type"] == "prodorder"
    assert event["ilmd"] == {"mf:fibreComposition": "98% cotton, 2% elastane"}
    assert event["eventTimeZoneOffset"] == "+01:00"


def test_inspecting_disposition_follows_the_verdict() -> None:
    """A failed inspection is OBSERVE / inspecting / non_conformant."""
    failed = TraceEvent("inspecting", datetime(2025, 4, 12, 15, tzinfo=CET),
                        "urn:epc:id:sgln:9521234.10001.0", quantities=(QuantityItem(GARMENT, 40),),
                        conformant=False)
    (event,) = _events(epcis_document((failed,), CREATED))
    assert (event["type"], event["action"], event["bizStep"], event["disposition"]) == \
        ("ObjectEvent", "OBSERVE", "inspecting", "non_conformant")


def test_packing_is_an_aggregation_with_parent(events: tuple[TraceEvent, ...]) -> None:
    """Packing is an AggregationEvent ADD with an SSCC parent and class-level children."""
    (event,) = [e for e in _events(epcis_document(events, CREATED))
                if e["type"] == "AggregationEvent"]
    assert event["action"] == "ADD" and event["parentID"].startswith("urn:epc:id:sscc:")
    assert event["childQuantityList"][0]["epcClass"] == GARMENT


def test_exports_per_batch_and_per_order(events: tuple[TraceEvent, ...]) -> None:
    """The batch export leaves out the order's later legs and other batches; the order export has both."""
    batch = [e["bizStep"] for e in _events(export_batch(events, BATCH, CREATED))]
    order = [e["bizStep"] for e in _events(export_order(events, "ORD-1", (BATCH,), CREATED))]
    assert batch == ["receiving", "commissioning", "inspecting", "packing"]
    assert order == batch + ["shipping", "receiving"]


def test_event_ids_are_deterministic_and_distinct(events: tuple[TraceEvent, ...]) -> None:
    """Building the same events twice gives the same IDs, and no two events share one."""
    first = [e["eventID"] for e in _events(epcis_document(events, CREATED))]
    again = [e["eventID"] for e in _events(epcis_document(events, CREATED))]
    assert first == again and len(set(first)) == len(first)


def test_invalid_events_are_refused() -> None:
    """Naive time, a packing event without parent and a non-CBV disposition are refused."""
    site = "urn:epc:id:sgln:9521234.10001.0"
    what = (QuantityItem(GARMENT, 1),)
    with pytest.raises(InvalidInput):
        TraceEvent("shipping", datetime(2025, 4, 12), site, quantities=what)
    with pytest.raises(InvalidInput):
        TraceEvent("packing", datetime(2025, 4, 12, tzinfo=CET), site, quantities=what)
    with pytest.raises(InvalidInput):
        TraceEvent("shipping", datetime(2025, 4, 12, tzinfo=CET), site, quantities=what,
                   disposition="shipped")
    with pytest.raises(InvalidInput):
        QuantityItem(GARMENT, 2.0, "metres")
