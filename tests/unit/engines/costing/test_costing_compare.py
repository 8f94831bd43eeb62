"""Local network against an offshore plant: hand-checked outcomes and the break-even volume."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microfactory.engines.costing import (
    CompareParams,
    ComparisonCase,
    Demand,
    Leg,
    SupplyOption,
    break_even,
    compare,
    cost_curves,
    evaluate,
    log_volumes,
    svg_cost_curves,
)
from microfactory.engines.costing._common import normal_loss
from microfactory.engines.emissions import g_per_tkm


def _case(moq: int = 0, cv: float = 0.0, quantile: float | None = 0.5) -> ComparisonCase:
    local = SupplyOption("local", unit_cost=20.0, production_days=2, made_to_order=True,
                         legs=(Leg("van", 10.0, cost_per_unit=1.0, transit_days=1),),
                         fixed_cost=100.0, markdown_rate=0.5)
    offshore = SupplyOption("offshore", unit_cost=10.0, production_days=30, made_to_order=False,
                            legs=(Leg("sea", 1000.0, cost_per_unit=1.0),), moq=moq,
                            fixed_cost=1000.0, markdown_rate=0.5, order_quantile=quantile)
    return ComparisonCase(Demand(mean_units=100, cv=cv, price=40.0), local, offshore,
                          CompareParams(weight_kg=1.0, cost_of_capital=0.0))


def test_certain_demand_offshore_outcome_by_hand() -> None:
    """With no forecast error and no MOQ the plant makes the mean and sells it all."""
    o = evaluate(_case().offshore, _case().demand, _case().params)
    assert o.units_made == pytest.approx(100.0)
    assert o.overstock_units == pytest.approx(0.0) and o.stockout_units == pytest.approx(0.0)
    assert o.landed_unit_cost == pytest.approx(11.0)
    assert o.total_cost == pytest.approx(100 * 11.0 + 1000.0)
    assert o.cost_per_unit_sold == pytest.approx(21.0)
    assert o.lead_time_days == pytest.approx(30 + 1000 / 500)


def test_moq_forces_overstock_and_markdown() -> None:
    """An MOQ of 150 against a certain demand of 100 leaves 50 units marked down by half."""
    case = _case(moq=150)
    o = evaluate(case.offshore, case.demand, case.params)
    assert o.units_made == 150 and o.overstock_units == pytest.approx(50.0)
    assert o.markdown_loss == pytest.approx(50 * 40.0 * 0.5)


def test_uncertain_demand_uses_normal_loss() -> None:
    """Ordering the mean under a CV of 0.3 loses sd x L(0) sales and leaves as much overstock."""
    case = _case(cv=0.3)
    o = evaluate(case.offshore, case.demand, case.params)
    lost = 30.0 * normal_loss(0.0)
    assert o.stockout_units == pytest.approx(lost)
    assert o.overstock_units == pytest.approx(lost)
    assert o.full_price_sales == pytest.approx(100.0 - lost)


def test_local_emissions_and_reduction_from_factors() -> None:
    """Emissions per unit come from the bundled tonne-km factors of each leg."""
    r = compare(_case())
    local = 10.0 * 0.001 * g_per_tkm("van") / 1000
    offshore = 1000.0 * 0.001 * g_per_tkm("sea") / 1000
    assert r.local.emissions_per_unit_kg == pytest.approx(local)
    assert r.emissions_reduction == pytest.approx(1 - local / offshore)


def test_break_even_closed_form_matches_hand_value() -> None:
    """Local 100 + 21 V against offshore 1000 + 11 V cross at V = 90."""
    be = break_even(_case(), low=1.0, high=1e4)
    assert be.closed_form == pytest.approx(90.0)
    assert be.closed_form_valid
    assert be.numeric == pytest.approx((90.0,), rel=1e-6)


@settings(max_examples=25, deadline=None)
@given(st.floats(min_value=0.05, max_value=0.6), st.floats(min_value=0.55, max_value=0.95))
def test_numeric_break_even_equals_closed_form_without_moq(cv: float, quantile: float) -> None:
    """Without an MOQ the numeric crossing of the full model equals the closed form."""
    case = _case(cv=cv, quantile=quantile)
    be = break_even(case, low=1.0, high=1e6)
    if be.closed_form is None:
        assert be.numeric == ()
    else:
        assert be.numeric == pytest.approx((be.closed_form,), rel=1e-6)


def test_closed_form_is_flagged_invalid_when_moq_binds() -> None:
    """When the MOQ binds at the closed-form volume, the numeric root differs and is flagged."""
    be = break_even(_case(moq=500), low=1.0, high=1e5)
    assert not be.closed_form_valid
    assert be.numeric and be.numeric[0] != pytest.approx(90.0)


def test_svg_plot_has_both_curves_and_break_even() -> None:
    """The SVG string draws both curves and the break-even line."""
    case = _case()
    svg = svg_cost_curves(cost_curves(case, log_volumes(10, 1000, 20)), break_even=90.0)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert 'class="local"' in svg and 'class="offshore"' in svg and 'class="break-even"' in svg
