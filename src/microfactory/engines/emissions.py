"""Transport emissions per leg after ISO 14083, with bundled DESNZ 2024 / GLEC factors.

A leg's emissions are allocated to the goods by tonne-kilometre (ISO 14083 default for
freight): ``kg CO2e = distance_km x tonnes x WTW g/tkm / 1000``. A whole vehicle run
(a same-day route) is reported per vehicle-km: ``km x WTW g/vkm / 1000``.
Factors are well-to-wheel (TTW + WTT) as ISO 14083 asks. The table and its sources are in
``microfactory/data/emissions``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from microfactory.errors import InvalidInput

#: Mode names used across microfactory, mapped to the row (without its _tkm/_vkm suffix).
MODE_ROWS: dict[str, str] = {
    "van": "desnz2024_van_average_3_5_t_gvw_road_diesel",
    "van_diesel": "desnz2024_van_average_3_5_t_gvw_road_diesel",
    "electric_van": "desnz2024_van_average_3_5_t_gvw_road_battery_electric_uk_grid",
    "cargo_bike": "derived_electric_cargo_bike_derived_road_electricity_uk_grid",
    "truck": "desnz2024_rigid_hgv_all_sizes_road_diesel",
    "truck_articulated": "desnz2024_articulated_hgv_all_sizes_road_diesel",
    "rail": "desnz2024_freight_train_uk_average_rail_diesel_electric_mix",
    "air_short_haul": "desnz2024_freight_flight_short_haul_to_from_uk_air_jet_kerosene",
    "air_long_haul": "desnz2024_freight_flight_long_haul_to_from_uk_air_jet_kerosene",
    "sea": "desnz2024_container_ship_average_sea_hfo_vlsfo_fleet_average",
    "parcel": "desnz2024_van_class_iii_1_74_3_5_t_road_diesel",
}

#: Distance uplift on great-circle distance by mode (air: DESNZ guidance +8%).
GCD_UPLIFT: dict[str, float] = {"air_short_haul": 1.08, "air_long_haul": 1.08}


@dataclass(frozen=True, slots=True)
class EmissionFactor:
    """One row of the factor table."""

    row_id: str
    mode: str
    vehicle: str
    unit: str
    wtw_g: float
    ttw_g: float
    source: str
    year: str


@dataclass(frozen=True, slots=True)
class LegEmissions:
    """Emissions of one transport leg with the figures that produced them."""

    mode: str
    distance_km: float
    weight_kg: float
    factor_g_per_tkm: float
    kg_co2e: float
    factor_row: str

    def as_dict(self) -> dict[str, object]:
        return {
            "mode": self.mode,
            "distance_km": round(self.distance_km, 3),
            "weight_kg": round(self.weight_kg, 3),
            "factor_g_per_tkm": self.factor_g_per_tkm,
            "kg_co2e": round(self.kg_co2e, 6),
            "factor_row": self.factor_row,
        }


@lru_cache(maxsize=1)
def factor_table() -> dict[str, EmissionFactor]:
    """All bundled factors by row id (read once from package data)."""
    text = resources.files("microfactory.data").joinpath("emissions/emission_factors.csv").read_text()
    table: dict[str, EmissionFactor] = {}
    for row in csv.DictReader(text.splitlines()):
        wtw = row["wtw_g_co2e"] or ""
        ttw = row["ttw_g_co2e"] or ""
        if not wtw:
            continue  # cross-check rows without a WTW figure are not used for calculation
        table[row["row_id"]] = EmissionFactor(
            row_id=row["row_id"], mode=row["mode"], vehicle=row["vehicle_or_service"],
            unit=row["unit"], wtw_g=float(wtw), ttw_g=float(ttw or 0.0),
            source=row["source"], year=row["source_year"],
        )
    return table


def _row(mode: str, basis: str) -> EmissionFactor:
    base = MODE_ROWS.get(mode)
    if base is None:
        raise InvalidInput(f"unknown transport mode {mode!r}; known: {', '.join(sorted(MODE_ROWS))}",
                           field="mode")
    row = factor_table().get(f"{base}_{basis}")
    if row is None:
        raise InvalidInput(f"no {basis} emission factor for mode {mode!r}", field="mode")
    return row


def g_per_tkm(mode: str) -> float:
    """Well-to-wheel grams CO2e per tonne-km for a mode."""
    return _row(mode, "tkm").wtw_g


def g_per_vkm(mode: str) -> float:
    """Well-to-wheel grams CO2e per vehicle-km for a mode (road modes only)."""
    return _row(mode, "vkm").wtw_g


def leg_emissions(mode: str, distance_km: float, weight_kg: float) -> LegEmissions:
    """Emissions allocated to goods of ``weight_kg`` moved ``distance_km`` by ``mode``."""
    if distance_km < 0 or weight_kg < 0:
        raise InvalidInput("distance and weight must not be negative", field="distance_km")
    row = _row(mode, "tkm")
    km = distance_km * GCD_UPLIFT.get(mode, 1.0)
    kg = km * (weight_kg / 1000.0) * row.wtw_g / 1000.0
    return LegEmissions(mode, km, weight_kg, row.wtw_g, kg, row.row_id)


def vehicle_run_kg(mode: str, distance_km: float) -> float:
    """Emissions of a whole vehicle run (e.g. a same-day route) from vehicle-km."""
    return distance_km * g_per_vkm(mode) / 1000.0
