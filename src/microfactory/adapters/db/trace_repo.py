"""The trace log in the database: append-only, hash-chained, written in the caller's transaction.

``append`` is the only writer of ``trace_events``. It serialises appenders (a transaction-level
advisory lock on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already holds the write lock), reads
the head of the chain, and inserts the next entry with an explicit sequence number, so two
concurrent appenders can never both link to the same head (the primary key refuses it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, text

from microfactory.adapters.db import tables as t
from microfactory.adapters.db.tables_quality import trace_refs
from microfactory.adapters.db.upsert import upsert
from microfactory.engines.trace.chain import (
    GENESIS,
    ChainEntry,
    ChainReport,
    entry_hash,
    verify_chain,
)

#: key of the PostgreSQL advisory lock that serialises appends to the log
_LOCK_KEY = 0x6D66_7472  # "mftr"


class TraceRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _lock(self) -> None:
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})

    def head(self) -> tuple[int, str]:
        """(next sequence number, hash of the last entry)."""
        row = self.conn.execute(select(t.trace_events.c.seq, t.trace_events.c.hash)
                                .order_by(t.trace_events.c.seq.desc()).limit(1)).first()
        return (0, GENESIS) if row is None else (row.seq + 1, row.hash)

    def append(self, kind: str, event_id: str, payload: dict[str, Any], at: datetime,
               batch_ids: tuple[str, ...] = (), order_ids: tuple[str, ...] = ()) -> ChainEntry:
        """Add one entry after the current head; the hash covers sequence, link and payload."""
        self._lock()
        seq, prev = self.head()
        digest = entry_hash(seq, prev, payload)
        self.conn.execute(t.trace_events.insert().values(
            seq=seq, event_id=event_id, kind=kind, batch_id=batch_ids[0] if batch_ids else None,
            order_id=order_ids[0] if order_ids else None, event=payload, prev_hash=prev, hash=digest, at=at))
        refs = [{"seq": seq, "ref_kind": "batch", "ref_id": b} for b in dict.fromkeys(batch_ids)]
        refs += [{"seq": seq, "ref_kind": "order", "ref_id": o} for o in dict.fromkeys(order_ids)]
        if refs:
            self.conn.execute(trace_refs.insert(), refs)
        return ChainEntry(seq, prev, payload, digest)

    def entries(self) -> tuple[ChainEntry, ...]:
        """The whole log in sequence order, as stored."""
        rows = self.conn.execute(select(t.trace_events.c.seq, t.trace_events.c.prev_hash, t.trace_events.c.event,
                                        t.trace_events.c.hash).order_by(t.trace_events.c.seq))
        return tuple(ChainEntry(r.seq, r.prev_hash, r.event, r.hash) for r in rows)

    def verify(self) -> ChainReport:
        return verify_chain(self.entries())

    def events_for(self, batch_ids: tuple[str, ...] = (), order_ids: tuple[str, ...] = (),
                   kind: str | None = None) -> list[dict[str, Any]]:
        """Payloads of the entries naming any of the batches or orders, in log order."""
        conds = []
        if batch_ids:
            conds.append(and_(trace_refs.c.ref_kind == "batch", trace_refs.c.ref_id.in_(batch_ids)))
        if order_ids:
            conds.append(and_(trace_refs.c.ref_kind == "order", trace_refs.c.ref_id.in_(order_ids)))
        if not conds:
            return []
        seqs = select(trace_refs.c.seq).where(or_(*conds))
        q = select(t.trace_events.c.event).where(t.trace_events.c.seq.in_(seqs)).order_by(t.trace_events.c.seq)
        if kind is not None:
            q = q.where(t.trace_events.c.kind == kind)
        return [dict(r.event) for r in self.conn.execute(q)]

    def count(self, kind: str | None = None) -> int:
        q = select(func.count()).select_from(t.trace_events)
        if kind is not None:
            q = q.where(t.trace_events.c.kind == kind)
        return int(self.conn.execute(q).scalar() or 0)

    def shipments(self, order_ids: tuple[str, ...]) -> list[dict[str, Any]]:
        """Shipment records of the orders (written by fulfillment), read-only."""
        if not order_ids:
            return []
        rows = self.conn.execute(select(t.shipments).where(t.shipments.c.order_id.in_(order_ids))
                                 .order_by(t.shipments.c.created_at, t.shipments.c.id))
        return [{"id": r.id, "order_id": r.order_id, "kind": r.kind, "carrier": r.carrier, "status": r.status,
                 "from_site": r.from_site, "detail": dict(r.detail or {})} for r in rows]

    def set_setting(self, key: str, value: Any) -> None:
        upsert(self.conn, t.settings, [{"key": key, "value": value}], ["key"])

    def setting(self, key: str) -> Any:
        """A value of the ``settings`` table (None when absent)."""
        return self.conn.execute(select(t.settings.c.value).where(t.settings.c.key == key)).scalar()
