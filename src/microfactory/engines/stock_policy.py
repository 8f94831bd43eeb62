"""Stock policies per store and variant, store sales, and the replenishment planner.

``stocked`` variants keep a safety cushion managed as a periodic-review (s, S) policy,
with daily demand rate ``d`` (mean) and standard deviation ``sigma_d``, replenishment
lead time ``L`` days, review period ``R`` days and cycle service level ``alpha``::

    z = Phi^-1(alpha)                       (inverse standard normal)
    s = d * L + z * sigma_d * sqrt(L)       (reorder point)
    S = s + d * R                           (order-up-to level: s plus one review's demand)

both rounded up to whole units. The cushion ``z * sigma_d * sqrt(L)`` is the safety
stock. At each review, a variant whose inventory position (on hand + on order -
backorders) is at or below ``s`` is ordered up to ``S``. ``made_to_order`` variants are
never stocked; ``preorder_only`` variants are sold through campaigns only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import Enum
from statistics import NormalDist

from microfactory.errors import IllegalTransition, InvalidInput


class PolicyKind(str, Enum):
    STOCKED = "stocked"
    MADE_TO_ORDER = "made_to_order"
    PREORDER_ONLY = "preorder_only"


@dataclass(frozen=True, slots=True)
class Cushion:
    """Reorder point and order-up-to level with the figures that produced them."""

    reorder_point: int
    order_up_to: int
    safety_stock: float
    z: float
    lead_time_demand: float


def cushion(demand_per_day: float, sd_per_day: float, lead_time_days: float, service_level: float,
            review_period_days: float = 7.0) -> Cushion:
    """(s, S) from demand, its spread, lead time, service level and review period (module doc)."""
    values = {"demand_per_day": demand_per_day, "sd_per_day": sd_per_day,
              "lead_time_days": lead_time_days, "review_period_days": review_period_days}
    for name, value in values.items():
        if not math.isfinite(value) or value < 0:
            raise InvalidInput(f"{name} must be finite and >= 0", field=name)
    if not 0.5 <= service_level < 1:
        raise InvalidInput("service_level must be within [0.5, 1)", field="service_level")
    z = NormalDist().inv_cdf(service_level)
    lead_demand = demand_per_day * lead_time_days
    safety = z * sd_per_day * math.sqrt(lead_time_days)
    s = lead_demand + safety
    big_s = s + demand_per_day * review_period_days
    reorder = math.ceil(s - 1e-9)
    return Cushion(reorder, max(math.ceil(big_s - 1e-9), reorder), safety, z, lead_demand)


@dataclass(frozen=True, slots=True)
class StockPolicy:
    """How one store carries one variant; promises in days for stock and made-to-order sales."""

    store: str
    sku: str
    kind: PolicyKind
    reorder_point: int = 0
    order_up_to: int = 0
    stock_promise_days: int = 0
    made_to_order_promise_days: int = 7
    review_period_days: int = 7
    review_offset_day: int = 0

    def __post_init__(self) -> None:
        if self.kind is PolicyKind.STOCKED and not 0 <= self.reorder_point <= self.order_up_to:
            raise InvalidInput(f"{self.store}/{self.sku}: need 0 <= s <= S", field="order_up_to")
        if self.kind is PolicyKind.STOCKED and self.order_up_to < 1:
            raise InvalidInput(f"{self.store}/{self.sku}: S must be >= 1", field="order_up_to")
        if min(self.stock_promise_days, self.made_to_order_promise_days) < 0:
            raise InvalidInput("promises must be >= 0 days", field="made_to_order_promise_days")
        if self.review_period_days < 1 or self.review_offset_day < 0:
            raise InvalidInput("review period must be >= 1 day", field="review_period_days")

    def reviews_on(self, day: int) -> bool:
        """Whether ``day`` (days from the horizon start) is one of this policy's review days."""
        return day >= self.review_offset_day and \
            (day - self.review_offset_day) % self.review_period_days == 0


@dataclass(frozen=True, slots=True)
class StockPosition:
    store: str
    sku: str
    on_hand: int = 0
    on_order: int = 0
    backorders: int = 0

    def __post_init__(self) -> None:
        if min(self.on_hand, self.on_order, self.backorders) < 0:
            raise InvalidInput(f"{self.store}/{self.sku}: stock figures must be >= 0", field="on_hand")

    @property
    def inventory_position(self) -> int:
        return self.on_hand + self.on_order - self.backorders


@dataclass(frozen=True, slots=True)
class SaleOutcome:
    """A store sale: units from the shelf, units made to order, and the promise shown."""

    position: StockPosition
    from_stock: int
    made_to_order: int
    promise_days: int


def sell(policy: StockPolicy, position: StockPosition, quantity: int) -> SaleOutcome:
    """Sell from stock; what the shelf cannot cover is made to order with the longer promise."""
    if (policy.store, policy.sku) != (position.store, position.sku):
        raise InvalidInput("policy and position are for different store/variant", field="position")
    if quantity < 1:
        raise InvalidInput("quantity must be >= 1", field="quantity")
    if policy.kind is PolicyKind.PREORDER_ONLY:
        raise IllegalTransition(f"{policy.sku} at {policy.store} is pre-order only: pledge through "
                                "its campaign", field="sku")
    if policy.kind is PolicyKind.MADE_TO_ORDER:
        return SaleOutcome(position, 0, quantity, policy.made_to_order_promise_days)
    taken = min(position.on_hand, quantity)
    rest = quantity - taken
    promise = policy.made_to_order_promise_days if rest else policy.stock_promise_days
    return SaleOutcome(replace(position, on_hand=position.on_hand - taken), taken, rest, promise)


@dataclass(frozen=True, slots=True)
class ReplenishmentOrder:
    """Units to make for a store's shelf, to be routed to a microfactory like any demand."""

    store: str
    sku: str
    quantity: int
    review_day: int
    inventory_position: int
    reorder_point: int
    order_up_to: int


def plan_replenishment(policies: Iterable[StockPolicy], positions: Iterable[StockPosition],
                       review_day: int) -> tuple[ReplenishmentOrder, ...]:
    """Orders up to S for every stocked variant under review whose position is at or below s.

    A stocked variant with no position given is taken as empty (a new listing).
    """
    by_key = {(p.store, p.sku): p for p in positions}
    orders = []
    for policy in sorted(policies, key=lambda p: (p.store, p.sku)):
        if policy.kind is not PolicyKind.STOCKED or not policy.reviews_on(review_day):
            continue
        position = by_key.get((policy.store, policy.sku), StockPosition(policy.store, policy.sku))
        ip = position.inventory_position
        if ip <= policy.reorder_point:
            orders.append(ReplenishmentOrder(policy.store, policy.sku, policy.order_up_to - ip,
                                             review_day, ip, policy.reorder_point, policy.order_up_to))
    return tuple(orders)
