"""The local courier works from a same-day plan."""

from __future__ import annotations

from datetime import datetime

import pytest

from microfactory.adapters.carriers import (
    CarrierRejected,
    LocalCourier,
    Party,
    ShipmentRequest,
    latest_status,
)
from microfactory.domain.geo import Location
from microfactory.engines.delivery import (
    DeliveryParams,
    DeliveryProblem,
    DeliveryStop,
    LocalRate,
    VehicleType,
    plan_same_day,
)

DEPOT = Location(51.5, -0.1)
DAY = datetime(2025, 3, 3)
STOPS = (DeliveryStop("s1", "o-1", Location(51.51, -0.1), 1, 600, 720),)
PROBLEM = DeliveryProblem(DEPOT, STOPS, (VehicleType("bike", "cargo_bike", 5, 1, 15.0, shift_start=480,
                                                     shift_end=1200),))


def courier(now: datetime) -> LocalCourier:
    plan = plan_same_day(PROBLEM, DeliveryParams(time_limit_s=1, max_iterations=50))
    return LocalCourier(DEPOT, plan, DAY, LocalRate(), lambda: now)


NEAR = Location(51.51, -0.1)


def request(order: str, where: Location = NEAR) -> ShipmentRequest:
    return ShipmentRequest(order, Party("MF", DEPOT), Party("Bo", where), 1.0)


def test_label_tracks_to_shipped_after_departure_and_delivered_on_confirmation() -> None:
    """Before the route leaves only the label exists; after, shipped; a driver's confirmation delivers."""
    early = courier(datetime(2025, 3, 3, 8, 0))
    label = early.create_shipment(request("o-1"))
    assert "stop 1" in label.content and latest_status(early.track(label.tracking_number)) == "label_created"
    late = courier(datetime(2025, 3, 3, 11, 0))
    assert latest_status(late.track(label.tracking_number)) == "shipped"
    late.confirm_delivered(label.tracking_number, datetime(2025, 3, 3, 10, 5))
    assert latest_status(late.track(label.tracking_number)) == "delivered"


def test_order_not_on_the_plan_is_rejected() -> None:
    """An order without a stop on today's plan cannot get a local label."""
    with pytest.raises(CarrierRejected):
        courier(DAY).create_shipment(request("o-404"))


def test_quote_only_within_radius() -> None:
    """A recipient 1.1 km away gets a same-day quote; one 50 km away gets none."""
    c = courier(DAY)
    assert [q.service for q in c.quote(request("o-1"))] == ["same_day"]
    assert c.quote(request("o-1", Location(51.95, -0.1))) == []
