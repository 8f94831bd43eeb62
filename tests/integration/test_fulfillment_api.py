"""The fulfillment API: options, preferences, same-day plans, shipments and tracking, returns, typed errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from microfactory.bootstrap import Container
from microfactory.entrypoints.api.app import create_app
from tests.integration.fulfillment_support import SHIRT, add_order, advance, network_only


@pytest.fixture
def client(container: Container, tmp_path: Path) -> TestClient:
    container.settings = dataclasses.replace(container.settings, data_dir=tmp_path)
    network_only(container)
    with container.uow() as uow:
        add_order(uow, "p1", customer="ann")
        advance(uow, "p1")
        add_order(uow, "s1", delivery="same_day", customer="bob")
        advance(uow, "s1")
        add_order(uow, "m1", product=SHIRT, customer="cem")
        advance(uow, "m1")
        uow.commit()
    return TestClient(create_app(container))


def test_options_and_preferences(client: TestClient) -> None:
    """Options come from the plan; a weekly preference adds a consolidated option; errors are typed."""
    body = client.get("/v1/orders/p1/delivery-options").json()
    assert body["site"] == "mf-kreuzberg" and body["ready_basis"] == "packed"
    assert {"same_day", "parcel"} <= {o["kind"] for o in body["options"]}
    put = client.put("/v1/customers/ann/preferences", json={"brand": "kiez", "cadence": "weekly", "weekday": 4},
                     headers={"Idempotency-Key": "pref-1"})
    assert put.status_code == 200 and put.json()["weekday"] == 4
    assert client.get("/v1/customers/ann/preferences").json()["cadence"] == "weekly"
    kinds = {o["kind"]: o for o in client.get("/v1/orders/p1/delivery-options").json()["options"]}
    assert kinds["consolidated"]["promised_date"] == "2026-12-04"
    bad = client.put("/v1/customers/ann/preferences", json={"brand": "kiez", "pickup_store": "mf-wedding"})
    assert bad.status_code == 422 and bad.json()["field"] == "pickup_store"
    assert client.get("/v1/customers/nobody/preferences").json()["code"] == "not_found"
    assert client.get("/v1/orders/nope/delivery-options").status_code == 404


def test_same_day_plan_and_tracking(client: TestClient) -> None:
    """A plan is stored with its shipments; the same Idempotency-Key replays it; sync ships the order later."""
    body = {"site": "mf-kreuzberg", "date": "2026-12-01", "time_limit_s": 1,
            "vehicles": [{"mode": "cargo_bike", "count": 1}]}
    first = client.post("/v1/deliveries/plans", json=body, headers={"Idempotency-Key": "plan-1"})
    assert first.status_code == 201, first.text
    plan = first.json()
    assert plan["violations"] == [] and [s["order_id"] for r in plan["routes"] for s in r["stops"]] == ["s1"]
    assert plan["routes"][0]["vehicle_type"] == "cargo_bike" and plan["routes"][0]["kg_co2e"] > 0
    again = client.post("/v1/deliveries/plans", json=body, headers={"Idempotency-Key": "plan-1"})
    assert again.json() == plan
    assert client.post("/v1/deliveries/plans", json={**body, "seed": 3},
                       headers={"Idempotency-Key": "plan-1"}).status_code == 409
    shipments = client.get("/v1/orders/s1/shipments").json()["items"]
    assert len(shipments) == 1 and shipments[0]["kind"] == "same_day"
    assert client.get(f"/v1/deliveries/plans/{plan['plan_id']}").json()["site"] == "mf-kreuzberg"
    bad = client.post("/v1/deliveries/plans", json={**body, "vehicles": [{"mode": "horse"}]})
    assert bad.status_code == 422 and bad.json()["field"].startswith("vehicles")
    assert client.post("/v1/deliveries/plans", json={**body, "site": "nowhere"}).status_code == 404


def test_parcel_shipment_sync_and_returns(client: TestClient, tmp_path: Path) -> None:
    """The file carrier books a parcel; inbox events deliver it; a fit return of a made-to-measure shirt is remade."""
    created = client.post("/v1/orders/p1/shipments", json={}, headers={"Idempotency-Key": "ship-1"})
    assert created.status_code == 201 and created.json()["kind"] == "parcel"
    tracking = created.json()["tracking"]
    assert (tmp_path / "carriers" / "filex" / "outbox" / f"{tracking}.json").exists()
    inbox = tmp_path / "carriers" / "filex" / "inbox"
    inbox.mkdir(parents=True)
    (inbox / "u.csv").write_text(f"tracking_number,status,at,location,note\n{tracking},delivered,2026-12-02T12:00:00,,\n")
    synced = client.post("/v1/shipments/sync").json()
    assert [c["new"] for c in synced["changed"]] == ["delivered"]
    assert client.get("/v1/orders/p1").json()["status"] == "delivered"
    refused = client.post("/v1/returns", json={"order_id": "m1", "line_id": "m1-1", "reason": "fit"})
    assert refused.status_code == 409 and refused.json()["code"] == "illegal_transition"
    shirt = client.post("/v1/orders/m1/shipments", json={}).json()
    (inbox / "v.csv").write_text(f"tracking_number,status,at,location,note\n{shirt['tracking']},delivered,"
                                 "2026-12-02T12:00:00,,\n")
    client.post("/v1/shipments/sync")
    ret = client.post("/v1/returns", json={"order_id": "m1", "line_id": "m1-1", "reason": "fit"},
                      headers={"Idempotency-Key": "rma-1"})
    assert ret.status_code == 201 and ret.json()["status"] == "authorised"
    done = client.post(f"/v1/returns/{ret.json()['id']}/receive",
                       json={"resellable": False, "measurements": {"chest_cm": 104}})
    assert done.status_code == 200 and done.json()["status"] == "remade"
    remake = client.get(f"/v1/orders/{done.json()['remake_order_id']}").json()
    assert remake["lines"][0]["options"]["chest_cm"] == "104" and remake["channel"] == "api"
    assert client.get("/v1/returns").json()["items"][0]["id"] == ret.json()["id"]
    kpis = client.get("/v1/kpis/returns").json()
    assert kpis["returned"] == 1 and kpis["shipped"] == 2
    bad = client.post("/v1/returns", json={"order_id": "p1", "line_id": "p1-1", "reason": "bored"})
    assert bad.status_code == 422 and bad.json()["field"] == "reason"
    assert client.post("/v1/returns/RMA-NONE/receive", json={"resellable": True}).status_code == 404
