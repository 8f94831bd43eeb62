"""Simulation scenarios: what to simulate (network folder, days, seed, demand, outages, policies).

A scenario file (``examples/simulations/*.yaml``) is a mapping::

    name: berlin-outage
    network: ../berlin          # scenario folder (network.yaml, catalog.yaml), relative to the file
    days: 28
    seed: 7
    demand: {orders_per_day: 40, weekday_factors: [1,1,1,1.1,1.3,0.8,0.6], due_days: [3,5,7],
             campaigns: [{start_day: 10, days: 3, factor: 2.5}],
             anchors: [[52.52, 13.40, 3], [52.45, 13.30, 1]]}   # optional: customers' areas, weighted
    outages: {site_mttr_days: 2, machine_failures_per_week: 0.5, machine_repair_minutes: 90,
              forced: [{site: mf-kreuzberg, start_day: 5, days: 4}]}
    quality: {defect_rate: 0.02, aql: 2.5, rework_days: 1, site_defect_rates: {mf-x: 0.05}}
    returns: {rates: {fit: 0.05, changed_mind: 0.03}, defect_escape_return: 0.6}
    policy: {mode: made_to_order, cushion_units: 0, preorder_days: 0, use_secondary: true}
    planning: {mode: dispatch, rule: edd, time_limit_s: 0.2, routing_time_limit_s: 1, routing_steps: 1000}
    network_transform: {centralise: {lat: 51.1, lon: 17.0, delivery_days: 3, delivery_mode: truck}}

Every section is optional except ``network``. :func:`with_overrides` applies dotted-key
overrides (``{"demand.orders_per_day": 80}``) as used by sweeps.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from microfactory.errors import FileError, FileProblem, InvalidInput

WEEK = 7


def _nonneg(value: float, name: str) -> None:
    if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise InvalidInput(f"{name} must be a number >= 0, got {value!r}", field=name)


@dataclass(frozen=True, slots=True)
class Campaign:
    """A burst of demand: arrival rate x ``factor`` for ``days`` days from ``start_day``."""

    start_day: int
    days: int
    factor: float
    brand: str | None = None

    def __post_init__(self) -> None:
        _nonneg(self.start_day, "campaigns.start_day")
        _nonneg(self.factor, "campaigns.factor")
        if self.days < 1:
            raise InvalidInput("campaigns.days must be >= 1", field="campaigns.days")


@dataclass(frozen=True, slots=True)
class DemandParams:
    """Poisson arrivals: ``orders_per_day`` x weekday factor (Monday first) x campaign factor."""

    orders_per_day: float = 20.0
    weekday_factors: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 1.1, 0.9, 0.7)
    due_days: tuple[int, ...] = (3, 5, 7)
    multi_line_share: float = 0.2
    campaigns: tuple[Campaign, ...] = ()
    radius_km: float = 5.0
    #: Where customers live: ``(lat, lon, weight)``; empty: around the network's sites, evenly.
    anchors: tuple[tuple[float, float, float], ...] = ()

    def __post_init__(self) -> None:
        _nonneg(self.orders_per_day, "demand.orders_per_day")
        if len(self.weekday_factors) != WEEK:
            raise InvalidInput("demand.weekday_factors needs 7 values (Monday first)",
                               field="demand.weekday_factors")
        for f in self.weekday_factors:
            _nonneg(f, "demand.weekday_factors")
        if not self.due_days or min(self.due_days) < 1:
            raise InvalidInput("demand.due_days must be days >= 1", field="demand.due_days")
        if not 0 <= self.multi_line_share <= 1:
            raise InvalidInput("demand.multi_line_share must be in [0, 1]", field="demand.multi_line_share")
        _nonneg(self.radius_km, "demand.radius_km")
        for a in self.anchors:
            if len(a) != 3 or not -90 <= a[0] <= 90 or not -180 <= a[1] <= 180:
                raise InvalidInput("demand.anchors are [lat, lon, weight]", field="demand.anchors")
            _nonneg(a[2], "demand.anchors.weight")
        if self.anchors and sum(a[2] for a in self.anchors) <= 0:
            raise InvalidInput("demand.anchors need a positive total weight", field="demand.anchors")


@dataclass(frozen=True, slots=True)
class ForcedOutage:
    """A site outage on purpose (a what-if): ``site`` down ``days`` days from ``start_day``."""

    site: str
    start_day: int
    days: int


@dataclass(frozen=True, slots=True)
class OutageParams:
    """Random outages: sites fail with MTBF = MTTR x uptime / (1 - uptime); machines by rate."""

    site_mttr_days: float = 2.0
    random_site_outages: bool = True
    machine_failures_per_week: float = 0.0
    machine_repair_minutes: float = 90.0
    forced: tuple[ForcedOutage, ...] = ()

    def __post_init__(self) -> None:
        for name in ("site_mttr_days", "machine_failures_per_week", "machine_repair_minutes"):
            _nonneg(getattr(self, name), f"outages.{name}")


@dataclass(frozen=True, slots=True)
class QualityParams:
    """Defects per unit (by site), the AQL of the sampling inspection and the rework delay."""

    defect_rate: float = 0.02
    aql: float = 2.5
    rework_days: int = 1
    site_defect_rates: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for rate in (self.defect_rate, *self.site_defect_rates.values()):
            if not 0 <= rate <= 1:
                raise InvalidInput("defect rates must be in [0, 1]", field="quality.defect_rate")
        if self.rework_days < 0:
            raise InvalidInput("quality.rework_days must be >= 0", field="quality.rework_days")

    def rate_at(self, site: str) -> float:
        return self.site_defect_rates.get(site, self.defect_rate)


@dataclass(frozen=True, slots=True)
class ReturnParams:
    """Return probability per delivered item by reason; share of escaped defects sent back."""

    rates: Mapping[str, float] = field(default_factory=lambda: {"fit": 0.04, "changed_mind": 0.03})
    defect_escape_return: float = 0.7
    return_after_days: tuple[int, int] = (3, 14)

    def __post_init__(self) -> None:
        if sum(self.rates.values()) > 1 or min(self.rates.values(), default=0) < 0:
            raise InvalidInput("return rates must be >= 0 and sum to <= 1", field="returns.rates")


@dataclass(frozen=True, slots=True)
class PolicyParams:
    """How demand is met.

    * ``made_to_order``: every order line is routed and made;
    * ``stocked``: each product keeps ``cushion_units`` finished units per site; an order is
      served from stock next day when it can, and production refills the stock;
    * ``pre_order``: a capsule sold during the first ``preorder_days``; all of it is made in
      one run after the window and delivered then.
    """

    mode: str = "made_to_order"
    cushion_units: int = 0
    preorder_days: int = 0
    use_secondary: bool = True

    def __post_init__(self) -> None:
        if self.mode not in ("made_to_order", "stocked", "pre_order"):
            raise InvalidInput("policy.mode must be made_to_order, stocked or pre_order", field="policy.mode")
        if self.cushion_units < 0 or self.preorder_days < 0:
            raise InvalidInput("cushion_units and preorder_days must be >= 0", field="policy")


@dataclass(frozen=True, slots=True)
class PlanningParams:
    """Daily planning mode: ``dispatch`` (a rule, milliseconds) or ``cpsat`` (a short CP-SAT run).

    Routing runs on a step clock (:class:`~microfactory.simulation.clock.StepClock`) so a run is
    reproducible from its seed: ``routing_time_limit_s`` is spread over ``routing_steps`` clock
    readings (the dual ascent reads it once an iteration, the improvement once a move);
    ``routing_steps = 0`` uses the wall clock instead (faster on a busy machine, not reproducible).
    Pools up to ``routing_exact_max_lines`` lines are routed by the exact MIP.
    """

    mode: str = "dispatch"
    rule: str = "edd"
    time_limit_s: float = 0.2
    routing_policy: str = "optimal"
    routing_time_limit_s: float = 1.0
    window_days: int = 21
    max_batch: int = 20
    routing_steps: int = 1000
    routing_exact_max_lines: int = 400
    #: The routing's cost of one line-day late (None: the cost model's default).
    lateness_penalty_per_day: float | None = None

    def __post_init__(self) -> None:
        if self.mode not in ("dispatch", "cpsat"):
            raise InvalidInput("planning.mode must be dispatch or cpsat", field="planning.mode")
        if self.rule not in ("edd", "spt", "fifo", "mwkr"):
            raise InvalidInput("planning.rule must be edd, spt, fifo or mwkr", field="planning.rule")
        if self.routing_policy not in ("optimal", "greedy"):
            raise InvalidInput("planning.routing_policy must be optimal or greedy", field="planning.routing_policy")
        if self.time_limit_s <= 0 or self.routing_time_limit_s <= 0 or self.window_days < 7:
            raise InvalidInput("time limits must be > 0 and window_days >= 7", field="planning")
        if self.lateness_penalty_per_day is not None:
            _nonneg(self.lateness_penalty_per_day, "planning.lateness_penalty_per_day")
        if self.routing_steps < 0 or self.routing_exact_max_lines < 0 or self.max_batch < 1:
            raise InvalidInput("routing_steps and routing_exact_max_lines must be >= 0, max_batch >= 1",
                               field="planning")


@dataclass(frozen=True, slots=True)
class Centralise:
    """Replace every microfactory by one plant at (lat, lon) with the pooled resources."""

    lat: float
    lon: float
    delivery_days: int = 3
    delivery_mode: str = "truck"


@dataclass(frozen=True, slots=True)
class ScenarioSpec:
    """One simulation run: where the network is, how long, the seed and the parameters."""

    network: str
    days: int = 28
    seed: int = 0
    name: str = "scenario"
    demand: DemandParams = field(default_factory=DemandParams)
    outages: OutageParams = field(default_factory=OutageParams)
    quality: QualityParams = field(default_factory=QualityParams)
    returns: ReturnParams = field(default_factory=ReturnParams)
    policy: PolicyParams = field(default_factory=PolicyParams)
    planning: PlanningParams = field(default_factory=PlanningParams)
    centralise: Centralise | None = None

    def __post_init__(self) -> None:
        if self.days < 1:
            raise InvalidInput("days must be >= 1", field="days")


_SECTIONS: dict[str, type] = {"demand": DemandParams, "outages": OutageParams, "quality": QualityParams,
                              "returns": ReturnParams, "policy": PolicyParams, "planning": PlanningParams}
_TOP = {"name", "network", "days", "seed", "network_transform", *_SECTIONS}


def _build(cls: type, values: Mapping[str, Any], where: str) -> Any:
    if not isinstance(values, Mapping):
        raise InvalidInput(f"{where} must be a mapping", field=where)
    data = dict(values)
    if cls is DemandParams:
        data["campaigns"] = tuple(_build(Campaign, c, "demand.campaigns") for c in data.get("campaigns", ()))
        for key in ("weekday_factors", "due_days"):
            if key in data:
                data[key] = tuple(data[key])
        if "anchors" in data:
            data["anchors"] = tuple(tuple(float(x) for x in a) for a in data["anchors"])
    if cls is OutageParams:
        data["forced"] = tuple(_build(ForcedOutage, c, "outages.forced") for c in data.get("forced", ()))
    if cls is ReturnParams and "return_after_days" in data:
        data["return_after_days"] = tuple(data["return_after_days"])
    try:
        return cls(**data)
    except TypeError as exc:
        raise InvalidInput(f"{where}: {exc}", field=where) from exc


def spec_from_dict(data: Mapping[str, Any], base_dir: Path | None = None) -> ScenarioSpec:
    """A validated :class:`ScenarioSpec` from a parsed scenario mapping."""
    unknown = set(data) - _TOP
    if unknown:
        raise InvalidInput(f"scenario: unknown keys {sorted(unknown)}", field="scenario")
    if "network" not in data:
        raise InvalidInput("scenario needs 'network' (a scenario folder)", field="network")
    network = Path(str(data["network"]))
    if base_dir is not None and not network.is_absolute():
        network = (base_dir / network).resolve()
    sections = {k: _build(cls, data[k], k) for k, cls in _SECTIONS.items() if k in data}
    transform = data.get("network_transform") or {}
    central = _build(Centralise, transform["centralise"], "network_transform.centralise") \
        if "centralise" in transform else None
    return ScenarioSpec(network=str(network), days=int(data.get("days", 28)), seed=int(data.get("seed", 0)),
                        name=str(data.get("name", "scenario")), centralise=central, **sections)


def load_spec(path: str | Path) -> tuple[ScenarioSpec, dict[str, Any]]:
    """Read a scenario YAML file; return the spec and the raw mapping (for overrides)."""
    file = Path(path)
    try:
        raw = yaml.safe_load(file.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise FileError([FileProblem(str(file), 0, f"cannot read scenario: {exc}")]) from exc
    if not isinstance(raw, dict):
        raise FileError([FileProblem(str(file), 1, "a scenario file must be a mapping")])
    raw["network"] = str((file.parent / str(raw.get("network", ""))).resolve()) if raw.get("network") else None
    if raw["network"] is None:
        raise FileError([FileProblem(str(file), 1, "scenario needs 'network'")])
    return spec_from_dict(raw), raw


def with_overrides(raw: Mapping[str, Any], overrides: Mapping[str, Any]) -> ScenarioSpec:
    """The spec of ``raw`` with dotted-key ``overrides`` applied (``"outages.site_mttr_days"``)."""
    data: dict[str, Any] = copy.deepcopy(dict(raw))
    for key, value in overrides.items():
        node = data
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise InvalidInput(f"override {key}: {part} is not a section", field=key)
        node[parts[-1]] = value
    return spec_from_dict(data)
