"""Fast executemany for thousands of rows (a campaign close, a bulk routing run).

SQLAlchemy's Core executemany builds a parameter dict per row through the compiled statement
(about 10 µs a row and column); here the statement text is built once and the rows are sent to
the driver as tuples, each value passed through its column type's own bind processor (so
dates, datetimes and JSON are stored exactly as Core would store them). Works on SQLite and
PostgreSQL (``INSERT ... ON CONFLICT (...) DO UPDATE`` is the same on both).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table


def _mark(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def _values(conn: Connection, table: Table, cols: Sequence[str], rows: Sequence[dict[str, Any]]
            ) -> list[tuple[Any, ...]]:
    procs = [table.c[c].type._cached_bind_processor(conn.dialect) for c in cols]
    seen: list[dict[Any, Any]] = [{} for _ in cols]   # rows share values (the same ``at``): process once

    def value(k: int, v: Any) -> Any:
        p = procs[k]
        if p is None or v is None:
            return v
        try:
            return seen[k][v]
        except KeyError:
            seen[k][v] = out = p(v)
            return out
        except TypeError:                   # unhashable (JSON)
            return p(v)

    return [tuple(value(k, r[c]) for k, c in enumerate(cols)) for r in rows]


def _q(conn: Connection, name: str) -> str:
    return str(conn.dialect.identifier_preparer.quote(name))


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]],
                conflict: Sequence[str] | None = None) -> None:
    """Insert rows (all with the same keys); with ``conflict`` key columns, update the others on conflict."""
    if not rows:
        return
    cols = list(rows[0])
    mark = _mark(conn)
    sql = (f"INSERT INTO {_q(conn, table.name)} ({', '.join(_q(conn, c) for c in cols)}) "
           f"VALUES ({', '.join(mark for _ in cols)})")
    if conflict:
        rest = [c for c in cols if c not in conflict]
        sql += (f" ON CONFLICT ({', '.join(_q(conn, c) for c in conflict)}) DO UPDATE SET "
                + ", ".join(f"{_q(conn, c)} = excluded.{_q(conn, c)}" for c in rest))
    conn.exec_driver_sql(sql, _values(conn, table, cols, rows))


def update_rows(conn: Connection, table: Table, keys: Sequence[str], rows: Sequence[dict[str, Any]],
                increment: Sequence[str] = ()) -> None:
    """``UPDATE table SET col = ? ... WHERE key = ? ...`` per row; ``increment`` columns are added to."""
    if not rows:
        return
    sets = [c for c in rows[0] if c not in keys]
    mark = _mark(conn)
    assign = ", ".join(f"{_q(conn, c)} = {_q(conn, c)} + {mark}" if c in increment else f"{_q(conn, c)} = {mark}"
                       for c in sets)
    where = " AND ".join(f"{_q(conn, k)} = {mark}" for k in keys)
    cols = [*sets, *keys]
    conn.exec_driver_sql(f"UPDATE {_q(conn, table.name)} SET {assign} WHERE {where}",
                         _values(conn, table, cols, rows))


__all__ = ["insert_rows", "update_rows"]
