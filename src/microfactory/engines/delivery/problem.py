"""Input types of the same-day delivery engine (frozen, validated).

Times are integer minutes from the start of the planning horizon (usually midnight of
the delivery day); demands are in one unit (units or kg) shared by stops and vehicles.
"""

from __future__ import annotations

from dataclasses import dataclass

from microfactory.domain.geo import Location
from microfactory.engines.emissions import MODE_ROWS
from microfactory.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class DeliveryStop:
    """One drop: an order delivered to a place within a time window.

    ``earliest``/``latest`` bound the start of service (minutes from horizon start).
    """

    id: str
    order_id: str
    location: Location
    demand: int
    earliest: int = 0
    latest: int = 24 * 60
    service_minutes: int = 3

    def __post_init__(self) -> None:
        if not self.id:
            raise InvalidInput("a stop needs an id", field="id")
        if self.demand < 0:
            raise InvalidInput(f"stop {self.id}: demand must not be negative", field="demand")
        if self.earliest < 0 or self.latest < self.earliest:
            raise InvalidInput(f"stop {self.id}: time window [{self.earliest}, {self.latest}] is empty",
                               field="latest")
        if self.service_minutes < 0:
            raise InvalidInput(f"stop {self.id}: service minutes must not be negative",
                               field="service_minutes")


@dataclass(frozen=True, slots=True)
class VehicleType:
    """A kind of vehicle at the depot: how many, how much they carry, how fast, what they cost.

    ``mode`` names the emission factor row (``van``, ``electric_van``, ``cargo_bike``...).
    ``shift_start``/``shift_end`` bound leaving and returning to the depot.
    """

    name: str
    mode: str
    capacity: int
    count: int
    speed_kmh: float
    cost_per_km: float = 0.0
    fixed_cost: float = 0.0
    cost_per_hour: float = 0.0
    shift_start: int = 8 * 60
    shift_end: int = 20 * 60

    def __post_init__(self) -> None:
        if not self.name:
            raise InvalidInput("a vehicle type needs a name", field="name")
        if self.mode not in MODE_ROWS:
            raise InvalidInput(f"vehicle type {self.name}: unknown mode {self.mode!r}", field="mode")
        if self.capacity <= 0 or self.count <= 0:
            raise InvalidInput(f"vehicle type {self.name}: capacity and count must be positive",
                               field="capacity")
        if self.speed_kmh <= 0:
            raise InvalidInput(f"vehicle type {self.name}: speed must be positive", field="speed_kmh")
        if min(self.cost_per_km, self.fixed_cost, self.cost_per_hour) < 0:
            raise InvalidInput(f"vehicle type {self.name}: costs must not be negative", field="cost_per_km")
        if self.shift_start < 0 or self.shift_end <= self.shift_start:
            raise InvalidInput(f"vehicle type {self.name}: shift must end after it starts", field="shift_end")


@dataclass(frozen=True, slots=True)
class DeliveryProblem:
    """A depot, the day's stops and the fleet; road distance = great-circle x ``road_factor``."""

    depot: Location
    stops: tuple[DeliveryStop, ...]
    vehicle_types: tuple[VehicleType, ...]
    road_factor: float = 1.3
    depot_id: str = "depot"

    def __post_init__(self) -> None:
        if not self.vehicle_types:
            raise InvalidInput("a delivery problem needs at least one vehicle type", field="vehicle_types")
        if self.road_factor < 1.0:
            raise InvalidInput("road factor must be at least 1", field="road_factor")
        for name, items in (("stops", [s.id for s in self.stops]),
                            ("vehicle_types", [v.name for v in self.vehicle_types])):
            if len(set(items)) != len(items):
                raise InvalidInput(f"{name} ids must be unique", field=name)


@dataclass(frozen=True, slots=True)
class DeliveryParams:
    """Solver knobs: time limit, seed and the price of leaving a stop unserved."""

    time_limit_s: float = 5.0
    seed: int = 0
    unserved_penalty: float = 1000.0
    max_iterations: int | None = None

    def __post_init__(self) -> None:
        if self.time_limit_s <= 0:
            raise InvalidInput("time limit must be positive", field="time_limit_s")
        if self.seed < 0:
            raise InvalidInput("seed must not be negative", field="seed")
        if self.unserved_penalty <= 0:
            raise InvalidInput("unserved penalty must be positive", field="unserved_penalty")
        if self.max_iterations is not None and self.max_iterations <= 0:
            raise InvalidInput("max iterations must be positive", field="max_iterations")
