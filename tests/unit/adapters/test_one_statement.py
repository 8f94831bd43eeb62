"""The one-statement insert batch: its SQL text and parameters (sent to PostgreSQL in tests/integration)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest

from microfactory.adapters.db import tables as t
from microfactory.adapters.db.one_statement import REFERENCE_VERSION_GUARD, InsertBatch


def _audit(n: int, at: datetime) -> dict[str, object]:
    return {"actor": "a", "action": "x", "entity": "order", "entity_id": str(n), "data": {"n": n}, "at": at}


def test_the_text_depends_on_tables_and_columns_not_on_row_counts() -> None:
    """One order with 2 lines and one with 7 share the SQL text; each table is one JSON parameter."""
    texts, counts = [], []
    for lines in (2, 7):
        batch = InsertBatch()
        batch.add(t.audit_log, _audit(0, datetime(2026, 1, 1)))
        batch.add(t.idempotency_keys, [{"scope": "s", "key": str(i), "request_hash": "h", "status_code": 201,
                                        "response": {}, "created_at": datetime(2026, 1, 1)} for i in range(lines)])
        sql, params = batch.statement(REFERENCE_VERSION_GUARD)
        texts.append(sql)
        counts.append(len(json.loads(params[1])))
    assert texts[0] == texts[1] and counts == [2, 7]
    assert texts[0].startswith("WITH w0 AS (INSERT INTO audit_log") and "WHERE EXISTS (SELECT 1 FROM w0)" in texts[0]
    assert texts[0].count("%s") == 3  # two tables and the guard's version


def test_the_guard_parameter_follows_the_anchor_rows() -> None:
    batch = InsertBatch()
    batch.add(t.audit_log, _audit(1, datetime(2026, 1, 1)))
    batch.add(t.audit_log, _audit(2, datetime(2026, 1, 1)))
    _sql, params = batch._ordered(REFERENCE_VERSION_GUARD, (41,))
    assert params[1] == 41 and [r["entity_id"] for r in json.loads(params[0])] == ["1", "2"]


def test_times_travel_as_naive_utc_and_dates_as_iso_text() -> None:
    """An aware time is stored as the naive UTC the store keeps; a naive one as it is."""
    batch = InsertBatch()
    batch.add(t.audit_log, [_audit(1, datetime(2026, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))),
                            _audit(2, datetime(2026, 3, 1, 12, 0))])
    batch.add(t.orders, {"id": "o", "due": date(2026, 3, 8)})
    _sql, params = batch.statement()
    assert [r["at"] for r in json.loads(params[0])] == ["2026-03-01T10:00:00", "2026-03-01T12:00:00"]
    assert json.loads(params[1])[0]["due"] == "2026-03-08"


def test_rows_of_one_table_must_have_the_same_columns() -> None:
    batch = InsertBatch()
    batch.add(t.audit_log, _audit(1, datetime(2026, 1, 1)))
    with pytest.raises(ValueError, match="audit_log"):
        batch.add(t.audit_log, {"actor": "a"})
    assert bool(InsertBatch()) is False and bool(batch) is True
