"""Dialect-aware INSERT ... ON CONFLICT for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def upsert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str],
           update: bool = True) -> None:
    """Insert rows; on a key conflict update the other columns (or do nothing)."""
    if not rows:
        return
    dialect = conn.dialect.name
    mod = postgresql if dialect == "postgresql" else sqlite
    stmt = mod.insert(table)
    cols = [c for c in rows[0] if c not in keys]
    if update and cols:
        stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_={c: stmt.excluded[c] for c in cols})
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    conn.execute(stmt, list(rows))
