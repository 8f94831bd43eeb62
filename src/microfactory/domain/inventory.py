"""Inventory ledger per site, item and lot: receipts, issues, transfers, adjustments and
reservations, with FIFO lot picking. On-hand and available never go negative (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from types import MappingProxyType

from microfactory.errors import InsufficientStock, InvalidInput

EPS = 1e-9


class MovementKind(str, Enum):
    RECEIPT = "receipt"
    ISSUE = "issue"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    ADJUSTMENT = "adjustment"
    RESERVE = "reserve"
    RELEASE = "release"


@dataclass(frozen=True, slots=True)
class Movement:
    """One ledger entry; the ledger's state is the sum of its movements."""

    kind: MovementKind
    site: str
    item: str
    lot: str
    qty: float
    at: datetime
    ref: str = ""


@dataclass(frozen=True, slots=True)
class LotBalance:
    qty: float
    received_at: datetime


LotKey = tuple[str, str, str]  # site, item, lot


@dataclass(frozen=True)
class Inventory:
    """Immutable stock state. Every change returns a new Inventory and its movements."""

    lots: Mapping[LotKey, LotBalance] = field(default_factory=lambda: MappingProxyType({}))
    reservations: Mapping[tuple[str, str, str], float] = field(default_factory=lambda: MappingProxyType({}))

    # -- queries -----------------------------------------------------------------
    def on_hand(self, site: str, item: str) -> float:
        return sum(b.qty for (s, i, _), b in self.lots.items() if s == site and i == item)

    def reserved(self, site: str, item: str) -> float:
        return sum(q for (s, i, _), q in self.reservations.items() if s == site and i == item)

    def available(self, site: str, item: str) -> float:
        return self.on_hand(site, item) - self.reserved(site, item)

    def lots_of(self, site: str, item: str) -> list[tuple[str, LotBalance]]:
        """Lots with stock, oldest first (FIFO order: received time, then lot id)."""
        found = [(lot, b) for (s, i, lot), b in self.lots.items() if s == site and i == item and b.qty > EPS]
        return sorted(found, key=lambda x: (x[1].received_at, x[0]))

    # -- changes -----------------------------------------------------------------
    def receive(self, site: str, item: str, lot: str, qty: float, at: datetime,
                ref: str = "") -> tuple[Inventory, list[Movement]]:
        _positive(qty)
        lots = dict(self.lots)
        old = lots.get((site, item, lot))
        lots[(site, item, lot)] = LotBalance((old.qty if old else 0.0) + qty, old.received_at if old else at)
        return self._with(lots=lots), [Movement(MovementKind.RECEIPT, site, item, lot, qty, at, ref)]

    def issue(self, site: str, item: str, qty: float, at: datetime, ref: str = "",
              lot: str | None = None) -> tuple[Inventory, list[Movement]]:
        """Take ``qty`` out, FIFO over lots (or from one ``lot``); consumes ``ref``'s reservation first."""
        _positive(qty)
        own = self.reservations.get((site, item, ref), 0.0) if ref else 0.0
        if qty > self.available(site, item) + min(own, qty) + EPS:
            raise InsufficientStock(
                f"{site}/{item}: issue of {qty:g} exceeds available {self.available(site, item) + own:g}",
                field="quantity", details={"site": site, "item": item})
        picks = self._pick(site, item, qty, lot)
        lots = dict(self.lots)
        for lot_id, take in picks:
            b = lots[(site, item, lot_id)]
            lots[(site, item, lot_id)] = LotBalance(b.qty - take, b.received_at)
        res = dict(self.reservations)
        if own:
            left = own - min(own, qty)
            if left > EPS:
                res[(site, item, ref)] = left
            else:
                res.pop((site, item, ref))
        moves = [Movement(MovementKind.ISSUE, site, item, lot_id, -take, at, ref) for lot_id, take in picks]
        if own:
            moves.append(Movement(MovementKind.RELEASE, site, item, "", -min(own, qty), at, ref))
        return self._with(lots=lots, reservations=res), moves

    def transfer(self, source: str, dest: str, item: str, qty: float, at: datetime,
                 ref: str = "") -> tuple[Inventory, list[Movement]]:
        """Move stock between sites; lots keep their ids and receipt times (FIFO continues)."""
        if source == dest:
            raise InvalidInput("transfer needs two different sites", field="to_site")
        after, issued = self.issue(source, item, qty, at, ref)
        outs = [m for m in issued if m.kind is MovementKind.ISSUE]
        lots = dict(after.lots)
        moves = [Movement(MovementKind.TRANSFER_OUT, m.site, m.item, m.lot, m.qty, at, ref) for m in outs]
        moves += [m for m in issued if m.kind is MovementKind.RELEASE]  # a reservation the transfer used up
        for m in outs:
            received = self.lots[(source, item, m.lot)].received_at
            old = lots.get((dest, item, m.lot))
            lots[(dest, item, m.lot)] = LotBalance((old.qty if old else 0.0) - m.qty, old.received_at if old else received)
            moves.append(Movement(MovementKind.TRANSFER_IN, dest, item, m.lot, -m.qty, at, ref))
        return after._with(lots=lots), moves

    def adjust(self, site: str, item: str, lot: str, delta: float, at: datetime,
               ref: str = "") -> tuple[Inventory, list[Movement]]:
        """Count correction; may not take on-hand below zero or below what is reserved."""
        key = (site, item, lot)
        old = self.lots.get(key)
        new_qty = (old.qty if old else 0.0) + delta
        if new_qty < -EPS or self.available(site, item) + delta < -EPS:
            raise InsufficientStock(f"{site}/{item}/{lot}: adjustment {delta:g} would go negative", field="quantity")
        lots = dict(self.lots)
        lots[key] = LotBalance(max(new_qty, 0.0), old.received_at if old else at)
        return self._with(lots=lots), [Movement(MovementKind.ADJUSTMENT, site, item, lot, delta, at, ref)]

    def reserve(self, site: str, item: str, qty: float, ref: str, at: datetime) -> tuple[Inventory, list[Movement]]:
        _positive(qty)
        if not ref:
            raise InvalidInput("a reservation needs a reference", field="ref")
        if qty > self.available(site, item) + EPS:
            raise InsufficientStock(f"{site}/{item}: cannot reserve {qty:g}, available {self.available(site, item):g}",
                                    field="quantity", details={"site": site, "item": item})
        res = dict(self.reservations)
        res[(site, item, ref)] = res.get((site, item, ref), 0.0) + qty
        return self._with(reservations=res), [Movement(MovementKind.RESERVE, site, item, "", qty, at, ref)]

    def release(self, site: str, item: str, ref: str, at: datetime) -> tuple[Inventory, list[Movement]]:
        res = dict(self.reservations)
        qty = res.pop((site, item, ref), 0.0)
        if not qty:
            return self, []
        return self._with(reservations=res), [Movement(MovementKind.RELEASE, site, item, "", -qty, at, ref)]

    # -- helpers -----------------------------------------------------------------
    def _pick(self, site: str, item: str, qty: float, lot: str | None) -> list[tuple[str, float]]:
        if lot:
            named = self.lots.get((site, item, lot))
            candidates = [(lot, named)] if named is not None else []
        else:
            candidates = self.lots_of(site, item)
        picks, need = [], qty
        for lot_id, balance in candidates:
            take = min(balance.qty, need)
            if take > EPS:
                picks.append((lot_id, take))
                need -= take
            if need <= EPS:
                return picks
        raise InsufficientStock(f"{site}/{item}: lots hold less than {qty:g}", field="quantity")

    def _with(self, lots: Mapping[LotKey, LotBalance] | None = None,
              reservations: Mapping[tuple[str, str, str], float] | None = None) -> Inventory:
        return Inventory(MappingProxyType(dict(lots if lots is not None else self.lots)),
                         MappingProxyType(dict(reservations if reservations is not None else self.reservations)))


def _positive(qty: float) -> None:
    if not qty > 0:
        raise InvalidInput(f"quantity must be positive, got {qty}", field="quantity")
