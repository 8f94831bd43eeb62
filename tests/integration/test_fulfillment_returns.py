"""Returns on the store: restock at a store, remake with adjusted measurements, rules and KPIs."""

from __future__ import annotations

from datetime import datetime

import pytest

from microfactory.bootstrap import Container
from microfactory.domain.orders import OrderStatus, advance_line
from microfactory.errors import IllegalTransition, InvalidInput
from microfactory.services.returns import (
    ReceiveRequest,
    authorise_return,
    receive_return,
    return_kpis,
)
from tests.conftest import NOW
from tests.integration.fulfillment_support import SHIRT, add_order, advance, network_only

LATER = datetime(2026, 12, 8, 10, 0)


def deliver(uow: object, order_id: str) -> None:
    """Advance a packed order through shipped to delivered."""
    advance(uow, order_id)
    order = uow.orders.get(order_id)  # type: ignore[attr-defined]
    events = []
    for line in order.lines:
        for status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
            order, evs = advance_line(order, line.id, status, NOW)
            events += evs
    uow.orders.save_status(order, events, "test")  # type: ignore[attr-defined]


@pytest.fixture
def net(container: Container) -> Container:
    return network_only(container)


def test_changed_mind_return_is_restocked_at_a_store(net: Container) -> None:
    """A resellable jean comes back into stock at the store under a return lot; the line is returned."""
    with net.uow() as uow:
        add_order(uow, "j1", qty=2, delivery="pickup:st-mitte", customer="ann")
        deliver(uow, "j1")
        ret = authorise_return(uow, "j1", "j1-1", 1, "changed_mind", LATER)
        done = receive_return(uow, ret.id, ReceiveRequest(resellable=True, notes="tags on"), LATER)
        sku = uow.orders.get("j1").lines[0].sku
        inv = uow.inventory.load([("st-mitte", sku)])
        stored = uow.fulfillment.get_return(ret.id)
        assert uow.orders.get("j1").lines[0].status is OrderStatus.RETURNED
    assert done.status.value == "restocked" and done.store == "st-mitte" and stored == done
    assert [lot for lot, _ in inv.lots_of("st-mitte", sku)] == [f"RET-{ret.id}"]
    assert inv.on_hand("st-mitte", sku) == pytest.approx(1)


def test_fit_return_of_made_to_measure_is_remade_with_new_measurements(net: Container) -> None:
    """A made-to-measure shirt that does not fit becomes a new api order for the same customer with chest 104."""
    with net.uow() as uow:
        add_order(uow, "m1", product=SHIRT, customer="bea")
        deliver(uow, "m1")
        ret = authorise_return(uow, "m1", "m1-1", 1, "fit", LATER)
        with pytest.raises(InvalidInput) as exc:
            receive_return(uow, ret.id, ReceiveRequest(resellable=False), LATER)
        assert exc.value.field == "measurements"
        done = receive_return(uow, ret.id, ReceiveRequest(False, "too tight", {"chest_cm": 104}), LATER)
        remake = uow.orders.get(done.remake_order_id)
        original = uow.orders.get("m1")
    assert done.status.value == "remade" and remake.channel.value == "api" and remake.customer_ref == "bea"
    assert dict(remake.lines[0].options)["chest_cm"] == "104" and dict(remake.lines[0].options)["sleeve_cm"] == "62"
    assert remake.status is OrderStatus.VALIDATED and original.lines[0].status is OrderStatus.RETURNED


def test_returns_are_checked_and_counted(net: Container) -> None:
    """Only shipped lines can be returned, never more than their units; rates count non-rejected returns."""
    with net.uow() as uow:
        add_order(uow, "a1", qty=2)
        advance(uow, "a1")
        with pytest.raises(IllegalTransition):
            authorise_return(uow, "a1", "a1-1", 1, "fit", LATER)
        deliver_rest = uow.orders.get("a1")
        order, events = advance_line(deliver_rest, "a1-1", OrderStatus.SHIPPED, NOW)
        uow.orders.save_status(order, events, "test")
        authorise_return(uow, "a1", "a1-1", 1, "defect", LATER)
        with pytest.raises(InvalidInput):
            authorise_return(uow, "a1", "a1-1", 2, "fit", LATER)
        with pytest.raises(InvalidInput):
            authorise_return(uow, "a1", "a1-1", 1, "too_expensive", LATER)
        kpis = return_kpis(uow)
        listed = uow.fulfillment.returns(order_id="a1")
    assert kpis["shipped"] == 2 and kpis["returned"] == 1 and kpis["rate"] == 0.5
    assert {r["key"]: r["rate"] for r in kpis["by_reason"]}["defect"] == 0.5
    assert {r["key"]: r["returned"] for r in kpis["by_site"]} == {"mf-kreuzberg": 1}
    assert len(listed) == 1 and listed[0].status.value == "authorised"
