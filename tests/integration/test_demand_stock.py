"""Stock policies, store sales with made-to-order fallback, and the replenishment planner in the store."""

from __future__ import annotations

import pytest

from microfactory.bootstrap import Container
from microfactory.services.stock import (
    PolicyRequest,
    SaleRequest,
    run_replenishment,
    set_policy,
    store_sale,
)
from tests.integration.demand_support import NOW, load_berlin

TEE = {"size": "M", "colour": "black", "design": "wave"}
SKU = "SPREE-TEE-M-BLACK-WAVE"


@pytest.fixture
def berlin(container: Container) -> Container:
    """The Berlin network, catalog and opening stock (no orders)."""
    return load_berlin(container)


def _policy(c: Container, **over: object) -> dict[str, object]:
    base: dict[str, object] = {"store": "st-mitte", "product": "spree-tee", "options": TEE, "kind": "stocked",
                                   "demand_per_day": 4.0, "sd_per_day": 2.0, "lead_time_days": 4.0, "service_level": 0.95}
    base.update(over)
    with c.uow() as uow:
        view = set_policy(uow, PolicyRequest(**base), now=NOW, actor="test")  # type: ignore[arg-type]
        uow.commit()
    return view


def test_cushion_is_stored_as_computed_by_hand(berlin: Container) -> None:
    """d=4, sd=2, L=4, 95%, weekly: s = 16 + 1.6449*2*2 = 22.58 -> 23, S = 22.58 + 28 -> 51."""
    view = _policy(berlin)
    assert (view["reorder_point"], view["order_up_to"]) == (23, 51)
    assert view["sku"] == SKU and abs(view["detail"]["safety_stock"] - 6.5794) < 1e-3  # type: ignore[index]


def test_store_sale_falls_back_to_made_to_order_with_the_longer_promise(berlin: Container) -> None:
    """Two on the shelf, three sold: two from stock, one made to order and routed, promise 7 days."""
    _policy(berlin, stock_promise_days=0, mto_promise_days=7)
    with berlin.uow() as uow:
        uow.inventory.apply([("st-mitte", SKU)], lambda inv: inv.receive("st-mitte", SKU, "FG-1", 2, NOW, "test"))
        out = store_sale(uow, SaleRequest("st-mitte", "spree-tee", TEE, 3), now=NOW, actor="test")
        uow.commit()
        left = uow.inventory.load([("st-mitte", SKU)]).on_hand("st-mitte", SKU)
        order = uow.orders.get(str(out["order_id"]))
    assert (out["from_stock"], out["made_to_order"], out["promise_days"]) == (2, 1, 7)
    assert left == 0 and order.channel.value == "shop" and order.units == 1
    assert order.status.value in ("routed", "validated")


def test_store_sale_from_stock_keeps_the_short_promise(berlin: Container) -> None:
    """A sale the shelf covers takes stock only and shows the stock promise."""
    _policy(berlin, stock_promise_days=0)
    with berlin.uow() as uow:
        uow.inventory.apply([("st-mitte", SKU)], lambda inv: inv.receive("st-mitte", SKU, "FG-1", 5, NOW, "test"))
        out = store_sale(uow, SaleRequest("st-mitte", "spree-tee", TEE, 3), now=NOW, actor="test")
        uow.commit()
    assert (out["from_stock"], out["made_to_order"], out["promise_days"], out["order_id"]) == (3, 0, 0, None)


def test_replenishment_orders_are_created_once_and_routed(berlin: Container) -> None:
    """An empty shelf orders up to S as a routed replenishment order; a rerun counts it as on order."""
    _policy(berlin)
    with berlin.uow() as uow:
        first = run_replenishment(uow, now=NOW, actor="test", review_all=True)
        uow.commit()
        second = run_replenishment(uow, now=NOW, actor="test", review_all=True)
        uow.commit()
        order = uow.orders.get(first["orders"][0]["order_id"])
    assert [(o["sku"], o["quantity"]) for o in first["orders"]] == [(SKU, 51)]
    assert order.channel.value == "replenishment" and str(order.delivery) == "pickup:st-mitte"
    assert order.status.value == "routed"
    assert second["orders"] == []
