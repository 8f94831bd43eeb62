"""Hash-chained trace log and batch genealogy."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import pytest

from microfactory.engines.trace import (
    BatchRecord,
    ChainEntry,
    Genealogy,
    LotUse,
    UnitRecord,
    anchor,
    append,
    build_genealogy,
    trace_back,
    trace_forward,
    verify_chain,
)
from microfactory.engines.trace.chain import entry_hash
from microfactory.errors import InvalidInput


def _log(count: int = 6) -> tuple[ChainEntry, ...]:
    log: tuple[ChainEntry, ...] = ()
    for i in range(count):
        log = append(log, {"event": i, "bizStep": "inspecting", "note": "é"})
    return log


def _kinds(entries: tuple[ChainEntry, ...] | list[ChainEntry]) -> list[tuple[str, int | None]]:
    return [(p.kind, p.seq) for p in verify_chain(entries).problems]


def test_intact_chain_verifies() -> None:
    """An untouched log verifies and links every entry to the one before."""
    log = _log()
    report = verify_chain(log)
    assert report.ok and report.length == 6 and report.head == log[-1].hash
    assert all(b.prev == a.hash for a, b in pairwise(log))


def test_append_does_not_change_the_old_log() -> None:
    """Appending returns a longer log and leaves the old tuple as it was."""
    log = _log(2)
    longer = append(log, {"event": 2})
    assert len(log) == 2 and longer[:2] == log


def test_edited_payload_is_found() -> None:
    """Changing one event's payload names that entry as edited."""
    log = list(_log())
    log[2] = replace(log[2], payload={"event": 2, "bizStep": "inspecting", "note": "fixed"})
    assert _kinds(log) == [("edited", 2)]


def test_removed_entry_is_found() -> None:
    """Deleting entry 3 is reported as a removal before entry 4."""
    log = list(_log())
    del log[3]
    report = verify_chain(log)
    assert [(p.kind, p.seq) for p in report.problems] == [("removed", 4)]
    assert "entry 3 is missing" in report.problems[0].message


def test_reordered_entries_are_found() -> None:
    """Swapping entries 2 and 3 is reported as reordering."""
    log = list(_log())
    log[2], log[3] = log[3], log[2]
    assert ("reordered", 2) in _kinds(log)


def test_inserted_forgery_is_found() -> None:
    """A forged entry with a valid own hash slipped in after entry 2 is reported as inserted."""
    log = list(_log())
    payload = {"event": "forged"}
    log.insert(3, ChainEntry(3, log[2].hash, payload, entry_hash(3, log[2].hash, payload)))
    report = verify_chain(log)
    assert [(p.kind, p.position) for p in report.problems] == [("inserted", 3)]


def test_anchor_catches_truncation_and_rewritten_tail() -> None:
    """Cutting the last entries, or re-hashing a rewritten tail, is caught by the anchor."""
    log = _log()
    assert verify_chain(log[:4]).ok
    assert [p.kind for p in verify_chain(log[:4], anchor(log)).problems] == ["truncated"]
    forged = append(append(append(log[:3], {"event": "x"}), {"event": 4}), {"event": 5})
    assert verify_chain(forged).ok
    assert [p.kind for p in verify_chain(forged, anchor(log)).problems] == ["edited"]


def _graph() -> Genealogy:
    batches = (
        BatchRecord("B1", "site-leeds", (LotUse("DNM-A", 58.5), LotUse("PKT-7", 9.0)), "J32-1",
                    workers=("w1", "w2"), inspections=("I-1",)),
        BatchRecord("B2", "site-york", (LotUse("DNM-A", 20.0),), "J32-2", workers=("w3",),
                    inspections=("I-2",)),
        BatchRecord("K1", "site-leeds", (LotUse("J32-1", 2, "EA"), LotUse("BOX-3", 1, "EA")),
                    "KIT-1", workers=("w2",)),
        BatchRecord("B3", "site-york", (LotUse("DNM-C", 10.0),), "J32-3"),
    )
    units = (UnitRecord("B1-001", "B1", "ORD-1"), UnitRecord("B1-002", "B1", "ORD-2"),
             UnitRecord("B2-001", "B2", "ORD-3"), UnitRecord("K1-001", "K1", "ORD-4"),
             UnitRecord("B3-001", "B3", "ORD-5"))
    return build_genealogy(batches, units)


def test_trace_forward_reaches_customers_through_sub_assemblies() -> None:
    """Denim lot DNM-A reaches B1, B2 and the kit K1 made from B1, and their four orders."""
    fwd = trace_forward(_graph(), "DNM-A")
    assert set(fwd.batches) == {"B1", "B2", "K1"}
    assert fwd.orders == ("ORD-1", "ORD-2", "ORD-3", "ORD-4")
    assert "B3-001" not in fwd.units


def test_trace_back_from_a_unit() -> None:
    """Kit unit K1-001 goes back to raw lots, both Leeds batches, their workers and inspections."""
    back = trace_back(_graph(), "K1-001")
    assert back.batches == ("K1", "B1")
    assert set(back.lots) == {"BOX-3", "DNM-A", "PKT-7"}
    assert back.sites == ("site-leeds",) and set(back.workers) == {"w1", "w2"}
    assert back.inspections == ("I-1",)


def test_genealogy_refuses_cycles_and_unknown_batches() -> None:
    """A batch consuming its own output, or a unit of an unknown batch, is refused."""
    loop = (BatchRecord("A", "s", (LotUse("LB", 1),), "LA"),
            BatchRecord("B", "s", (LotUse("LA", 1),), "LB"))
    with pytest.raises(InvalidInput):
        build_genealogy(loop)
    with pytest.raises(InvalidInput):
        build_genealogy(loop[:1], (UnitRecord("u", "nope"),))
