"""Trace log, EPCIS export, tamper evidence, genealogy, labels and the public page, end to end."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update
from typer.testing import CliRunner

from microfactory.adapters.db import tables as t
from microfactory.bootstrap import Container
from microfactory.engines.trace.chain import entry_hash
from microfactory.entrypoints.api.app import create_app
from microfactory.entrypoints.cli.main import app as cli
from microfactory.services import production, quality, trace
from tests.integration.qt_support import make_batch, run

GTIN = "09521234100010"
BIZ_STEPS = {"commissioning", "inspecting", "packing", "shipping", "receiving"}
DISPOSITIONS = {"active", "conformant", "non_conformant", "in_progress", "in_transit"}
LGTIN = re.compile(r"^urn:epc:class:lgtin:[0-9]{7}\.[0-9]{6}\.[A-Za-z0-9%\-._]+$")
PERSONAL = ("Aylin", "Jonas", "Mira", "Tomasz", "customer", "52.50131", "BER-0000")


@pytest.fixture
def made(loaded: Container) -> dict[str, Any]:
    """One Kreuzberg jeans batch started, finished, inspected (passed), packed and shipped."""
    batch = make_batch(loaded)
    run(loaded, production.start_batch, batch.id)
    run(loaded, production.finish_batch, batch.id)
    run(loaded, quality.inspect_batch, batch.id, [], inspector="qc-1")
    run(loaded, trace.record_packing, batch.id)
    order_id = batch.lines[1].order_id
    run(loaded, trace.record_shipping, order_id, mode="cargo_bike", distance_km=4.2)
    return {"c": loaded, "batch": batch, "order": order_id}


def _check_document(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """EPCIS 2.0 structure: context, type, schema version, events with required fields and CBV values."""
    assert doc["type"] == "EPCISDocument" and doc["schemaVersion"] == "2.0"
    assert doc["@context"][0] == "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$", doc["creationDate"])
    events = doc["epcisBody"]["eventList"]
    for e in events:
        assert e["type"] in ("ObjectEvent", "AggregationEvent", "TransformationEvent")
        assert {"eventTime", "eventTimeZoneOffset", "eventID", "bizStep", "disposition", "readPoint"} <= set(e)
        assert e["eventID"].startswith("urn:uuid:") and e["bizStep"] in BIZ_STEPS
        assert e["disposition"] in DISPOSITIONS
        assert e["readPoint"]["id"].startswith(("urn:epc:id:sgln:", "https://"))
        items = e.get("quantityList", []) + e.get("outputQuantityList", []) + e.get("childQuantityList", [])
        assert items and all(LGTIN.match(q["epcClass"]) for q in items)
        if e["type"] == "ObjectEvent":
            assert e["action"] in ("ADD", "OBSERVE", "DELETE")
    return events


def test_order_export_holds_the_whole_story_in_epcis_structure(made: dict[str, Any]) -> None:
    """The order's document: transformation, commissioning, inspecting, packing, shipping, each well formed."""
    with made["c"].uow() as uow:
        doc = trace.export_order(uow, made["order"], now=made["c"].clock.now())
    events = _check_document(doc)
    assert [e["type"] for e in events] == ["TransformationEvent", "ObjectEvent", "ObjectEvent", "AggregationEvent",
                                          "ObjectEvent"]
    assert [e["bizStep"] for e in events] == ["commissioning", "commissioning", "inspecting", "packing", "shipping"]
    transformation = events[0]
    assert {q["uom"] for q in transformation["inputQuantityList"] if "uom" in q} == {"MTR"}
    assert events[2]["disposition"] == "conformant"
    assert events[3]["parentID"].startswith("urn:epc:id:sscc:9521234.")
    assert transformation["outputQuantityList"][0]["epcClass"] == \
        f"urn:epc:class:lgtin:9521234.010001.{made['batch'].lot}"
    _api_exports_and_traces(made)


def test_verify_finds_an_edited_and_a_removed_event(made: dict[str, Any], tmp_path: Path) -> None:
    """The CLI works on the log; changing one stored event is named as edited, deleting one as removed."""
    _cli_verify_export_and_label(made, tmp_path)
    c = made["c"]
    with c.uow() as uow:  # undo the CLI test's edit of entry 0
        first = uow.conn.execute(select(t.trace_events).where(t.trace_events.c.seq == 0)).one()
        uow.conn.execute(update(t.trace_events).where(t.trace_events.c.seq == 0).values(
            hash=entry_hash(0, first.prev_hash, first.event)))
        uow.commit()
    with c.uow() as uow:
        assert trace.verify_log(uow)["ok"]
        row = uow.conn.execute(select(t.trace_events).where(t.trace_events.c.seq == 1)).one()
        body = dict(row.event)
        body["event"] = {**body["event"], "quantityList": [{"epcClass": "urn:x:y", "quantity": 999.0}]}
        uow.conn.execute(update(t.trace_events).where(t.trace_events.c.seq == 1).values(event=body))
        uow.commit()
        report = trace.verify_log(uow)
    assert not report["ok"] and [(p["kind"], p["seq"]) for p in report["problems"]] == [("edited", 1)]
    with c.uow() as uow:
        uow.conn.execute(update(t.trace_events).where(t.trace_events.c.seq == 1).values(event=row.event))
        uow.conn.execute(delete(t.trace_events).where(t.trace_events.c.seq == 2))
        uow.commit()
        report = trace.verify_log(uow)
    assert [(p["kind"], p["seq"]) for p in report["problems"]] == [("removed", 3)]


def _api_exports_and_traces(made: dict[str, Any]) -> None:
    """The API serves the batch and order documents, the chain check, and genealogy both ways."""
    client = TestClient(create_app(made["c"]))
    batch = made["batch"]
    r = client.get(f"/v1/batches/{batch.id}/epcis")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/ld+json")
    assert len(_check_document(r.json())) == 5
    assert len(client.get(f"/v1/orders/{made['order']}/epcis").json()["epcisBody"]["eventList"]) == 5
    assert client.get("/v1/trace/verify").json()["ok"] is True
    fwd = client.get("/v1/trace/lots/denim-12oz/DN12-2611A/forward").json()
    assert [b["batch_id"] for b in fwd["batches"]] == [batch.id]
    assert sorted(o["order_id"] for o in fwd["orders"]) == sorted(batch.order_ids)
    assert all("customer_ref" not in o for o in fwd["orders"])
    back = client.get(f"/v1/trace/units/{batch.id}/back").json()
    assert {x["lot"] for x in back["lots"]} >= {"DN12-2611A", "THR-2611A"}
    assert back["sites"][0]["site_id"] == "mf-kreuzberg" and back["inspections"][0]["decision"] == "accept"
    assert client.get("/v1/trace/lots/denim-12oz/NOPE/forward").status_code == 404


def test_labels_receipts_and_the_public_page(made: dict[str, Any]) -> None:
    """Labels carry the Digital Link, care and footprint; the public page shows the lot and no personal data."""
    client = TestClient(create_app(made["c"]))
    batch = made["batch"]
    svg = client.get(f"/v1/batches/{batch.id}/label.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert f"http://localhost:8000/01/{GTIN}/10/{batch.lot}" in svg.text
    assert "Wash at 30" in svg.text and "kg CO2e" in svg.text
    for name in ("label.pdf", "receipt.pdf"):
        pdf = client.get(f"/v1/batches/{batch.id}/{name}")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-1.4")
    assert client.get(f"/v1/batches/{batch.id}/receipt.svg").text.startswith("<svg")
    fp = client.get(f"/v1/batches/{batch.id}/footprint").json()
    assert fp["inbound_kg_co2e"] > 0 and fp["production_kg_co2e"] is None
    with made["c"].uow(readonly=True) as uow:  # every material used is either a counted leg or named as not
        network = uow.network.load()
        catalog = uow.catalog.load(network)
        used = {c["item"] for c in uow.production.consumption(batch.id)}
    offered = {o.material for s in network.suppliers for o in s.offers}
    assert {leg["item"] for leg in fp["inbound"]} == used & offered
    assert fp["not_counted"] == sorted(catalog.materials[i].name for i in used - offered)
    _provenance_page(made, client)


def _provenance_page(made: dict[str, Any], client: TestClient) -> None:
    """The public page names the site, materials and passed check, and nothing personal; unknown lots are 404."""
    lot = made["batch"].lot
    page = client.get(f"/01/{GTIN}/10/{lot}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "Kreuzberg Atelier" in html and lot in html and "Denim 12 oz" in html and "passed" in html
    assert "<link" not in html and "http://" not in html.replace(f"http://localhost:8000/01/{GTIN}", "")
    for word in PERSONAL:
        assert word not in html
    data = client.get(f"/01/{GTIN}/10/{lot}", headers={"Accept": "application/json"}).json()
    assert data["lot"] == lot and data["inspections_passed"] is True and data["transport_kg_co2e"] > 0
    assert [leg["from"] for leg in data["transport_counted"]] and isinstance(data["transport_not_counted"], list)
    assert not any(word in str(data) for word in PERSONAL)
    missing = client.get(f"/01/{GTIN}/10/NOLOT")
    assert missing.status_code == 404 and "Lot not found" in missing.text
    assert client.get(f"/01/09521234100027/10/{lot}").status_code == 404  # lot of another product


def _cli_verify_export_and_label(made: dict[str, Any], tmp_path: Path) -> None:
    """`trace verify`, `trace export --out` and `trace label --out` work on the stored database."""
    url = made["c"].settings.database_url
    runner = CliRunner()
    ok = runner.invoke(cli, ["trace", "verify", "--db", url, "--json"])
    assert ok.exit_code == 0 and '"ok": true' in ok.output
    out = tmp_path / "batch.jsonld"
    res = runner.invoke(cli, ["trace", "export", "--batch", made["batch"].id, "--out", str(out), "--db", url])
    assert res.exit_code == 0 and '"EPCISDocument"' in out.read_text()
    pdf = tmp_path / "label.pdf"
    res = runner.invoke(cli, ["trace", "label", made["batch"].id, "--out", str(pdf), "--db", url])
    assert res.exit_code == 0 and pdf.read_bytes().startswith(b"%PDF")
    back = runner.invoke(cli, ["trace", "back", made["batch"].id, "--db", url, "--json"])
    assert back.exit_code == 0 and "DN12-2611A" in back.output
    fwd = runner.invoke(cli, ["trace", "forward", "denim-12oz", "DN12-2611A", "--customers", "--db", url, "--json"])
    assert fwd.exit_code == 0 and "customer_ref" in fwd.output
    with made["c"].uow() as uow:
        uow.conn.execute(update(t.trace_events).where(t.trace_events.c.seq == 0).values(hash="0" * 64))
        uow.commit()
    bad = runner.invoke(cli, ["trace", "verify", "--db", url])
    assert bad.exit_code == 1 and "edited" in bad.output
