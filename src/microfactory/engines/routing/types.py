"""Plain input and output types of the routing engine (frozen, validated)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from microfactory.engines.cost_model import CostParams
from microfactory.engines.emissions import MODE_ROWS
from microfactory.errors import InvalidInput

Policy = Literal["optimal", "greedy", "rules"]
Status = Literal["optimal", "feasible", "infeasible", "unknown"]
#: Why a site cannot make a line (explanations and unassigned lines use these words).
REASONS = ("site_down", "brand_not_allowed", "no_capability", "no_material", "rule_excluded",
           "no_capacity_before_due")


def _check(ok: bool, message: str, name: str) -> None:
    if not ok:
        raise InvalidInput(message, field=name)


def _finite_nonneg(value: float, name: str) -> None:
    _check(math.isfinite(value) and value >= 0, f"{name} must be a finite number >= 0", name)


@dataclass(frozen=True, slots=True)
class MaterialNeed:
    """Material per unit of a line, its unit cost, and approved substitutes (in preference order)."""

    material_id: str
    qty_per_unit: float
    unit_cost: float = 0.0
    substitutes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check(bool(self.material_id), "material_id must not be empty", "material_id")
        _finite_nonneg(self.qty_per_unit, "qty_per_unit")
        _finite_nonneg(self.unit_cost, "unit_cost")
        object.__setattr__(self, "substitutes", tuple(self.substitutes))

    @property
    def acceptable(self) -> tuple[str, ...]:
        """The material first, then its approved substitutes."""
        return (self.material_id, *self.substitutes)


@dataclass(frozen=True, slots=True)
class RoutingSite:
    """A site as routing sees it: capacity in minutes per process and day, rates, rules."""

    id: str
    lat: float
    lon: float
    capacity: Mapping[str, tuple[float, ...]]
    status: Literal["up", "down"] = "up"
    operator: Literal["in_house", "partner", "franchise", "on_demand"] = "in_house"
    brands_allowed: frozenset[str] | None = None
    materials: Mapping[str, float] | None = None
    min_batch: int = 1
    min_batch_shortfall_cost: float = 0.0
    setup_cost: float = 0.0
    lead_time_days: int = 0
    delivery_days: int = 1
    delivery_mode: str = "van"
    staff_rate_per_hour: float = 24.0
    machine_rate_per_hour: float = 6.0

    def __post_init__(self) -> None:
        _check(bool(self.id), "site id must not be empty", "id")
        _check(-90 <= self.lat <= 90 and -180 <= self.lon <= 180, f"site {self.id}: bad location", "location")
        _check(self.status in ("up", "down"), f"site {self.id}: status must be up or down", "status")
        _check(self.delivery_mode in MODE_ROWS, f"site {self.id}: unknown mode {self.delivery_mode!r}",
               "delivery_mode")
        _check(self.min_batch >= 1 and self.lead_time_days >= 0 and self.delivery_days >= 0,
               f"site {self.id}: min_batch >= 1, lead and delivery days >= 0", "min_batch")
        for name in ("min_batch_shortfall_cost", "setup_cost", "staff_rate_per_hour", "machine_rate_per_hour"):
            _finite_nonneg(getattr(self, name), name)
        cap = {p: tuple(float(m) for m in days) for p, days in self.capacity.items()}
        for p, days in cap.items():
            _check(len(days) > 0 and all(math.isfinite(m) and m >= 0 for m in days),
                   f"site {self.id}: capacity of {p} must be minutes >= 0 per day", "capacity")
        object.__setattr__(self, "capacity", MappingProxyType(cap))
        if self.materials is not None:
            for m, q in self.materials.items():
                _finite_nonneg(q, "materials")
            object.__setattr__(self, "materials", MappingProxyType(dict(self.materials)))
        if self.brands_allowed is not None:
            object.__setattr__(self, "brands_allowed", frozenset(self.brands_allowed))

    def minutes_on(self, process: str, day: int) -> float:
        """Minutes of ``process`` on ``day`` (days past the calendar repeat its last day)."""
        days = self.capacity.get(process)
        if not days:
            return 0.0
        return days[min(day, len(days) - 1)]


@dataclass(frozen=True, slots=True)
class RoutingLine:
    """One order line to route: a variant, its quantity, work and materials per unit, and where to."""

    id: str
    order_id: str
    brand: str
    product: str
    sku: str
    qty: int
    minutes: Mapping[str, float]
    lat: float
    lon: float
    due_day: int
    created_day: int = 0
    materials: tuple[MaterialNeed, ...] = ()
    setup_key: str = ""
    channel: str = "web"
    keep_together: str | None = None
    weight_kg: float = 0.5
    family: str = ""

    def __post_init__(self) -> None:
        _check(bool(self.id), "line id must not be empty", "id")
        _check(self.qty >= 1, f"line {self.id}: qty must be >= 1", "qty")
        _check(-90 <= self.lat <= 90 and -180 <= self.lon <= 180, f"line {self.id}: bad location", "location")
        _check(bool(self.minutes), f"line {self.id}: needs at least one process", "minutes")
        for p, m in self.minutes.items():
            _finite_nonneg(m, "minutes")
        _finite_nonneg(self.weight_kg, "weight_kg")
        _check(self.due_day >= self.created_day, f"line {self.id}: due before created", "due_day")
        object.__setattr__(self, "minutes", MappingProxyType(dict(self.minutes)))
        object.__setattr__(self, "materials", tuple(self.materials))
        if not self.setup_key:
            object.__setattr__(self, "setup_key", self.sku)


@dataclass(frozen=True, slots=True)
class Rule:
    """A routing rule: when brand/product/channel/area match, send to ``site_id`` (else fallback)."""

    site_id: str
    brand: str | None = None
    product: str | None = None
    channel: str | None = None
    area: tuple[float, float, float] | None = None  # (lat, lon, radius_km)
    fallback_site_id: str | None = None
    priority: int = 0

    def __post_init__(self) -> None:
        _check(bool(self.site_id), "rule site_id must not be empty", "site_id")
        if self.area is not None:
            _check(len(self.area) == 3 and self.area[2] >= 0, "area is (lat, lon, radius_km >= 0)", "area")


@dataclass(frozen=True, slots=True)
class RoutingProblem:
    """Sites and open lines, with day 0 = ``start_day`` and the cost model's prices."""

    sites: tuple[RoutingSite, ...]
    lines: tuple[RoutingLine, ...]
    start_day: int = 0
    cost: CostParams = field(default_factory=CostParams)
    #: Extra money per (line id, site id), e.g. a quality penalty (may be negative: a preference).
    site_penalty: Mapping[tuple[str, str], float] = field(default_factory=dict)
    #: Extra money per (site id, line family) for every line of that family made at the site.
    family_penalty: Mapping[tuple[str, str], float] = field(default_factory=dict)
    #: Delivery days per (line id, site id), overriding the site's ``delivery_days``.
    delivery_days: Mapping[tuple[str, str], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sites", tuple(self.sites))
        object.__setattr__(self, "lines", tuple(self.lines))
        _check(len({s.id for s in self.sites}) == len(self.sites), "site ids must be unique", "sites")
        _check(len({ln.id for ln in self.lines}) == len(self.lines), "line ids must be unique", "lines")
        for name in ("site_penalty", "family_penalty"):
            table = dict(getattr(self, name))
            _check(all(math.isfinite(v) for v in table.values()), f"{name} values must be finite", name)
            object.__setattr__(self, name, MappingProxyType(table))
        days = dict(self.delivery_days)
        _check(all(int(v) == v and v >= 0 for v in days.values()), "delivery_days must be whole days >= 0",
               "delivery_days")
        object.__setattr__(self, "delivery_days", MappingProxyType({k: int(v) for k, v in days.items()}))
        for s in self.sites:
            if s.delivery_mode not in self.cost.cost_per_km:
                raise InvalidInput(f"site {s.id}: no cost_per_km for {s.delivery_mode}", field="cost_per_km")


@dataclass(frozen=True, slots=True)
class RoutingParams:
    """Solver and policy knobs (seed and time limit are parameters, never global state)."""

    policy: Policy = "optimal"
    time_limit_s: float = 30.0
    seed: int = 0
    mip_gap: float = 1e-6
    candidates_per_line: int = 16
    allow_split: bool = True
    rules: tuple[Rule, ...] = ()
    rules_as_hard: bool = False
    rule_bonus: float = 5.0
    max_late_days: int = 7
    exact_max_lines: int = 400
    #: Cap on dual-ascent steps; the ascent normally stops at ``ascent_share`` of the time limit.
    iterations: int = 100_000
    operator_bonus: Mapping[str, float] = field(default_factory=dict)
    max_classes: int = 1500
    lp_solver: Literal["GLOP", "HIGHS", "PDLP"] = "GLOP"
    large_method: Literal["lagrange", "class-lp"] = "lagrange"
    #: Share of the time limit the large path's dual ascent gets at least (more while its bound still rises).
    ascent_share: float = 0.35

    def __post_init__(self) -> None:
        _check(self.policy in ("optimal", "greedy", "rules"), "policy is optimal, greedy or rules", "policy")
        _check(self.time_limit_s > 0, "time_limit_s must be > 0", "time_limit_s")
        _check(0 <= self.mip_gap < 1, "mip_gap must be in [0, 1)", "mip_gap")
        _check(self.candidates_per_line >= 1, "candidates_per_line must be >= 1", "candidates_per_line")
        _check(0 <= self.max_late_days <= 60, "max_late_days must be in 0..60", "max_late_days")
        _check(self.exact_max_lines >= 0 and self.iterations >= 1, "exact_max_lines >= 0, iterations >= 1",
               "iterations")
        _finite_nonneg(self.rule_bonus, "rule_bonus")
        _check(self.max_classes >= 1, "max_classes must be >= 1", "max_classes")
        _check(self.lp_solver in ("GLOP", "HIGHS", "PDLP"), "lp_solver is GLOP, HIGHS or PDLP", "lp_solver")
        _check(0 < self.ascent_share < 1, "ascent_share must be in (0, 1)", "ascent_share")
        _check(self.large_method in ("lagrange", "class-lp"), "large_method is lagrange or class-lp",
               "large_method")
        object.__setattr__(self, "rules", tuple(sorted(self.rules, key=lambda r: -r.priority)))
        object.__setattr__(self, "operator_bonus", MappingProxyType(dict(self.operator_bonus)))


@dataclass(frozen=True, slots=True)
class Assignment:
    """Line ``line_id`` is made at ``site_id`` and finishes on ``finish_day`` (``days_late`` late)."""

    line_id: str
    site_id: str
    finish_day: int
    days_late: int
    cost: float


@dataclass(frozen=True, slots=True)
class Unassigned:
    """A line no site can make, with the reason that blocked the best site."""

    line_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class RerouteEvent:
    """A line moved from one site to another (or to none) and why."""

    line_id: str
    from_site: str
    to_site: str | None
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"line_id": self.line_id, "from": self.from_site, "to": self.to_site, "reason": self.reason}
