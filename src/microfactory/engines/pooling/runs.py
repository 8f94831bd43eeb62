"""Collaborative runs: lines of several brands join one batch; the run fills or fails.

Times are integer minutes from the start of the planning horizon. A run is *filled* as
soon as its lines reach ``min_batch``; :func:`resolve_run` then schedules it as one
batch. A run still short at its deadline fails cleanly: each line goes back to normal
routing or is released, as its brand chose when it joined (``on_fail``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum

from microfactory.errors import CapacityExceeded, Conflict, IllegalTransition, InvalidInput


class OnFail(str, Enum):
    """What a brand wants done with its line if the run does not fill."""

    REROUTE = "reroute"
    RELEASE = "release"


class RunStatus(str, Enum):
    OPEN = "open"
    SCHEDULED = "scheduled"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Run:
    """A site's offer of one batch for one setup key, open to several brands."""

    id: str
    site: str
    setup_key: str
    min_batch: int
    deadline: int
    fixed_cost: float
    shortfall_cost_per_unit: float = 0.0
    max_batch: int | None = None

    def __post_init__(self) -> None:
        for name in ("id", "site", "setup_key"):
            if not getattr(self, name):
                raise InvalidInput(f"run {name} must not be empty", field=name)
        if self.min_batch < 1:
            raise InvalidInput("min_batch must be >= 1", field="min_batch")
        if self.max_batch is not None and self.max_batch < self.min_batch:
            raise InvalidInput("max_batch must be >= min_batch", field="max_batch")
        for name in ("fixed_cost", "shortfall_cost_per_unit"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise InvalidInput(f"{name} must be finite and >= 0", field=name)


@dataclass(frozen=True, slots=True)
class RunLine:
    """One brand's order line in a run."""

    id: str
    brand: str
    quantity: int
    on_fail: OnFail = OnFail.REROUTE

    def __post_init__(self) -> None:
        if not self.id or not self.brand:
            raise InvalidInput("line id and brand must not be empty", field="id")
        if self.quantity < 1:
            raise InvalidInput("line quantity must be >= 1", field="quantity")


@dataclass(frozen=True, slots=True)
class RunEvent:
    """``schedule_batch`` (one per run), ``reroute_line`` or ``release_line`` (one per line)."""

    kind: str
    run_id: str
    line_id: str | None = None
    brand: str | None = None
    quantity: int = 0


@dataclass(frozen=True, slots=True)
class RunState:
    """A run with the lines that joined it, in joining order."""

    run: Run
    lines: tuple[RunLine, ...] = field(default=())
    status: RunStatus = RunStatus.OPEN

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def filled(self) -> bool:
        return self.units >= self.run.min_batch

    def units_by_brand(self) -> dict[str, int]:
        """Units per brand, brands sorted by id (the player order used for cost sharing)."""
        out: dict[str, int] = {}
        for line in sorted(self.lines, key=lambda ln: ln.brand):
            out[line.brand] = out.get(line.brand, 0) + line.quantity
        return out


def join_run(state: RunState, line: RunLine, now: int) -> RunState:
    """Add a line to an open run before its deadline and within its maximum batch."""
    if state.status is not RunStatus.OPEN:
        raise IllegalTransition(f"run {state.run.id} is {state.status.value}", field="run")
    if now >= state.run.deadline:
        raise IllegalTransition(f"run {state.run.id} closed for joining at minute {state.run.deadline}",
                                field="now")
    if any(existing.id == line.id for existing in state.lines):
        raise Conflict(f"line {line.id} already in run {state.run.id}", field="line")
    cap = state.run.max_batch
    if cap is not None and state.units + line.quantity > cap:
        raise CapacityExceeded(f"run {state.run.id} has room for {cap - state.units} more units",
                               field="quantity")
    return replace(state, lines=state.lines + (line,))


def leave_run(state: RunState, line_id: str) -> RunState:
    """Withdraw a line from an open run."""
    if state.status is not RunStatus.OPEN:
        raise IllegalTransition(f"run {state.run.id} is {state.status.value}", field="run")
    kept = tuple(line for line in state.lines if line.id != line_id)
    if len(kept) == len(state.lines):
        raise InvalidInput(f"line {line_id} is not in run {state.run.id}", field="line_id")
    return replace(state, lines=kept)


def resolve_run(state: RunState, now: int, brand_choices: Mapping[str, OnFail] | None = None
                ) -> tuple[RunState, tuple[RunEvent, ...]]:
    """Schedule a filled run, fail an unfilled one at its deadline; idempotent once resolved.

    On failure each line follows ``brand_choices[brand]`` when given, else its own ``on_fail``.
    """
    if state.status is not RunStatus.OPEN:
        return state, ()
    run_id = state.run.id
    if state.filled:
        return replace(state, status=RunStatus.SCHEDULED), (
            RunEvent("schedule_batch", run_id, quantity=state.units),)
    if now < state.run.deadline:
        return state, ()
    choices = brand_choices or {}
    events = tuple(RunEvent(f"{choices.get(line.brand, line.on_fail).value}_line", run_id, line.id,
                            line.brand, line.quantity) for line in state.lines)
    return replace(state, status=RunStatus.FAILED), events
