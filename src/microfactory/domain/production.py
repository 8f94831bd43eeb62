"""Batches and their operations: the unit of scheduling, QC and traceability (pure)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum

from microfactory.errors import IllegalTransition, InvalidInput


class BatchStatus(str, Enum):
    PLANNED = "planned"          # formed and scheduled, not started
    IN_PRODUCTION = "in_production"
    INSPECTION = "inspection"    # made, waiting for QC
    PASSED = "passed"            # QC accepted
    REJECTED = "rejected"        # QC rejected: rework or remake follows
    CANCELLED = "cancelled"


B = BatchStatus
BATCH_TRANSITIONS: dict[BatchStatus, frozenset[BatchStatus]] = {
    B.PLANNED: frozenset({B.IN_PRODUCTION, B.CANCELLED}),
    B.IN_PRODUCTION: frozenset({B.INSPECTION}),
    B.INSPECTION: frozenset({B.PASSED, B.REJECTED}),
    B.REJECTED: frozenset({B.IN_PRODUCTION, B.CANCELLED}),  # rework in place, or remake elsewhere
    B.PASSED: frozenset(),
    B.CANCELLED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class BatchLine:
    """Part of an order line made in a batch."""

    line_id: str
    order_id: str
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Batch:
    """Units of one setup made together at one site."""

    id: str
    site_id: str
    setup_key: str
    lines: tuple[BatchLine, ...]
    lot: str
    status: BatchStatus = BatchStatus.PLANNED
    product_id: str = ""
    due: datetime | None = None
    planned_start: datetime | None = None
    planned_end: datetime | None = None
    plan_id: str | None = None

    def __post_init__(self) -> None:
        if not self.lines:
            raise InvalidInput(f"batch {self.id}: needs at least one line", field="lines")
        if not self.lot or len(self.lot) > 20:
            raise InvalidInput(f"batch {self.id}: lot must be 1-20 characters", field="lot")

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def order_ids(self) -> frozenset[str]:
        return frozenset(line.order_id for line in self.lines)


def move_batch(batch: Batch, new: BatchStatus) -> Batch:
    """The batch in its new status, or IllegalTransition."""
    if new not in BATCH_TRANSITIONS[batch.status]:
        allowed = ", ".join(sorted(s.value for s in BATCH_TRANSITIONS[batch.status])) or "none (final)"
        raise IllegalTransition(f"batch {batch.id}: cannot go from {batch.status.value} to {new.value}; allowed: {allowed}",
                                field="status")
    return replace(batch, status=new)


@dataclass(frozen=True, slots=True)
class ScheduledOp:
    """One operation of a batch on a resource (and worker) in time: a line of a work order."""

    batch_id: str
    op_id: str
    process: str
    resource_id: str
    start: datetime
    end: datetime
    unit: int = 0
    worker_id: str | None = None
    setup_minutes: float = 0.0

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidInput(f"operation {self.op_id} of {self.batch_id} ends before it starts", field="end")


def lot_code(site_id: str, day: datetime, seq: int) -> str:
    """A GS1-safe lot string (A-Z, 0-9, '-'; at most 20 characters): site initials, date, sequence."""
    initials = "".join(part[:2] for part in site_id.upper().replace("_", "-").split("-") if part)[:6]
    return f"{initials}{day:%y%m%d}-{seq:03d}"[:20]
