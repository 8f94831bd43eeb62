"""Tests of the network cost model (hand-checked figures)."""

from __future__ import annotations

import math

import pytest

from microfactory.engines.cost_model import (
    BomLine,
    CostParams,
    ProductionInput,
    carbon_cost,
    lateness_penalty,
    production_cost,
    setup_batches,
    total_cost,
    transport_cost,
)
from microfactory.engines.emissions import g_per_tkm
from microfactory.errors import InvalidInput


def _job(units: int = 10, batch_units: int = 40) -> ProductionInput:
    return ProductionInput(
        units=units, bom=(BomLine("linen", 15.0, 8.0), BomLine("thread", 10.0, 0.05)),
        staffed_minutes_per_unit=30.0, machine_minutes_per_unit=12.0,
        staff_rate_per_hour=24.0, machine_rate_per_hour=6.0, setup_cost=80.0,
        batch_units=batch_units)


def test_production_cost_adds_materials_minutes_and_spread_setup() -> None:
    """Ten shirts: 120.5 materials, 120 staff, 12 machine, a quarter of an 80 setup."""
    cost = production_cost(_job())
    assert cost.materials == pytest.approx(120.5)
    assert cost.staff == pytest.approx(120.0)
    assert cost.machine == pytest.approx(12.0)
    assert cost.setup == pytest.approx(20.0)
    assert cost.total == pytest.approx(272.5)
    assert cost.as_dict()["total"] == pytest.approx(272.5)


def test_per_batch_setup_counts_whole_batches() -> None:
    """Counted per batch, 10 units in batches of 4 pay three setups."""
    assert setup_batches(10, 4, "per_batch") == 3.0
    assert setup_batches(10, 4, "spread") == 2.5
    assert production_cost(_job(10, 4), "per_batch").setup == pytest.approx(240.0)


def test_transport_cost_uses_road_factor_and_emission_factor() -> None:
    """One degree of latitude (~111.2 km) by van: x1.3 road, x0.45/km, tonne-km emissions."""
    params = CostParams()
    leg = transport_cost((51.0, 0.0), (52.0, 0.0), "van", 2.0, params)
    assert leg.great_circle_km == pytest.approx(111.195, rel=1e-4)
    assert leg.distance_km == pytest.approx(leg.great_circle_km * 1.3)
    assert leg.cost == pytest.approx(leg.distance_km * 0.45)
    assert leg.kg_co2e == pytest.approx(leg.distance_km * 0.002 * g_per_tkm("van") / 1000)


def test_rail_is_not_multiplied_by_road_factor() -> None:
    """The road factor applies to road modes only."""
    leg = transport_cost((51.0, 0.0), (52.0, 0.0), "rail", 1.0, CostParams())
    assert leg.distance_km == pytest.approx(leg.great_circle_km)


def test_carbon_and_lateness_and_total() -> None:
    """Total is production + transport + carbon + lateness + adjustments."""
    params = CostParams(carbon_price_per_kg=0.2, lateness_penalty_per_day=7.0)
    prod = production_cost(_job())
    leg = transport_cost((51.0, 0.0), (51.1, 0.0), "cargo_bike", 3.0, params)
    cost = total_cost(prod, leg, 2, params, [("rule_bonus", -1.0)])
    expected = prod.total + leg.cost + 0.2 * leg.kg_co2e + 14.0 - 1.0
    assert cost.total == pytest.approx(expected)
    assert carbon_cost(10.0, params).total == pytest.approx(2.0)
    assert lateness_penalty(-3, params).total == 0.0
    assert math.isclose(float(cost.as_dict()["total"]), round(expected, 4))  # type: ignore[arg-type]


def test_invalid_params_raise_typed_errors() -> None:
    """A road factor below one or an unknown mode is rejected with its field."""
    with pytest.raises(InvalidInput) as err:
        CostParams(road_factor=0.9)
    assert err.value.field == "road_factor"
    with pytest.raises(InvalidInput):
        CostParams(cost_per_km={"teleport": 1.0})
    with pytest.raises(InvalidInput):
        CostParams().price_per_km("van_x")
    with pytest.raises(InvalidInput):
        BomLine("x", -1.0, 1.0)
