"""Net material requirements and purchase suggestions."""

from __future__ import annotations

from datetime import date

import pytest

from microfactory.engines.purchasing import (
    GrossRequirement,
    MaterialInfo,
    MaterialStock,
    NetRequirement,
    PriceBreak,
    Supplier,
    SupplierOffer,
    net_requirements,
    suggest_purchases,
)
from microfactory.errors import InvalidInput

TODAY = date(2026, 6, 1)


def test_net_requirements_hand_case() -> None:
    """Linen at lyon: gross 30 + 50 + 20, on hand 40, on order 25, reserved 15 -> net 50 from 10 June."""
    gross = [GrossRequirement("lyon", "linen", 30, date(2026, 6, 5)),
             GrossRequirement("lyon", "linen", 50, date(2026, 6, 10)),
             GrossRequirement("lyon", "linen", 20, date(2026, 6, 12)),
             GrossRequirement("lyon", "thread", 5, date(2026, 6, 5)),
             GrossRequirement("gent", "linen", 10, date(2026, 6, 7))]
    stock = [MaterialStock("lyon", "linen", on_hand=40, on_order=25, reserved=15),
             MaterialStock("lyon", "thread", on_hand=9)]
    # available 40 + 25 - 15 = 50: covers the 30 on 5 June, 20 of the 50 on 10 June.
    assert net_requirements(gross, stock) == (
        NetRequirement("gent", "linen", 10, date(2026, 6, 7)),
        NetRequirement("lyon", "linen", 50, date(2026, 6, 10)))


def _supplier(sid: str, material: str, lead: int, moq: float, *breaks: tuple[float, float]) -> Supplier:
    offer = SupplierOffer(material, lead, moq, tuple(PriceBreak(q, p) for q, p in breaks))
    return Supplier(sid, (45.76, 4.84), (offer,))


def test_minimum_order_and_cheapest_price_break() -> None:
    """Need 40 m, minimum 50: 50 m at 6.00 = 300 loses to 100 m at 2.90 = 290 at the next break."""
    need = NetRequirement("lyon", "linen", 40, date(2026, 6, 20))
    supplier = _supplier("weaver", "linen", 5, 50, (0, 6.0), (100, 2.9), (500, 2.5))
    plan = suggest_purchases([need], [supplier], {}, TODAY)
    (s,) = plan.suggestions
    assert (s.quantity, s.unit_price, s.total) == (100, 2.9, pytest.approx(290.0))
    assert s.order_date == date(2026, 6, 15) and not s.late and s.reason == "cheapest"


def test_price_break_not_worth_reaching() -> None:
    """Need 60 m: 60 at 4.00 = 240 beats 100 at 3.00 = 300."""
    need = NetRequirement("lyon", "linen", 60, date(2026, 6, 20))
    plan = suggest_purchases([need], [_supplier("w", "linen", 2, 0, (0, 4.0), (100, 3.0))], {}, TODAY)
    assert (plan.suggestions[0].quantity, plan.total_cost) == (60, pytest.approx(240.0))


def test_on_time_supplier_preferred_over_cheaper_late_one() -> None:
    """A dearer supplier that arrives in time wins over a cheaper one that would be late."""
    need = NetRequirement("lyon", "linen", 10, date(2026, 6, 5))
    plan = suggest_purchases([need], [_supplier("far", "linen", 10, 0, (0, 1.0)),
                                      _supplier("near", "linen", 3, 0, (0, 2.0))], {}, TODAY)
    assert plan.suggestions[0].supplier == "near" and not plan.suggestions[0].late


def test_late_without_substitute_is_flagged() -> None:
    """When only a late offer exists, it is ordered today and flagged late."""
    need = NetRequirement("lyon", "linen", 10, date(2026, 6, 5))
    (s,) = suggest_purchases([need], [_supplier("far", "linen", 10, 0, (0, 1.0))], {}, TODAY).suggestions
    assert s.late and s.order_date == TODAY and s.arrival_date == date(2026, 6, 11)


def test_substitute_when_short() -> None:
    """Linen arrives late, approved hemp arrives in time: hemp is bought for linen."""
    need = NetRequirement("lyon", "linen", 10, date(2026, 6, 5))
    materials = {"linen": MaterialInfo("linen", 3.0, ("hemp",)), "hemp": MaterialInfo("hemp", 3.5)}
    plan = suggest_purchases([need], [_supplier("far", "linen", 10, 0, (0, 3.0)),
                                      _supplier("mill", "hemp", 2, 0, (0, 3.4))], materials, TODAY)
    (s,) = plan.suggestions
    assert (s.material, s.substitute_for, s.reason) == ("hemp", "linen", "substitute: material short")


def test_substitute_when_price_jumps() -> None:
    """Linen at 4.00 against a 3.00 reference is a 33% jump above the 20% threshold: hemp instead."""
    need = NetRequirement("lyon", "linen", 10, date(2026, 6, 20))
    materials = {"linen": MaterialInfo("linen", 3.0, ("hemp",)), "hemp": MaterialInfo("hemp", 3.5)}
    suppliers = [_supplier("w", "linen", 2, 0, (0, 4.0)), _supplier("mill", "hemp", 2, 0, (0, 3.6))]
    (s,) = suggest_purchases([need], suppliers, materials, TODAY).suggestions
    assert (s.material, s.reason) == ("hemp", "substitute: price jump")
    (kept,) = suggest_purchases([need], suppliers, materials, TODAY, price_jump_threshold=0.5).suggestions
    assert kept.material == "linen"


def test_nobody_sells_it() -> None:
    """A material no supplier offers and with no substitute is reported unfilled."""
    need = NetRequirement("lyon", "silk", 3, date(2026, 6, 20))
    plan = suggest_purchases([need], [_supplier("w", "linen", 2, 0, (0, 4.0))], {}, TODAY)
    assert plan.suggestions == () and plan.unfilled == (need,)


def test_offer_validation() -> None:
    """An offer without any price is refused."""
    with pytest.raises(InvalidInput):
        SupplierOffer("linen", 2, 0, ())
