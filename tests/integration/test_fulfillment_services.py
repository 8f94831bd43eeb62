"""Fulfillment services on the store: options from the plan, preferences and cadence groups,
same-day plans as shipments, carriers and tracking, pickups and material transfers."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from microfactory.adapters.carriers import FileCarrier, ParcelTariff
from microfactory.bootstrap import Container
from microfactory.domain.orders import OrderStatus
from microfactory.domain.production import Batch, BatchLine
from microfactory.engines.delivery import DeliveryParams, check_routes
from microfactory.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from microfactory.services.fulfillment import (
    PreferenceRequest,
    get_preference,
    order_options,
    set_preference,
    ship_groups,
)
from microfactory.services.fulfillment_sameday import plan_stored, solution_from_dict
from microfactory.services.fulfillment_shipping import (
    confirm_delivery,
    confirm_pickup,
    create_shipment,
    sync_tracking,
    transfer_material,
)
from tests.conftest import NOW
from tests.integration.fulfillment_support import add_order, advance, network_only

FRI = date(2026, 12, 4)
FAST = DeliveryParams(time_limit_s=1.0, seed=1, max_iterations=300)


@pytest.fixture
def net(container: Container) -> Container:
    return network_only(container)


def carrier(tmp_path: Path) -> FileCarrier:
    return FileCarrier("filex", tmp_path / "outbox", tmp_path / "inbox", ParcelTariff(), lambda: NOW)


def statuses(uow: object, order_id: str) -> list[str]:
    return [ln.status.value for ln in uow.orders.get(order_id).lines]  # type: ignore[attr-defined]


def test_options_take_the_ready_time_from_the_batch(net: Container) -> None:
    """A line in a batch ending Thursday 16:00 is ready then; an unrouted line uses the nearest site's lead time."""
    with net.uow() as uow:
        add_order(uow, "o2")
        unrouted = order_options(uow, "o2", NOW)
        add_order(uow, "o1")
        advance(uow, "o1", to=OrderStatus.SCHEDULED)
        end = datetime(2026, 12, 3, 16, 0)
        uow.production.add_batch(Batch("B1", "mf-kreuzberg", "jean", (BatchLine("o1-1", "o1", "sku", 1),), "L1",
                                       planned_end=end), NOW)
        result = order_options(uow, "o1", NOW, carriers=[FileCarrier("filex", Path("/nonexistent"),
                                                                     Path("/nonexistent"), ParcelTariff(), lambda: NOW)])
    assert unrouted.ready.site_basis == "nearest" and unrouted.ready.basis == "lead_time"
    assert unrouted.site.id == "mf-kreuzberg" and unrouted.ready.ready == datetime(2026, 12, 2, 17, 0)
    assert result.ready.ready == end and result.ready.basis == "batch" and result.site.id == "mf-kreuzberg"
    kinds = {o.kind: o for o in result.options}
    assert "same_day" not in kinds and any(u.kind == "same_day" for u in result.unavailable)
    assert kinds["pickup:st-mitte"].promised_date == date(2026, 12, 3)
    assert kinds["parcel"].promised_date == date(2026, 12, 5) and kinds["parcel"].carrier == "filex"


def test_cadence_groups_a_customers_lines_on_their_day(net: Container) -> None:
    """A stored weekly-Friday preference groups that customer's two orders on Friday; an asap customer's ships
    today; bad preferences are refused."""
    with net.uow() as uow:
        stored = set_preference(uow, "weekly-ann", PreferenceRequest("kiez", "weekly", weekday=4,
                                                                     pickup_store="st-mitte"), NOW)
        assert stored["cadence"] == "weekly" and get_preference(uow, "weekly-ann")["pickup_store"] == "st-mitte"
        for bad, fld in ((PreferenceRequest("kiez", pickup_store="mf-kreuzberg"), "pickup_store"),
                         (PreferenceRequest("kiez", channel="pigeon"), "channel"),
                         (PreferenceRequest("kiez", "weekly", weekday=9), "weekday")):
            with pytest.raises(InvalidInput) as exc:
                set_preference(uow, "cust-2", bad, NOW)
            assert exc.value.field == fld
        with pytest.raises(NotFound):
            get_preference(uow, "nobody")
        for oid, cust in (("a1", "weekly-ann"), ("a2", "weekly-ann"), ("b1", "asap-bob")):
            add_order(uow, oid, customer=cust)
            advance(uow, oid)
        today = ship_groups(uow, "mf-kreuzberg", NOW.date(), NOW)
        friday = ship_groups(uow, "mf-kreuzberg", FRI, NOW)
        options = order_options(uow, "a1", NOW)
    assert [(g.customer_id, g.line_ids) for g in today] == [("asap-bob", ("b1-1",))]
    assert [(g.customer_id, g.line_ids) for g in friday] == [("weekly-ann", ("a1-1", "a2-1"))]
    consolidated = next(o for o in options.options if o.kind == "consolidated")
    assert consolidated.promised_date == FRI


def test_same_day_plan_is_stored_as_shipments_and_tracked(net: Container) -> None:
    """Three packed same-day orders are routed feasibly, stored as shipments, then shipped and delivered."""
    with net.uow() as uow:
        for n, where in enumerate(((52.505, 13.41), (52.49, 13.39), (52.51, 13.42))):
            add_order(uow, f"s{n}", where=where, delivery="same_day", customer=f"c{n}")
            advance(uow, f"s{n}")
        add_order(uow, "late", delivery="same_day")  # not produced yet: left out
        uow.orders.set_line_site("late-1", "mf-kreuzberg")
        run = plan_stored(uow, "mf-kreuzberg", NOW.date(), NOW, params=FAST)
        uow.commit()
        plan = uow.fulfillment.get_delivery_plan("DP-mf-kreuzberg-20261201")
        shipments = uow.fulfillment.shipments(kind="same_day")
    assert run.violations == () and check_routes(run.problem, solution_from_dict(plan["solution"])) == []
    assert [o for o, _ in run.excluded] == ["late"]
    assert sorted(s["order_id"] for s in shipments) == ["s0", "s1", "s2"]
    evening = datetime(2026, 12, 1, 21, 30)
    with net.uow() as uow:
        changed = sync_tracking(uow, evening, {})
        assert len(changed["changed"]) == 3 and statuses(uow, "s0") == ["shipped"]
        confirm_delivery(uow, shipments[0]["id"], datetime(2026, 12, 1, 16, 0), evening, note="left with neighbour")
        assert statuses(uow, shipments[0]["order_id"]) == ["delivered"]
        with pytest.raises(Conflict):
            plan_stored(uow, "mf-kreuzberg", NOW.date(), NOW)


def test_file_carrier_round_trip_moves_the_order(net: Container, tmp_path: Path) -> None:
    """A parcel label is written; inbox updates move the order to shipped then delivered; replays change nothing;
    a line still in production cannot be booked."""
    fc = carrier(tmp_path)
    with net.uow() as uow:
        add_order(uow, "p2")
        advance(uow, "p2", to=OrderStatus.IN_PRODUCTION)
        with pytest.raises(IllegalTransition):
            create_shipment(uow, "p2", fc, NOW)
        add_order(uow, "p1")
        advance(uow, "p1")
        first = create_shipment(uow, "p1", fc, NOW, reference="r1")
        again = create_shipment(uow, "p1", fc, NOW, reference="r1")
        uow.commit()
    assert first["created"] and not again["created"] and first["id"] == again["id"]
    assert first["kind"] == "parcel" and (tmp_path / "outbox" / f"{first['tracking']}.json").exists()
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "a.csv").write_text("tracking_number,status,at,location,note\n"
                                              f"{first['tracking']},shipped,2026-12-01T17:00:00,Berlin,\n")
    with net.uow() as uow:
        sync_tracking(uow, NOW, {"filex": fc})
        assert statuses(uow, "p1") == ["shipped"]
        (tmp_path / "inbox" / "b.csv").write_text("tracking_number,status,at,location,note\n"
                                                  f"{first['tracking']},delivered,2026-12-03T11:00:00,Berlin,\n")
        sync_tracking(uow, NOW, {"filex": fc})
        assert statuses(uow, "p1") == ["delivered"]
        assert sync_tracking(uow, NOW, {"filex": fc})["changed"] == []
        history = [(e["old"], e["new"]) for e in uow.orders.events("p1") if e["line_id"]]
    assert history[-2:] == [("packed", "shipped"), ("shipped", "delivered")]


def test_pickup_transfer_makes_the_order_ready_for_pickup(net: Container, tmp_path: Path) -> None:
    """A pickup order's preferred option needs a transfer leg to its store; it ships as that transfer, arrival
    makes it ready for pickup, collection delivers it."""
    fc = carrier(tmp_path)
    with net.uow() as uow:
        add_order(uow, "k1", delivery="pickup:st-mitte")
        advance(uow, "k1")
        result = order_options(uow, "k1", NOW)
        pickup = next(o for o in result.options if o.kind == "pickup:st-mitte")
        assert result.preferred == "pickup:st-mitte"
        assert [(t.origin, t.destination) for t in pickup.transfers] == [("mf-kreuzberg", "st-mitte")]
        assert pickup.kg_co2e > 0 and pickup.promised_minute >= 9 * 60 + pickup.transfers[0].duration_minutes
        shipment = create_shipment(uow, "k1", fc, NOW)
        assert shipment["kind"] == "transfer" and shipment["detail"]["to_site"] == "st-mitte"
        assert shipment["detail"]["legs"][0]["destination"] == "st-mitte" and shipment["detail"]["kg_co2e"] > 0
        (tmp_path / "inbox").mkdir()
        (tmp_path / "inbox" / "t.json").write_text(
            json.dumps([{"tracking_number": shipment["tracking"], "status": "delivered", "at": "2026-12-01T15:00:00"}]))
        sync_tracking(uow, NOW, {"filex": fc})
        assert statuses(uow, "k1") == ["ready_for_pickup"]
        confirm_pickup(uow, "k1", NOW)
        assert statuses(uow, "k1") == ["delivered"]


def test_material_transfer_moves_stock_and_records_the_leg(net: Container) -> None:
    """Denim moves from Kreuzberg to Wedding through the ledger; the leg has cost and emissions; a replay is a no-op."""
    with net.uow() as uow:
        start = uow.inventory.load()
        before = start.on_hand("mf-kreuzberg", "denim-12oz"), start.on_hand("mf-wedding", "denim-12oz")
        moved = transfer_material(uow, "mf-kreuzberg", "mf-wedding", "denim-12oz", 10, NOW, transfer_id="TR-1")
        replay = transfer_material(uow, "mf-kreuzberg", "mf-wedding", "denim-12oz", 10, NOW, transfer_id="TR-1")
        inv = uow.inventory.load()
        with pytest.raises(InvalidInput):
            transfer_material(uow, "mf-kreuzberg", "mf-wedding", "mystery", 1, NOW)
    assert moved["created"] and not replay["created"]
    assert inv.on_hand("mf-kreuzberg", "denim-12oz") == pytest.approx(before[0] - 10)
    assert inv.on_hand("mf-wedding", "denim-12oz") == pytest.approx(before[1] + 10)
    assert moved["detail"]["weight_kg"] == pytest.approx(4.2) and moved["detail"]["kg_co2e"] > 0
