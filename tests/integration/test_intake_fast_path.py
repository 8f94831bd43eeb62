"""The fast paths of order intake keep the slow paths' answers: cached tokens, optimistic inserts."""

from __future__ import annotations

from dataclasses import replace

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from microfactory.adapters.db import tables as t
from microfactory.bootstrap import Container
from microfactory.entrypoints.api.app import create_app
from microfactory.services import auth
from microfactory.services.auth import TokenCache
from tests.conftest import NOW

TEE = {"brand": "spree", "lines": [{"product": "spree-tee", "options": {"size": "M", "colour": "black", "design": "bear"},
                                    "quantity": 1}], "customer": {"lat": 52.5, "lon": 13.4}}


class Ticker:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def _count(c: Container, table: object) -> int:
    with c.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def _cached(loaded: Container, ttl: float) -> tuple[Container, Ticker]:
    c = Container(replace(loaded.settings, require_auth=True, token_cache_s=ttl), loaded.engine, loaded.clock)
    tick = Ticker()
    c.tokens = TokenCache(ttl, monotonic=tick)
    return c, tick


def _token(c: Container) -> tuple[str, str]:
    with c.uow() as uow:
        secret, info = auth.create_token(uow, name="cached", role="admin", now=NOW)
        uow.commit()
    return secret, info["id"]


def test_a_revocation_elsewhere_is_honoured_once_the_ttl_has_passed(loaded: Container) -> None:
    """Revoked in the database by another process: still accepted within the TTL, 401 after it."""
    c, tick = _cached(loaded, 2.0)
    secret, token_id = _token(c)
    client = TestClient(create_app(c))
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/v1/orders", headers=headers).status_code == 200
    with c.uow() as uow:  # as the CLI would, without this process's cache
        auth.revoke_token(uow, token_id, NOW)
        uow.commit()
    tick.t += 1.0
    assert client.get("/v1/orders", headers=headers).status_code == 200
    tick.t += 1.5
    r = client.get("/v1/orders", headers=headers)
    assert r.status_code == 401 and "revoked" in r.json()["message"]


def test_a_revocation_through_the_cache_is_honoured_at_once(loaded: Container) -> None:
    """revoke_token(..., cache=) makes this process refuse the token on the next request."""
    c, _tick = _cached(loaded, 60.0)
    secret, token_id = _token(c)
    client = TestClient(create_app(c))
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.post("/v1/orders", json=TEE, headers=headers).status_code == 201
    with c.uow() as uow:
        auth.revoke_token(uow, token_id, NOW, cache=c.tokens)
        uow.commit()
    before = _count(c, t.orders)
    assert client.post("/v1/orders", json=TEE, headers=headers).status_code == 401
    assert _count(c, t.orders) == before


def test_unknown_tokens_are_never_cached(loaded: Container) -> None:
    """An unknown token is looked up (and refused) on every request, never remembered."""
    c, _tick = _cached(loaded, 60.0)
    client = TestClient(create_app(c))
    for _ in range(2):
        assert client.get("/v1/orders", headers={"Authorization": "Bearer mf_nope"}).status_code == 401
    assert c.tokens._entries == {}


def test_replays_on_the_optimistic_path_answer_as_before(loaded: Container) -> None:
    """Same key: 200 with the first order; same key and another body: 409; an invalid body under a
    used key: 409 too; nothing extra stored in orders, idempotency keys or the audit log."""
    client = TestClient(create_app(loaded))
    first = client.post("/v1/orders", json=TEE, headers={"Idempotency-Key": "opt-1"})
    assert first.status_code == 201
    counts = [_count(loaded, tbl) for tbl in (t.orders, t.idempotency_keys, t.audit_log, t.order_events)]
    again = client.post("/v1/orders", json=TEE, headers={"Idempotency-Key": "opt-1"})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    other = dict(TEE, customer={"lat": 52.6, "lon": 13.4})
    assert client.post("/v1/orders", json=other, headers={"Idempotency-Key": "opt-1"}).json()["code"] == \
        "idempotency_mismatch"
    bad = dict(TEE, lines=[{"product": "kiez-jean", "options": {}, "quantity": 1}])
    r = client.post("/v1/orders", json=bad, headers={"Idempotency-Key": "opt-1"})
    assert r.status_code == 409 and r.json()["code"] == "idempotency_mismatch"
    other_ext = dict(TEE, external_id="ext-9")
    assert client.post("/v1/orders", json=other_ext, headers={"Idempotency-Key": "opt-1"}).status_code == 409
    assert [_count(loaded, tbl) for tbl in (t.orders, t.idempotency_keys, t.audit_log, t.order_events)] == counts


def test_an_external_id_replay_under_a_new_key_returns_the_first_order(loaded: Container) -> None:
    """The brand + external id unique key stops a second order when the Idempotency-Key differs."""
    client = TestClient(create_app(loaded))
    body = dict(TEE, external_id="shop-77")
    first = client.post("/v1/orders", json=body, headers={"Idempotency-Key": "k-1"})
    second = client.post("/v1/orders", json=body, headers={"Idempotency-Key": "k-2"})
    assert (first.status_code, second.status_code) == (201, 200) and first.json()["id"] == second.json()["id"]


def _outbox(c: Container) -> int:
    from microfactory.adapters.db.tables_webhooks import webhook_deliveries

    return _count(c, webhook_deliveries)


def test_cached_subscriptions_follow_subscribe_and_unsubscribe(loaded: Container) -> None:
    """Intake caches the active webhook subscriptions, yet an order placed right after a subscribe
    (through the API) is in the outbox, and one placed after the unsubscribe is not."""
    client = TestClient(create_app(loaded))
    assert client.post("/v1/orders", json=TEE, headers={"Idempotency-Key": "w-0"}).status_code == 201  # cache warm
    assert _outbox(loaded) == 0
    sub = client.post("/v1/webhook-subscriptions", json={"url": "http://127.0.0.1:9/hook",
                                                         "events": ["order.status_changed"]})
    assert sub.status_code in (200, 201)
    assert client.post("/v1/orders", json=TEE, headers={"Idempotency-Key": "w-1"}).status_code == 201
    assert _outbox(loaded) == 1
    assert client.delete(f"/v1/webhook-subscriptions/{sub.json()['id']}").status_code in (200, 204)
    assert client.post("/v1/orders", json=TEE, headers={"Idempotency-Key": "w-2"}).status_code == 201
    assert _outbox(loaded) == 1
