"""Base for carriers behind an HTTP API: injected client, timeouts, bounded retries, typed errors.

Retries (with exponential back-off) happen on timeouts, connection errors, 429 and 5xx;
a 404 raises :class:`ShipmentNotFound`, any other 4xx :class:`CarrierRejected` at once;
when retries run out, :class:`CarrierUnavailable`. :class:`JsonHttpCarrier` speaks a small
JSON API (``POST /quotes``, ``POST /shipments``, ``GET /shipments/{n}/events``); a real
carrier subclasses :class:`HttpCarrier` and maps its own payloads the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from microfactory.adapters.carriers.port import (
    CarrierRejected,
    CarrierUnavailable,
    Label,
    ShipmentNotFound,
    ShipmentRequest,
    TrackingEvent,
)
from microfactory.engines.delivery import CarrierQuote
from microfactory.errors import InvalidInput

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class HttpCarrier:
    """Sends requests through ``client`` and turns failures into typed carrier errors."""

    def __init__(self, name: str, client: httpx.Client, *, timeout_s: float = 10.0, max_retries: int = 3,
                 backoff_s: float = 0.5, sleep: Callable[[float], None] = time.sleep) -> None:
        if timeout_s <= 0 or max_retries < 0 or backoff_s < 0:
            raise InvalidInput("timeout must be positive, retries and back-off not negative", field="timeout_s")
        self.name = name
        self._client = client
        self._timeout = timeout_s
        self._max_retries = max_retries
        self._backoff = backoff_s
        self._sleep = sleep

    def _send(self, method: str, path: str, body: dict[str, Any] | None) -> httpx.Response | str:
        try:
            response = self._client.request(method, path, json=body, timeout=self._timeout)
        except httpx.TimeoutException:
            return "timed out"
        except httpx.TransportError as exc:
            return f"connection failed: {type(exc).__name__}"
        if response.status_code in RETRY_STATUSES:
            return f"HTTP {response.status_code}"
        return response

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """The decoded JSON answer; retried up to ``max_retries`` times on transient failures."""
        failures: list[str] = []
        for attempt in range(self._max_retries + 1):
            if attempt:
                self._sleep(self._backoff * 2 ** (attempt - 1))
            outcome = self._send(method, path, body)
            if isinstance(outcome, str):
                failures.append(outcome)
                continue
            return self._decode(outcome, method, path)
        raise CarrierUnavailable(f"{self.name}: {method} {path} failed {len(failures)} times ({'; '.join(failures)})",
                                 details={"attempts": failures})

    def _decode(self, response: httpx.Response, method: str, path: str) -> Any:
        if response.status_code == 404:
            raise ShipmentNotFound(f"{self.name}: {method} {path} not found", details={"status": 404})
        if 400 <= response.status_code < 500:
            raise CarrierRejected(f"{self.name} rejected {method} {path}: HTTP {response.status_code} "
                                  f"{response.text[:200]}", details={"status": response.status_code})
        try:
            return response.json()
        except ValueError as exc:
            raise CarrierUnavailable(f"{self.name}: {method} {path} answered invalid JSON") from exc


class JsonHttpCarrier(HttpCarrier):
    """A carrier speaking the small JSON API described in the module docstring."""

    def quote(self, request: ShipmentRequest) -> list[CarrierQuote]:
        body = self.request("POST", "/quotes", request.as_dict())
        try:
            return [CarrierQuote(self.name, str(q["service"]), float(q["price"]), int(q["transit_days"]),
                                 int(q.get("cutoff_minute", 17 * 60))) for q in body["quotes"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise CarrierUnavailable(f"{self.name}: malformed quote answer ({exc})") from exc

    def create_shipment(self, request: ShipmentRequest) -> Label:
        body = self.request("POST", "/shipments", request.as_dict())
        try:
            return Label(self.name, str(body["tracking_number"]), request.order_id, request.service,
                         str(body.get("label", "")), body.get("label_url"))
        except (KeyError, TypeError) as exc:
            raise CarrierUnavailable(f"{self.name}: malformed shipment answer ({exc})") from exc

    def track(self, tracking_number: str) -> list[TrackingEvent]:
        body = self.request("GET", f"/shipments/{tracking_number}/events")
        try:
            return [TrackingEvent(tracking_number, str(e["status"]), datetime.fromisoformat(str(e["at"])),
                                  str(e.get("location", "")), str(e.get("note", ""))) for e in body["events"]]
        except (KeyError, TypeError, ValueError, InvalidInput) as exc:
            raise CarrierUnavailable(f"{self.name}: malformed tracking answer ({exc})") from exc
