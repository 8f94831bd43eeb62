"""Inspections, switching states per (site, product family) and their change events."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, select

from microfactory.adapters.db import tables as t
from microfactory.adapters.db.tables_quality import quality_events
from microfactory.adapters.db.upsert import upsert
from microfactory.engines.quality.switching import Severity, SwitchEvent, SwitchingState
from microfactory.errors import NotFound


def _state_to_json(state: SwitchingState) -> dict[str, Any]:
    body = asdict(state)
    body["severity"] = state.severity.value
    body["normal_window"] = list(state.normal_window)
    return body


def _state_from_json(body: dict[str, Any]) -> SwitchingState:
    return SwitchingState(**{**body, "severity": Severity(body["severity"]),
                             "normal_window": tuple(bool(v) for v in body.get("normal_window", ()))})


def _inspection(r: Any) -> dict[str, Any]:
    return {"id": r.id, "batch_id": r.batch_id, "site_id": r.site_id, "family": r.family, "severity": r.severity,
            "sample_size": r.sample_size, "defects": list(r.defects), "decision": r.decision,
            "inspector": r.inspector, "detail": dict(r.detail), "at": r.at}


class QualityRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- switching states --------------------------------------------------------------
    def get_state(self, site_id: str, family: str, lock: bool = False) -> SwitchingState:
        """The stored state, or a fresh one on normal inspection."""
        q = select(t.quality_states.c.state).where(and_(t.quality_states.c.site_id == site_id,
                                                         t.quality_states.c.family == family))
        if lock and self.conn.dialect.name == "postgresql":
            q = q.with_for_update()
        body = self.conn.execute(q).scalar()
        return SwitchingState(site_id, family) if body is None else _state_from_json(dict(body))

    def save_state(self, state: SwitchingState, at: datetime) -> None:
        upsert(self.conn, t.quality_states, [{"site_id": state.site, "family": state.family,
                                             "state": _state_to_json(state), "updated_at": at}],
               ["site_id", "family"])

    def states(self) -> list[tuple[SwitchingState, datetime]]:
        rows = self.conn.execute(select(t.quality_states).order_by(t.quality_states.c.site_id,
                                                                   t.quality_states.c.family))
        return [(_state_from_json(dict(r.state)), r.updated_at) for r in rows]

    def add_switch_events(self, events: tuple[SwitchEvent, ...], at: datetime) -> None:
        if events:
            self.conn.execute(quality_events.insert(), [
                {"site_id": e.site, "family": e.family, "lot_id": e.lot_id, "from_severity": e.from_severity.value,
                 "to_severity": e.to_severity.value, "rule": e.rule, "at": at} for e in events])

    def switch_events(self, site_id: str | None = None, family: str | None = None) -> list[dict[str, Any]]:
        q = select(quality_events).order_by(quality_events.c.id)
        if site_id is not None:
            q = q.where(quality_events.c.site_id == site_id)
        if family is not None:
            q = q.where(quality_events.c.family == family)
        return [{"site": r.site_id, "family": r.family, "lot": r.lot_id, "from": r.from_severity,
                 "to": r.to_severity, "rule": r.rule, "at": r.at} for r in self.conn.execute(q)]

    # -- inspections ---------------------------------------------------------------------
    def add_inspection(self, row: dict[str, Any]) -> None:
        self.conn.execute(t.inspections.insert().values(**row))

    def get_inspection(self, inspection_id: str) -> dict[str, Any]:
        row = self.conn.execute(select(t.inspections).where(t.inspections.c.id == inspection_id)).first()
        if row is None:
            raise NotFound(f"inspection {inspection_id!r} does not exist", field="inspection_id")
        return _inspection(row)

    def count_for_batch(self, batch_id: str) -> int:
        return int(self.conn.execute(select(func.count()).select_from(t.inspections)
                                     .where(t.inspections.c.batch_id == batch_id)).scalar() or 0)

    def inspections(self, *, site_id: str | None = None, family: str | None = None,
                    batch_ids: tuple[str, ...] | None = None, limit: int = 5000) -> list[dict[str, Any]]:
        """Inspections oldest first (time, then id)."""
        q = select(t.inspections).order_by(t.inspections.c.at, t.inspections.c.id).limit(limit)
        if site_id is not None:
            q = q.where(t.inspections.c.site_id == site_id)
        if family is not None:
            q = q.where(t.inspections.c.family == family)
        if batch_ids is not None:
            q = q.where(t.inspections.c.batch_id.in_(batch_ids))
        return [_inspection(r) for r in self.conn.execute(q)]

    def series(self) -> list[tuple[str, str]]:
        """Every (site, family) with at least one inspection."""
        rows = self.conn.execute(select(t.inspections.c.site_id, t.inspections.c.family).distinct()
                                 .order_by(t.inspections.c.site_id, t.inspections.c.family))
        return [(r.site_id, r.family) for r in rows]

    # -- order notes -----------------------------------------------------------------------
    def add_order_note(self, order_id: str, line_id: str | None, kind: str, reason: str, at: datetime,
                       actor: str) -> None:
        """An order event that is not a status change (remake planned, re-routed for quality)."""
        self.conn.execute(t.order_events.insert().values(order_id=order_id, line_id=line_id, kind=kind, old=None,
                                                        new=None, at=at, reason=reason, actor=actor))

    def work_op_workers(self, batch_id: str) -> list[str]:
        """Workers named on the batch's operations in its site's active plan."""
        q = (select(t.work_ops.c.worker_id).distinct()
             .join(t.plans, t.plans.c.id == t.work_ops.c.plan_id)
             .where(and_(t.work_ops.c.batch_id == batch_id, t.plans.c.active.is_(True),
                         t.work_ops.c.worker_id.is_not(None))))
        return sorted(r[0] for r in self.conn.execute(q))
