"""Purchasing (plan, order, receive into a lot) and test-market analysis from stored orders."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from microfactory.bootstrap import Container
from microfactory.domain.production import Batch, BatchLine
from microfactory.engines.forecasting import GammaPrior, Observation, posterior
from microfactory.errors import IllegalTransition
from microfactory.services import purchasing
from microfactory.services.intake import LineRequest, OrderRequest, create_order
from microfactory.services.market import MarketRequest, analyse
from tests.integration.demand_support import NOW, load_berlin


@pytest.fixture
def berlin(container: Container) -> Container:
    """The Berlin network, catalog and opening stock (no orders)."""
    return load_berlin(container)


def test_purchase_order_receipt_puts_a_lot_into_inventory(berlin: Container) -> None:
    """A PO received in two parts: two lots at the site, referenced to the PO, status received."""
    with berlin.uow() as uow:
        po = purchasing.order_manual(uow, "mf-kreuzberg", "sup-stofflager", "linen", 30, now=NOW, actor="test")
        before = uow.inventory.load([("mf-kreuzberg", "linen")]).on_hand("mf-kreuzberg", "linen")
        purchasing.receive(uow, po["id"], 10, "LIN-PO-A", now=NOW, actor="test")
        done = purchasing.receive(uow, po["id"], 20, "LIN-PO-B", now=NOW, actor="test")
        uow.commit()
        after = uow.inventory.load([("mf-kreuzberg", "linen")]).on_hand("mf-kreuzberg", "linen")
        moves = [m for m in uow.inventory.movements("mf-kreuzberg") if m["item"] == "linen" and m["kind"] == "receipt"]
        with pytest.raises(IllegalTransition):
            purchasing.receive(uow, po["id"], 1, "LIN-PO-C", now=NOW, actor="test")
    assert po["unit_price"] == 14.0 and done["status"] == "received"
    assert [r["lot"] for r in done["receipts"]] == ["LIN-PO-A", "LIN-PO-B"] and after - before == 30
    assert {m["ref"] for m in moves[:2]} == {f"po {po['id']}"}


def test_planned_batch_drives_net_requirements_and_suggestions(berlin: Container) -> None:
    """A planned batch of 80 jeans needs 112 m of organic denim, 90 m on hand: 22 m are suggested."""
    with berlin.uow() as uow:
        res = create_order(uow, OrderRequest("kiez", (LineRequest("kiez-jean", {"size": "32", "fabric": "denim-organic"},
                                                                  80),), 52.5, 13.4), now=NOW, actor="test")
        ln = res.order.lines[0]
        uow.production.add_batch(Batch("B1", "mf-kreuzberg", "cut-denim", (BatchLine(ln.id, res.order.id, ln.sku, 80),),
                                       "KB261201-001", planned_start=NOW + timedelta(days=6)), NOW)
        plan = purchasing.plan(uow, now=NOW)
        pos = purchasing.order_suggested(uow, now=NOW, actor="test")
        uow.commit()
        again = purchasing.plan(uow, now=NOW)
    net = {(n["site"], n["material"]): n for n in plan["net"]}
    need = net[("mf-kreuzberg", "denim-organic")]
    assert need["quantity"] == pytest.approx(22.0) and need["need_date"] == (NOW + timedelta(days=6)).date().isoformat()
    sugg = [s for s in plan["suggestions"] if s["material"] == "denim-organic"]
    assert sugg and sugg[0]["supplier"] == "sup-stofflager" and sugg[0]["quantity"] == pytest.approx(22.0)
    assert any(p["material"] == "denim-organic" for p in pos)
    assert not any(n["material"] == "denim-organic" for n in again["net"])


def test_market_analysis_uses_stored_daily_orders(berlin: Container) -> None:
    """Posterior from the stored daily units equals the engine's on the same counts."""
    counts = [2, 0, 3, 1]
    with berlin.uow() as uow:
        for day, n in enumerate(counts):
            for k in range(n):
                create_order(uow, OrderRequest("spree", (LineRequest("spree-tote", {"design": "wave"}, 1),), 52.5, 13.4,
                                               order_id=f"T{day}{k}"), now=NOW + timedelta(days=day), actor="test")
        out = analyse(uow, MarketRequest("spree-tote", NOW.date(), NOW.date() + timedelta(days=5), unit_cost=8.0,
                                         scale_units=100, stop_units=5))
    expected = posterior(GammaPrior(1.0, 0.1), [Observation(c, 1.0) for c in counts + [0]])
    assert out["units"] == 6 and out["days"] == 5
    assert out["posterior"] == {"shape": expected.shape, "rate": pytest.approx(expected.rate)}
    assert out["action"] in ("keep", "scale_up", "stop") and out["newsvendor"]
    assert date.fromisoformat(out["period"][1]) == NOW.date() + timedelta(days=5)
