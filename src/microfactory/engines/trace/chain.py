"""An append-only, hash-chained trace log.

Each entry stores its sequence number, the previous entry's hash and a JSON payload; its
hash is ``SHA-256(canonical JSON of {seq, prev, payload})`` where canonical JSON has sorted
keys, no spaces and UTF-8 text. Changing a payload breaks that entry's hash; removing,
reordering or inserting entries breaks sequence numbers and links. A log can also be
checked against an :class:`Anchor` (length and head hash published elsewhere, e.g. in a
receipt or a daily digest), which is the only way to notice that the *last* entries were
cut off or that the whole tail was rewritten and re-hashed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from microfactory.errors import InvalidInput

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 kept as is: the text that gets hashed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def entry_hash(seq: int, prev: str, payload: Any) -> str:
    """SHA-256 hex of the canonical JSON of the entry's fields."""
    text = canonical_json({"seq": seq, "prev": prev, "payload": payload})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainEntry:
    """One log entry: number, link to the previous hash, payload and own hash."""

    seq: int
    prev: str
    payload: Any
    hash: str


@dataclass(frozen=True, slots=True)
class Anchor:
    """An externally kept checkpoint: how many entries, and the last one's hash."""

    length: int
    head: str


@dataclass(frozen=True, slots=True)
class ChainProblem:
    """What is wrong, and where: kind is edited, removed, reordered, inserted or truncated."""

    kind: str
    position: int
    seq: int | None
    message: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The verdict on a log."""

    ok: bool
    length: int
    head: str
    problems: tuple[ChainProblem, ...]


def append(entries: tuple[ChainEntry, ...], payload: Any) -> tuple[ChainEntry, ...]:
    """A new log with ``payload`` appended (the input is not changed)."""
    canonical_json(payload)  # refuse what cannot be hashed before anything is added
    prev = entries[-1].hash if entries else GENESIS
    seq = entries[-1].seq + 1 if entries else 0
    return entries + (ChainEntry(seq, prev, payload, entry_hash(seq, prev, payload)),)


def anchor(entries: tuple[ChainEntry, ...]) -> Anchor:
    """The checkpoint of a log as it is now."""
    return Anchor(len(entries), entries[-1].hash if entries else GENESIS)


def _edited(entries: tuple[ChainEntry, ...]) -> list[ChainProblem]:
    return [ChainProblem("edited", i, e.seq, f"entry {e.seq}: content does not match its hash")
            for i, e in enumerate(entries) if entry_hash(e.seq, e.prev, e.payload) != e.hash]


def _order_problems(entries: tuple[ChainEntry, ...]) -> list[ChainProblem]:
    problems: list[ChainProblem] = []
    seen: set[int] = set()
    referenced = {e.prev for e in entries}
    for i, e in enumerate(entries):
        if e.seq in seen:
            fake = e if e.hash not in referenced else entries[[x.seq for x in entries].index(e.seq)]
            problems.append(ChainProblem("inserted", entries.index(fake), fake.seq,
                                         f"entry at position {entries.index(fake)} duplicates "
                                         f"sequence number {e.seq}"))
        elif i > 0 and e.seq < entries[i - 1].seq:
            problems.append(ChainProblem("reordered", i, e.seq, f"entry {e.seq} comes after "
                                         f"entry {entries[i - 1].seq}"))
        seen.add(e.seq)
    return problems


def _link_problems(entries: tuple[ChainEntry, ...]) -> list[ChainProblem]:
    """Walk the entries in sequence order: gaps are removals, broken links insertions."""
    problems: list[ChainProblem] = []
    by_seq: dict[int, ChainEntry] = {}
    for e in entries:
        if e.seq not in by_seq or e.hash in {x.prev for x in entries}:
            by_seq[e.seq] = e
    ordered = [by_seq[s] for s in sorted(by_seq)]
    expected_prev, expected_seq = GENESIS, 0
    for e in ordered:
        pos = entries.index(e)
        if e.seq > expected_seq:
            gone = [str(s) for s in range(expected_seq, e.seq)]
            what = f"entry {gone[0]} is" if len(gone) == 1 else f"entries {', '.join(gone)} are"
            problems.append(ChainProblem("removed", pos, e.seq,
                                         f"{what} missing before entry {e.seq}"))
        elif e.prev != expected_prev:
            problems.append(ChainProblem("inserted", pos, e.seq, f"entry {e.seq} does not link "
                                         "to the entry before it (replaced or inserted)"))
        expected_prev, expected_seq = e.hash, e.seq + 1
    return problems


def _anchor_problems(entries: tuple[ChainEntry, ...], expected: Anchor) -> list[ChainProblem]:
    if len(entries) < expected.length:
        return [ChainProblem("truncated", len(entries), None, f"log has {len(entries)} entries, "
                             f"the anchor says {expected.length}")]
    if len(entries) >= expected.length > 0 and entries[expected.length - 1].hash != expected.head:
        return [ChainProblem("edited", expected.length - 1, entries[expected.length - 1].seq,
                             "entry at the anchor does not have the anchored hash (rewritten)")]
    return []


def verify_chain(entries: tuple[ChainEntry, ...] | list[ChainEntry],
                 expected: Anchor | None = None) -> ChainReport:
    """Check every hash and link; name each edited, removed, reordered or inserted entry."""
    log = tuple(entries)
    for e in log:
        if not isinstance(e, ChainEntry):
            raise InvalidInput("verify_chain takes ChainEntry objects", field="entries")
    problems = _edited(log) + _order_problems(log)
    if not any(p.kind == "reordered" for p in problems):
        problems += [p for p in _link_problems(log)
                     if not (p.kind == "inserted" and any(q.kind == "removed" and q.seq == p.seq
                                                         for q in problems))]
    if expected is not None:
        problems += _anchor_problems(log, expected)
    unique = {(p.kind, p.position): p for p in problems}
    ordered = tuple(sorted(unique.values(), key=lambda p: (p.position, p.kind)))
    return ChainReport(not ordered, len(log), log[-1].hash if log else GENESIS, ordered)
