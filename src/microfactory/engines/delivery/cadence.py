"""A customer's delivery cadence: when a ready line ships, and which lines ship together.

Cadences: ``asap`` (ship the day it is ready), ``weekly`` on a weekday (0 = Monday),
``biweekly`` every 14 days counted from an anchor date (on the anchor's weekday).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from microfactory.errors import InvalidInput

CADENCE_KINDS = ("asap", "weekly", "biweekly")


@dataclass(frozen=True, slots=True)
class Cadence:
    """How often a customer wants deliveries."""

    kind: str = "asap"
    weekday: int | None = None
    anchor: date | None = None

    def __post_init__(self) -> None:
        if self.kind not in CADENCE_KINDS:
            raise InvalidInput(f"cadence must be one of {', '.join(CADENCE_KINDS)}, not {self.kind!r}",
                               field="kind")
        if self.kind == "weekly" and (self.weekday is None or not 0 <= self.weekday <= 6):
            raise InvalidInput("a weekly cadence needs a weekday 0 (Monday)..6 (Sunday)", field="weekday")
        if self.kind == "biweekly" and self.anchor is None:
            raise InvalidInput("a two-weekly cadence needs an anchor date", field="anchor")

    @classmethod
    def weekly(cls, weekday: int) -> Cadence:
        return cls("weekly", weekday=weekday)

    @classmethod
    def biweekly(cls, anchor: date) -> Cadence:
        return cls("biweekly", anchor=anchor)


def ship_date(cadence: Cadence, ready: date) -> date:
    """The first day on or after ``ready`` on which this cadence ships."""
    if cadence.kind == "weekly":
        assert cadence.weekday is not None
        return ready + timedelta(days=(cadence.weekday - ready.weekday()) % 7)
    if cadence.kind == "biweekly":
        assert cadence.anchor is not None
        return ready + timedelta(days=(cadence.anchor - ready).days % 14)
    return ready


@dataclass(frozen=True, slots=True)
class CadenceLine:
    """An order line ready to ship on ``ready`` for ``customer_id``."""

    line_id: str
    customer_id: str
    ready: date


@dataclass(frozen=True, slots=True)
class ShipGroup:
    """Lines of one customer that ship together on one day."""

    customer_id: str
    ship_date: date
    line_ids: tuple[str, ...]


def group_lines(lines: Sequence[CadenceLine], preferences: Mapping[str, Cadence]) -> list[ShipGroup]:
    """Group lines by customer and cadence ship date (customers without a preference: asap)."""
    if len({line.line_id for line in lines}) != len(lines):
        raise InvalidInput("line ids must be unique", field="line_id")
    groups: dict[tuple[str, date], list[str]] = defaultdict(list)
    for line in lines:
        cadence = preferences.get(line.customer_id, Cadence())
        groups[(line.customer_id, ship_date(cadence, line.ready))].append(line.line_id)
    return [ShipGroup(customer, day, tuple(sorted(ids))) for (customer, day), ids in sorted(groups.items())]
