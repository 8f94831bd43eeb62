"""Database engines and migrations: SQLite by default, PostgreSQL through psycopg 3."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError

DEFAULT_URL = "sqlite:///microfactory.db"


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout."""
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (SQLAlchemy's pysqlite recipe)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            # Writers take the write lock at BEGIN so two of them never both read-then-write (no
            # over-booking); read-only units of work begin deferred and never block (WAL).
            readonly = conn.get_execution_options().get("mf_readonly", False)
            conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

        engine.dialect._microfactory_sqlite = True  # type: ignore[attr-defined]
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_when_idle(engine, PING_AFTER_IDLE_S)
    # executemany INSERTs as one multi-row INSERT (as SQLAlchemy does for psycopg2) instead of
    # psycopg 3's pipeline: order lines and events cost one statement each (see benchmarks/intake_load.py)
    engine.dialect.use_insertmanyvalues_wo_returning = True
    return engine


def make_async_engine(url: str, **kwargs: Any) -> Any:
    """An asyncio engine (psycopg 3's AsyncConnection) for PostgreSQL, for the API's one-statement
    writes on the event loop; pooled like :func:`make_engine`. SQLite has none (returns None)."""
    url = normalise_url(url)
    if make_url(url).get_backend_name() != "postgresql":
        return None
    from sqlalchemy.ext.asyncio import create_async_engine

    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT", **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_when_idle(engine.sync_engine, PING_AFTER_IDLE_S)
    return engine


#: A pooled PostgreSQL connection idle longer than this is pinged before use (see _ping_when_idle).
PING_AFTER_IDLE_S = 2.0


def _ping_when_idle(engine: Engine, idle_s: float) -> None:
    """SQLAlchemy's ``pool_pre_ping``, but only for a connection that sat in the pool over ``idle_s``.

    A dead connection found by the ping is replaced before anyone uses it (the pool retries the
    checkout). One used moments ago is handed out without the extra round trip (under load that is
    nearly every checkout); should the server have gone away in those seconds, its first statement
    fails, SQLAlchemy recycles the whole pool, and ``run_write`` retries a write once more."""

    @event.listens_for(engine.pool, "checkin")
    def _checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["mf_checked_in"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        last = record.info.get("mf_checked_in")
        if last is None or time.monotonic() - last < idle_s:
            return  # freshly connected, or used moments ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # any failure of the ping means: not this connection
            raise DisconnectionError(str(exc)) from exc


def migrations_dir() -> Path:
    return Path(__file__).with_name("migrations")


def migrate(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema to ``revision`` with Alembic (idempotent)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
