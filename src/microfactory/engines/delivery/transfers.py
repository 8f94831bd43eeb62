"""Transfers between sites (microfactory to store, material between sites) as costed legs."""

from __future__ import annotations

import math
from dataclasses import dataclass

from microfactory.domain.geo import Location, haversine_km_raw
from microfactory.engines.emissions import MODE_ROWS, LegEmissions, leg_emissions
from microfactory.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class SitePoint:
    """A site as the delivery engine sees it: an id and a place."""

    id: str
    location: Location

    def __post_init__(self) -> None:
        if not self.id:
            raise InvalidInput("a site needs an id", field="id")


@dataclass(frozen=True, slots=True)
class TransferRate:
    """How a transfer is run: mode, speed, tariff and handling time at both ends."""

    mode: str = "van"
    speed_kmh: float = 30.0
    cost_per_km: float = 0.5
    fixed_cost: float = 5.0
    cost_per_kg: float = 0.0
    handling_minutes: int = 30
    road_factor: float = 1.3

    def __post_init__(self) -> None:
        if self.mode not in MODE_ROWS:
            raise InvalidInput(f"unknown transfer mode {self.mode!r}", field="mode")
        if self.speed_kmh <= 0 or self.road_factor < 1.0:
            raise InvalidInput("speed must be positive and road factor at least 1", field="speed_kmh")
        if min(self.cost_per_km, self.fixed_cost, self.cost_per_kg, self.handling_minutes) < 0:
            raise InvalidInput("transfer costs and handling time must not be negative", field="cost_per_km")


@dataclass(frozen=True, slots=True)
class TransferLeg:
    """One move of goods between two sites, with its duration, cost and ISO 14083 emissions."""

    origin: str
    destination: str
    mode: str
    distance_km: float
    duration_minutes: int
    cost: float
    emissions: LegEmissions

    @property
    def kg_co2e(self) -> float:
        return self.emissions.kg_co2e


def transfer_leg(origin: SitePoint, destination: SitePoint, weight_kg: float,
                 rate: TransferRate) -> TransferLeg:
    """The leg ``origin`` -> ``destination`` carrying ``weight_kg`` under ``rate``.

    Duration = road time (rounded up to whole minutes) + handling; cost = fixed +
    per km + per kg; emissions are allocated to the goods by tonne-km.
    """
    if weight_kg < 0:
        raise InvalidInput("transfer weight must not be negative", field="weight_kg")
    a, b = origin.location, destination.location
    km = haversine_km_raw(a.lat, a.lon, b.lat, b.lon) * rate.road_factor
    minutes = math.ceil(km / rate.speed_kmh * 60 - 1e-9) + rate.handling_minutes
    cost = rate.fixed_cost + rate.cost_per_km * km + rate.cost_per_kg * weight_kg
    return TransferLeg(origin.id, destination.id, rate.mode, round(km, 4), minutes, round(cost, 4),
                       leg_emissions(rate.mode, km, weight_kg))
