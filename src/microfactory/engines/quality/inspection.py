"""Judging one batch from its sample: defects by class and type, per-class plans, the decision.

Each defect class (critical, major, minor) has its own AQL, hence its own plan and its own
switching severity. The count compared with a plan is the number of **nonconformities**
of that class in the sample (valid for every AQL column), or the number of
**nonconforming units** when ``basis="units"`` (AQL <= 10 only). A class with AQL ``None``
(usual for critical defects) tolerates none: one such defect rejects the batch.

A rejected batch yields a :class:`ReworkRecommendation`: the expected numbers of units to
rework and to remake, estimated from the sample's defective fraction by defect type; the
services turn it into re-routed and re-planned work.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from microfactory.engines.quality.sampling import LotDecision, SamplingPlan, sampling_plan
from microfactory.errors import InvalidInput

DEFECT_CLASSES: tuple[str, ...] = ("critical", "major", "minor")
#: defect types that can normally be repaired in place; anything else is remade
REWORKABLE_TYPES: frozenset[str] = frozenset(
    {"seam", "stain", "loose_thread", "button", "label", "pressing", "trim", "measurement_off"})
DEFAULT_AQLS: tuple[tuple[str, float | None], ...] = (
    ("critical", None), ("major", 2.5), ("minor", 4.0))


@dataclass(frozen=True, slots=True)
class Defect:
    """One nonconformity found on one sampled unit (``unit`` is its index in the sample)."""

    unit: int
    defect_class: str
    defect_type: str
    count: int = 1

    def __post_init__(self) -> None:
        if self.defect_class not in DEFECT_CLASSES:
            raise InvalidInput(f"unknown defect class {self.defect_class!r}; expected one "
                               f"of {DEFECT_CLASSES}", field="defect_class")
        if not self.defect_type:
            raise InvalidInput("defect_type must not be empty", field="defect_type")
        if self.unit < 0 or self.count < 1:
            raise InvalidInput("unit must be >= 0 and count >= 1", field="count")


@dataclass(frozen=True, slots=True)
class InspectionInput:
    """What the inspector records for one batch."""

    batch_id: str
    lot_size: int
    defects: tuple[Defect, ...] = ()
    aqls: tuple[tuple[str, float | None], ...] = DEFAULT_AQLS
    severities: tuple[tuple[str, str], ...] = ()
    level: str = "II"
    basis: str = "nonconformities"
    sample_size: int | None = None

    def __post_init__(self) -> None:
        if not self.batch_id:
            raise InvalidInput("batch_id must not be empty", field="batch_id")
        if self.lot_size < 1:
            raise InvalidInput("lot_size must be >= 1", field="lot_size")
        if self.basis not in ("nonconformities", "units"):
            raise InvalidInput("basis is 'nonconformities' or 'units'", field="basis")
        classes = [c for c, _ in self.aqls]
        if len(set(classes)) != len(classes) or not set(classes) <= set(DEFECT_CLASSES):
            raise InvalidInput("aqls must name each defect class at most once", field="aqls")
        if self.sample_size is not None and not 0 < self.sample_size <= self.lot_size:
            raise InvalidInput("sample_size must be in 1..lot_size", field="sample_size")


@dataclass(frozen=True, slots=True)
class ClassResult:
    """One defect class: its plan (None = zero tolerance), count and decision."""

    defect_class: str
    plan: SamplingPlan | None
    count: int
    decision: LotDecision


@dataclass(frozen=True, slots=True)
class ReworkRecommendation:
    """Expected work to put a rejected batch right, by defect type."""

    batch_id: str
    rework_units: int
    remake_units: int
    by_type: tuple[tuple[str, int], ...]
    screen_whole_lot: bool = True


@dataclass(frozen=True, slots=True)
class InspectionResult:
    """The decision on one batch with everything needed to explain it."""

    batch_id: str
    lot_size: int
    sample_size: int
    classes: tuple[ClassResult, ...]
    decision: LotDecision
    defects_per_hundred_units: float
    defective_units: int
    defects_by_type: tuple[tuple[str, int], ...]
    rework: ReworkRecommendation | None = field(default=None)

    @property
    def accepted(self) -> bool:
        return self.decision.accepted


def _class_count(inp: InspectionInput, defect_class: str, n: int | None) -> int:
    """Count a class's nonconformities (or units) among the first ``n`` sampled units."""
    mine = [d for d in inp.defects
            if d.defect_class == defect_class and (n is None or d.unit < n)]
    if inp.basis == "units":
        return len({d.unit for d in mine})
    return sum(d.count for d in mine)


def _judge_class(inp: InspectionInput, defect_class: str, aql: float | None) -> ClassResult:
    if aql is None:
        count = _class_count(inp, defect_class, None)
        decision = LotDecision.ACCEPT if count == 0 else LotDecision.REJECT
        return ClassResult(defect_class, None, count, decision)
    if inp.basis == "units" and aql > 10:
        raise InvalidInput("AQLs above 10 apply to nonconformities only", field="aqls")
    severity = dict(inp.severities).get(defect_class, "normal")
    plan = _plan(inp.lot_size, aql, inp.level, severity)
    count = _class_count(inp, defect_class, plan.n)
    return ClassResult(defect_class, plan, count, plan.decide(count))


def _plan(lot_size: int, aql: float, level: str, severity: str) -> SamplingPlan:
    """The table plan; a one-unit lot (below Table I) is inspected whole with the 2-unit plan's Ac/Re."""
    if lot_size >= 2:
        return sampling_plan(lot_size, aql, level, severity)
    two = sampling_plan(2, aql, level, severity)
    return replace(two, lot_size=1, n=1, table_cell=f"{two.table_cell} (single unit, inspected whole)")


def _overall(results: list[ClassResult]) -> LotDecision:
    decisions = {r.decision for r in results}
    if LotDecision.REJECT in decisions:
        return LotDecision.REJECT
    if LotDecision.ACCEPT_RETURN_TO_NORMAL in decisions:
        return LotDecision.ACCEPT_RETURN_TO_NORMAL
    return LotDecision.ACCEPT


def _unit_types(defects: tuple[Defect, ...]) -> dict[int, str]:
    """Each defective unit's worst defect type: a remake type beats a rework type."""
    worst: dict[int, str] = {}
    rank = {"critical": 0, "major": 1, "minor": 2}
    for d in sorted(defects, key=lambda d: (rank[d.defect_class], d.defect_type)):
        current = worst.get(d.unit)
        if current is None or (current in REWORKABLE_TYPES and d.defect_type not in
                               REWORKABLE_TYPES):
            worst[d.unit] = d.defect_type
    return worst


def recommend_rework(batch_id: str, lot_size: int, sample_size: int,
                     defects: tuple[Defect, ...]) -> ReworkRecommendation:
    """Scale the sample's defective units by type up to the lot: rework vs remake quantities."""
    per_type: dict[str, int] = {}
    for unit_type in _unit_types(defects).values():
        per_type[unit_type] = per_type.get(unit_type, 0) + 1
    scale = lot_size / sample_size
    by_type = tuple(sorted((t, min(lot_size, math.ceil(k * scale))) for t, k in per_type.items()))
    rework = sum(q for t, q in by_type if t in REWORKABLE_TYPES)
    remake = sum(q for t, q in by_type if t not in REWORKABLE_TYPES)
    if rework + remake > lot_size:
        rework = lot_size - remake
    return ReworkRecommendation(batch_id, rework, min(remake, lot_size), by_type)


def inspect(inp: InspectionInput) -> InspectionResult:
    """Judge a batch: per-class plans and decisions, DHU, and rework when rejected."""
    results = [_judge_class(inp, c, aql) for c, aql in inp.aqls]
    planned = [r.plan.n for r in results if r.plan is not None]
    sample = inp.sample_size if inp.sample_size is not None else max(planned, default=inp.lot_size)
    if any(d.unit >= sample for d in inp.defects):
        raise InvalidInput(f"a defect names a unit outside the sample of {sample}",
                           field="defects")
    if any(n > sample for n in planned):
        raise InvalidInput(f"sample of {sample} is smaller than a plan's n={max(planned)}",
                           field="sample_size")
    decision = _overall(results)
    total = sum(d.count for d in inp.defects)
    by_type: dict[str, int] = {}
    for d in inp.defects:
        by_type[d.defect_type] = by_type.get(d.defect_type, 0) + d.count
    rework = (recommend_rework(inp.batch_id, inp.lot_size, sample, inp.defects)
              if decision is LotDecision.REJECT else None)
    return InspectionResult(
        batch_id=inp.batch_id, lot_size=inp.lot_size, sample_size=sample,
        classes=tuple(results), decision=decision,
        defects_per_hundred_units=100.0 * total / sample,
        defective_units=len({d.unit for d in inp.defects}),
        defects_by_type=tuple(sorted(by_type.items())), rework=rework)
