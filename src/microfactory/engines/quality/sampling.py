"""Single sampling plans (MIL-STD-105E / ANSI/ASQ Z1.4 / ISO 2859-1) and lot decisions.

``sampling_plan(500, 2.5)`` reads code letter H (Table I, level II), then the normal
table's cell H/2.5 (n = 50, Ac 3, Re 4). Arrows are followed on the master tables; the
sample size of the row where the plan is found replaces the code letter's. When that
sample size reaches the lot size the whole lot is inspected (``hundred_percent``), with
the same acceptance numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from microfactory.engines.quality.tables import (
    LEVELS,
    SEVERITIES,
    aql_label,
    cell_confidence,
    code_letter,
    resolve_cell,
)
from microfactory.errors import InvalidInput


class LotDecision(str, Enum):
    """The outcome of comparing a sample count with a plan."""

    ACCEPT = "accept"
    REJECT = "reject"
    #: reduced plans only: Ac < count < Re, the lot is accepted and normal inspection returns
    ACCEPT_RETURN_TO_NORMAL = "accept_return_to_normal"

    @property
    def accepted(self) -> bool:
        return self is not LotDecision.REJECT


@dataclass(frozen=True, slots=True)
class SamplingPlan:
    """A single sampling plan for one lot, with where it came from in the tables."""

    lot_size: int
    aql: str
    level: str
    severity: str
    code_letter: str
    plan_letter: str
    n: int
    ac: int
    re: int
    hundred_percent: bool
    table_cell: str
    confidence: str

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise InvalidInput(f"unknown severity {self.severity!r}", field="severity")
        if not 0 < self.n <= self.lot_size:
            raise InvalidInput("sample size must be in 1..lot_size", field="n")
        if not 0 <= self.ac < self.re:
            raise InvalidInput("need 0 <= Ac < Re", field="ac")

    @property
    def arrow_followed(self) -> bool:
        """True when the plan came from another row than the code letter's."""
        return self.plan_letter != self.code_letter

    def decide(self, count: int) -> LotDecision:
        """Accept (count <= Ac), reject (count >= Re), or accept and return to normal."""
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise InvalidInput(f"count must be a non-negative integer, got {count!r}",
                               field="count")
        if count <= self.ac:
            return LotDecision.ACCEPT
        if count >= self.re:
            return LotDecision.REJECT
        return LotDecision.ACCEPT_RETURN_TO_NORMAL


def sampling_plan(lot_size: int, aql: float | str, level: str = "II",
                  severity: str = "normal") -> SamplingPlan:
    """The single sampling plan for a lot size, AQL (percent), inspection level and severity."""
    if level not in LEVELS:
        raise InvalidInput(f"unknown inspection level {level!r}; expected one of {LEVELS}",
                           field="level")
    if severity not in SEVERITIES:
        raise InvalidInput(f"unknown severity {severity!r}; expected one of {SEVERITIES}",
                           field="severity")
    letter = code_letter(lot_size, level)
    label = aql_label(aql)
    cell = resolve_cell(severity, letter, label)
    hundred = cell.n >= lot_size
    return SamplingPlan(
        lot_size=lot_size,
        aql=label,
        level=level,
        severity=severity,
        code_letter=letter,
        plan_letter=cell.plan_letter,
        n=lot_size if hundred else cell.n,
        ac=cell.ac,
        re=cell.re,
        hundred_percent=hundred,
        table_cell=cell.table_cell,
        confidence=cell_confidence(severity, letter, label),
    )
