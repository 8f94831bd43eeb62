"""The fast paths of order intake keep the slow paths' answers: cached tokens, optimistic inserts."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select

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


# --- one statement per order on PostgreSQL (adapters/db/one_statement.py) ---------------------------


def _statements_during(action: Any) -> list[str]:
    """Every statement any engine (the sync one and the API's asyncio one) sends during ``action``."""
    seen: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", listen)
    try:
        action()
    finally:
        event.remove(Engine, "before_cursor_execute", listen)
    return seen


def test_a_new_order_on_postgresql_is_one_statement(loaded: Container) -> None:
    """With the reference data cached, an order (lines, events, key, audit) is one round trip on
    PostgreSQL; SQLite keeps its transaction of several statements."""
    with TestClient(create_app(loaded)) as client:  # one event loop (and asyncio pool) for the client
        assert client.post("/v1/orders", json=TEE, headers={"Idempotency-Key": "one-0"}).status_code == 201
        statements = _statements_during(lambda: client.post("/v1/orders", json=TEE,
                                                            headers={"Idempotency-Key": "one-1"}))
    if loaded.engine.dialect.name == "postgresql":
        assert len(statements) == 1 and statements[0].startswith("WITH w0 AS (INSERT INTO orders")
    else:
        assert len(statements) >= 5 and not any(s.startswith("WITH w0") for s in statements)


def _stored(c: Container, order_id: str) -> dict[str, Any]:
    """Everything intake stored for an order, with its own ids and keys taken out."""
    with c.engine.connect() as conn:
        order = dict(conn.execute(select(t.orders).where(t.orders.c.id == order_id)).one()._mapping)
        lines = [dict(r._mapping) for r in conn.execute(select(t.order_lines).where(t.order_lines.c.order_id == order_id)
                                                        .order_by(t.order_lines.c.position))]
        events = [dict(r._mapping) for r in conn.execute(select(t.order_events).where(t.order_events.c.order_id == order_id)
                                                         .order_by(t.order_events.c.id))]
        audit = [dict(r._mapping) for r in conn.execute(select(t.audit_log).where(t.audit_log.c.entity_id == order_id))]
        keys = [dict(r._mapping) for r in conn.execute(select(t.idempotency_keys).where(
            t.idempotency_keys.c.response["order_id"].as_string() == order_id))]
    for row in [order] + lines + events + audit + keys:
        for col in ("seq", "id", "order_id", "key", "entity_id", "response"):
            row.pop(col, None)
        if row.get("line_id"):
            row["line_id"] = row["line_id"].replace(order_id, "ORDER")
    return {"order": order, "lines": lines, "events": events, "audit": audit, "keys": keys}


def test_the_one_statement_path_stores_what_the_ordinary_path_stores(loaded: Container) -> None:
    """An order through the ordinary transaction (nothing cached yet) and one as a single statement
    (PostgreSQL, cache warm) leave the same rows, column by column, in every table intake writes."""
    client = TestClient(create_app(loaded))  # no lifespan: the first request finds nothing cached
    body = dict(TEE, lines=TEE["lines"] + [{"product": "spree-tote", "options": {"design": "wave"}, "quantity": 3}])
    first = client.post("/v1/orders", json=body, headers={"Idempotency-Key": "same-1"})
    answers = []
    sent = _statements_during(lambda: answers.append(client.post("/v1/orders", json=body,
                                                                 headers={"Idempotency-Key": "same-2"})))
    second = answers[0]
    assert (first.status_code, second.status_code) == (201, 201)
    if loaded.engine.dialect.name == "postgresql":
        assert len(sent) == 1  # the second went in as one statement
    a, b = _stored(loaded, first.json()["id"]), _stored(loaded, second.json()["id"])
    assert len(a["lines"]) == 2 and len(a["events"]) == 4 and len(a["audit"]) == 1 and len(a["keys"]) == 1
    assert a == b


def _one_statement(c: Container, fn: Any) -> Any:
    """try_one_statement on an event loop of its own, its asyncio pool closed afterwards."""
    from microfactory.entrypoints.api.writes import try_one_statement

    async def go() -> Any:
        try:
            return await try_one_statement(c, fn)
        finally:
            await c.close_async()

    return asyncio.run(go())


def _request() -> Any:
    from microfactory.services.intake import LineRequest, OrderRequest

    return OrderRequest("spree", (LineRequest("spree-tee", {"size": "M", "colour": "black", "design": "bear"}, 1),),
                        52.5, 13.4)


def test_a_stale_reference_writes_nothing_and_the_ordinary_path_takes_over(loaded: Container) -> None:
    """Another process bumps the reference version after this one cached it: the guarded statement
    inserts nothing (try_one_statement answers None) and the ordinary path then stores the order."""
    from microfactory.services.intake import create_order

    client = TestClient(create_app(loaded))
    assert client.post("/v1/orders", json=TEE, headers={"Idempotency-Key": "st-0"}).status_code == 201  # warm
    tables = (t.orders, t.order_lines, t.idempotency_keys, t.audit_log)

    def fn(uow: Any, ref: Any) -> Any:
        return create_order(uow, _request(), now=NOW, idempotency_key="st-1", network=ref.network,
                            catalog=ref.catalog, look_first=False, subscriptions=ref.subscriptions)

    if loaded.engine.dialect.name == "postgresql":  # first a fresh cache: it goes in
        assert _one_statement(loaded, fn).created is True
    with loaded.uow() as uow:
        uow.network.bump_version()
        uow.commit()
    before = [_count(loaded, tbl) for tbl in tables]
    assert _one_statement(loaded, lambda uow, ref: fn(uow, ref)) is None
    assert [_count(loaded, tbl) for tbl in tables] == before
    r = client.post("/v1/orders", json=TEE, headers={"Idempotency-Key": "st-2"})
    assert r.status_code == 201 and _count(loaded, t.orders) == before[0] + 1


def test_one_statement_is_all_or_nothing(loaded: Container) -> None:
    """A row the database refuses (a line of a product that does not exist) takes the order, its
    other lines and everything else of the statement with it. SQLite has no asyncio engine."""
    from sqlalchemy.exc import IntegrityError

    from microfactory.adapters.db.engine import make_async_engine
    from microfactory.adapters.db.uow import CollectingUnitOfWork

    engine = make_async_engine(loaded.settings.database_url)
    if loaded.engine.dialect.name != "postgresql":
        assert engine is None
        return
    before = [_count(loaded, tbl) for tbl in (t.orders, t.order_lines, t.audit_log)]
    uow = CollectingUnitOfWork()
    uow.batch.add(t.orders, {"id": "ORD-BROKEN", "brand_id": "spree", "external_id": None, "channel": "api",
                             "status": "validated", "customer_lat": 52.5, "customer_lon": 13.4,
                             "customer_ref": "", "delivery": "ship", "due": NOW.date(), "created_at": NOW,
                             "keep_together": False, "version": 1})
    line = {"order_id": "ORD-BROKEN", "position": 0, "product_id": "spree-tee", "sku": "x", "options": {},
            "quantity": 1, "unit_price": 1.0, "status": "validated", "site_id": None}
    uow.batch.add(t.order_lines, [dict(line, id="ORD-BROKEN-1"),
                                  dict(line, id="ORD-BROKEN-2", position=1, product_id="no-such-product")])
    uow.audit.add("test", "order.create", "order", "ORD-BROKEN", {}, NOW)

    async def go() -> None:
        try:
            async with engine.connect() as conn:
                await uow.batch.send_async(conn)
        finally:
            await engine.dispose()

    with pytest.raises(IntegrityError):
        asyncio.run(go())
    assert [_count(loaded, tbl) for tbl in (t.orders, t.order_lines, t.audit_log)] == before


def test_a_collecting_unit_of_work_never_reads(loaded: Container) -> None:
    """Reads and updates in a collecting unit of work raise NeedsDatabase (the caller falls back);
    a replayed key with an invalid body therefore takes the ordinary path and gets its 409."""
    from microfactory.adapters.db.one_statement import NeedsDatabase
    from microfactory.adapters.db.uow import CollectingUnitOfWork

    uow = CollectingUnitOfWork()
    with pytest.raises(NeedsDatabase):
        uow.orders.get("ORD-1")
    with pytest.raises(NeedsDatabase):
        uow.orders.set_line_site("ORD-1-1", None)
    assert not uow.batch
    client = TestClient(create_app(loaded))
    assert client.post("/v1/orders", json=TEE, headers={"Idempotency-Key": "nr-1"}).status_code == 201
    bad = dict(TEE, lines=[{"product": "kiez-jean", "options": {}, "quantity": 1}])
    r = client.post("/v1/orders", json=bad, headers={"Idempotency-Key": "nr-1"})
    assert r.status_code == 409 and r.json()["code"] == "idempotency_mismatch"


def test_concurrent_misses_of_one_token_share_one_lookup(loaded: Container) -> None:
    """Twenty requests whose token is not (or no longer) cached, at once on one event loop: one
    database lookup between them, and all twenty get the principal; an unknown token's concurrent
    requests share one refusal each time and are never cached."""
    from microfactory.entrypoints.api.deps import get_principal
    from microfactory.errors import Unauthenticated

    c, _tick = _cached(loaded, 60.0)
    secret, _token_id = _token(c)

    async def many(auth_header: str) -> list[Any]:
        return await asyncio.gather(*[get_principal(c, auth_header) for _ in range(20)], return_exceptions=True)

    def lookups(action: Any) -> int:
        return sum("api_tokens" in s for s in _statements_during(action))

    answers: list[Any] = []
    assert lookups(lambda: answers.extend(asyncio.run(many(f"Bearer {secret}")))) == 1
    assert len(answers) == 20 and all(a.role.value == "admin" for a in answers)
    assert c.token_lookups == {}
    refused: list[Any] = []
    assert lookups(lambda: refused.extend(asyncio.run(many("Bearer mf_nope")))) == 1
    assert len(refused) == 20 and all(isinstance(r, Unauthenticated) for r in refused)
    assert len(c.tokens._entries) == 1  # the good token only
    assert lookups(lambda: asyncio.run(many("Bearer mf_nope"))) == 1  # refused again, not remembered
