"""Tenant scopes in the repository queries: another tenant's row is simply not found."""

from __future__ import annotations

from datetime import date

import pytest

from microfactory.bootstrap import Container
from microfactory.domain.returns import Return, ReturnReason
from microfactory.errors import NotFound
from tests.conftest import NOW
from tests.integration.qt_support import make_batch


def test_batch_of_another_site_is_not_found(loaded: Container) -> None:
    """get_batch with a site scope finds the batch only at its own site."""
    make_batch(loaded, batch_id="B-WD-1", lot="WD261201-001", site="mf-wedding")
    with loaded.uow(readonly=True) as uow:
        assert uow.production.get_batch("B-WD-1", site="mf-wedding").site_id == "mf-wedding"
        assert uow.production.get_batch("B-WD-1").id == "B-WD-1"
        with pytest.raises(NotFound):
            uow.production.get_batch("B-WD-1", site="mf-kreuzberg")


def test_shipment_and_delivery_plan_of_another_site_are_not_found(loaded: Container) -> None:
    """Shipments and same-day plans are found only under the site they leave from."""
    with loaded.uow() as uow:
        order = uow.orders.list(limit=1)[0][0]
        uow.fulfillment.add_shipment("SH-1", order.id, "parcel", "filex", None, "booked", "mf-wedding", {}, NOW)
        uow.fulfillment.save_delivery_plan("DP-1", "mf-wedding", date(2026, 12, 1), {"status": "optimal"}, {}, {}, NOW)
        uow.commit()
    with loaded.uow(readonly=True) as uow:
        assert uow.fulfillment.get_shipment("SH-1", site="mf-wedding") is not None
        assert uow.fulfillment.get_shipment("SH-1", site="mf-kreuzberg") is None
        assert uow.fulfillment.get_delivery_plan("DP-1", site="mf-wedding")["site"] == "mf-wedding"
        with pytest.raises(NotFound):
            uow.fulfillment.get_delivery_plan("DP-1", site="mf-kreuzberg")


def test_return_and_preferences_of_another_brand_are_not_found(loaded: Container) -> None:
    """A return and a customer's preferences are found only under the brand they belong to."""
    with loaded.uow() as uow:
        orders, _ = uow.orders.list(brand="spree", limit=1)
        line = orders[0].lines[0]
        uow.fulfillment.add_return(Return("R-1", orders[0].id, line.id, 1, ReturnReason.FIT, NOW))
        uow.fulfillment.put_preference("cust-1", "spree", "weekly", 2, None, "email", None, NOW)
        uow.commit()
    with loaded.uow(readonly=True) as uow:
        assert uow.fulfillment.get_return("R-1", brand="spree").id == "R-1"
        with pytest.raises(NotFound):
            uow.fulfillment.get_return("R-1", brand="kiez")
        assert uow.fulfillment.preferences(["cust-1"], brand="spree")["cust-1"]["brand"] == "spree"
        assert uow.fulfillment.preferences(["cust-1"], brand="kiez") == {}
