"""Campaigns in the store: cap from capacity, pledges, deadline, concurrency, close and convert."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from microfactory.bootstrap import Container
from microfactory.errors import CapacityExceeded, IllegalTransition, MicrofactoryError
from microfactory.services.campaigns import cancel_pledge, close_campaign, close_due_campaigns
from tests.integration.demand_support import NOW, load_berlin, open_, pledge


@pytest.fixture
def berlin(container: Container) -> Container:
    """The Berlin network, catalog and opening stock (no orders)."""
    return load_berlin(container)


def test_cap_comes_from_free_capacity_of_the_chosen_sites(berlin: Container) -> None:
    """The cap is the site's units of any mix: its bottleneck free minutes over the worst variant's."""
    view = open_(berlin)
    detail = view["cap_detail"]
    assert view["cap"] == detail["max_units"] == detail["per_site"]["mf-kreuzberg"] > 0
    assert detail["status"] == "optimal"
    assert set(detail["minutes_per_unit"]) == {"kiez-jean", "kiez-jacket"}
    k = detail["bottleneck"]["mf-kreuzberg"]
    free, worst = detail["free_minutes"]["mf-kreuzberg"][k], detail["worst_minutes"][k]
    assert view["cap"] == int(free // worst + 1e-9)


def test_pledge_exactly_at_the_deadline_in_another_time_zone_is_refused(berlin: Container) -> None:
    """10 Dec 00:00 Berlin is 9 Dec 18:00 New York: refused then, accepted a microsecond before."""
    open_(berlin)
    at = datetime(2026, 12, 9, 18, 0, tzinfo=ZoneInfo("America/New_York"))
    with pytest.raises(IllegalTransition) as exc:
        pledge(berlin, at=at)
    assert exc.value.details["reason"] == "past_deadline" and exc.value.field == "deadline"
    ok = pledge(berlin, at=at - timedelta(microseconds=1))
    assert ok["status"] == "active"


def test_pledge_is_an_order_in_status_pledged(berlin: Container) -> None:
    """A pledge stores a pledged campaign order and moves the tally."""
    p = pledge_after_open(berlin, qty=2)
    with berlin.uow() as uow:
        order = uow.orders.get(p["order_id"])
        row = uow.demand.get_campaign("CMP-W")
    assert order.status.value == "pledged" and order.channel.value == "campaign"
    assert row["units_by_product"]["kiez-jean"] == 2
    assert p["paid"] == 240.0


def pledge_after_open(c: Container, qty: int) -> dict[str, object]:
    open_(c)
    return pledge(c, qty=qty)


def test_pledge_past_the_cap_is_refused_with_a_reason(berlin: Container) -> None:
    """A pledge over the remaining cap is a 409 capacity_exceeded naming the quantity."""
    view = open_(berlin)
    with pytest.raises(CapacityExceeded) as exc:
        pledge(berlin, qty=view["cap"] + 1)
    assert exc.value.field == "quantity" and exc.value.details["reason"] == "cap_reached"


def test_two_concurrent_pledges_for_the_last_unit(berlin: Container) -> None:
    """With one unit left, two pledges at the same moment: exactly one is accepted."""
    view = open_(berlin, variants=open_variants_jean_only())
    pledge(berlin, qty=view["cap"] - 1)
    barrier, results = threading.Barrier(2), []

    def worker(ref: str) -> None:
        barrier.wait()
        try:
            results.append(pledge(berlin, ref=ref)["id"])
        except MicrofactoryError as exc:
            results.append(exc.code.value)

    threads = [threading.Thread(target=worker, args=(f"t{i}",)) for i in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert sorted(r.startswith("CMP-W-P") for r in results) == [False, True]
    assert "capacity_exceeded" in results
    with berlin.uow() as uow:
        assert sum(uow.demand.get_campaign("CMP-W")["units_by_product"].values()) == view["cap"]


def open_variants_jean_only() -> tuple[object, ...]:
    from microfactory.services.campaigns import VariantRequest
    from tests.integration.demand_support import JEAN
    return (VariantRequest("kiez-jean", JEAN),)


def test_cancel_a_pledge_refunds_and_frees_the_cap(berlin: Container) -> None:
    """A cancelled pledge cancels its order, records a refund and gives its units back."""
    p = pledge_after_open(berlin, qty=2)
    with berlin.uow() as uow:
        out = cancel_pledge(uow, "CMP-W", str(p["id"]), now=NOW, actor="test")
        uow.commit()
        order = uow.orders.get(str(p["order_id"]))
        kinds = [e["kind"] for e in uow.orders.events(order.id)]
        row = uow.demand.get_campaign("CMP-W")
    assert out["status"] == "cancelled" and order.status.value == "cancelled"
    assert "refund" in kinds and row["units_by_product"]["kiez-jean"] == 0


def test_close_with_minimum_met_converts_and_routes_with_promises(berlin: Container) -> None:
    """Minimum met: every pledge becomes a routed order with a promised date in its events."""
    open_(berlin)
    ids = [pledge(berlin, qty=2, ref="a")["order_id"], pledge(berlin, "kiez-jacket", ref="b")["order_id"]]
    with berlin.uow() as uow:
        view = close_campaign(uow, "CMP-W", now=NOW + timedelta(days=9), actor="test")
        uow.commit()
        orders = [uow.orders.get(str(i)) for i in ids]
        events = [e for i in ids for e in uow.orders.events(str(i))]
    assert view["status"] == "closed" and view["outcome"]["converted"] == 2
    assert all(o.status.value == "routed" for o in orders)
    assert sum(e["kind"] == "promised" for e in events) == 2
    assert [e["new"] for e in events if e["kind"] == "status_changed" and e["line_id"] is None][:3] == \
        ["received", "validated", "routed"]


def test_close_twice_is_idempotent(berlin: Container) -> None:
    """A second close changes nothing and returns the same outcome."""
    open_(berlin)
    pledge(berlin, qty=3)
    with berlin.uow() as uow:
        first = close_campaign(uow, "CMP-W", now=NOW + timedelta(days=9), actor="test")
        uow.commit()
        n_events = len(uow.orders.events("CMP-W-P00001"))
        second = close_campaign(uow, "CMP-W", now=NOW + timedelta(days=10), actor="test")
        uow.commit()
        assert len(uow.orders.events("CMP-W-P00001")) == n_events
    assert first["outcome"] == second["outcome"] and first["closed_at"] == second["closed_at"]


def test_minimum_not_met_releases_every_pledge_with_a_refund(berlin: Container) -> None:
    """Below the minimum at the deadline: close_due_campaigns cancels and refunds every pledge."""
    open_(berlin)
    p = pledge(berlin, qty=1)
    with berlin.uow() as uow:
        assert close_due_campaigns(uow, now=NOW, actor="test") == []
        closed = close_due_campaigns(uow, now=datetime(2026, 12, 9, 23, 0), actor="test")
        uow.commit()
        order = uow.orders.get(str(p["order_id"]))
        kinds = [e["kind"] for e in uow.orders.events(order.id)]
    assert [c["id"] for c in closed] == ["CMP-W"] and closed[0]["outcome"]["refunded"] == 1
    assert order.status.value == "cancelled" and "refund" in kinds


def test_partial_outcome_per_product(berlin: Container) -> None:
    """With partial outcomes, the jean (minimum met) goes and the jacket (not met) is released."""
    open_(berlin, minimum_total=None, minimum_per_product={"kiez-jean": 2, "kiez-jacket": 2}, partial_outcomes=True)
    jean = pledge(berlin, qty=2, ref="a")
    jacket = pledge(berlin, "kiez-jacket", qty=1, ref="b")
    with berlin.uow() as uow:
        view = close_campaign(uow, "CMP-W", now=NOW + timedelta(days=9), actor="test")
        uow.commit()
        statuses = {str(p["order_id"]): uow.orders.get(str(p["order_id"])).status.value for p in (jean, jacket)}
    outcome = {p["product"]: p["outcome"] for p in view["outcome"]["products"]}
    assert outcome == {"kiez-jean": "go", "kiez-jacket": "release"}
    assert statuses == {str(jean["order_id"]): "routed", str(jacket["order_id"]): "cancelled"}


def test_pledge_after_close_is_refused(berlin: Container) -> None:
    """A closed campaign refuses pledges as campaign_closed."""
    open_(berlin)
    with berlin.uow() as uow:
        close_campaign(uow, "CMP-W", now=NOW, actor="test")
        uow.commit()
    with pytest.raises(IllegalTransition) as exc:
        pledge(berlin)
    assert exc.value.details["reason"] == "campaign_closed"
