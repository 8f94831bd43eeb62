"""Material sensitivity, hedge suggestions and partner quotes."""

from __future__ import annotations

import pytest

from microfactory.engines.cost_model import CostParams
from microfactory.engines.costing import (
    MaterialLine,
    PriceMove,
    ProductSpec,
    SiteOffer,
    SiteRates,
    SubstituteOffer,
    compare_quotes,
    manual_quote,
    material_sensitivity,
    quote,
    suggest_hedge,
)

PRODUCT = ProductSpec((MaterialLine("wool", 2.0, 10.0), MaterialLine("button", 4.0, 0.5)),
                      staffed_minutes_per_unit=60.0)
SITE = SiteRates(staff_rate_per_hour=20.0)
PARAMS = CostParams(carbon_price_per_kg=0.0)
SWING = (PriceMove(-0.2, 0.25), PriceMove(0.0, 0.25), PriceMove(0.3, 0.5))


def test_sensitivity_elasticity_equals_cost_share() -> None:
    """Wool is 20 of a unit cost of 42, so its elasticity is 20/42 and it tops the tornado."""
    rows = material_sensitivity(PRODUCT, SITE, 1, PARAMS, price=60.0, shock=0.1)
    assert rows[0].material_id == "wool"
    assert rows[0].elasticity == pytest.approx(20.0 / 42.0)
    assert rows[0].cost_high - rows[0].cost_low == pytest.approx(4.0)
    assert rows[0].margin_high == pytest.approx((60.0 - 44.0) / 60.0)


def test_rising_prices_buy_everything_forward() -> None:
    """With the spot expected to rise above the forward price, all the need is bought forward."""
    h = suggest_hedge("wool", 1000.0, spot=10.0, forward_price=10.5, moves=SWING)
    assert h.expected_spot == pytest.approx(10.0 * (1 + 0.25 * -0.2 + 0.5 * 0.3))
    assert h.forward_fraction == 1.0 and h.action == "buy 1000 forward"


def test_falling_prices_buy_at_spot() -> None:
    """With prices expected to fall and no risk aversion, nothing is bought forward."""
    falling = (PriceMove(-0.3, 0.7), PriceMove(0.1, 0.3))
    h = suggest_hedge("wool", 1000.0, spot=10.0, forward_price=10.0, moves=falling)
    assert h.forward_fraction == 0.0 and h.action == "buy at spot"


def test_risk_aversion_buys_part_forward_by_closed_form() -> None:
    """A dearer forward is still bought in part when risk costs: f = 1 - (F - E) / (2 l N Var)."""
    h = suggest_hedge("wool", 100.0, spot=10.0, forward_price=11.5, moves=SWING,
                      risk_aversion=0.01)
    var = h.spot_sd**2
    assert h.forward_fraction == pytest.approx(1 - (11.5 - 11.0) / (2 * 0.01 * 100 * var))
    assert 0 < h.forward_fraction < 1


def test_cheaper_substitute_is_suggested() -> None:
    """An approved substitute cheaper in expectation beats any hedge."""
    h = suggest_hedge("wool", 100.0, spot=10.0, forward_price=10.5, moves=SWING,
                      substitutes=(SubstituteOffer("recycled_wool", 9.0, 1.05),))
    assert h.switch_to == "recycled_wool"
    assert h.switch_expected_cost == pytest.approx(945.0)


def test_quote_prices_dates_and_flags_feasibility() -> None:
    """A site with 480 free minutes a day makes 20 one-hour units in 3 days after its start."""
    offer = SiteOffer("a", SITE, free_minutes_per_day=480.0, margin=0.3, quality_score=0.9,
                      start_day=2, transit_days=1)
    q = quote(offer, PRODUCT, 20, due_day=5, params=PARAMS)
    assert q.price == pytest.approx(20 * 42.0 / 0.7)
    assert q.lead_time_days == 2 + 3 + 1
    assert not q.feasible_by_date


def test_compare_quotes_ranks_feasible_then_effective_price() -> None:
    """Feasible quotes rank first, then by price plus carbon; low quality is excluded."""
    quotes = [manual_quote("late", 10, 100.0, 9, 1.0, 0.9, due_day=7),
              manual_quote("dirty", 10, 110.0, 5, 200.0, 0.9, due_day=7),
              manual_quote("clean", 10, 120.0, 5, 10.0, 0.9, due_day=7),
              manual_quote("shoddy", 10, 50.0, 3, 1.0, 0.5, due_day=7)]
    ranked = compare_quotes(quotes, carbon_price_per_kg=0.1, min_quality=0.8)
    assert [r.quote.site_id for r in ranked] == ["clean", "dirty", "late"]
    assert ranked[0].effective_price == pytest.approx(121.0)
