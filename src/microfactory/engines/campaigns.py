"""Pre-order campaigns (capsules): pledges against a cap and a deadline, then go or release.

A campaign's deadline is a wall-clock time in an IANA time zone; it is converted to UTC
once (:attr:`Campaign.deadline_utc`). **The deadline is exclusive**: a pledge is taken
only while ``now_utc < deadline_utc``, so a pledge at the deadline instant itself, in
whatever time zone it is expressed, is refused as ``past_deadline``. A local deadline
that does not exist (skipped by a DST jump) is rejected; an ambiguous one (repeated by
a DST fall-back) means its first occurrence.

Every change returns the new state and the events it caused; nothing reads the clock.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import Enum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ortools.sat.python import cp_model

from microfactory.errors import IllegalTransition, InvalidInput, NotFound


class PaymentPlan(str, Enum):
    DEPOSIT = "deposit"
    FULL = "full"


class CampaignStatus(str, Enum):
    OPEN = "open"
    CLOSED = "closed"


class Outcome(str, Enum):
    GO = "go"
    RELEASE = "release"


class Refusal(str, Enum):
    """Why a pledge was refused."""

    CAMPAIGN_CLOSED = "campaign_closed"
    PAST_DEADLINE = "past_deadline"
    UNKNOWN_VARIANT = "unknown_variant"
    DUPLICATE_PLEDGE = "duplicate_pledge"
    CAP_REACHED = "cap_reached"


@dataclass(frozen=True, slots=True)
class CapacityLimit:
    """Free minutes per process in the production window and minutes per unit per product."""

    free_minutes: Mapping[str, float]
    minutes_per_unit: Mapping[str, Mapping[str, float]]

    def __post_init__(self) -> None:
        if any(v < 0 or not math.isfinite(v) for v in self.free_minutes.values()):
            raise InvalidInput("free minutes must be finite and >= 0", field="free_minutes")
        for product, ops in self.minutes_per_unit.items():
            if any(v < 0 or not math.isfinite(v) for v in ops.values()):
                raise InvalidInput(f"{product}: minutes per unit must be >= 0", field="minutes_per_unit")


@dataclass(frozen=True, slots=True)
class Campaign:
    """A pre-order capsule. ``variants`` maps SKU to product; minima are in units."""

    id: str
    brand: str
    variants: Mapping[str, str]
    deadline_local: datetime
    time_zone: str
    unit_price: float
    payment: PaymentPlan = PaymentPlan.FULL
    deposit_fraction: float = 1.0
    minimum_total: int | None = None
    minimum_per_product: Mapping[str, int] = field(default_factory=dict)
    cap: int | None = None
    partial_outcomes: bool = False
    capacity: CapacityLimit | None = None

    def __post_init__(self) -> None:
        if not self.id or not self.variants:
            raise InvalidInput("a campaign needs an id and at least one variant", field="variants")
        if self.deadline_local.tzinfo is not None:
            raise InvalidInput("deadline_local is a wall-clock time without tzinfo", field="deadline_local")
        _ = self.deadline_utc  # validates the zone and the local time
        if not math.isfinite(self.unit_price) or self.unit_price < 0:
            raise InvalidInput("unit_price must be finite and >= 0", field="unit_price")
        if not 0 < self.deposit_fraction <= 1:
            raise InvalidInput("deposit_fraction must be within (0, 1]", field="deposit_fraction")
        if self.payment is PaymentPlan.FULL and self.deposit_fraction != 1.0:
            raise InvalidInput("a full-payment plan takes deposit_fraction 1", field="deposit_fraction")
        unknown = set(self.minimum_per_product) - set(self.variants.values())
        if unknown:
            raise InvalidInput(f"minimum for unknown products {sorted(unknown)}", field="minimum_per_product")
        minima = [*self.minimum_per_product.values(), self.minimum_total or 0, self.cap or 0]
        if any(v < 0 for v in minima):
            raise InvalidInput("minima and cap must be >= 0", field="minimum_total")

    @property
    def deadline_utc(self) -> datetime:
        try:
            zone = ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidInput(f"unknown time zone {self.time_zone!r}", field="time_zone") from exc
        aware = self.deadline_local.replace(tzinfo=zone, fold=0)
        back = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        if back != self.deadline_local:
            raise InvalidInput(f"{self.deadline_local} does not exist in {self.time_zone}",
                               field="deadline_local")
        return aware.astimezone(UTC)

    @property
    def products(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.variants.values())))

    def paid(self, quantity: int) -> float:
        """Amount taken when a pledge of ``quantity`` units is made."""
        return self.unit_price * quantity * self.deposit_fraction


@dataclass(frozen=True, slots=True)
class Pledge:
    id: str
    customer: str
    sku: str
    quantity: int

    def __post_init__(self) -> None:
        if not self.id or self.quantity < 1:
            raise InvalidInput("a pledge needs an id and a quantity >= 1", field="quantity")


@dataclass(frozen=True, slots=True)
class CampaignEvent:
    """``pledge_accepted``, ``pledge_cancelled``, ``convert_pledge`` or ``refund_pledge``.

    ``amount`` is the money taken (accepted), refunded (cancelled, refund) or still due
    on conversion (the balance of a deposit plan, 0 for full payment).
    """

    kind: str
    campaign_id: str
    pledge_id: str
    sku: str
    product: str
    quantity: int
    amount: float


@dataclass(frozen=True, slots=True)
class ProductOutcome:
    product: str
    outcome: Outcome
    units: int
    minimum: int


@dataclass(frozen=True, slots=True)
class CampaignOutcome:
    products: tuple[ProductOutcome, ...]
    total_units: int
    closed_at: datetime

    def of(self, product: str) -> Outcome:
        return next(p.outcome for p in self.products if p.product == product)


@dataclass(frozen=True, slots=True)
class PledgeTally:
    """Running totals of a campaign's pledges, kept so a pledge is checked in O(products)."""

    units_by_product: Mapping[str, int]
    pledge_ids: frozenset[str]


@dataclass(frozen=True, slots=True)
class CampaignState:
    """A campaign with its live pledges; ``tally`` is derived from them when not given."""

    campaign: Campaign
    status: CampaignStatus = CampaignStatus.OPEN
    pledges: tuple[Pledge, ...] = ()
    outcome: CampaignOutcome | None = None
    tally: PledgeTally | None = None

    def __post_init__(self) -> None:
        if self.tally is None:
            units = dict.fromkeys(self.campaign.products, 0)
            for p in self.pledges:
                units[self.campaign.variants[p.sku]] += p.quantity
            object.__setattr__(self, "tally", PledgeTally(units, frozenset(p.id for p in self.pledges)))

    @property
    def _tally(self) -> PledgeTally:
        assert self.tally is not None  # set in __post_init__
        return self.tally

    @property
    def units(self) -> int:
        return sum(self._tally.units_by_product.values())

    def units_by_product(self) -> dict[str, int]:
        return dict(self._tally.units_by_product)

    def minutes_used(self) -> dict[str, float]:
        """Process minutes the accepted pledges need (empty without a capacity limit)."""
        limit = self.campaign.capacity
        used: dict[str, float] = {}
        if limit is None:
            return used
        for product, units in self.units_by_product().items():
            for process, minutes in limit.minutes_per_unit.get(product, {}).items():
                used[process] = used.get(process, 0.0) + minutes * units
        return used


@dataclass(frozen=True, slots=True)
class Accepted:
    state: CampaignState
    event: CampaignEvent


@dataclass(frozen=True, slots=True)
class Refused:
    reason: Refusal
    message: str


def _utc(now_utc: datetime) -> datetime:
    if now_utc.tzinfo is None:
        raise InvalidInput("now must be timezone-aware", field="now_utc")
    return now_utc.astimezone(UTC)


def _capacity_refusal(state: CampaignState, pledge: Pledge) -> Refused | None:
    campaign = state.campaign
    if campaign.cap is not None and state.units + pledge.quantity > campaign.cap:
        return Refused(Refusal.CAP_REACHED,
                       f"only {max(campaign.cap - state.units, 0)} units left of {campaign.cap}")
    limit = campaign.capacity
    if limit is None:
        return None
    used = state.minutes_used()
    for process, minutes in limit.minutes_per_unit.get(campaign.variants[pledge.sku], {}).items():
        free = limit.free_minutes.get(process, 0.0)
        if used.get(process, 0.0) + minutes * pledge.quantity > free + 1e-9:
            return Refused(Refusal.CAP_REACHED, f"no {process} capacity left for {pledge.quantity} units")
    return None


def accept_pledge(state: CampaignState, pledge: Pledge, now_utc: datetime) -> Accepted | Refused:
    """Take a pledge, or say why not (closed, past the deadline, unknown SKU, duplicate, cap)."""
    campaign = state.campaign
    if state.status is CampaignStatus.CLOSED:
        return Refused(Refusal.CAMPAIGN_CLOSED, f"campaign {campaign.id} is closed")
    if _utc(now_utc) >= campaign.deadline_utc:
        return Refused(Refusal.PAST_DEADLINE, f"campaign {campaign.id} ended at "
                       f"{campaign.deadline_local.isoformat()} {campaign.time_zone}")
    if pledge.sku not in campaign.variants:
        return Refused(Refusal.UNKNOWN_VARIANT, f"{pledge.sku} is not part of campaign {campaign.id}")
    if pledge.id in state._tally.pledge_ids:
        return Refused(Refusal.DUPLICATE_PLEDGE, f"pledge {pledge.id} already taken")
    refusal = _capacity_refusal(state, pledge)
    if refusal is not None:
        return refusal
    event = _event("pledge_accepted", campaign, pledge, campaign.paid(pledge.quantity))
    units = state.units_by_product()
    units[campaign.variants[pledge.sku]] += pledge.quantity
    tally = PledgeTally(units, state._tally.pledge_ids | {pledge.id})
    return Accepted(replace(state, pledges=state.pledges + (pledge,), tally=tally), event)


def _event(kind: str, campaign: Campaign, pledge: Pledge, amount: float) -> CampaignEvent:
    return CampaignEvent(kind, campaign.id, pledge.id, pledge.sku, campaign.variants[pledge.sku],
                         pledge.quantity, amount)


def cancel_pledge(state: CampaignState, pledge_id: str,
                  now_utc: datetime) -> tuple[CampaignState, tuple[CampaignEvent, ...]]:
    """Cancel a pledge of an open campaign before its deadline, refunding what was paid."""
    campaign = state.campaign
    if state.status is CampaignStatus.CLOSED or _utc(now_utc) >= campaign.deadline_utc:
        raise IllegalTransition(f"campaign {campaign.id} no longer takes cancellations", field="pledge_id")
    pledge = next((p for p in state.pledges if p.id == pledge_id), None)
    if pledge is None:
        raise NotFound(f"no pledge {pledge_id} in campaign {campaign.id}", field="pledge_id")
    kept = tuple(p for p in state.pledges if p.id != pledge_id)
    event = _event("pledge_cancelled", campaign, pledge, campaign.paid(pledge.quantity))
    return replace(state, pledges=kept, tally=None), (event,)


def _going(campaign: Campaign, units: dict[str, int]) -> set[str]:
    """Products that go ahead, by the campaign's minima and partial-outcome rule."""
    meets = {p for p, u in units.items() if u > 0 and u >= campaign.minimum_per_product.get(p, 0)}
    total_min = campaign.minimum_total or 0
    if campaign.partial_outcomes:
        return meets if sum(units[p] for p in meets) >= total_min else set()
    all_met = all(u >= campaign.minimum_per_product.get(p, 0) for p, u in units.items())
    return meets if all_met and sum(units.values()) >= total_min else set()


def close_campaign(state: CampaignState, now_utc: datetime
                   ) -> tuple[CampaignState, CampaignOutcome, tuple[CampaignEvent, ...]]:
    """Decide go/release per product; convert or refund every pledge. Idempotent."""
    if state.status is CampaignStatus.CLOSED and state.outcome is not None:
        return state, state.outcome, ()
    campaign = state.campaign
    units = state.units_by_product()
    going = _going(campaign, units)
    outcome = CampaignOutcome(
        tuple(ProductOutcome(p, Outcome.GO if p in going else Outcome.RELEASE, u,
                             campaign.minimum_per_product.get(p, 0)) for p, u in units.items()),
        state.units, _utc(now_utc))
    events = []
    for pledge in state.pledges:
        paid = campaign.paid(pledge.quantity)
        if campaign.variants[pledge.sku] in going:
            due = campaign.unit_price * pledge.quantity - paid
            events.append(_event("convert_pledge", campaign, pledge, due))
        else:
            events.append(_event("refund_pledge", campaign, pledge, paid))
    closed = replace(state, status=CampaignStatus.CLOSED, outcome=outcome)
    return closed, outcome, tuple(events)


@dataclass(frozen=True, slots=True)
class CampaignCap:
    """Units a campaign can sell within the free capacity.

    ``guaranteed_units``: any mix of products up to this total can be made (bound: every
    unit costed at the most demanding product on each process). ``max_units``: the best
    mix (CP-SAT, minutes scaled to hundredths, usage rounded up). ``per_product``: units of
    each product alone.
    """

    guaranteed_units: int
    max_units: int
    per_product: dict[str, int]
    status: str
    objective: float
    bound: float
    runtime_s: float
    seed: int


def _units_alone(free: Mapping[str, float], needs: Mapping[str, float]) -> int:
    limits = [math.floor(free.get(k, 0.0) / m + 1e-9) for k, m in needs.items() if m > 0]
    if not limits:
        raise InvalidInput("a product needs some process minutes to be capped", field="minutes_per_unit")
    return max(min(limits), 0)


def campaign_cap(free_minutes: Mapping[str, float], minutes_per_unit: Mapping[str, Mapping[str, float]],
                 *, time_limit_s: float = 2.0, seed: int = 0) -> CampaignCap:
    """Cap a campaign by the free minutes per process of its sites in the production window."""
    limit = CapacityLimit(free_minutes, minutes_per_unit)
    start = time.perf_counter()
    per_product = {p: _units_alone(free_minutes, ops) for p, ops in sorted(minutes_per_unit.items())}
    worst: dict[str, float] = {}
    for ops in limit.minutes_per_unit.values():
        for k, m in ops.items():
            worst[k] = max(worst.get(k, 0.0), m)
    guaranteed = _units_alone(free_minutes, worst)
    model = cp_model.CpModel()
    x = {p: model.new_int_var(0, per_product[p], p) for p in per_product}
    for k in worst:
        load = [math.ceil(ops.get(k, 0.0) * 100) * x[p] for p, ops in minutes_per_unit.items()]
        model.add(sum(load) <= math.floor(free_minutes.get(k, 0.0) * 100))
    model.maximize(sum(x.values()))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.random_seed = seed
    solver.parameters.num_workers = 1
    code = solver.solve(model)
    status = {cp_model.OPTIMAL: "optimal", cp_model.FEASIBLE: "feasible"}.get(code, "unknown")
    best = int(solver.objective_value) if status != "unknown" else guaranteed
    return CampaignCap(guaranteed, max(best, guaranteed), per_product, status, float(best),
                       float(solver.best_objective_bound), time.perf_counter() - start, seed)
