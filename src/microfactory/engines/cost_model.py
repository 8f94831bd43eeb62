"""The network cost model: production, transport, carbon and lateness, each with its breakdown.

Every function is pure and returns a frozen breakdown dataclass with ``total`` (money, in the
network's currency) and ``as_dict()``. The formulas, units and a worked example are in
``docs/cost-model.md``. Engines that need the same figures for many lines at once (routing)
vectorise these formulas and are tested against them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from microfactory.domain.geo import haversine_km_raw
from microfactory.engines.emissions import MODE_ROWS, LegEmissions, leg_emissions
from microfactory.errors import InvalidInput

SetupMode = Literal["spread", "per_batch"]

#: Illustrative default money per km of one shipment by mode; a network sets its own.
DEFAULT_COST_PER_KM: Mapping[str, float] = MappingProxyType({
    "cargo_bike": 0.30, "electric_van": 0.40, "van": 0.45, "van_diesel": 0.45, "parcel": 0.10,
    "truck": 1.10, "truck_articulated": 1.40, "rail": 0.60, "sea": 0.20,
    "air_short_haul": 3.00, "air_long_haul": 2.50,
})

#: Modes that travel on roads; their great-circle distance is multiplied by the road factor.
ROAD_MODES: frozenset[str] = frozenset(
    {"cargo_bike", "electric_van", "van", "van_diesel", "parcel", "truck", "truck_articulated"})


def _non_negative(value: float, name: str) -> None:
    if not math.isfinite(value) or value < 0:
        raise InvalidInput(f"{name} must be a finite number >= 0, got {value!r}", field=name)


@dataclass(frozen=True, slots=True)
class CostParams:
    """Prices of the cost model (money in the network's currency, distances in km)."""

    road_factor: float = 1.3
    cost_per_km: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_COST_PER_KM))
    carbon_price_per_kg: float = 0.10
    lateness_penalty_per_day: float = 5.0
    unassigned_penalty: float = 500.0

    def __post_init__(self) -> None:
        if not math.isfinite(self.road_factor) or self.road_factor < 1.0:
            raise InvalidInput("road_factor must be >= 1", field="road_factor")
        for mode, price in self.cost_per_km.items():
            if mode not in MODE_ROWS:
                raise InvalidInput(f"unknown transport mode {mode!r} in cost_per_km", field="cost_per_km")
            _non_negative(price, "cost_per_km")
        _non_negative(self.carbon_price_per_kg, "carbon_price_per_kg")
        _non_negative(self.lateness_penalty_per_day, "lateness_penalty_per_day")
        _non_negative(self.unassigned_penalty, "unassigned_penalty")
        object.__setattr__(self, "cost_per_km", MappingProxyType(dict(self.cost_per_km)))

    def price_per_km(self, mode: str) -> float:
        """Money per km of one shipment by ``mode``."""
        if mode not in self.cost_per_km:
            raise InvalidInput(f"no cost_per_km for transport mode {mode!r}", field="mode")
        return self.cost_per_km[mode]

    def distance_factor(self, mode: str) -> float:
        """Multiplier from great-circle to travelled distance (road factor for road modes)."""
        return self.road_factor if mode in ROAD_MODES else 1.0


@dataclass(frozen=True, slots=True)
class BomLine:
    """One line of an exploded bill of materials: quantity for the whole job, at a unit cost."""

    material_id: str
    qty: float
    unit_cost: float

    def __post_init__(self) -> None:
        if not self.material_id:
            raise InvalidInput("material_id must not be empty", field="material_id")
        _non_negative(self.qty, "qty")
        _non_negative(self.unit_cost, "unit_cost")


@dataclass(frozen=True, slots=True)
class ProductionInput:
    """What a production job needs: its exploded BOM, minutes per unit and the site's rates."""

    units: int
    bom: tuple[BomLine, ...] = ()
    staffed_minutes_per_unit: float = 0.0
    machine_minutes_per_unit: float = 0.0
    staff_rate_per_hour: float = 0.0
    machine_rate_per_hour: float = 0.0
    setup_cost: float = 0.0
    batch_units: int = 1

    def __post_init__(self) -> None:
        if self.units < 0:
            raise InvalidInput("units must be >= 0", field="units")
        if self.batch_units < 1:
            raise InvalidInput("batch_units must be >= 1", field="batch_units")
        for name in ("staffed_minutes_per_unit", "machine_minutes_per_unit", "staff_rate_per_hour",
                     "machine_rate_per_hour", "setup_cost"):
            _non_negative(getattr(self, name), name)
        object.__setattr__(self, "bom", tuple(self.bom))


@dataclass(frozen=True, slots=True)
class ProductionCost:
    """Production cost of a job, split into materials, staff, machine and setup."""

    units: int
    materials: float
    staff: float
    machine: float
    setup: float
    setup_batches: float
    material_lines: tuple[tuple[str, float, float], ...]

    @property
    def total(self) -> float:
        return self.materials + self.staff + self.machine + self.setup

    def as_dict(self) -> dict[str, object]:
        return {
            "units": self.units, "materials": round(self.materials, 4), "staff": round(self.staff, 4),
            "machine": round(self.machine, 4), "setup": round(self.setup, 4),
            "setup_batches": round(self.setup_batches, 6), "total": round(self.total, 4),
            "material_lines": [{"material_id": m, "qty": q, "cost": round(c, 4)}
                               for m, q, c in self.material_lines],
        }


def setup_batches(units: int, batch_units: int, mode: SetupMode) -> float:
    """Number of setups charged: ``units / batch_units`` (spread) or ``ceil`` of it (per batch)."""
    if batch_units < 1:
        raise InvalidInput("batch_units must be >= 1", field="batch_units")
    if mode == "spread":
        return units / batch_units
    if mode == "per_batch":
        return float(math.ceil(units / batch_units))
    raise InvalidInput(f"unknown setup mode {mode!r}", field="setup_mode")


def production_cost(job: ProductionInput, setup_mode: SetupMode = "spread") -> ProductionCost:
    """Materials + staffed minutes x staff rate + machine minutes x machine rate + setups."""
    lines = tuple((b.material_id, b.qty, b.qty * b.unit_cost) for b in job.bom)
    batches = setup_batches(job.units, job.batch_units, setup_mode)
    return ProductionCost(
        units=job.units,
        materials=sum(c for _, _, c in lines),
        staff=job.units * job.staffed_minutes_per_unit * job.staff_rate_per_hour / 60.0,
        machine=job.units * job.machine_minutes_per_unit * job.machine_rate_per_hour / 60.0,
        setup=batches * job.setup_cost,
        setup_batches=batches,
        material_lines=lines,
    )


@dataclass(frozen=True, slots=True)
class TransportCost:
    """One shipment from an origin to a destination by one mode, with its emissions."""

    mode: str
    great_circle_km: float
    distance_km: float
    cost_per_km: float
    cost: float
    emissions: LegEmissions

    @property
    def total(self) -> float:
        return self.cost

    @property
    def kg_co2e(self) -> float:
        return self.emissions.kg_co2e

    def as_dict(self) -> dict[str, object]:
        return {
            "mode": self.mode, "great_circle_km": round(self.great_circle_km, 3),
            "distance_km": round(self.distance_km, 3), "cost_per_km": self.cost_per_km,
            "cost": round(self.cost, 4), "kg_co2e": round(self.kg_co2e, 6),
            "emissions": self.emissions.as_dict(),
        }


def transport_cost(origin: tuple[float, float], destination: tuple[float, float], mode: str,
                   weight_kg: float, params: CostParams) -> TransportCost:
    """Great-circle km x distance factor x cost per km; emissions by ISO 14083 tonne-km."""
    _non_negative(weight_kg, "weight_kg")
    gc = haversine_km_raw(origin[0], origin[1], destination[0], destination[1])
    km = gc * params.distance_factor(mode)
    price = params.price_per_km(mode)
    return TransportCost(mode, gc, km, price, km * price, leg_emissions(mode, km, weight_kg))


@dataclass(frozen=True, slots=True)
class CarbonCost:
    """Carbon price applied to emissions."""

    kg_co2e: float
    price_per_kg: float

    @property
    def total(self) -> float:
        return self.kg_co2e * self.price_per_kg

    def as_dict(self) -> dict[str, object]:
        return {"kg_co2e": round(self.kg_co2e, 6), "price_per_kg": self.price_per_kg,
                "total": round(self.total, 6)}


def carbon_cost(kg_co2e: float, params: CostParams) -> CarbonCost:
    """kg CO2e x carbon price per kg."""
    _non_negative(kg_co2e, "kg_co2e")
    return CarbonCost(kg_co2e, params.carbon_price_per_kg)


@dataclass(frozen=True, slots=True)
class LatenessCost:
    """Penalty for finishing an order line after its due day."""

    days_late: int
    penalty_per_day: float

    @property
    def total(self) -> float:
        return self.days_late * self.penalty_per_day

    def as_dict(self) -> dict[str, object]:
        return {"days_late": self.days_late, "penalty_per_day": self.penalty_per_day,
                "total": round(self.total, 4)}


def lateness_penalty(days_late: int, params: CostParams) -> LatenessCost:
    """Whole days late (never negative) x penalty per day, for one order line."""
    return LatenessCost(max(0, int(days_late)), params.lateness_penalty_per_day)


@dataclass(frozen=True, slots=True)
class CostBreakdown:
    """The full cost of one decision (e.g. one order line made at one site)."""

    production: ProductionCost
    transport: TransportCost
    carbon: CarbonCost
    lateness: LatenessCost
    adjustments: tuple[tuple[str, float], ...] = ()

    @property
    def total(self) -> float:
        return (self.production.total + self.transport.total + self.carbon.total
                + self.lateness.total + sum(v for _, v in self.adjustments))

    def as_dict(self) -> dict[str, object]:
        return {
            "production": self.production.as_dict(), "transport": self.transport.as_dict(),
            "carbon": self.carbon.as_dict(), "lateness": self.lateness.as_dict(),
            "adjustments": {k: round(v, 4) for k, v in self.adjustments},
            "total": round(self.total, 4),
        }


def total_cost(production: ProductionCost, transport: TransportCost, days_late: int,
               params: CostParams, adjustments: Sequence[tuple[str, float]] = ()) -> CostBreakdown:
    """Production + transport + carbon price x transport emissions + lateness (+ adjustments)."""
    return CostBreakdown(production, transport, carbon_cost(transport.kg_co2e, params),
                         lateness_penalty(days_late, params), tuple(adjustments))


__all__ = [
    "DEFAULT_COST_PER_KM", "ROAD_MODES", "BomLine", "CarbonCost", "CostBreakdown", "CostParams",
    "LatenessCost", "ProductionCost", "ProductionInput", "SetupMode", "TransportCost",
    "carbon_cost", "lateness_penalty", "production_cost", "setup_batches", "total_cost",
    "transport_cost",
]
