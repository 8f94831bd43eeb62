"""Carrier adapters behind one port: a file-exchange carrier, the network's local courier, an HTTP base."""

from microfactory.adapters.carriers.file_carrier import FileCarrier, ParcelTariff
from microfactory.adapters.carriers.http_carrier import HttpCarrier, JsonHttpCarrier
from microfactory.adapters.carriers.local_courier import LocalCourier
from microfactory.adapters.carriers.port import (
    TRACKING_STATUSES,
    Carrier,
    CarrierError,
    CarrierRejected,
    CarrierUnavailable,
    Label,
    Party,
    ShipmentNotFound,
    ShipmentRequest,
    TrackingEvent,
    latest_status,
)

__all__ = [
    "TRACKING_STATUSES", "Carrier", "CarrierError", "CarrierRejected", "CarrierUnavailable", "FileCarrier",
    "HttpCarrier", "JsonHttpCarrier", "Label", "LocalCourier", "ParcelTariff", "Party", "ShipmentNotFound",
    "ShipmentRequest", "TrackingEvent", "latest_status",
]
