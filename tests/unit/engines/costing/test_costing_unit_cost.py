"""Unit cost breakdowns against hand-computed cases."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microfactory.engines.cost_model import CostParams
from microfactory.engines.costing import (
    MaterialLine,
    ProductSpec,
    Shipment,
    SiteRates,
    Substitute,
    cost_curve,
    suggest_price,
    unit_cost,
)
from microfactory.engines.emissions import g_per_tkm
from microfactory.errors import InvalidInput

SHIRT = ProductSpec(
    materials=(MaterialLine("linen", 1.5, 8.0, (Substitute("cotton", 6.0, 1.1),)),
               MaterialLine("thread", 1.0, 0.05)),
    staffed_minutes_per_unit=30.0, machine_minutes_per_unit=12.0, weight_kg=0.3)
SITE = SiteRates(staff_rate_per_hour=24.0, machine_rate_per_hour=6.0, setup_cost=80.0,
                 overhead_rate=0.25, production_kg_co2e_per_unit=0.5)
PARAMS = CostParams(carbon_price_per_kg=0.1)


def test_breakdown_matches_hand_computation_without_shipment() -> None:
    """A batch of 40 shirts costs the sum of its hand-computed parts."""
    u = unit_cost(SHIRT, SITE, 40, PARAMS)
    assert u.materials == pytest.approx(1.65 * 6.0 + 0.05)  # cotton is cheaper: 9.90 < 12.00
    assert u.staff == pytest.approx(12.0)
    assert u.machine == pytest.approx(1.2)
    assert u.setup == pytest.approx(2.0)
    assert u.overhead == pytest.approx(0.25 * (12.0 + 1.2 + 2.0))
    assert u.logistics == 0.0
    assert u.carbon == pytest.approx(0.05)
    assert u.total == pytest.approx(9.95 + 12.0 + 1.2 + 2.0 + 3.8 + 0.05)


def test_substitutes_can_be_switched_off() -> None:
    """Without substitutes the original linen is used at 1.5 x 8.00 per unit."""
    u = unit_cost(SHIRT, SITE, 40, PARAMS, use_substitutes=False)
    assert u.materials == pytest.approx(12.05)
    assert not u.choices[0].substituted


def test_chosen_substitute_is_reported() -> None:
    """The breakdown names the substitute chosen for the linen line."""
    u = unit_cost(SHIRT, SITE, 40, PARAMS)
    assert u.choices[0].material_id == "cotton" and u.choices[0].substituted


def test_shipment_is_split_over_units_travelling_together() -> None:
    """A van shipment of the whole batch is priced by the cost model and split per unit."""
    ship = Shipment((52.0, 4.0), (52.1, 4.0), "van", units_per_shipment=None)
    u = unit_cost(SHIRT, SITE, 40, PARAMS, ship)
    km = 6371.0088 * math.radians(0.1) * 1.3  # 0.1 degree of latitude, on roads
    assert u.logistics == pytest.approx(km * 0.45 / 40, rel=1e-6)
    kg_per_unit = km * (0.3 * 40 / 1000) * g_per_tkm("van") / 1000 / 40
    assert u.kg_co2e == pytest.approx(kg_per_unit + 0.5, rel=1e-6)


def test_cost_curve_setup_falls_with_batch_size() -> None:
    """Setup per unit is setup cost over batch size, so the curve falls."""
    curve = cost_curve(SHIRT, SITE, [1, 10, 100], PARAMS)
    assert [c.setup for c in curve] == pytest.approx([80.0, 8.0, 0.8])
    assert curve[0].total > curve[1].total > curve[2].total


def test_price_for_margin() -> None:
    """A 40 % margin on a cost of 30 gives a price of 50."""
    p = suggest_price(30.0, 0.4)
    assert p.price == pytest.approx(50.0)
    assert p.markup == pytest.approx(2 / 3)


def test_bad_margin_is_rejected() -> None:
    """A margin of 100 % has no price."""
    with pytest.raises(InvalidInput):
        suggest_price(30.0, 1.0)


@given(st.integers(min_value=1, max_value=500), st.integers(min_value=1, max_value=500))
def test_larger_batch_never_costs_more(a: int, b: int) -> None:
    """Unit cost without shipment is non-increasing in batch size."""
    small, large = sorted((a, b))
    assert unit_cost(SHIRT, SITE, large, PARAMS).total <= unit_cost(SHIRT, SITE, small, PARAMS).total + 1e-9
