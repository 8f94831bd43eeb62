"""Dashboard jobs in the database, so that every worker of the service sees every job.

A job runs in a thread of the worker that started it; that worker writes its state here about
once a second (the heartbeat) and when it ends. Any worker answers a poll from this table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from microfactory.adapters.db import tables as t
from microfactory.adapters.db.upsert import upsert

_COLUMNS = ("id", "kind", "owner", "label", "status", "progress", "message", "result", "error", "elapsed_s",
            "started_at", "updated_at")


class JobStore:
    """Reads and writes ``ui_jobs`` in short transactions of their own (never in a caller's)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def save(self, row: dict[str, Any]) -> None:
        """Insert or replace one job's state."""
        with self.engine.begin() as conn:
            upsert(conn, t.ui_jobs, [{k: row[k] for k in _COLUMNS}], ["id"])

    def get(self, job_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(t.ui_jobs).where(t.ui_jobs.c.id == job_id)).first()
        return dict(r._mapping) if r is not None else None

    def recent(self, owner: str | None, n: int) -> list[dict[str, Any]]:
        """The newest ``n`` jobs (of one owner), newest first."""
        query = select(t.ui_jobs).order_by(t.ui_jobs.c.started_at.desc(), t.ui_jobs.c.id.desc()).limit(n)
        if owner is not None:
            query = query.where(t.ui_jobs.c.owner == owner)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def prune(self, before: datetime) -> None:
        """Forget finished jobs started before ``before``."""
        with self.engine.begin() as conn:
            conn.execute(t.ui_jobs.delete().where(t.ui_jobs.c.started_at < before, t.ui_jobs.c.status != "running"))


__all__ = ["JobStore"]
