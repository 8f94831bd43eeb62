"""A unit of work's inserts sent to PostgreSQL as one statement, on a connection in autocommit.

A single SQL statement is atomic on its own: every row goes in, or (on any error: a unique key,
a foreign key, a type) none does. So a write that is only inserts (an order, its lines and
events, the Idempotency-Key record, the audit entry, the webhook outbox) needs neither BEGIN nor
COMMIT nor a round trip per table: the inserts are collected in memory (``CollectingUnitOfWork``:
the repositories' inserts land in an :class:`InsertBatch`) and sent at the end as data-modifying
CTEs of one ``SELECT``, one round trip in all, on the API's asyncio engine in autocommit.

The first table added is the *anchor*; its INSERT carries an optional guard (a SQL condition, e.g.
"the reference data still has the version this write was validated against") and every other
INSERT takes its rows only if the anchor's did (``WHERE EXISTS (SELECT 1 FROM anchor)``). The
statement returns how many anchor rows went in: 0 means the guard failed and nothing was written.

The SQL text depends only on the tables and their columns, so it is built once per shape and kept;
each table's rows travel as one JSON parameter, read back into the table's row type by
``json_populate_recordset`` (so every value gets its column's type). Only for PostgreSQL (SQLite has no data-modifying CTEs; its units of work run as before).
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]
_SQL_CACHE: dict[tuple[Any, ...], str] = {}
_LOCK = threading.Lock()


def _json_value(value: Any) -> Any:
    """Dates and times as ISO 8601 text (PostgreSQL reads them back into date / timestamp columns);
    an aware time as naive UTC, as the store keeps them (a ``timestamp`` column ignores an offset)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _quote(name: str) -> str:
    return _DIALECT.identifier_preparer.quote(name)


class InsertBatch:
    """Rows to insert, per table in the order first added; sent by :meth:`send`."""

    def __init__(self) -> None:
        self._tables: dict[str, tuple[Table, tuple[str, ...], list[dict[str, Any]]]] = {}

    def add(self, table: Table, rows: dict[str, Any] | list[dict[str, Any]]) -> None:
        rows = [rows] if isinstance(rows, dict) else rows
        if not rows:
            return
        entry = self._tables.get(table.name)
        if entry is None:
            entry = (table, tuple(rows[0]), [])
            self._tables[table.name] = entry
        columns = entry[1]
        for row in rows:
            if tuple(row) != columns:
                raise ValueError(f"rows for {table.name} must all have the columns {columns}")
            entry[2].append(row)

    def __bool__(self) -> bool:
        return bool(self._tables)

    def statement(self, guard: str | None = None) -> tuple[str, list[Any]]:
        """The SQL text and its positional parameters: one JSON array of rows per table."""
        shape = (guard, tuple((name, cols) for name, (_t, cols, _rows) in self._tables.items()))
        sql = _SQL_CACHE.get(shape)
        if sql is None:
            sql = self._build(guard)
            with _LOCK:
                if len(_SQL_CACHE) > 512:
                    _SQL_CACHE.clear()
                _SQL_CACHE[shape] = sql
        return sql, [json.dumps(rows, default=_json_value) for _t, _cols, rows in self._tables.values()]

    def _build(self, guard: str | None) -> str:
        # Each table's rows travel as one JSON array, turned into rows of the table's own type by
        # json_populate_recordset: a handful of parameters whatever the number of rows (psycopg
        # caches the parsing of a query with at most 50 parameters; a VALUES list of an order's
        # 80 values was parsed again on every call), and one text per set of tables and columns.
        ctes = []
        for n, (table, cols, _rows) in enumerate(self._tables.values()):
            names = ", ".join(_quote(c) for c in cols)
            source = (f"SELECT {names} FROM json_populate_recordset(NULL::{_quote(table.name)}, "
                      "CAST(%s AS json))")
            if n == 0:
                condition = f" WHERE {guard}" if guard else ""
                ctes.append(f"w0 AS (INSERT INTO {_quote(table.name)} ({names}) {source}{condition} RETURNING 1)")
            else:
                ctes.append(f"w{n} AS (INSERT INTO {_quote(table.name)} ({names}) {source} "
                            "WHERE EXISTS (SELECT 1 FROM w0))")
        return "WITH " + ", ".join(ctes) + " SELECT count(*) FROM w0"

    def _ordered(self, guard: str | None, guard_params: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
        sql, params = self.statement(guard)
        # the guard's placeholders come after the anchor's rows in the text (in its WHERE)
        return sql, tuple(params[:1] + list(guard_params) + params[1:])

    async def send_async(self, conn: AsyncConnection, guard: str | None = None,
                         guard_params: tuple[Any, ...] = ()) -> int:
        """Insert everything in one statement; returns the anchor rows inserted (0: guard failed).

        ``guard`` is a SQL condition with ``%s`` placeholders for ``guard_params``. ``conn`` must be
        in autocommit (a statement inside an open transaction would wait for its COMMIT)."""
        if not self._tables:
            return 0
        return int((await conn.exec_driver_sql(*self._ordered(guard, guard_params))).scalar_one())


class NeedsDatabase(Exception):
    """A write being collected without a connection tried to read (see :class:`NoConnection`)."""


class NoConnection:
    """The connection of a collecting unit of work: inserts go to its batch, any statement raises
    :class:`NeedsDatabase` (the caller then takes the ordinary path, which may read)."""

    def execute(self, *_args: Any, **_kwargs: Any) -> Any:
        raise NeedsDatabase()


#: The guard that the reference data (network, catalog, webhook subscriptions) is still at a version.
REFERENCE_VERSION_GUARD = ("COALESCE((SELECT CAST(value->>'v' AS INTEGER) FROM settings "
                           "WHERE key = 'reference_version'), 0) = %s")
