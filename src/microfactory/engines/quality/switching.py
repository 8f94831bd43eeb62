"""Switching between normal, tightened and reduced inspection (MIL-STD-105E 4.7-4.8, Z1.4 8.3-8.6).

One :class:`SwitchingState` is kept per (site, product family) and, where the contract
says so, per defect class. :func:`next_state` takes the result of one lot on *original*
inspection and returns the new state and the events it caused; nothing is mutated.

Rules:

* normal -> tightened: 2 lots rejected within at most 5 consecutive lots on normal;
* tightened -> normal: 5 consecutive lots accepted on tightened;
* normal -> reduced: the preceding 10 lots on normal all accepted, production steady and
  reduced inspection allowed by the responsible authority. The Table VIII limit-number
  condition is **dropped**, as Z1.4 section 8.5 allows by agreement (Table VIII is not
  bundled);
* reduced -> normal: a lot rejected, a lot accepted between Ac and Re, or production
  irregular;
* tightened -> discontinued: the count of lots not accepted while on tightened reaches 5;
  inspection stops until corrective action (:func:`resume_after_corrective_action`), then
  resumes on tightened.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

from microfactory.errors import IllegalTransition, InvalidInput

NORMAL_WINDOW = 5
NORMAL_REJECTS_TO_TIGHTEN = 2
TIGHTENED_ACCEPTS_TO_NORMAL = 5
NORMAL_ACCEPTS_TO_REDUCE = 10
TIGHTENED_REJECTS_TO_DISCONTINUE = 5


class Severity(str, Enum):
    """Inspection severity, plus the stopped state after discontinuation."""

    NORMAL = "normal"
    TIGHTENED = "tightened"
    REDUCED = "reduced"
    DISCONTINUED = "discontinued"


@dataclass(frozen=True, slots=True)
class LotResult:
    """The outcome of one lot on original inspection (resubmitted lots are not passed)."""

    lot_id: str
    accepted: bool
    between_ac_re: bool = False
    steady_production: bool = True

    def __post_init__(self) -> None:
        if not self.lot_id:
            raise InvalidInput("lot_id must not be empty", field="lot_id")
        if self.between_ac_re and not self.accepted:
            raise InvalidInput("a between-Ac-and-Re lot is an accepted lot",
                               field="between_ac_re")


@dataclass(frozen=True, slots=True)
class SwitchingState:
    """Where one (site, product family) stands in the switching scheme."""

    site: str
    family: str
    severity: Severity = Severity.NORMAL
    #: results (True = accepted) of the last lots on normal, newest last, at most 5
    normal_window: tuple[bool, ...] = ()
    normal_accept_run: int = 0
    tightened_accept_run: int = 0
    tightened_not_accepted: int = 0
    reduced_allowed: bool = True
    lots_seen: int = 0

    def __post_init__(self) -> None:
        if not self.site or not self.family:
            raise InvalidInput("site and family must not be empty", field="site")
        if len(self.normal_window) > NORMAL_WINDOW:
            raise InvalidInput("normal_window holds at most 5 lots", field="normal_window")
        counters = (self.normal_accept_run, self.tightened_accept_run,
                    self.tightened_not_accepted, self.lots_seen)
        if min(counters) < 0:
            raise InvalidInput("counters must be non-negative", field="lots_seen")


@dataclass(frozen=True, slots=True)
class SwitchEvent:
    """A change of severity, with the lot that caused it and the rule applied."""

    site: str
    family: str
    lot_id: str
    from_severity: Severity
    to_severity: Severity
    rule: str


def _enter(state: SwitchingState, severity: Severity) -> SwitchingState:
    """The state just after switching to ``severity``: every run counter restarts."""
    return replace(state, severity=severity, normal_window=(), normal_accept_run=0,
                   tightened_accept_run=0, tightened_not_accepted=0)


def _event(state: SwitchingState, lot: LotResult, to: Severity, rule: str) -> SwitchEvent:
    return SwitchEvent(state.site, state.family, lot.lot_id, state.severity, to, rule)


def _on_normal(state: SwitchingState, lot: LotResult) -> tuple[SwitchingState, list[SwitchEvent]]:
    window = (state.normal_window + (lot.accepted,))[-NORMAL_WINDOW:]
    run = state.normal_accept_run + 1 if lot.accepted else 0
    if window.count(False) >= NORMAL_REJECTS_TO_TIGHTEN:
        rule = "2 of at most 5 consecutive lots rejected on normal inspection"
        return _enter(state, Severity.TIGHTENED), [_event(state, lot, Severity.TIGHTENED, rule)]
    if run >= NORMAL_ACCEPTS_TO_REDUCE and lot.steady_production and state.reduced_allowed:
        rule = ("10 consecutive lots accepted on normal, production steady "
                "(limit numbers waived, Z1.4 8.5)")
        return _enter(state, Severity.REDUCED), [_event(state, lot, Severity.REDUCED, rule)]
    return replace(state, normal_window=window, normal_accept_run=run), []


def _on_tightened(state: SwitchingState,
                  lot: LotResult) -> tuple[SwitchingState, list[SwitchEvent]]:
    not_accepted = state.tightened_not_accepted + (0 if lot.accepted else 1)
    run = state.tightened_accept_run + 1 if lot.accepted else 0
    if not_accepted >= TIGHTENED_REJECTS_TO_DISCONTINUE:
        rule = "5 lots not accepted while on tightened inspection: discontinue"
        return (_enter(state, Severity.DISCONTINUED),
                [_event(state, lot, Severity.DISCONTINUED, rule)])
    if run >= TIGHTENED_ACCEPTS_TO_NORMAL:
        rule = "5 consecutive lots accepted on tightened inspection"
        return _enter(state, Severity.NORMAL), [_event(state, lot, Severity.NORMAL, rule)]
    return replace(state, tightened_accept_run=run, tightened_not_accepted=not_accepted), []


def _on_reduced(state: SwitchingState, lot: LotResult) -> tuple[SwitchingState, list[SwitchEvent]]:
    if not lot.accepted:
        rule = "lot rejected on reduced inspection"
    elif lot.between_ac_re:
        rule = "lot accepted between Ac and Re on reduced inspection"
    elif not lot.steady_production:
        rule = "production irregular or delayed"
    else:
        return state, []
    return _enter(state, Severity.NORMAL), [_event(state, lot, Severity.NORMAL, rule)]


def next_state(state: SwitchingState,
               lot: LotResult) -> tuple[SwitchingState, tuple[SwitchEvent, ...]]:
    """Apply one lot's result; return the new state and the switch events it caused."""
    if state.severity is Severity.DISCONTINUED:
        raise IllegalTransition(
            f"inspection of {state.site}/{state.family} is discontinued; record corrective "
            "action before submitting lots", field="severity")
    if lot.between_ac_re and state.severity is not Severity.REDUCED:
        raise InvalidInput("between-Ac-and-Re results exist only on reduced inspection",
                           field="between_ac_re")
    handler = {Severity.NORMAL: _on_normal, Severity.TIGHTENED: _on_tightened,
               Severity.REDUCED: _on_reduced}[state.severity]
    new, events = handler(state, lot)
    return replace(new, lots_seen=state.lots_seen + 1), tuple(events)


def resume_after_corrective_action(
        state: SwitchingState, reference: str) -> tuple[SwitchingState, tuple[SwitchEvent, ...]]:
    """Resume a discontinued scheme on tightened inspection once corrective action is recorded."""
    if state.severity is not Severity.DISCONTINUED:
        raise IllegalTransition(f"{state.site}/{state.family} is on {state.severity.value} "
                                "inspection, not discontinued", field="severity")
    if not reference:
        raise InvalidInput("name the corrective action (reference)", field="reference")
    event = SwitchEvent(state.site, state.family, reference, state.severity,
                        Severity.TIGHTENED, "corrective action taken: resume on tightened")
    return _enter(state, Severity.TIGHTENED), (event,)


def run_lots(state: SwitchingState,
             lots: list[LotResult]) -> tuple[SwitchingState, tuple[SwitchEvent, ...]]:
    """Apply a sequence of lot results in order (a convenience over :func:`next_state`)."""
    events: list[SwitchEvent] = []
    for lot in lots:
        state, new = next_state(state, lot)
        events.extend(new)
    return state, tuple(events)
