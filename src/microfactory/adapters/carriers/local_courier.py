"""The network's own courier: quotes within its radius, labels and tracking from a same-day plan.

The plan's routes give each order its vehicle, stop number and time; tracking reports
``shipped`` once the route has left (by the injected clock) and ``delivered`` only when a
driver confirms it through :meth:`LocalCourier.confirm_delivered`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from microfactory.adapters.carriers.port import (
    CarrierRejected,
    Label,
    ShipmentNotFound,
    ShipmentRequest,
    TrackingEvent,
)
from microfactory.domain.geo import Location, haversine_km
from microfactory.engines.delivery import (
    CarrierQuote,
    DeliveryRoute,
    DeliverySolution,
    LocalRate,
    RouteStop,
)


class LocalCourier:
    """Same-day delivery run by the network, backed by one day's plan."""

    def __init__(self, depot: Location, plan: DeliverySolution, day_start: datetime, rate: LocalRate,
                 clock: Callable[[], datetime], name: str = "local") -> None:
        self.name = name
        self.depot, self.plan, self.day_start, self.rate = depot, plan, day_start, rate
        self._clock = clock
        self._delivered: dict[str, TrackingEvent] = {}

    def quote(self, request: ShipmentRequest) -> list[CarrierQuote]:
        km = haversine_km(self.depot, request.recipient.location) * self.rate.road_factor
        if km > self.rate.radius_km:
            return []
        price = round(self.rate.base_price + self.rate.price_per_km * km, 2)
        return [CarrierQuote(self.name, "same_day", price, 0, self.rate.cutoff_minute, self.rate.mode)]

    def _find(self, order_id: str) -> tuple[DeliveryRoute, RouteStop]:
        for route in self.plan.routes:
            for stop in route.stops:
                if stop.order_id == order_id:
                    return route, stop
        raise CarrierRejected(f"order {order_id} is not on today's same-day plan", field="order_id")

    def _at(self, minutes: float) -> datetime:
        return self.day_start + timedelta(minutes=minutes)

    def create_shipment(self, request: ShipmentRequest) -> Label:
        route, stop = self._find(request.order_id)
        tracking = f"{self.name.upper()}-{route.route_id}-{stop.sequence:03d}"
        content = (f"{self.name.upper()} {tracking}\norder {request.order_id}\nroute {route.route_id} "
                   f"({route.vehicle_type}) stop {stop.sequence}\nto {request.recipient.name}\n"
                   f"planned {self._at(stop.service_start):%Y-%m-%d %H:%M}")
        return Label(self.name, tracking, request.order_id, "same_day", content)

    def _by_tracking(self, tracking_number: str) -> tuple[DeliveryRoute, RouteStop]:
        for route in self.plan.routes:
            for stop in route.stops:
                if f"{self.name.upper()}-{route.route_id}-{stop.sequence:03d}" == tracking_number:
                    return route, stop
        raise ShipmentNotFound(f"{self.name} has no shipment {tracking_number}", field="tracking_number")

    def confirm_delivered(self, tracking_number: str, at: datetime, note: str = "") -> TrackingEvent:
        """Record the driver's proof of delivery."""
        self._by_tracking(tracking_number)
        event = TrackingEvent(tracking_number, "delivered", at, note=note)
        self._delivered[tracking_number] = event
        return event

    def track(self, tracking_number: str) -> list[TrackingEvent]:
        route, _ = self._by_tracking(tracking_number)
        events = [TrackingEvent(tracking_number, "label_created", self.day_start)]
        departed = self._at(route.start)
        if self._clock() >= departed:
            events.append(TrackingEvent(tracking_number, "shipped", departed, note=f"route {route.route_id}"))
        if tracking_number in self._delivered:
            events.append(self._delivered[tracking_number])
        return events
