"""Pooled connections are pinged before use only after sitting idle, and a dead one is replaced."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.pool import QueuePool

from microfactory.adapters.db.engine import _ping_when_idle


def _engine(idle_s: float) -> tuple[Any, list[int]]:
    engine = create_engine("sqlite://", poolclass=QueuePool, pool_size=1, max_overflow=0)
    pings: list[int] = []
    real = engine.dialect.do_ping

    def counting(dbapi_conn: Any) -> bool:
        pings.append(1)
        return real(dbapi_conn)

    engine.dialect.do_ping = counting  # type: ignore[method-assign]
    _ping_when_idle(engine, idle_s)
    return engine, pings


def test_a_connection_used_moments_ago_is_not_pinged() -> None:
    """Checkouts in quick succession cost no ping; a fresh connection none either."""
    engine, pings = _engine(idle_s=60.0)
    for _ in range(3):
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
    assert pings == []


def test_an_idle_dead_connection_is_replaced_before_use() -> None:
    """A pooled connection that died while idle fails its ping and the pool hands out a new one."""
    engine, pings = _engine(idle_s=0.0)
    with engine.connect() as conn:
        first = conn.connection.dbapi_connection
        conn.execute(text("SELECT 1"))
    first.close()  # the server went away while the connection sat in the pool
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
        assert conn.connection.dbapi_connection is not first
    assert len(pings) >= 1
