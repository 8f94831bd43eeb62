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

The SQL text depends only on the tables, their columns and the number of rows of each, so it is
built once per shape and kept; values travel as parameters, and each column of the VALUES list is
cast to its table column's type in the select list. Only for PostgreSQL (SQLite has no data-modifying CTEs; its units of work run as before).
"""

from __future__ import annotations

import json
import threading
from typing import Any

from sqlalchemy import JSON, Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]
_SQL_CACHE: dict[tuple[Any, ...], str] = {}
_TYPES: dict[tuple[str, str], str] = {}
_LOCK = threading.Lock()


def _sql_type(table: Table, column: str) -> str:
    key = (table.name, column)
    found = _TYPES.get(key)
    if found is None:
        found = table.c[column].type.compile(dialect=_DIALECT)
        with _LOCK:
            _TYPES[key] = found
    return found


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

    def tables(self) -> list[str]:
        return list(self._tables)

    def statement(self, guard: str | None = None) -> tuple[str, list[Any]]:
        """The SQL text and its positional parameters."""
        shape = (guard, tuple((name, cols, len(rows)) for name, (_t, cols, rows) in self._tables.items()))
        sql = _SQL_CACHE.get(shape)
        if sql is None:
            sql = self._build(guard)
            with _LOCK:
                if len(_SQL_CACHE) > 512:
                    _SQL_CACHE.clear()
                _SQL_CACHE[shape] = sql
        params: list[Any] = []
        for table, cols, rows in self._tables.values():
            json_cols = [isinstance(table.c[c].type, JSON) for c in cols]
            for row in rows:
                params.extend(json.dumps(row[c]) if is_json and row[c] is not None else row[c]
                              for c, is_json in zip(cols, json_cols))
        return sql, params

    def _build(self, guard: str | None) -> str:
        ctes = []
        for n, (table, cols, rows) in enumerate(self._tables.values()):
            # each column cast once, in the select list (the text stays short enough for psycopg
            # to cache its parsing; it re-parses queries over 4 kB on every call)
            one = "(" + ", ".join(["%s"] * len(cols)) + ")"
            names = ", ".join(_quote(c) for c in cols)
            casts = ", ".join(f"CAST(v.{_quote(c)} AS {_sql_type(table, c)})" for c in cols)
            source = f"SELECT {casts} FROM (VALUES {', '.join([one] * len(rows))}) AS v ({names})"
            if n == 0:
                condition = f" WHERE {guard}" if guard else ""
                ctes.append(f"w0 AS (INSERT INTO {_quote(table.name)} ({names}) {source}{condition} RETURNING 1)")
            else:
                ctes.append(f"w{n} AS (INSERT INTO {_quote(table.name)} ({names}) {source} "
                            "WHERE EXISTS (SELECT 1 FROM w0))")
        return "WITH " + ", ".join(ctes) + " SELECT count(*) FROM w0"

    def _ordered(self, guard: str | None, guard_params: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
        sql, params = self.statement(guard)
        # the guard's placeholders come after the anchor's VALUES in the text (in its WHERE)
        anchor_params = sum(len(cols) * len(rows) for _t, cols, rows in list(self._tables.values())[:1])
        return sql, tuple(params[:anchor_params] + list(guard_params) + params[anchor_params:])

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

    exec_driver_sql = execute


#: The guard that the reference data (network, catalog, webhook subscriptions) is still at a version.
REFERENCE_VERSION_GUARD = ("COALESCE((SELECT CAST(value->>'v' AS INTEGER) FROM settings "
                           "WHERE key = 'reference_version'), 0) = %s")
