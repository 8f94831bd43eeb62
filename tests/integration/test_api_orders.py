"""The REST API over the stored example: orders, idempotency, typed errors, Shopify webhooks."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from microfactory.adapters.db import tables as t
from microfactory.adapters.files.shopify import sign
from microfactory.bootstrap import Container
from microfactory.entrypoints.api.app import create_app

TEE = {"brand": "spree", "lines": [{"product": "spree-tee", "options": {"size": "M", "colour": "black", "design": "bear"},
                                    "quantity": 2}],
       "customer": {"lat": 52.50, "lon": 13.42}, "delivery": "same_day", "due": "2026-12-04"}


@pytest.fixture
def client(loaded: Container) -> TestClient:
    return TestClient(create_app(loaded))


def _orders(c: Container) -> int:
    with c.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.orders)).scalar_one())


def shopify_payload(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": 5550001, "order_number": 1001, "created_at": "2026-12-01T10:15:00+01:00",
        "customer": {"id": 777}, "line_items": [
            {"sku": "SPREE-TEE-L-SAND-WAVE", "variant_title": "L / sand / wave", "quantity": 1, "properties": []},
            {"sku": "SPREE-TOTE-BEAR", "variant_title": "bear", "quantity": 2, "properties": [{"name": "gift", "value": "yes"}]}],
        "shipping_address": {"latitude": 52.51, "longitude": 13.45, "city": "Berlin"},
        "note_attributes": [{"name": "delivery", "value": "pickup:st-friedrichshain"}, {"name": "due", "value": "2026-12-05"}]}
    body.update(over)
    return body


def test_health_reports_the_database(client: TestClient) -> None:
    """GET /v1/health answers ok and names the backend."""
    body = client.get("/v1/health").json()
    assert body["status"] == "ok" and body["database"] in ("sqlite", "postgresql")


def test_create_order_validates_and_stores_it(client: TestClient, loaded: Container) -> None:
    """A good order is 201, validated, with a derived SKU and a history."""
    r = client.post("/v1/orders", json=TEE)
    assert r.status_code == 201
    order = r.json()
    assert order["status"] == "validated" and order["lines"][0]["sku"] == "SPREE-TEE-M-BLACK-BEAR"
    events = client.get(f"/v1/orders/{order['id']}/events").json()["items"]
    assert [e["new"] for e in events if e["line_id"] is None] == ["received", "validated"]
    assert _orders(loaded) == 241


def test_idempotency_key_replays_the_first_order(client: TestClient, loaded: Container) -> None:
    """The same Idempotency-Key returns the same order (200) and stores nothing new."""
    first = client.post("/v1/orders", json=TEE, headers={"Idempotency-Key": "abc"})
    again = client.post("/v1/orders", json=TEE, headers={"Idempotency-Key": "abc"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and _orders(loaded) == 241


def test_idempotency_key_with_another_body_is_a_conflict(client: TestClient) -> None:
    """Reusing a key for a different request is refused with 409 idempotency_mismatch."""
    client.post("/v1/orders", json=TEE, headers={"Idempotency-Key": "k"})
    other = dict(TEE, delivery="ship")
    r = client.post("/v1/orders", json=other, headers={"Idempotency-Key": "k"})
    assert r.status_code == 409 and r.json()["code"] == "idempotency_mismatch"


def test_external_id_never_creates_a_second_order(client: TestClient, loaded: Container) -> None:
    """The brand's external order id is an idempotency key too."""
    body = dict(TEE, external_id="shop-42")
    ids = {client.post("/v1/orders", json=body).json()["id"] for _ in range(3)}
    assert len(ids) == 1 and _orders(loaded) == 241


def test_concurrent_replays_create_one_order(client: TestClient, loaded: Container) -> None:
    """Eight threads sending the same keyed request at once create exactly one order."""
    codes: list[int] = []

    def send() -> None:
        codes.append(client.post("/v1/orders", json=TEE, headers={"Idempotency-Key": "race"}).status_code)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(codes).count(201) == 1 and set(codes) <= {200, 201} and _orders(loaded) == 241


@pytest.mark.parametrize("change,field", [
    ({"brand": "nobody"}, "brand"),
    ({"lines": []}, "lines"),
    ({"customer": {"lat": 91, "lon": 13}}, "customer.lat"),
    ({"delivery": "pickup:mf-kreuzberg"}, "delivery"),
    ({"delivery": "teleport"}, "delivery"),
    ({"due": "2020-01-01"}, "due"),
    ({"unknown": 1}, "unknown"),
    ({"lines": [{"product": "kiez-jean", "options": {}, "quantity": 1}]}, "lines[0].product"),
    ({"lines": [{"product": "spree-tee", "options": {"size": "M"}, "quantity": 1}]}, "lines[0].options.colour"),
    ({"lines": [{"product": "spree-tee", "options": {"size": "M", "colour": "red", "design": "bear"}, "quantity": 1}]},
     "lines[0].options.colour"),
    ({"lines": [{"product": "spree-tee", "options": {"size": "M", "colour": "black", "design": "bear"}, "quantity": 0}]},
     "lines[0].quantity"),
])
def test_bad_orders_get_a_typed_error_and_leave_no_trace(client: TestClient, loaded: Container,
                                                        change: dict[str, Any], field: str) -> None:
    """Each bad input is a 4xx JSON {code, message, field} naming the field, and stores nothing."""
    r = client.post("/v1/orders", json={**TEE, **change})
    assert 400 <= r.status_code < 500
    body = r.json()
    assert body["field"] == field and body["code"] in ("invalid_input", "not_found") and body["message"]
    assert _orders(loaded) == 240


def test_oversized_body_is_refused(client: TestClient) -> None:
    """A body above the limit is 413 before anything is parsed."""
    r = client.post("/v1/orders", content=b"{" + b" " * 1_100_000 + b"}", headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"


def test_listing_pages_with_a_cursor(client: TestClient) -> None:
    """GET /v1/orders pages with next_cursor and filters by brand."""
    first = client.get("/v1/orders", params={"limit": 100}).json()
    second = client.get("/v1/orders", params={"limit": 100, "cursor": first["next_cursor"]}).json()
    ids = [o["id"] for o in first["items"] + second["items"]]
    assert len(ids) == len(set(ids)) == 200
    kiez = client.get("/v1/orders", params={"brand": "kiez", "limit": 200}).json()["items"]
    assert kiez and all(o["brand"] == "kiez" for o in kiez)
    assert client.get("/v1/orders", params={"cursor": "x1"}).json()["field"] == "cursor"


def test_unknown_order_is_404(client: TestClient) -> None:
    """A missing order is a typed 404."""
    r = client.get("/v1/orders/NOPE")
    assert r.status_code == 404 and r.json() == {"code": "not_found", "message": "order 'NOPE' does not exist",
                                                "field": "order_id"}


def test_sites_products_and_bom(client: TestClient) -> None:
    """Sites, products, variants and an exploded made-to-measure BOM."""
    assert len(client.get("/v1/sites").json()["items"]) == 8
    assert client.get("/v1/sites/mf-neukoelln").json()["operator"] == "franchise"
    variants = client.get("/v1/products/spree-tee/variants", params={"limit": 500}).json()["items"]
    assert len(variants) == 5 * 3 * 3
    bom = client.get("/v1/products/nordlicht-shirt-mtm/bom",
                     params={"options": "fabric=linen;chest_cm=100;sleeve_cm=60"}).json()
    assert bom["materials"][0] == {"material": "linen", "qty": pytest.approx(0.55 + 0.9 + 0.36), "unit": "m",
                                   "unit_cost": 14.0, "cost": pytest.approx(25.34), "substitutes": ["cotton-poplin"]}
    assert client.get("/v1/products/nordlicht-shirt-mtm/bom", params={"options": "fabric=linen;chest_cm=200"}).status_code == 422


def test_csv_import_is_all_or_nothing(client: TestClient, loaded: Container) -> None:
    """A CSV with one bad row imports nothing and names FILE:LINE; a good one imports once."""
    header = "order_id,brand,product,options,quantity,customer_lat,customer_lon,delivery,due,created\n"
    good = "CSV-1,spree,spree-tote,design=wave,1,52.5,13.4,ship,2026-12-09,2026-12-02T10:00\n"
    bad = "CSV-2,spree,spree-tote,design=zigzag,1,52.5,13.4,ship,2026-12-09,2026-12-02T10:00\n"
    r = client.post("/v1/orders/import", content=header + good + bad, headers={"content-type": "text/csv"})
    assert r.status_code == 422 and r.json()["details"]["problems"][0]["line"] == 3 and _orders(loaded) == 240
    ok = client.post("/v1/orders/import", content=header + good, headers={"content-type": "text/csv"})
    again = client.post("/v1/orders/import", content=header + good, headers={"content-type": "text/csv"})
    assert ok.json() == {"created": 1, "skipped": 0} and again.json() == {"created": 0, "skipped": 1}


def test_shopify_webhook_creates_one_order(client: TestClient, loaded: Container) -> None:
    """A signed orders/create payload becomes an order once, with pickup, due date and decoded SKUs."""
    body = json.dumps(shopify_payload()).encode()
    headers = {"X-Shopify-Hmac-Sha256": sign("shpss_test_secret", body), "content-type": "application/json"}
    first = client.post("/v1/webhooks/shopify/spree", content=body, headers=headers)
    again = client.post("/v1/webhooks/shopify/spree", content=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    order = first.json()
    assert order["id"] == "SHOP-spree-1001" and order["delivery"] == "pickup:st-friedrichshain"
    assert order["due"] == "2026-12-05" and order["created"] == "2026-12-01T09:15:00"
    assert [ln["options"] for ln in order["lines"]] == [{"size": "L", "colour": "sand", "design": "wave"}, {"design": "bear"}]
    assert _orders(loaded) == 241


def test_shopify_forged_signature_is_refused(client: TestClient, loaded: Container) -> None:
    """A wrong or missing signature is 401 bad_signature and stores nothing."""
    body = json.dumps(shopify_payload()).encode()
    forged = client.post("/v1/webhooks/shopify/spree", content=body,
                         headers={"X-Shopify-Hmac-Sha256": sign("wrong", body), "content-type": "application/json"})
    missing = client.post("/v1/webhooks/shopify/spree", content=body, headers={"content-type": "application/json"})
    assert forged.status_code == missing.status_code == 401 and forged.json()["code"] == "bad_signature"
    assert _orders(loaded) == 240


def test_shopify_bad_payload_names_the_field(client: TestClient, loaded: Container) -> None:
    """An unknown SKU or a missing location is a 422 naming the field."""
    for payload, field in [(shopify_payload(line_items=[{"sku": "NOPE-1", "quantity": 1}]), "line_items.sku"),
                           (shopify_payload(shipping_address={}), "shipping_address")]:
        body = json.dumps(payload).encode()
        r = client.post("/v1/webhooks/shopify/spree", content=body,
                        headers={"X-Shopify-Hmac-Sha256": sign("shpss_test_secret", body), "content-type": "application/json"})
        assert r.status_code == 422 and r.json()["field"] == field
    assert _orders(loaded) == 240


def test_openapi_documents_error_statuses(client: TestClient) -> None:
    """The OpenAPI spec lists the typed error responses of the order routes."""
    spec = client.get("/openapi.json").json()
    create = spec["paths"]["/v1/orders"]["post"]["responses"]
    assert {"201", "404", "409", "422"} <= set(create)


def test_create_with_route_places_the_order_at_once(client: TestClient) -> None:
    """POST /v1/orders?route=true stores the order already routed to a site that can make it."""
    r = client.post("/v1/orders", params={"route": "true"}, json=TEE)
    assert r.status_code == 201 and r.json()["status"] == "routed"
    assignment = client.get(f"/v1/orders/{r.json()['id']}/assignment").json()
    assert assignment["items"][0]["site_id"] in ("mf-neukoelln", "mf-spandau-ondemand")
