"""Routing over the API: runs, assignments, capacity, online placement, site status; idempotent writes."""

from __future__ import annotations

from fastapi.testclient import TestClient

from microfactory.bootstrap import Container
from microfactory.entrypoints.api.app import create_app


def test_routing_run_is_idempotent_and_stored(loaded: Container) -> None:
    """The same Idempotency-Key returns the first run; the run and an order's assignment can be read back."""
    client = TestClient(create_app(loaded))
    body = {"policy": "greedy", "brand": "spree", "time_limit_s": 5}
    first = client.post("/v1/routing/runs", json=body, headers={"Idempotency-Key": "run-1"})
    again = client.post("/v1/routing/runs", json=body, headers={"Idempotency-Key": "run-1"})
    assert first.status_code == 201 and again.json() == first.json()
    run = first.json()
    assert run["assigned"] + run["unassigned"] == 75 and {"status", "objective", "bound", "gap", "late", "costs"} <= set(run)
    assert client.get(f"/v1/routing/runs/{run['id']}").json()["assigned"] == run["assigned"]
    other = client.post("/v1/routing/runs", json={**body, "brand": "kiez"}, headers={"Idempotency-Key": "run-1"})
    assert other.status_code == 409 and other.json()["code"] == "idempotency_mismatch"
    items = client.get("/v1/orders/BER-000002/assignment").json()["items"]
    assert items[0]["site_id"] and items[0]["breakdown"]["total"] > 0 and items[0]["rejected"]
    cap = client.get("/v1/sites/mf-neukoelln/capacity", params={"from": "2026-12-01", "days": 5}).json()
    assert any(r["reserved_min"] > 0 for r in cap["items"]) and all(r["free_min"] >= 0 for r in cap["items"])


def test_new_order_routed_online_and_site_status_rerouting(loaded: Container) -> None:
    """POST /v1/orders/{id}/route places a new order; taking its site down moves it, once per key."""
    client = TestClient(create_app(loaded))
    order = {"brand": "spree", "lines": [{"product": "spree-tote", "options": {"design": "bear"}, "quantity": 1}],
             "customer": {"lat": 52.49, "lon": 13.43}, "delivery": "ship"}
    oid = client.post("/v1/orders", json=order).json()["id"]
    placed = client.post(f"/v1/orders/{oid}/route", headers={"Idempotency-Key": "place-1"})
    assert placed.status_code == 200 and placed.json()["assigned"] == 1
    site = client.get(f"/v1/orders/{oid}/assignment").json()["items"][0]["site_id"]
    down = client.post(f"/v1/sites/{site}/status", json={"status": "down", "reason": "power cut"},
                       headers={"Idempotency-Key": "down-1"})
    replay = client.post(f"/v1/sites/{site}/status", json={"status": "down", "reason": "power cut"},
                         headers={"Idempotency-Key": "down-1"})
    assert down.status_code == 200 and replay.json() == down.json() and down.json()["moved"] >= 1
    moved = client.get(f"/v1/orders/{oid}/assignment").json()["items"][0]
    assert moved["site_id"] not in (None, site)
    events = client.get(f"/v1/orders/{oid}/events").json()["items"]
    assert any(e["reason"].startswith(f"rerouted: site {site} down → ") for e in events)


def test_routing_errors_are_typed(loaded: Container) -> None:
    """Unknown site → 404, bad policy → 422, unknown run or order → 404, each as {code, message, field}."""
    client = TestClient(create_app(loaded))
    r = client.post("/v1/sites/mf-nowhere/status", json={"status": "down"})
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = client.post("/v1/routing/runs", json={"policy": "cheapest"})
    assert r.status_code == 422 and r.json()["field"] == "policy"
    assert client.get("/v1/routing/runs/RUN-nope").status_code == 404
    assert client.get("/v1/orders/NOPE/assignment").status_code == 404
    assert client.get("/v1/sites/mf-nowhere/capacity").status_code == 404
    r = client.post("/v1/sites/mf-wedding/status", json={"status": "sideways"})
    assert r.status_code == 422
