"""Tokens, roles and tenant isolation on the order and catalog routes."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from microfactory.bootstrap import Container
from microfactory.entrypoints.api.app import create_app
from microfactory.services import auth
from microfactory.services.clock import FixedClock
from tests.conftest import NOW

TEE = {"brand": "spree", "lines": [{"product": "spree-tee", "options": {"size": "M", "colour": "black", "design": "bear"},
                                    "quantity": 1}], "customer": {"lat": 52.5, "lon": 13.4}}


@pytest.fixture
def secured(loaded: Container) -> Container:
    """The example with auth required and one token per role."""
    return Container(replace(loaded.settings, require_auth=True), loaded.engine, loaded.clock)


def token(c: Container, role: str, **kw: str) -> dict[str, str]:
    with c.uow() as uow:
        secret, _ = auth.create_token(uow, name=f"t-{role}-{kw}", role=role, now=NOW, **kw)  # type: ignore[arg-type]
        uow.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_no_token_is_401_when_auth_is_required(secured: Container) -> None:
    """Without a token every /v1 route answers 401 unauthenticated."""
    client = TestClient(create_app(secured))
    for path in ("/v1/orders", "/v1/sites", "/v1/products"):
        r = client.get(path)
        assert r.status_code == 401 and r.json()["code"] == "unauthenticated"


def test_brand_sees_only_its_own_orders_and_products(secured: Container) -> None:
    """A brand token lists only its orders and products; another brand's order is 404, its filter 403."""
    client = TestClient(create_app(secured))
    kiez = token(secured, "brand", brand="kiez")
    orders = client.get("/v1/orders", params={"limit": 200}, headers=kiez).json()["items"]
    assert orders and {o["brand"] for o in orders} == {"kiez"}
    products = client.get("/v1/products", headers=kiez).json()["items"]
    assert {p["brand"] for p in products} == {"kiez"}
    other = client.get("/v1/orders", params={"brand": "spree"}, headers=kiez)
    assert other.status_code == 403
    spree_order = client.get("/v1/orders", params={"brand": "spree", "limit": 1},
                             headers=token(secured, "admin")).json()["items"][0]["id"]
    assert client.get(f"/v1/orders/{spree_order}", headers=kiez).status_code == 404
    assert client.get(f"/v1/orders/{spree_order}/events", headers=kiez).status_code == 404
    assert client.get("/v1/products/spree-tee", headers=kiez).status_code == 404


def test_brand_cannot_create_another_brands_order(secured: Container) -> None:
    """Creating an order for another brand is 403; for its own brand 201."""
    client = TestClient(create_app(secured))
    assert client.post("/v1/orders", json=TEE, headers=token(secured, "brand", brand="kiez")).status_code == 403
    assert client.post("/v1/orders", json=TEE, headers=token(secured, "brand", brand="spree")).status_code == 201


def test_site_operator_sees_only_orders_made_at_its_site(secured: Container) -> None:
    """A site operator lists orders with a line at its site only."""
    with secured.uow() as uow:
        uow.orders.set_line_site("BER-000002-1", "mf-neukoelln")
        uow.commit()
    client = TestClient(create_app(secured))
    op = token(secured, "site_operator", site="mf-neukoelln")
    ids = [o["id"] for o in client.get("/v1/orders", headers=op).json()["items"]]
    assert ids == ["BER-000002"]
    assert client.get("/v1/orders/BER-000001", headers=op).status_code == 404
    assert client.post("/v1/orders", json=TEE, headers=op).status_code == 403


def test_public_role_is_refused(secured: Container) -> None:
    """A public token cannot read orders, sites or products."""
    client = TestClient(create_app(secured))
    pub = token(secured, "public")
    assert {client.get(p, headers=pub).status_code for p in ("/v1/orders", "/v1/sites", "/v1/products")} == {403}


def test_expired_and_revoked_tokens_are_refused(secured: Container) -> None:
    """A token past its expiry or revoked is 401; a malformed header too."""
    headers = token(secured, "admin")
    later = Container(secured.settings, secured.engine, FixedClock(NOW + timedelta(days=91)))
    assert TestClient(create_app(later)).get("/v1/orders", headers=headers).status_code == 401
    client = TestClient(create_app(secured))
    assert client.get("/v1/orders", headers=headers).status_code == 200
    with secured.uow() as uow:
        token_id = uow.auth.tokens()[-1]["id"]
        auth.revoke_token(uow, token_id, NOW)
        uow.commit()
    r = client.get("/v1/orders", headers=headers)
    assert r.status_code == 401 and "revoked" in r.json()["message"]
    assert client.get("/v1/orders", headers={"Authorization": "Basic abc"}).status_code == 401


def test_tokens_are_stored_hashed(secured: Container) -> None:
    """The secret never appears in the database, only its SHA-256."""
    header = token(secured, "admin")["Authorization"].split()[1]
    with secured.engine.connect() as conn:
        dump = "\n".join(str(r) for r in conn.exec_driver_sql("SELECT * FROM api_tokens"))
    assert header not in dump and len(dump) > 0


def test_passwords_are_hashed_and_checked(secured: Container) -> None:
    """A dashboard user logs in with the right password only."""
    with secured.uow() as uow:
        auth.create_user(uow, username="ana", password="s3cret-pass", role="brand", brand="kiez", now=NOW)
        uow.commit()
    with secured.uow() as uow:
        assert auth.login(uow, "ana", "s3cret-pass").brand == "kiez"
        with pytest.raises(Exception) as err:
            auth.login(uow, "ana", "wrong-password")
    assert "wrong user name or password" in str(err.value)
