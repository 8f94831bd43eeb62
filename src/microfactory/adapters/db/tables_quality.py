"""Tables of quality and traceability beyond migration 0002: switching events and trace references."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, String, Table, Text

from microfactory.adapters.db.tables import metadata

#: every change of inspection severity (normal, tightened, reduced, discontinued) with its rule
quality_events = Table(
    "quality_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("site_id", String(64), nullable=False),
    Column("family", String(64), nullable=False),
    Column("lot_id", String(64), nullable=False),
    Column("from_severity", String(16), nullable=False),
    Column("to_severity", String(16), nullable=False),
    Column("rule", Text, nullable=False),
    Column("at", DateTime, nullable=False),
    Index("ix_quality_events_site_family", "site_id", "family"),
)

#: which batches and orders each trace event touches (an event may name several)
trace_refs = Table(
    "trace_refs", metadata,
    Column("seq", Integer, primary_key=True),
    Column("ref_kind", String(8), primary_key=True),   # batch | order
    Column("ref_id", String(64), primary_key=True),
    Index("ix_trace_refs_ref", "ref_kind", "ref_id"),
)
