"""Campaign capacity holds and the bulk close: no over-selling, the store's capacity invariants hold."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import text

from microfactory.bootstrap import Container
from microfactory.services.campaigns import (
    PledgeRequest,
    VariantRequest,
    close_campaign,
    place_pledge,
)
from tests.integration.demand_support import NOW, load_berlin, open_

TEE = {"size": "M", "colour": "white", "design": "wave"}
SPREE = {"brand": "spree", "variants": (VariantRequest("spree-tee", TEE),), "name": "Spree capsule"}


@pytest.fixture
def berlin(container: Container) -> Container:
    """The Berlin network, catalog and opening stock (no orders)."""
    return load_berlin(container)


def _invariants(c: Container) -> None:
    """reserved_min = sum of reservations per row, and never above capacity_min."""
    with c.engine.connect() as conn:
        bad = conn.execute(text(
            "SELECT c.site_id, c.process, c.day, c.reserved_min, c.capacity_min, "
            "COALESCE(SUM(r.minutes), 0) FROM capacity c LEFT JOIN capacity_reservations r ON "
            "r.site_id = c.site_id AND r.process = c.process AND r.day = c.day "
            "GROUP BY c.site_id, c.process, c.day, c.reserved_min, c.capacity_min")).all()
    for s, p, d, reserved, cap, summed in bad:
        assert abs(reserved - summed) < 1e-6, (s, p, d, reserved, summed)
        assert reserved <= cap + 1e-6, (s, p, d, reserved, cap)


def _held(c: Container, cid: str) -> float:
    with c.engine.connect() as conn:
        return float(conn.execute(text("SELECT COALESCE(SUM(minutes), 0) FROM capacity_reservations "
                                       "WHERE line_id = :r"), {"r": f"campaign:{cid}"}).scalar_one())


def test_two_campaigns_on_one_site_cannot_sell_the_same_minutes(berlin: Container) -> None:
    """A holds 10 units' minutes; B gets exactly the rest of the site's units; a third gets none."""
    a = open_(berlin, campaign_id="CMP-A", max_units=10)
    detail = a["cap_detail"]
    free, worst = detail["free_minutes"]["mf-kreuzberg"], detail["worst_minutes"]
    alone = min(int(free[k] // m + 1e-9) for k, m in worst.items())
    b = open_(berlin, campaign_id="CMP-B", name="Second capsule")
    c = open_(berlin, campaign_id="CMP-C", name="Third capsule")
    assert a["cap"] == 10 and b["cap"] == alone - 10 and c["cap"] == 0
    assert _held(berlin, "CMP-A") == pytest.approx(10 * sum(worst.values()))
    _invariants(berlin)


def test_cap_respects_the_bottleneck_process_of_each_site(berlin: Container) -> None:
    """Wedding cannot print: a tee campaign on Wedding and Neukölln is capped by Neukölln alone."""
    both = open_(berlin, campaign_id="CMP-2", sites=("mf-wedding", "mf-neukoelln"), max_units=None, **SPREE)
    detail = both["cap_detail"]
    assert detail["per_site"]["mf-wedding"] == 0 and detail["bottleneck"]["mf-wedding"] == "printing"
    assert both["cap"] == detail["per_site"]["mf-neukoelln"] > 0
    free, worst = detail["free_minutes"]["mf-neukoelln"], detail["worst_minutes"]
    assert both["cap"] == min(int(free[k] // m + 1e-9) for k, m in worst.items())


def _pledge_many(c: Container, cid: str, n: int) -> None:
    with c.uow() as uow:
        for i in range(n):
            place_pledge(uow, PledgeRequest(cid, 1, product="spree-tee", options=TEE, customer_ref=f"c{i}",
                                            customer_lat=52.45 + (i % 37) / 1000, customer_lon=13.35),
                         now=NOW, actor="test")
        uow.commit()


def test_a_large_close_books_capacity_stock_and_assignments_for_every_line(berlin: Container) -> None:
    """250 pledges close through the bulk path: each routed line has minutes, stock and an assignment."""
    open_(berlin, campaign_id="CMP-L", sites=("mf-neukoelln", "mf-spandau-ondemand"), max_units=400,
          minimum_total=10, **SPREE)
    _pledge_many(berlin, "CMP-L", 250)
    with berlin.uow() as uow:
        view = close_campaign(uow, "CMP-L", now=datetime(2026, 12, 10, 9, 0), actor="test")
        uow.commit()
    routing = view["outcome"]["routing"]
    assert view["outcome"]["converted"] == 250 and routing["routed"] == 250 and routing["method"] == "bulk-greedy"
    assert routing["status"] == "feasible" and routing["seed"] == 0 and routing["runtime_s"] >= 0
    assert _held(berlin, "CMP-L") == 0 and view["outcome"]["hold_released_minutes"] > 0
    _invariants(berlin)
    with berlin.engine.connect() as conn:
        lines = conn.execute(text("SELECT l.id, l.status, l.site_id, a.site_id, "
                                  "(SELECT SUM(minutes) FROM capacity_reservations r WHERE r.line_id = l.id), "
                                  "(SELECT SUM(qty) FROM inventory_reservations s WHERE s.ref = l.id) "
                                  "FROM order_lines l JOIN orders o ON o.id = l.order_id "
                                  "LEFT JOIN assignments a ON a.line_id = l.id WHERE o.channel = 'campaign'")).all()
        promised = conn.execute(text("SELECT COUNT(*) FROM order_events WHERE kind = 'promised'")).scalar_one()
    assert len(lines) == 250 and promised == 250
    for _, status, site, assigned, minutes, stock in lines:
        assert status == "routed" and site == assigned and site in ("mf-neukoelln", "mf-spandau-ondemand")
        assert minutes == pytest.approx(5.0)             # 4 printing + 1 packing minutes
        assert stock == pytest.approx(19.0)              # one blank and 18 ml of ink


def test_a_released_campaign_frees_its_hold(berlin: Container) -> None:
    """A campaign whose minimum is not met refunds its pledges and releases every held minute."""
    open_(berlin, campaign_id="CMP-R", minimum_total=1000)
    assert _held(berlin, "CMP-R") > 0
    with berlin.uow() as uow:
        view = close_campaign(uow, "CMP-R", now=datetime(2026, 12, 10, 9, 0), actor="test")
        uow.commit()
    assert view["outcome"]["converted"] == 0 and _held(berlin, "CMP-R") == 0
    _invariants(berlin)
