"""Inventory ledger: receipts, FIFO issues, transfers, adjustments and reservations never go negative."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microfactory.domain.inventory import Inventory, Movement, MovementKind
from microfactory.errors import ErrorCode, InsufficientStock, InvalidInput

T0 = datetime(2026, 11, 1, 9, 0)


def t(days: int) -> datetime:
    return T0 + timedelta(days=days)


def stocked() -> Inventory:
    """Denim at the Kreuzberg site: lot A (10 m, day 0) and lot B (5 m, day 3), received out of id order."""
    inv, _ = Inventory().receive("kb", "denim", "B", 5, t(3))
    inv, _ = inv.receive("kb", "denim", "A", 10, t(0))
    return inv


def test_receipt_adds_to_on_hand_and_records_a_movement() -> None:
    """Receiving 5 m makes 5 m on hand and available, with one receipt movement."""
    inv, moves = Inventory().receive("kb", "denim", "A", 5, t(0), ref="po-1")
    assert inv.on_hand("kb", "denim") == 5 and inv.available("kb", "denim") == 5
    assert [(m.kind, m.lot, m.qty, m.ref) for m in moves] == [(MovementKind.RECEIPT, "A", 5, "po-1")]


def test_receiving_into_an_existing_lot_keeps_its_date() -> None:
    """A second receipt into lot A adds to it and keeps its first receipt time."""
    inv, _ = stocked().receive("kb", "denim", "A", 2, t(9))
    assert dict(inv.lots_of("kb", "denim"))["A"].qty == 12
    assert dict(inv.lots_of("kb", "denim"))["A"].received_at == t(0)


def test_the_ledger_is_immutable() -> None:
    """A change returns a new ledger and leaves the old one as it was."""
    before = stocked()
    after, _ = before.issue("kb", "denim", 3, t(5))
    assert before.on_hand("kb", "denim") == 15 and after.on_hand("kb", "denim") == 12


def test_fifo_issue_takes_the_oldest_lot_first() -> None:
    """Issuing 12 m takes all 10 of lot A (older) then 2 of lot B."""
    inv, moves = stocked().issue("kb", "denim", 12, t(5), ref="job-1")
    assert [(m.kind, m.lot, m.qty) for m in moves] == [(MovementKind.ISSUE, "A", -10), (MovementKind.ISSUE, "B", -2)]
    assert [(lot, b.qty) for lot, b in inv.lots_of("kb", "denim")] == [("B", 3)]


def test_fifo_ties_break_on_lot_id() -> None:
    """Two lots received at the same time are picked in lot id order."""
    inv, _ = Inventory().receive("kb", "thread", "Z", 1, t(0))
    inv, _ = inv.receive("kb", "thread", "M", 1, t(0))
    _, moves = inv.issue("kb", "thread", 1, t(1))
    assert moves[0].lot == "M"


def test_issue_from_a_named_lot() -> None:
    """Naming lot B takes from B even though A is older."""
    inv, moves = stocked().issue("kb", "denim", 4, t(5), lot="B")
    assert [(m.lot, m.qty) for m in moves] == [("B", -4)]
    assert [(lot, b.qty) for lot, b in inv.lots_of("kb", "denim")] == [("A", 10), ("B", 1)]


def test_issue_more_than_a_named_lot_holds() -> None:
    """Taking 6 m from lot B (5 m) raises InsufficientStock although the site has 15 m."""
    with pytest.raises(InsufficientStock):
        stocked().issue("kb", "denim", 6, t(5), lot="B")


def test_issue_from_an_unknown_lot() -> None:
    """Naming a lot that does not exist raises InsufficientStock, not KeyError."""
    with pytest.raises(InsufficientStock):
        stocked().issue("kb", "denim", 1, t(5), lot="Q")


def test_issue_more_than_on_hand() -> None:
    """Issuing 16 m of 15 m raises InsufficientStock with code insufficient_stock and changes nothing."""
    inv = stocked()
    with pytest.raises(InsufficientStock) as err:
        inv.issue("kb", "denim", 16, t(5))
    assert err.value.code is ErrorCode.INSUFFICIENT_STOCK and err.value.field == "quantity"
    assert inv.on_hand("kb", "denim") == 15


@pytest.mark.parametrize("qty", [0, -1])
def test_quantities_must_be_positive(qty: float) -> None:
    """Receipts, issues and reservations of zero or less are invalid input."""
    with pytest.raises(InvalidInput):
        Inventory().receive("kb", "denim", "A", qty, t(0))
    with pytest.raises(InvalidInput):
        stocked().issue("kb", "denim", qty, t(0))
    with pytest.raises(InvalidInput):
        stocked().reserve("kb", "denim", qty, "job-1", t(0))


def test_transfer_keeps_lot_ids_and_fifo_order() -> None:
    """Moving 12 m to Wedding carries lots A (10) and B (2) with their receipt times; FIFO continues there."""
    inv, moves = stocked().transfer("kb", "wd", "denim", 12, t(5), ref="tr-1")
    assert [(m.kind, m.site, m.lot, m.qty) for m in moves] == [
        (MovementKind.TRANSFER_OUT, "kb", "A", -10), (MovementKind.TRANSFER_OUT, "kb", "B", -2),
        (MovementKind.TRANSFER_IN, "wd", "A", 10), (MovementKind.TRANSFER_IN, "wd", "B", 2)]
    assert inv.on_hand("kb", "denim") == 3 and inv.on_hand("wd", "denim") == 12
    assert [(lot, b.received_at) for lot, b in inv.lots_of("wd", "denim")] == [("A", t(0)), ("B", t(3))]
    inv, _ = inv.receive("wd", "denim", "C", 4, t(1))
    _, issued = inv.issue("wd", "denim", 11, t(6))
    assert [(m.lot, m.qty) for m in issued] == [("A", -10), ("C", -1)]


def test_transfer_to_the_same_site_is_invalid() -> None:
    """A transfer needs two different sites."""
    with pytest.raises(InvalidInput):
        stocked().transfer("kb", "kb", "denim", 1, t(5))


def test_transfer_more_than_available() -> None:
    """A transfer cannot take reserved stock."""
    inv, _ = stocked().reserve("kb", "denim", 10, "job-1", t(4))
    with pytest.raises(InsufficientStock):
        inv.transfer("kb", "wd", "denim", 6, t(5))


def test_adjustment_corrects_a_count() -> None:
    """A count finding 2 m less in lot A lowers on-hand by 2; a gain raises it."""
    inv, moves = stocked().adjust("kb", "denim", "A", -2, t(5), ref="count")
    assert inv.on_hand("kb", "denim") == 13
    assert [(m.kind, m.qty) for m in moves] == [(MovementKind.ADJUSTMENT, -2)]
    inv, _ = inv.adjust("kb", "denim", "NEW", 1.5, t(6))
    assert inv.on_hand("kb", "denim") == 14.5


def test_adjustment_cannot_go_negative_or_under_reserved() -> None:
    """Taking lot B below zero, or on-hand below the reserved amount, raises InsufficientStock."""
    with pytest.raises(InsufficientStock):
        stocked().adjust("kb", "denim", "B", -6, t(5))
    inv, _ = stocked().reserve("kb", "denim", 14, "job-1", t(4))
    with pytest.raises(InsufficientStock):
        inv.adjust("kb", "denim", "A", -2, t(5))


def test_reservation_lowers_available_not_on_hand() -> None:
    """Reserving 6 of 15 m leaves 15 on hand and 9 available."""
    inv, moves = stocked().reserve("kb", "denim", 6, "job-1", t(4))
    assert inv.on_hand("kb", "denim") == 15 and inv.reserved("kb", "denim") == 6
    assert inv.available("kb", "denim") == 9
    assert [(m.kind, m.qty, m.ref) for m in moves] == [(MovementKind.RESERVE, 6, "job-1")]


def test_reservation_beyond_available() -> None:
    """Reserving more than is available raises InsufficientStock; a reservation needs a reference."""
    inv, _ = stocked().reserve("kb", "denim", 10, "job-1", t(4))
    with pytest.raises(InsufficientStock):
        inv.reserve("kb", "denim", 6, "job-2", t(4))
    with pytest.raises(InvalidInput):
        inv.reserve("kb", "denim", 1, "", t(4))


def test_others_cannot_issue_reserved_stock() -> None:
    """With 10 of 15 m reserved for job-1, job-2 may issue only 5."""
    inv, _ = stocked().reserve("kb", "denim", 10, "job-1", t(4))
    with pytest.raises(InsufficientStock):
        inv.issue("kb", "denim", 6, t(5), ref="job-2")
    after, _ = inv.issue("kb", "denim", 5, t(5), ref="job-2")
    assert after.available("kb", "denim") == 0 and after.reserved("kb", "denim") == 10


def test_issue_against_own_reservation_consumes_it() -> None:
    """job-1 issuing 4 of its 10 reserved leaves 6 reserved, 11 on hand, 5 available."""
    inv, _ = stocked().reserve("kb", "denim", 10, "job-1", t(4))
    after, _ = inv.issue("kb", "denim", 4, t(5), ref="job-1")
    assert (after.on_hand("kb", "denim"), after.reserved("kb", "denim"), after.available("kb", "denim")) == (11, 6, 5)


def test_issue_beyond_own_reservation_uses_free_stock() -> None:
    """job-1 with 10 reserved may issue 15 (10 reserved + 5 free) and its reservation is gone."""
    inv, _ = stocked().reserve("kb", "denim", 10, "job-1", t(4))
    after, _ = inv.issue("kb", "denim", 15, t(5), ref="job-1")
    assert after.on_hand("kb", "denim") == 0 and after.reserved("kb", "denim") == 0
    assert dict(after.reservations) == {}


def test_release_frees_the_reservation() -> None:
    """Releasing job-1 makes its 6 m available again; releasing twice does nothing."""
    inv, _ = stocked().reserve("kb", "denim", 6, "job-1", t(4))
    inv, moves = inv.release("kb", "denim", "job-1", t(5))
    assert inv.available("kb", "denim") == 15
    assert [(m.kind, m.qty) for m in moves] == [(MovementKind.RELEASE, -6)]
    same, none = inv.release("kb", "denim", "job-1", t(6))
    assert same is inv and none == []


def test_sites_and_items_are_separate() -> None:
    """Stock of one item at one site says nothing about another site or item."""
    inv = stocked()
    assert inv.on_hand("wd", "denim") == 0 and inv.on_hand("kb", "linen") == 0
    with pytest.raises(InsufficientStock):
        inv.issue("wd", "denim", 1, t(5))


SITES = ["kb", "wd"]
OPS = st.one_of(
    st.tuples(st.just("receive"), st.sampled_from(SITES), st.sampled_from(["A", "B", "C"]), st.integers(1, 20)),
    st.tuples(st.just("issue"), st.sampled_from(SITES), st.sampled_from(["", "r1", "r2", "A"]), st.integers(1, 20)),
    st.tuples(st.just("transfer"), st.sampled_from(SITES), st.sampled_from(["", "r1"]), st.integers(1, 20)),
    st.tuples(st.just("adjust"), st.sampled_from(SITES), st.sampled_from(["A", "B"]), st.integers(-15, 15)),
    st.tuples(st.just("reserve"), st.sampled_from(SITES), st.sampled_from(["r1", "r2"]), st.integers(1, 20)),
    st.tuples(st.just("release"), st.sampled_from(SITES), st.sampled_from(["r1", "r2"]), st.integers(1, 1)),
)


def _apply(inv: Inventory, op: tuple[str, str, str, int], at: datetime) -> tuple[Inventory, list[Movement]]:
    kind, site, key, qty = op
    other = SITES[1 - SITES.index(site)]
    if kind == "receive":
        return inv.receive(site, "denim", key, qty, at)
    if kind == "issue":
        if key == "A":
            return inv.issue(site, "denim", qty, at, lot="A")
        return inv.issue(site, "denim", qty, at, ref=key)
    if kind == "transfer":
        return inv.transfer(site, other, "denim", qty, at, ref=key)
    if kind == "adjust":
        return inv.adjust(site, "denim", key, qty, at)
    if kind == "reserve":
        return inv.reserve(site, "denim", qty, key, at)
    return inv.release(site, "denim", key, at)


@settings(max_examples=200, deadline=None)
@given(st.lists(OPS, max_size=40))
def test_random_operations_never_go_negative(ops: list[tuple[str, str, str, int]]) -> None:
    """Whatever operations are tried (refused ones skipped), on-hand and available stay ≥ 0 and on-hand is the sum of movements."""
    inv, ledger = Inventory(), list[Movement]()
    for n, op in enumerate(ops):
        try:
            inv, moves = _apply(inv, op, t(n))
        except (InsufficientStock, InvalidInput):
            continue
        ledger.extend(moves)
        for site in SITES:
            assert inv.on_hand(site, "denim") >= -1e-9
            assert inv.available(site, "denim") >= -1e-9
            assert all(b.qty >= 0 for b in inv.lots.values())
            stock_moves = [m.qty for m in ledger if m.site == site and m.kind not in
                           (MovementKind.RESERVE, MovementKind.RELEASE)]
            assert inv.on_hand(site, "denim") == pytest.approx(sum(stock_moves), abs=1e-6)
            reserve_moves = [m.qty for m in ledger if m.site == site and m.kind in
                             (MovementKind.RESERVE, MovementKind.RELEASE)]
            assert inv.reserved(site, "denim") <= sum(reserve_moves) + 1e-6
