"""The HTTP carrier base against a real local HTTP server (127.0.0.1)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from microfactory.adapters.carriers import (
    CarrierRejected,
    CarrierUnavailable,
    JsonHttpCarrier,
    Party,
    ShipmentNotFound,
    ShipmentRequest,
)
from microfactory.domain.geo import Location

REQUEST = ShipmentRequest("o-1", Party("MF", Location(51.5, -0.1)), Party("Ann", Location(51.6, -0.1)), 2.0)
QUOTES = {"quotes": [{"service": "48h", "price": 5.2, "transit_days": 2}]}


class Script:
    """Responses the server gives in turn (the last one repeats), and the paths it saw."""

    def __init__(self) -> None:
        self.replies: list[tuple[int, object, float]] = []
        self.paths: list[str] = []

    def next(self, path: str) -> tuple[int, object, float]:
        self.paths.append(path)
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


@pytest.fixture()
def server() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def _reply(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            status, body, delay = script.next(f"{self.command} {self.path}")
            time.sleep(delay)
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        do_GET = do_POST = _reply

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.block_on_close = False
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", script
    httpd.shutdown()
    httpd.server_close()


def carrier(url: str, sleeps: list[float], timeout: float = 2.0) -> JsonHttpCarrier:
    return JsonHttpCarrier("acme", httpx.Client(base_url=url), timeout_s=timeout, max_retries=2, backoff_s=0.01,
                           sleep=sleeps.append)


def test_retries_5xx_with_back_off_then_succeeds(server: tuple[str, Script]) -> None:
    """Two 503 answers are retried after 0.01 s and 0.02 s; the third answer's quote is returned."""
    url, script = server
    script.replies = [(503, {}, 0), (503, {}, 0), (200, QUOTES, 0)]
    sleeps: list[float] = []
    quotes = carrier(url, sleeps).quote(REQUEST)
    assert [(q.service, q.price) for q in quotes] == [("48h", 5.2)]
    assert sleeps == [0.01, 0.02] and script.paths == ["POST /quotes"] * 3


def test_persistent_5xx_ends_in_carrier_unavailable(server: tuple[str, Script]) -> None:
    """With 2 retries, three 500 answers give CarrierUnavailable listing each attempt."""
    url, script = server
    script.replies = [(500, {}, 0)]
    with pytest.raises(CarrierUnavailable) as err:
        carrier(url, []).create_shipment(REQUEST)
    assert len(script.paths) == 3 and err.value.details["attempts"] == ["HTTP 500"] * 3


def test_timeouts_are_retried_then_unavailable(server: tuple[str, Script]) -> None:
    """An answer slower than the timeout counts as a failure and is retried."""
    url, script = server
    script.replies = [(200, QUOTES, 0.5)]
    with pytest.raises(CarrierUnavailable) as err:
        carrier(url, [], timeout=0.1).quote(REQUEST)
    assert err.value.details["attempts"] == ["timed out"] * 3


def test_4xx_is_rejected_at_once_without_retry(server: tuple[str, Script]) -> None:
    """A 422 answer raises CarrierRejected after a single request."""
    url, script = server
    script.replies = [(422, {"error": "postcode"}, 0)]
    with pytest.raises(CarrierRejected) as err:
        carrier(url, []).create_shipment(REQUEST)
    assert len(script.paths) == 1 and err.value.details["status"] == 422 and "postcode" in err.value.message


def test_tracking_reads_events_and_404_is_not_found(server: tuple[str, Script]) -> None:
    """Events are parsed from the answer; an unknown tracking number is ShipmentNotFound."""
    url, script = server
    script.replies = [(200, {"events": [{"status": "shipped", "at": "2025-03-03T17:00:00"},
                                        {"status": "delivered", "at": "2025-03-04T10:00:00"}]}, 0),
                      (404, {}, 0)]
    acme = carrier(url, [])
    assert [e.status for e in acme.track("T1")] == ["shipped", "delivered"]
    with pytest.raises(ShipmentNotFound):
        acme.track("T2")
    assert script.paths == ["GET /shipments/T1/events", "GET /shipments/T2/events"]
