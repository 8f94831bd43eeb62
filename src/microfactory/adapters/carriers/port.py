"""The carrier port: quote, create a shipment (a label), track it; plus its typed errors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from microfactory.domain.geo import Location
from microfactory.engines.delivery import CarrierQuote
from microfactory.errors import ErrorCode, ExternalServiceError, InvalidInput

#: Tracking statuses in the order a shipment normally passes them.
TRACKING_STATUSES = ("label_created", "shipped", "in_transit", "out_for_delivery", "delivered",
                     "exception", "returned")


class CarrierError(ExternalServiceError):
    """A carrier could not do what was asked."""


class CarrierUnavailable(CarrierError):
    """The carrier did not answer usefully (timeouts, 5xx) after the allowed retries."""


class CarrierRejected(CarrierError):
    """The carrier refused the request (HTTP 4xx or an equivalent business rule)."""

    code = ErrorCode.INVALID_INPUT


class ShipmentNotFound(CarrierError):
    """The carrier does not know this tracking number."""

    code = ErrorCode.NOT_FOUND


@dataclass(frozen=True, slots=True)
class Party:
    """Sender or recipient of a parcel."""

    name: str
    location: Location
    address: str = ""


@dataclass(frozen=True, slots=True)
class ShipmentRequest:
    """What to ship, from where to where."""

    order_id: str
    sender: Party
    recipient: Party
    weight_kg: float
    service: str = "standard"
    reference: str = ""

    def __post_init__(self) -> None:
        if not self.order_id:
            raise InvalidInput("a shipment needs an order id", field="order_id")
        if self.weight_kg <= 0:
            raise InvalidInput("shipment weight must be positive", field="weight_kg")

    def as_dict(self) -> dict[str, Any]:
        def party(p: Party) -> dict[str, Any]:
            return {"name": p.name, "lat": p.location.lat, "lon": p.location.lon, "address": p.address}

        return {"order_id": self.order_id, "sender": party(self.sender), "recipient": party(self.recipient),
                "weight_kg": self.weight_kg, "service": self.service, "reference": self.reference}


@dataclass(frozen=True, slots=True)
class Label:
    """A created shipment: its tracking number and the label (path and/or text content)."""

    carrier: str
    tracking_number: str
    order_id: str
    service: str
    content: str
    path: str | None = None


@dataclass(frozen=True, slots=True)
class TrackingEvent:
    """One step of a shipment's journey."""

    tracking_number: str
    status: str
    at: datetime
    location: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        if self.status not in TRACKING_STATUSES:
            raise InvalidInput(f"unknown tracking status {self.status!r}", field="status")


class Carrier(Protocol):
    """What the shipping service needs from any carrier."""

    name: str

    def quote(self, request: ShipmentRequest) -> list[CarrierQuote]: ...

    def create_shipment(self, request: ShipmentRequest) -> Label: ...

    def track(self, tracking_number: str) -> list[TrackingEvent]: ...


def latest_status(events: Sequence[TrackingEvent]) -> str | None:
    """The status of the most recent event (ties: the later status in the normal order)."""
    if not events:
        return None
    last = max(events, key=lambda e: (e.at, TRACKING_STATUSES.index(e.status)))
    return last.status
