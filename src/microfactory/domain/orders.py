"""Orders, order lines and their lifecycle state machine (pure)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import Enum

from microfactory.domain.geo import Location
from microfactory.errors import IllegalTransition, InvalidInput


class OrderStatus(str, Enum):
    PLEDGED = "pledged"
    RECEIVED = "received"
    VALIDATED = "validated"
    ROUTED = "routed"
    SCHEDULED = "scheduled"
    IN_PRODUCTION = "in_production"
    QC_PASSED = "qc_passed"
    PACKED = "packed"
    SHIPPED = "shipped"
    READY_FOR_PICKUP = "ready_for_pickup"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    RETURNED = "returned"


S = OrderStatus
#: Legal moves. Re-routing (routed/scheduled back to validated or routed) is how disruption
#: and re-planning move unstarted work; started work (in_production and later) only moves forward.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.PLEDGED: frozenset({S.RECEIVED, S.CANCELLED}),
    S.RECEIVED: frozenset({S.VALIDATED, S.CANCELLED}),
    S.VALIDATED: frozenset({S.ROUTED, S.CANCELLED}),
    S.ROUTED: frozenset({S.SCHEDULED, S.ROUTED, S.VALIDATED, S.CANCELLED}),
    S.SCHEDULED: frozenset({S.IN_PRODUCTION, S.ROUTED, S.VALIDATED, S.CANCELLED}),
    S.IN_PRODUCTION: frozenset({S.QC_PASSED}),
    S.QC_PASSED: frozenset({S.PACKED}),
    S.PACKED: frozenset({S.SHIPPED, S.READY_FOR_PICKUP}),
    S.SHIPPED: frozenset({S.DELIVERED, S.RETURNED}),
    S.READY_FOR_PICKUP: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset({S.RETURNED}),
    S.CANCELLED: frozenset(),
    S.RETURNED: frozenset(),
}
#: Order of progress, used to derive an order's status from its lines (the least advanced line).
PROGRESS = [S.PLEDGED, S.RECEIVED, S.VALIDATED, S.ROUTED, S.SCHEDULED, S.IN_PRODUCTION, S.QC_PASSED,
            S.PACKED, S.READY_FOR_PICKUP, S.SHIPPED, S.DELIVERED, S.RETURNED]
STARTED = frozenset({S.IN_PRODUCTION, S.QC_PASSED, S.PACKED, S.SHIPPED, S.READY_FOR_PICKUP, S.DELIVERED, S.RETURNED})


class DeliveryKind(str, Enum):
    SHIP = "ship"
    SAME_DAY = "same_day"
    PICKUP = "pickup"


class Channel(str, Enum):
    SHOP = "shop"
    WEB = "web"
    CSV = "csv"
    API = "api"
    CAMPAIGN = "campaign"
    REPLENISHMENT = "replenishment"


@dataclass(frozen=True, slots=True)
class Delivery:
    """How the customer receives the order: shipped, same day, or picked up at a store."""

    kind: DeliveryKind
    store: str | None = None

    def __post_init__(self) -> None:
        if (self.kind is DeliveryKind.PICKUP) != (self.store is not None):
            raise InvalidInput("delivery: pickup needs a store and only pickup has one", field="delivery")

    @classmethod
    def parse(cls, text: str) -> Delivery:
        """``ship`` | ``same_day`` | ``pickup:<store id>``."""
        value = text.strip()
        if value.startswith("pickup:") and value[7:].strip():
            return cls(DeliveryKind.PICKUP, value[7:].strip())
        if value in ("ship", "same_day"):
            return cls(DeliveryKind(value))
        raise InvalidInput(f"delivery {value!r} is not ship, same_day or pickup:<store>", field="delivery")

    def __str__(self) -> str:
        return f"pickup:{self.store}" if self.kind is DeliveryKind.PICKUP else self.kind.value


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One variant and a quantity."""

    id: str
    order_id: str
    product_id: str
    options: tuple[tuple[str, str], ...]
    sku: str
    quantity: int
    status: OrderStatus = OrderStatus.RECEIVED
    unit_price: float = 0.0

    def __post_init__(self) -> None:
        if self.quantity < 1:
            raise InvalidInput(f"line {self.id}: quantity must be at least 1", field="quantity")


@dataclass(frozen=True, slots=True)
class Order:
    """A customer's purchase."""

    id: str
    brand: str
    lines: tuple[OrderLine, ...]
    customer_location: Location
    delivery: Delivery
    due: date
    created: datetime
    channel: Channel = Channel.API
    external_id: str | None = None
    customer_ref: str = ""
    keep_together: bool = False
    status: OrderStatus = OrderStatus.RECEIVED

    def __post_init__(self) -> None:
        if not self.lines:
            raise InvalidInput(f"order {self.id}: needs at least one line", field="lines")
        if self.due < self.created.date():
            raise InvalidInput(f"order {self.id}: due {self.due} is before created {self.created.date()}",
                               field="due")

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)

    def line(self, line_id: str) -> OrderLine:
        for line in self.lines:
            if line.id == line_id:
                return line
        raise InvalidInput(f"order {self.id} has no line {line_id}", field="line_id")


@dataclass(frozen=True, slots=True)
class StatusChanged:
    """Event: an order or one of its lines moved from one status to another."""

    order_id: str
    line_id: str | None
    old: OrderStatus
    new: OrderStatus
    at: datetime
    reason: str = ""


def check_transition(current: OrderStatus, new: OrderStatus, what: str) -> None:
    """Raise IllegalTransition unless ``current → new`` is a legal move."""
    if new not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "none (final)"
        raise IllegalTransition(f"{what}: cannot go from {current.value} to {new.value}; allowed: {allowed}",
                                field="status", details={"from": current.value, "to": new.value})


def derive_status(lines: tuple[OrderLine, ...]) -> OrderStatus:
    """An order is as far as its least advanced live line; all cancelled → cancelled."""
    live = [line.status for line in lines if line.status is not S.CANCELLED]
    if not live:
        return S.CANCELLED
    return min(live, key=PROGRESS.index)


def advance_line(order: Order, line_id: str, new: OrderStatus, at: datetime,
                 reason: str = "") -> tuple[Order, list[StatusChanged]]:
    """Move one line; the order's status follows its lines. Returns the new order and events."""
    line = order.line(line_id)
    check_transition(line.status, new, f"line {line_id}")
    lines = tuple(replace(ln, status=new) if ln.id == line_id else ln for ln in order.lines)
    events = [StatusChanged(order.id, line_id, line.status, new, at, reason)]
    status = derive_status(lines)
    if status is not order.status:
        events.append(StatusChanged(order.id, None, order.status, status, at, reason))
    return replace(order, lines=lines, status=status), events


def advance_order(order: Order, new: OrderStatus, at: datetime, reason: str = "") -> tuple[Order, list[StatusChanged]]:
    """Move every live line that is not already at ``new``; illegal for any line → nothing changes."""
    current, events = order, []
    for line in order.lines:
        if line.status is S.CANCELLED or line.status is new and new is not S.ROUTED:
            continue
        check_transition(line.status, new, f"line {line.id}")
    for line in order.lines:
        if line.status is S.CANCELLED or line.status is new and new is not S.ROUTED:
            continue
        current, evs = advance_line(current, line.id, new, at, reason)
        events.extend(evs)
    return current, events
