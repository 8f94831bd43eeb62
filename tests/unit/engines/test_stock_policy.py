"""Stock policies: the cushion formula, store sales with fallback, replenishment planning."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microfactory.engines.stock_policy import (
    PolicyKind,
    StockPolicy,
    StockPosition,
    cushion,
    plan_replenishment,
    sell,
)
from microfactory.errors import IllegalTransition, InvalidInput


def test_cushion_hand_computed() -> None:
    """d=4/day, sd=2/day, L=4 d, 95%, R=7 d: s = 16 + 1.6449*2*2 = 22.58 -> 23, S = 50.58 -> 51."""
    c = cushion(4.0, 2.0, 4.0, 0.95, review_period_days=7.0)
    assert c.z == pytest.approx(1.644854, abs=1e-6)
    assert c.safety_stock == pytest.approx(6.579415, abs=1e-5)
    assert c.lead_time_demand == pytest.approx(16.0)
    assert (c.reorder_point, c.order_up_to) == (23, 51)


def test_cushion_at_half_service_level_has_no_safety_stock() -> None:
    """At a 50% service level z is 0 and s is the lead-time demand."""
    c = cushion(3.0, 5.0, 2.0, 0.5, review_period_days=1.0)
    assert c.safety_stock == pytest.approx(0.0) and (c.reorder_point, c.order_up_to) == (6, 9)


@given(st.floats(0, 50), st.floats(0, 20), st.floats(0, 30), st.floats(0.5, 0.999))
def test_cushion_is_monotone_in_service_level(d: float, sd: float, lead: float, level: float) -> None:
    """A higher service level never lowers the reorder point, and S is never below s."""
    low = cushion(d, sd, lead, level)
    high = cushion(d, sd, lead, min(level + 0.0005, 0.9999))
    assert high.reorder_point >= low.reorder_point and low.order_up_to >= low.reorder_point


def test_cushion_rejects_bad_inputs() -> None:
    """A negative rate or a service level of 1 is refused."""
    with pytest.raises(InvalidInput):
        cushion(-1.0, 1.0, 1.0, 0.9)
    with pytest.raises(InvalidInput):
        cushion(1.0, 1.0, 1.0, 1.0)


STOCKED = StockPolicy("shop1", "TEE-M", PolicyKind.STOCKED, reorder_point=5, order_up_to=12,
                      stock_promise_days=0, made_to_order_promise_days=6)


def test_sale_from_stock_keeps_the_short_promise() -> None:
    """Selling 2 of 3 on the shelf takes them from stock with a same-day promise."""
    out = sell(STOCKED, StockPosition("shop1", "TEE-M", on_hand=3), 2)
    assert (out.from_stock, out.made_to_order, out.promise_days, out.position.on_hand) == (2, 0, 0, 1)


def test_sale_when_out_falls_back_to_made_to_order() -> None:
    """Selling 3 with 1 on the shelf takes it and makes 2 to order, showing the 6-day promise."""
    out = sell(STOCKED, StockPosition("shop1", "TEE-M", on_hand=1), 3)
    assert (out.from_stock, out.made_to_order, out.promise_days, out.position.on_hand) == (1, 2, 6, 0)


def test_made_to_order_and_preorder_only_sales() -> None:
    """Made-to-order never touches stock; pre-order-only cannot be sold over the counter."""
    mto = StockPolicy("shop1", "TEE-M", PolicyKind.MADE_TO_ORDER, made_to_order_promise_days=9)
    out = sell(mto, StockPosition("shop1", "TEE-M", on_hand=4), 1)
    assert (out.from_stock, out.made_to_order, out.promise_days) == (0, 1, 9)
    pre = StockPolicy("shop1", "TEE-M", PolicyKind.PREORDER_ONLY)
    with pytest.raises(IllegalTransition):
        sell(pre, StockPosition("shop1", "TEE-M"), 1)


def test_replenishment_orders_up_to_s_at_or_below_reorder_point() -> None:
    """Position 5 (=s) orders 7 up to 12; position 6 orders nothing; a missing position orders 12."""
    other = StockPolicy("shop2", "TEE-M", PolicyKind.STOCKED, reorder_point=5, order_up_to=12)
    third = StockPolicy("shop3", "TEE-M", PolicyKind.STOCKED, reorder_point=5, order_up_to=12)
    positions = [StockPosition("shop1", "TEE-M", on_hand=3, on_order=4, backorders=2),
                 StockPosition("shop2", "TEE-M", on_hand=6)]
    orders = plan_replenishment([STOCKED, other, third], positions, review_day=14)
    assert [(o.store, o.quantity, o.inventory_position) for o in orders] == [
        ("shop1", 7, 5), ("shop3", 12, 0)]


def test_replenishment_only_on_review_days() -> None:
    """A weekly policy reviewed from day 2 orders on day 9 but not on day 10."""
    weekly = StockPolicy("shop1", "TEE-M", PolicyKind.STOCKED, reorder_point=5, order_up_to=12,
                         review_offset_day=2)
    assert len(plan_replenishment([weekly], [], review_day=9)) == 1
    assert plan_replenishment([weekly], [], review_day=10) == ()


def test_policy_validation() -> None:
    """A stocked policy with s above S is refused."""
    with pytest.raises(InvalidInput):
        StockPolicy("shop1", "TEE-M", PolicyKind.STOCKED, reorder_point=9, order_up_to=4)


@given(st.integers(0, 30), st.integers(1, 40))
def test_sale_never_drives_stock_negative(on_hand: int, quantity: int) -> None:
    """Shelf and made-to-order units add up to the sale and the shelf never goes below zero."""
    out = sell(STOCKED, StockPosition("shop1", "TEE-M", on_hand=on_hand), quantity)
    assert out.from_stock + out.made_to_order == quantity
    assert out.position.on_hand == on_hand - out.from_stock >= 0
