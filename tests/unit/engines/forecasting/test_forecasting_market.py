"""Newsvendor quantity and the keep / scale-up / stop recommendation."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microfactory.engines.forecasting import (
    Action,
    GammaPrior,
    MarketThresholds,
    NegativeBinomial,
    Observation,
    UnitEconomics,
    expected_outcome,
    newsvendor,
    recommend,
)
from microfactory.errors import InvalidInput


def test_newsvendor_geometric_closed_form() -> None:
    """Geometric demand (r=1, p=0.1), CR 6/9: Q = ceil(ln(1/3)/ln 0.9) - 1 = 10, sales closed form."""
    demand = NegativeBinomial(1.0, 0.1)
    economics = UnitEconomics(price=10.0, unit_cost=4.0, salvage=1.0)
    result = newsvendor(demand, economics)
    assert result.critical_ratio == pytest.approx(6 / 9)
    assert result.quantity == math.ceil(math.log(1 / 3) / math.log(0.9)) - 1 == 10
    sales = 0.9 * (1 - 0.9 ** 10) / 0.1
    assert result.expected_sales == pytest.approx(sales)
    assert result.expected_profit == pytest.approx(10 * sales + 1 * (10 - sales) - 40)
    assert result.stockout_probability == pytest.approx(0.9 ** 11)


@settings(max_examples=40, deadline=None)
@given(st.floats(0.5, 30), st.floats(0.05, 0.9), st.floats(5, 50), st.floats(0.1, 0.9),
       st.floats(0.0, 0.9))
def test_newsvendor_beats_its_neighbours(r: float, p: float, price: float, cost_share: float,
                                         salvage_share: float) -> None:
    """Expected profit at the critical-ratio quantity is at least that of one unit more or less."""
    economics = UnitEconomics(price, price * cost_share, price * cost_share * salvage_share)
    demand = NegativeBinomial(r, p)
    best = newsvendor(demand, economics)
    for q in (best.quantity - 1, best.quantity + 1):
        if q >= 0:
            assert expected_outcome(demand, economics, q).expected_profit <= best.expected_profit + 1e-9


def test_unprofitable_product_makes_nothing() -> None:
    """Priced at or below its cost, the newsvendor makes zero units."""
    result = newsvendor(NegativeBinomial(5.0, 0.2), UnitEconomics(10.0, 12.0, 1.0))
    assert result.quantity == 0 and result.expected_profit == 0.0


def test_salvage_above_cost_is_refused() -> None:
    """Salvage must be below the unit cost."""
    with pytest.raises(InvalidInput):
        UnitEconomics(10.0, 4.0, 5.0)


ECON = UnitEconomics(price=60.0, unit_cost=25.0, salvage=10.0)
LIMITS = MarketThresholds(horizon=28.0, scale_units=200, stop_units=40, confidence=0.8)
PRIOR = GammaPrior(1.0, 0.5)


def test_strong_pilot_scales_up() -> None:
    """About 12 pledges a day for 3 weeks projects far above 200 in 4 weeks: scale up."""
    rec = recommend(PRIOR, [Observation(250, 21.0)], ECON, LIMITS)
    assert rec.action is Action.SCALE_UP and rec.p_at_least_scale > 0.99
    assert rec.rate_interval[0] < rec.rate_mean < rec.rate_interval[1]


def test_weak_pilot_stops() -> None:
    """Ten sales in three weeks project well under 40 in four weeks: stop."""
    rec = recommend(PRIOR, [Observation(10, 21.0)], ECON, LIMITS)
    assert rec.action is Action.STOP and rec.p_below_stop >= 0.8


def test_middling_pilot_keeps_making_locally() -> None:
    """About 4 a day projects around 110 in four weeks: keep, with a positive newsvendor plan."""
    rec = recommend(PRIOR, [Observation(84, 21.0)], ECON, LIMITS)
    assert rec.action is Action.KEEP
    assert rec.demand_interval[0] < rec.demand_mean < rec.demand_interval[1]
    assert rec.plan.quantity > rec.demand_mean and rec.plan.expected_profit > 0
