"""Outgoing webhooks: outbox in the change's transaction, HMAC signatures, retries with back-off, delivery log."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from microfactory.adapters.http_sender import HttpSender
from microfactory.bootstrap import Container
from microfactory.domain.orders import OrderStatus, advance_order
from microfactory.entrypoints.api.app import create_app
from microfactory.services import webhooks
from tests.conftest import NOW


class Receiver:
    """A real HTTP server on 127.0.0.1 that records posts and answers a chosen status."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                outer.received.append(({k: v for k, v in self.headers.items()}, body))
                self.send_response(outer.status)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


def _subscribe(c: Container, url: str, brand: str | None = None) -> dict[str, Any]:
    with c.uow() as uow:
        sub = webhooks.subscribe(uow, url=url, events=["order.status_changed"], brand=brand, now=NOW,
                                 secret="a-long-shared-secret-123")
        uow.commit()
    return sub


def _route(c: Container, order_id: str) -> None:
    with c.uow() as uow:
        order = uow.orders.get(order_id)
        order, events = advance_order(order, OrderStatus.ROUTED, NOW, "test")
        uow.orders.save_status(order, events)
        uow.commit()


def test_status_change_is_delivered_signed(loaded: Container, receiver: Receiver) -> None:
    """An order status change reaches the subscriber once, with a valid HMAC-SHA256 signature."""
    _subscribe(loaded, receiver.url)
    _route(loaded, "BER-000001")
    counts = webhooks.deliver_due(loaded.uow, HttpSender(timeout_s=2), NOW)
    assert counts == {"delivered": 1, "retried": 0, "failed": 0}
    headers, body = receiver.received[0]
    expected = "sha256=" + hmac.new(b"a-long-shared-secret-123", body, hashlib.sha256).hexdigest()
    assert headers["X-Microfactory-Signature"] == expected
    assert json.loads(body) | {"at": None} == {"event": "order.status_changed", "order_id": "BER-000001",
                                               "brand": "nordlicht", "from": "validated", "to": "routed",
                                               "at": None, "reason": "test"}
    assert webhooks.deliver_due(loaded.uow, HttpSender(timeout_s=2), NOW + timedelta(hours=1))["delivered"] == 0


def test_failures_are_retried_with_backoff_then_given_up(loaded: Container, receiver: Receiver) -> None:
    """A 500 is retried after 30 s, 1 min, 2 min...; after the last attempt the delivery is failed and logged."""
    _subscribe(loaded, receiver.url)
    _route(loaded, "BER-000001")
    receiver.status = 500
    send = HttpSender(timeout_s=2)
    assert webhooks.deliver_due(loaded.uow, send, NOW, max_attempts=3)["retried"] == 1
    assert webhooks.deliver_due(loaded.uow, send, NOW + timedelta(seconds=29), max_attempts=3)["retried"] == 0
    assert webhooks.deliver_due(loaded.uow, send, NOW + timedelta(seconds=30), max_attempts=3)["retried"] == 1
    assert webhooks.deliver_due(loaded.uow, send, NOW + timedelta(seconds=91), max_attempts=3)["failed"] == 1
    with loaded.uow() as uow:
        log = uow.webhooks.log()
    assert [(r["status"], r["attempts"], r["last_status_code"]) for r in log] == [("failed", 3, 500)]
    assert len(receiver.received) == 3


def test_rolled_back_change_sends_nothing(loaded: Container, receiver: Receiver) -> None:
    """The outbox row is written in the change's transaction: a rollback leaves nothing to send."""
    _subscribe(loaded, receiver.url)
    with loaded.uow() as uow:
        order = uow.orders.get("BER-000001")
        order, events = advance_order(order, OrderStatus.ROUTED, NOW, "never committed")
        uow.orders.save_status(order, events)
    assert webhooks.deliver_due(loaded.uow, HttpSender(timeout_s=2), NOW) == {"delivered": 0, "retried": 0, "failed": 0}


def test_brand_subscription_gets_only_its_brand(loaded: Container, receiver: Receiver) -> None:
    """A brand's subscription never receives another brand's events."""
    _subscribe(loaded, receiver.url, brand="spree")
    _route(loaded, "BER-000001")  # nordlicht
    _route(loaded, "BER-000002")  # spree
    webhooks.deliver_due(loaded.uow, HttpSender(timeout_s=2), NOW)
    assert [json.loads(b)["order_id"] for _, b in receiver.received] == ["BER-000002"]


def test_unreachable_subscriber_is_recorded_not_raised(loaded: Container) -> None:
    """A connection error is logged as an attempt and retried later."""
    _subscribe(loaded, "http://127.0.0.1:9/nothing-listens-here")
    _route(loaded, "BER-000001")
    assert webhooks.deliver_due(loaded.uow, HttpSender(timeout_s=1), NOW)["retried"] == 1
    with loaded.uow() as uow:
        assert "ConnectError" in (uow.webhooks.log()[0]["last_error"] or "")


def test_api_subscribe_list_and_log(loaded: Container, receiver: Receiver) -> None:
    """The API creates a subscription (secret once), lists it without the secret and shows its log."""
    client = TestClient(create_app(loaded))
    r = client.post("/v1/webhook-subscriptions", json={"url": receiver.url, "events": ["order.status_changed"]},
                    headers={"Idempotency-Key": "s1"})
    assert r.status_code == 201 and r.json()["secret"]
    again = client.post("/v1/webhook-subscriptions", json={"url": receiver.url, "events": ["order.status_changed"]},
                        headers={"Idempotency-Key": "s1"})
    assert again.json()["id"] == r.json()["id"]
    listed = client.get("/v1/webhook-subscriptions").json()["items"]
    assert len(listed) == 1 and "secret" not in listed[0]
    bad = client.post("/v1/webhook-subscriptions", json={"url": "ftp://x", "events": ["order.status_changed"]})
    assert bad.status_code == 422 and bad.json()["field"] == "url"
    _route(loaded, "BER-000003")
    webhooks.deliver_due(loaded.uow, HttpSender(timeout_s=2), NOW)
    log = client.get(f"/v1/webhook-subscriptions/{r.json()['id']}/deliveries").json()["items"]
    assert [x["status"] for x in log] == ["delivered"]


def test_backoff_doubles_and_is_capped() -> None:
    """Back-off is 30 s, 60 s, 120 s ... capped at one hour."""
    assert [webhooks.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert webhooks.backoff(20) == timedelta(hours=1)
