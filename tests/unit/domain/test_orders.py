"""Orders and order lines: the lifecycle state machine and the order status derived from its lines."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microfactory.domain.geo import Location
from microfactory.domain.orders import (
    PROGRESS,
    TRANSITIONS,
    Delivery,
    DeliveryKind,
    Order,
    OrderLine,
    OrderStatus,
    advance_line,
    advance_order,
    check_transition,
    derive_status,
)
from microfactory.errors import ErrorCode, IllegalTransition, InvalidInput

S = OrderStatus
AT = datetime(2026, 12, 1, 9, 0)
LEGAL = [(a, b) for a, targets in TRANSITIONS.items() for b in sorted(targets, key=lambda s: s.value)]
FINAL = [s for s, targets in TRANSITIONS.items() if not targets]


def order(*statuses: OrderStatus) -> Order:
    """An order with one line per status, its own status derived from them."""
    lines = tuple(OrderLine(f"o1-{n}", "o1", "tee", (("size", "M"),), "TEE-M", 1, status=s)
                  for n, s in enumerate(statuses, start=1))
    return Order("o1", "spree", lines, Location(52.5, 13.4), Delivery(DeliveryKind.SHIP), date(2026, 12, 5),
                 AT, status=derive_status(lines))


def test_every_status_has_a_row_in_the_table() -> None:
    """The transition table covers every status, and every target is a status."""
    assert set(TRANSITIONS) == set(OrderStatus)
    assert set(PROGRESS) | {S.CANCELLED} == set(OrderStatus)


@pytest.mark.parametrize(("old", "new"), LEGAL, ids=[f"{a.value}->{b.value}" for a, b in LEGAL])
def test_every_legal_transition_works(old: OrderStatus, new: OrderStatus) -> None:
    """Each move in TRANSITIONS is accepted for a line and recorded as an event."""
    after, events = advance_line(order(old), "o1-1", new, AT, reason="test")
    assert after.line("o1-1").status is new
    assert events[0].old is old and events[0].new is new and events[0].line_id == "o1-1"
    assert events[0].reason == "test" and events[0].at == AT


ILLEGAL = [
    (S.RECEIVED, S.SHIPPED), (S.RECEIVED, S.ROUTED), (S.VALIDATED, S.IN_PRODUCTION),
    (S.ROUTED, S.QC_PASSED), (S.IN_PRODUCTION, S.CANCELLED), (S.IN_PRODUCTION, S.VALIDATED),
    (S.QC_PASSED, S.IN_PRODUCTION), (S.PACKED, S.DELIVERED), (S.SHIPPED, S.READY_FOR_PICKUP),
    (S.READY_FOR_PICKUP, S.RETURNED), (S.DELIVERED, S.CANCELLED), (S.DELIVERED, S.SHIPPED),
    (S.CANCELLED, S.RECEIVED), (S.RETURNED, S.DELIVERED), (S.PLEDGED, S.VALIDATED), (S.RECEIVED, S.RECEIVED),
]


@pytest.mark.parametrize(("old", "new"), ILLEGAL, ids=[f"{a.value}->{b.value}" for a, b in ILLEGAL])
def test_illegal_transitions_raise_a_typed_error(old: OrderStatus, new: OrderStatus) -> None:
    """A move not in the table raises IllegalTransition (code illegal_transition) and names both states."""
    assert new not in TRANSITIONS[old]
    with pytest.raises(IllegalTransition) as err:
        advance_line(order(old), "o1-1", new, AT)
    assert err.value.code is ErrorCode.ILLEGAL_TRANSITION
    assert err.value.code.value == "illegal_transition"
    assert err.value.field == "status"
    assert err.value.details == {"from": old.value, "to": new.value}


def test_final_states_say_so() -> None:
    """Leaving cancelled or returned is refused with "none (final)" as the allowed moves."""
    assert set(FINAL) == {S.CANCELLED, S.RETURNED}
    with pytest.raises(IllegalTransition, match=r"none \(final\)"):
        check_transition(S.CANCELLED, S.RECEIVED, "line x")


def test_delivered_can_only_be_returned() -> None:
    """A delivered line may only be returned."""
    assert TRANSITIONS[S.DELIVERED] == frozenset({S.RETURNED})


def test_order_status_is_the_least_advanced_line() -> None:
    """Lines at packed and scheduled make a scheduled order."""
    assert derive_status(order(S.PACKED, S.SCHEDULED).lines) is S.SCHEDULED


def test_cancelled_lines_do_not_hold_the_order_back() -> None:
    """A cancelled line is ignored; all lines cancelled makes a cancelled order."""
    assert derive_status(order(S.CANCELLED, S.SHIPPED).lines) is S.SHIPPED
    assert derive_status(order(S.CANCELLED, S.CANCELLED).lines) is S.CANCELLED


def test_ready_for_pickup_counts_as_behind_shipped() -> None:
    """An order with one line shipped and one ready for pickup is ready for pickup."""
    assert derive_status(order(S.SHIPPED, S.READY_FOR_PICKUP).lines) is S.READY_FOR_PICKUP


def test_moving_the_last_line_moves_the_order() -> None:
    """When the least advanced line moves, the order moves too and an order event is emitted."""
    start = order(S.VALIDATED, S.RECEIVED)
    assert start.status is S.RECEIVED
    after, events = advance_line(start, "o1-2", S.VALIDATED, AT)
    assert after.status is S.VALIDATED
    assert [(e.line_id, e.old, e.new) for e in events] == [("o1-2", S.RECEIVED, S.VALIDATED),
                                                         (None, S.RECEIVED, S.VALIDATED)]


def test_moving_a_leading_line_leaves_the_order() -> None:
    """Advancing a line ahead of the others changes the line only."""
    after, events = advance_line(order(S.RECEIVED, S.RECEIVED), "o1-1", S.VALIDATED, AT)
    assert after.status is S.RECEIVED and len(events) == 1


def test_advance_order_moves_every_live_line() -> None:
    """advance_order moves each line not cancelled and not already there."""
    after, events = advance_order(order(S.RECEIVED, S.CANCELLED, S.VALIDATED), S.VALIDATED, AT)
    assert [ln.status for ln in after.lines] == [S.VALIDATED, S.CANCELLED, S.VALIDATED]
    assert after.status is S.VALIDATED
    assert [(e.line_id, e.new) for e in events] == [("o1-1", S.VALIDATED), (None, S.VALIDATED)]


def test_advance_order_is_all_or_nothing() -> None:
    """If one line cannot make the move, no line moves and IllegalTransition is raised."""
    start = order(S.SCHEDULED, S.IN_PRODUCTION)
    with pytest.raises(IllegalTransition):
        advance_order(start, S.CANCELLED, AT)
    assert [ln.status for ln in start.lines] == [S.SCHEDULED, S.IN_PRODUCTION]


def test_advance_order_can_reroute_routed_lines() -> None:
    """Re-routing (routed → routed) is a real move that emits a line event."""
    after, events = advance_order(order(S.ROUTED), S.ROUTED, AT, reason="site down")
    assert after.status is S.ROUTED
    assert [(e.old, e.new, e.reason) for e in events] == [(S.ROUTED, S.ROUTED, "site down")]


def test_order_needs_lines_and_due_not_before_created() -> None:
    """An order without lines, or due before it was created, is invalid input."""
    with pytest.raises(InvalidInput):
        Order("o", "b", (), Location(0, 0), Delivery(DeliveryKind.SHIP), date(2026, 12, 5), AT)
    with pytest.raises(InvalidInput) as err:
        Order("o", "b", order(S.RECEIVED).lines, Location(0, 0), Delivery(DeliveryKind.SHIP), date(2026, 11, 30), AT)
    assert err.value.field == "due"


def test_line_quantity_is_at_least_one() -> None:
    """A line of zero units is invalid input on quantity."""
    with pytest.raises(InvalidInput) as err:
        OrderLine("l", "o", "tee", (), "TEE", 0)
    assert err.value.field == "quantity"


def test_delivery_parses_ship_same_day_and_pickup() -> None:
    """``pickup:st-1`` names the store; ship and same_day have none; anything else is refused."""
    assert Delivery.parse("pickup:st-1") == Delivery(DeliveryKind.PICKUP, "st-1")
    assert str(Delivery.parse(" same_day ")) == "same_day"
    assert Delivery.parse("ship").store is None
    for bad in ("pickup:", "courier", ""):
        with pytest.raises(InvalidInput):
            Delivery.parse(bad)
    with pytest.raises(InvalidInput):
        Delivery(DeliveryKind.SHIP, "st-1")


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 20), st.booleans()), max_size=40))
def test_random_legal_walks_stay_legal(moves: list[tuple[int, int, bool]]) -> None:
    """Random walks of legal moves (with illegal attempts mixed in) never leave the table, and final states stay final."""
    current = order(S.RECEIVED, S.RECEIVED, S.PLEDGED)
    for line_no, pick, try_illegal in moves:
        line = current.lines[line_no]
        legal = sorted(TRANSITIONS[line.status], key=lambda s: s.value)
        illegal = sorted(set(OrderStatus) - TRANSITIONS[line.status], key=lambda s: s.value)
        if try_illegal or not legal:
            target = illegal[pick % len(illegal)]
            with pytest.raises(IllegalTransition):
                advance_line(current, line.id, target, AT)
            continue
        before = line.status
        current, _ = advance_line(current, line.id, legal[pick % len(legal)], AT)
        assert current.lines[line_no].status in TRANSITIONS[before]
        assert current.status is derive_status(current.lines)
        if before is S.DELIVERED:
            assert current.lines[line_no].status is S.RETURNED
    for line in current.lines:  # wherever the walk ended, exactly the table's moves are open
        for target in OrderStatus:
            if target in TRANSITIONS[line.status]:
                assert advance_line(current, line.id, target, AT)[0].line(line.id).status is target
            else:
                with pytest.raises(IllegalTransition):
                    advance_line(current, line.id, target, AT)
