"""Routing in the database: capacity per (site, process, day), reservations, assignments, runs.

Capacity is reserved under row locks taken in one fixed order (site, process, day):
``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite every unit of work starts with
``BEGIN IMMEDIATE``, which serialises writers. ``capacity.reserved_min`` always equals the
sum of ``capacity_reservations`` of its (site, process, day), and :meth:`check` refuses any
state where it exceeds ``capacity_min``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, select, update

from microfactory.adapters.db import tables as t
from microfactory.adapters.db.upsert import upsert
from microfactory.errors import CapacityExceeded, NotFound

EPS = 1e-6
CapKey = tuple[str, str, date]


class RoutingRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- lines -------------------------------------------------------------------------------
    def line_refs(self, *, statuses: Sequence[str], brand: str | None = None, site_id: str | None = None,
                  line_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Order id, line id, status and site of lines in ``statuses`` (brand/site filters in the query)."""
        ol, o = t.order_lines, t.orders
        q = (select(ol.c.id, ol.c.order_id, ol.c.status, ol.c.site_id).join(o, o.c.id == ol.c.order_id)
             .where(ol.c.status.in_(list(statuses))).order_by(o.c.seq, ol.c.position))
        if brand is not None:
            q = q.where(o.c.brand_id == brand)
        if site_id is not None:
            q = q.where(ol.c.site_id == site_id)
        if line_ids is not None:
            q = q.where(ol.c.id.in_(list(line_ids)))
        return [{"line_id": r.id, "order_id": r.order_id, "status": r.status, "site_id": r.site_id}
                for r in self.conn.execute(q)]

    def lock_lines(self, line_ids: Iterable[str]) -> dict[str, tuple[str, str | None]]:
        """Status and site of each line, locked (in id order) until the transaction ends."""
        ids = sorted(set(line_ids))
        if not ids:
            return {}
        q = select(t.order_lines.c.id, t.order_lines.c.status, t.order_lines.c.site_id).where(
            t.order_lines.c.id.in_(ids)).order_by(t.order_lines.c.id)
        if self.conn.dialect.name == "postgresql":
            q = q.with_for_update()
        return {r.id: (r.status, r.site_id) for r in self.conn.execute(q)}

    def order_of_line(self, line_id: str) -> str:
        found = self.conn.execute(select(t.order_lines.c.order_id).where(t.order_lines.c.id == line_id)).scalar()
        if found is None:
            raise NotFound(f"order line {line_id!r} does not exist", field="line_id")
        return str(found)

    def add_event(self, order_id: str, line_id: str | None, kind: str, reason: str, at: datetime,
                  actor: str) -> None:
        self.conn.execute(t.order_events.insert().values(order_id=order_id, line_id=line_id, kind=kind, old=None,
                                                        new=None, at=at, reason=reason, actor=actor))

    # -- capacity ----------------------------------------------------------------------------
    def ensure_capacity(self, rows: Mapping[CapKey, float]) -> None:
        """Create the missing capacity rows (in lock order); existing rows are left to :meth:`set_capacity`."""
        data = [{"site_id": s, "process": p, "day": d, "capacity_min": m, "reserved_min": 0.0}
                for (s, p, d), m in sorted(rows.items())]
        upsert(self.conn, t.capacity, data, ["site_id", "process", "day"], update=False)

    def set_capacity(self, changes: Mapping[CapKey, float]) -> None:
        """Set ``capacity_min`` of rows already locked by :meth:`lock_capacity`."""
        c = t.capacity
        for (s, p, d), m in sorted(changes.items()):
            self.conn.execute(update(c).where(and_(c.c.site_id == s, c.c.process == p, c.c.day == d))
                              .values(capacity_min=m))

    def reserved(self, site_ids: Iterable[str], first: date, last: date,
                 exclude_lines: Iterable[str] = ()) -> dict[CapKey, float]:
        """Minutes reserved per (site, process, day) in [first, last], leaving out some lines' reservations."""
        cr = t.capacity_reservations
        q = (select(cr.c.site_id, cr.c.process, cr.c.day, func.sum(cr.c.minutes))
             .where(cr.c.site_id.in_(sorted(set(site_ids))), cr.c.day >= first, cr.c.day <= last)
             .group_by(cr.c.site_id, cr.c.process, cr.c.day))
        out = {(r[0], r[1], r[2]): float(r[3]) for r in self.conn.execute(q)}
        excluded = sorted(set(exclude_lines))
        if excluded:
            for r in self.conn.execute(select(cr).where(cr.c.line_id.in_(excluded), cr.c.day >= first,
                                                        cr.c.day <= last)):
                key = (r.site_id, r.process, r.day)
                out[key] = out.get(key, 0.0) - r.minutes
        return out

    def lock_capacity(self, site_ids: Iterable[str], first: date, last: date) -> dict[CapKey, list[float]]:
        """[capacity_min, reserved_min] per row, locked in (site, process, day) order."""
        c = t.capacity
        q = (select(c).where(c.c.site_id.in_(sorted(set(site_ids))), c.c.day >= first, c.c.day <= last)
             .order_by(c.c.site_id, c.c.process, c.c.day))
        if self.conn.dialect.name == "postgresql":
            q = q.with_for_update()
        return {(r.site_id, r.process, r.day): [r.capacity_min, r.reserved_min] for r in self.conn.execute(q)}

    def reserve(self, line_id: str, site_id: str, takes: Mapping[tuple[str, date], float]) -> None:
        """Record a line's minutes per (process, day) at a site and add them to ``reserved_min``."""
        kept = [(p, d, m) for (p, d), m in sorted(takes.items()) if m > EPS]
        if not kept:
            return
        self.conn.execute(t.capacity_reservations.insert(), [
            {"line_id": line_id, "site_id": site_id, "process": p, "day": d, "minutes": m} for p, d, m in kept])
        for p, d, m in kept:
            self._bump(site_id, p, d, m)

    def _bump(self, site_id: str, process: str, day: date, minutes: float) -> None:
        c = t.capacity
        self.conn.execute(update(c).where(and_(c.c.site_id == site_id, c.c.process == process, c.c.day == day))
                          .values(reserved_min=c.c.reserved_min + minutes))

    def release(self, line_ids: Iterable[str]) -> dict[str, float]:
        """Delete the lines' reservations and take them off ``reserved_min``; minutes released per line."""
        ids = sorted(set(line_ids))
        if not ids:
            return {}
        cr = t.capacity_reservations
        rows = list(self.conn.execute(select(cr).where(cr.c.line_id.in_(ids))
                                      .order_by(cr.c.site_id, cr.c.process, cr.c.day)))
        per_key: dict[tuple[str, str, date], float] = defaultdict(float)
        per_line: dict[str, float] = defaultdict(float)
        for r in rows:
            per_key[(r.site_id, r.process, r.day)] += r.minutes
            per_line[r.line_id] += r.minutes
        for (s, p, d), m in sorted(per_key.items()):
            self._bump(s, p, d, -m)
        self.conn.execute(delete(cr).where(cr.c.line_id.in_(ids)))
        return dict(per_line)

    def check(self, site_ids: Iterable[str]) -> None:
        """Raise CapacityExceeded if any row of these sites is reserved beyond its capacity."""
        c = t.capacity
        row = self.conn.execute(select(c).where(c.c.site_id.in_(sorted(set(site_ids))),
                                                c.c.reserved_min > c.c.capacity_min + EPS).limit(1)).first()
        if row is not None:
            raise CapacityExceeded(f"site {row.site_id}: {row.process} on {row.day} reserved {row.reserved_min:.1f} "
                                   f"of {row.capacity_min:.1f} minutes", field="capacity",
                                   details={"site_id": row.site_id, "process": row.process, "day": row.day.isoformat()})

    def line_reservations(self, line_id: str) -> list[dict[str, Any]]:
        cr = t.capacity_reservations
        q = select(cr).where(cr.c.line_id == line_id).order_by(cr.c.process, cr.c.day)
        return [{"site_id": r.site_id, "process": r.process, "day": r.day.isoformat(), "minutes": round(r.minutes, 3)}
                for r in self.conn.execute(q)]

    # -- assignments and runs ----------------------------------------------------------------
    def save_assignments(self, rows: Sequence[dict[str, Any]]) -> None:
        """Upsert assignment rows: line_id, site_id, run_id, cost, detail, at."""
        upsert(self.conn, t.assignments, list(rows), ["line_id"])

    def assignments(self, line_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        ids = sorted(set(line_ids))
        if not ids:
            return {}
        a = t.assignments
        return {r.line_id: {"site_id": r.site_id, "run_id": r.run_id, "cost": r.cost, "detail": r.detail,
                            "at": r.at.isoformat()} for r in self.conn.execute(select(a).where(a.c.line_id.in_(ids)))}

    def save_run(self, run_id: str, policy: str, status: str, summary: dict[str, Any], at: datetime) -> None:
        self.conn.execute(t.routing_runs.insert().values(id=run_id, policy=policy, status=status, summary=summary,
                                                         at=at))

    def run_count(self) -> int:
        return int(self.conn.execute(select(func.count()).select_from(t.routing_runs)).scalar_one())

    def get_run(self, run_id: str) -> dict[str, Any]:
        r = self.conn.execute(select(t.routing_runs).where(t.routing_runs.c.id == run_id)).first()
        if r is None:
            raise NotFound(f"routing run {run_id!r} does not exist", field="run_id")
        return {"id": r.id, "policy": r.policy, "status": r.status, "at": r.at.isoformat(), **r.summary}


__all__ = ["RoutingRepository"]
