"""Inventory in the database, changed only through the domain ledger's rules.

Each change loads the lots and reservations of the (site, item) it touches, locked
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's BEGIN IMMEDIATE serialises writers),
applies the pure :class:`~microfactory.domain.inventory.Inventory` operation, and writes
back the changed rows and the movements. So the database can never hold a state that the
domain would refuse: on-hand and available never go negative.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from types import MappingProxyType

from sqlalchemy import Connection, and_, delete, or_, select

from microfactory.adapters.db import tables as t
from microfactory.adapters.db.upsert import upsert
from microfactory.domain.inventory import Inventory, LotBalance, Movement


class InventoryRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def load(self, pairs: Iterable[tuple[str, str]] | None = None, lock: bool = False) -> Inventory:
        """The ledger state for some (site, item) pairs, or all of it."""
        lot_q = select(t.inventory_lots)
        res_q = select(t.inventory_reservations)
        if pairs is not None:
            keys = sorted(set(pairs))  # fixed order: locks are always taken in the same order
            if not keys:
                return Inventory()
            cond = [and_(t.inventory_lots.c.site_id == s, t.inventory_lots.c.item == i) for s, i in keys]
            lot_q = lot_q.where(or_(*cond)).order_by(t.inventory_lots.c.site_id, t.inventory_lots.c.item, t.inventory_lots.c.lot)
            rcond = [and_(t.inventory_reservations.c.site_id == s, t.inventory_reservations.c.item == i) for s, i in keys]
            res_q = res_q.where(or_(*rcond))
        if lock and self.conn.dialect.name == "postgresql":
            lot_q = lot_q.with_for_update()
            res_q = res_q.with_for_update()
        lots = {(r.site_id, r.item, r.lot): LotBalance(r.qty, r.received_at) for r in self.conn.execute(lot_q)}
        res = {(r.site_id, r.item, r.ref): r.qty for r in self.conn.execute(res_q)}
        return Inventory(MappingProxyType(lots), MappingProxyType(res))

    def apply(self, pairs: Iterable[tuple[str, str]],
              change: Callable[[Inventory], tuple[Inventory, list[Movement]]]) -> list[Movement]:
        """Run one domain change on the locked state of ``pairs`` and persist its result."""
        pairs = list(pairs)
        before = self.load(pairs, lock=True)
        after, moves = change(before)
        self._write(before, after, moves)
        return moves

    def _write(self, before: Inventory, after: Inventory, moves: list[Movement]) -> None:
        changed = [{"site_id": s, "item": i, "lot": lot, "qty": b.qty, "received_at": b.received_at}
                   for (s, i, lot), b in after.lots.items() if before.lots.get((s, i, lot)) != b]
        upsert(self.conn, t.inventory_lots, changed, ["site_id", "item", "lot"])
        for key in set(before.reservations) - set(after.reservations):
            s, i, ref = key
            self.conn.execute(delete(t.inventory_reservations).where(and_(
                t.inventory_reservations.c.site_id == s, t.inventory_reservations.c.item == i,
                t.inventory_reservations.c.ref == ref)))
        res_rows = [{"site_id": s, "item": i, "ref": ref, "qty": q}
                    for (s, i, ref), q in after.reservations.items() if before.reservations.get((s, i, ref)) != q]
        upsert(self.conn, t.inventory_reservations, res_rows, ["site_id", "item", "ref"])
        if moves:
            self.conn.execute(t.inventory_movements.insert(), [
                {"kind": m.kind.value, "site_id": m.site, "item": m.item, "lot": m.lot, "qty": m.qty, "at": m.at,
                 "ref": m.ref} for m in moves])

    def lot_exists(self, site: str, item: str, lot: str) -> bool:
        return self.conn.execute(select(t.inventory_lots.c.qty).where(and_(
            t.inventory_lots.c.site_id == site, t.inventory_lots.c.item == item, t.inventory_lots.c.lot == lot))).first() is not None

    def positions(self, site: str | None = None) -> list[dict[str, object]]:
        """On hand, reserved and available per site and item."""
        inv = self.load()
        keys = sorted({(s, i) for s, i, _ in inv.lots} | {(s, i) for s, i, _ in inv.reservations})
        return [{"site": s, "item": i, "on_hand": round(inv.on_hand(s, i), 6), "reserved": round(inv.reserved(s, i), 6),
                 "available": round(inv.available(s, i), 6), "lots": [lot for lot, _ in inv.lots_of(s, i)]}
                for s, i in keys if site is None or s == site]

    def movements(self, site: str | None = None, limit: int = 200) -> list[dict[str, object]]:
        q = select(t.inventory_movements).order_by(t.inventory_movements.c.id.desc()).limit(limit)
        if site:
            q = q.where(t.inventory_movements.c.site_id == site)
        return [{"kind": r.kind, "site": r.site_id, "item": r.item, "lot": r.lot, "qty": r.qty,
                 "at": r.at.isoformat(), "ref": r.ref} for r in self.conn.execute(q)]


__all__ = ["InventoryRepository", "datetime"]
