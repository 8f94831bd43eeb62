"""Switching rules as a state machine over sequences of lots."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microfactory.engines.quality import (
    LotResult,
    Severity,
    SwitchingState,
    next_state,
    resume_after_corrective_action,
    run_lots,
)
from microfactory.errors import IllegalTransition, InvalidInput


def _lots(pattern: str, start: int = 0) -> list[LotResult]:
    """'A' accepted, 'R' rejected, 'B' accepted between Ac and Re, 'I' accepted but irregular."""
    return [LotResult(f"L{start + i}", accepted=c != "R", between_ac_re=c == "B",
                      steady_production=c != "I") for i, c in enumerate(pattern)]


def _start() -> SwitchingState:
    return SwitchingState("site-a", "denim")


def test_two_rejections_in_five_lots_tighten() -> None:
    """R A A A R on normal switches to tightened at the fifth lot."""
    state, events = run_lots(_start(), _lots("RAAAR"))
    assert state.severity is Severity.TIGHTENED
    assert [(e.lot_id, e.to_severity) for e in events] == [("L4", Severity.TIGHTENED)]
    assert events[0].site == "site-a" and events[0].family == "denim"


def test_two_rejections_six_lots_apart_do_not_tighten() -> None:
    """R A A A A R spans six lots, so normal inspection continues."""
    state, events = run_lots(_start(), _lots("RAAAAR"))
    assert state.severity is Severity.NORMAL and events == ()


def test_five_accepted_on_tightened_return_to_normal() -> None:
    """After tightening, four accepted lots are not enough, the fifth returns to normal."""
    state, _ = run_lots(_start(), _lots("RR"))
    state, events = run_lots(state, _lots("AAAA", 2))
    assert state.severity is Severity.TIGHTENED and events == ()
    state, events = run_lots(state, _lots("A", 6))
    assert state.severity is Severity.NORMAL and events[0].lot_id == "L6"


def test_rejection_on_tightened_restarts_the_accept_run() -> None:
    """A A R A A A A on tightened stays tightened: the run of 5 restarts at the rejection."""
    state, _ = run_lots(_start(), _lots("RR"))
    state, _ = run_lots(state, _lots("AARAAAA", 2))
    assert state.severity is Severity.TIGHTENED and state.tightened_accept_run == 4


def test_ten_accepted_on_normal_reduce() -> None:
    """Ten accepted lots on normal with steady production switch to reduced on the tenth."""
    state, events = run_lots(_start(), _lots("A" * 9))
    assert state.severity is Severity.NORMAL and events == ()
    state, events = run_lots(state, _lots("A", 9))
    assert state.severity is Severity.REDUCED and events[0].lot_id == "L9"
    assert "Z1.4 8.5" in events[0].rule


def test_reduction_needs_steady_production_and_approval() -> None:
    """Irregular production on the tenth lot, or no approval, keeps normal inspection."""
    state, _ = run_lots(_start(), _lots("AAAAAAAAAI"))
    assert state.severity is Severity.NORMAL
    not_allowed = SwitchingState("site-a", "denim", reduced_allowed=False)
    state, _ = run_lots(not_allowed, _lots("A" * 12))
    assert state.severity is Severity.NORMAL


@pytest.mark.parametrize("pattern,rule_word", [("R", "rejected"), ("B", "between"),
                                               ("I", "irregular")])
def test_reduced_returns_to_normal(pattern: str, rule_word: str) -> None:
    """On reduced, a rejection, a between-Ac-Re acceptance or irregular production returns to normal."""
    state, _ = run_lots(_start(), _lots("A" * 10))
    state, events = run_lots(state, _lots("AA" + pattern, 10))
    assert state.severity is Severity.NORMAL
    assert len(events) == 1 and rule_word in events[0].rule and events[0].lot_id == "L12"


def test_five_not_accepted_on_tightened_discontinue_and_resume() -> None:
    """Five lots not accepted on tightened (not consecutive) discontinue; corrective action resumes tightened."""
    state, _ = run_lots(_start(), _lots("RR"))
    state, events = run_lots(state, _lots("RARARARAR", 2))
    assert state.severity is Severity.DISCONTINUED
    assert events[-1].to_severity is Severity.DISCONTINUED and events[-1].lot_id == "L10"
    with pytest.raises(IllegalTransition):
        next_state(state, LotResult("L11", accepted=True))
    state, events = resume_after_corrective_action(state, "CAPA-17")
    assert state.severity is Severity.TIGHTENED and state.tightened_not_accepted == 0
    assert events[0].to_severity is Severity.TIGHTENED


def test_full_sequence_walks_every_state() -> None:
    """A long history goes normal, reduced, normal, tightened, normal in that order."""
    pattern = "A" * 10 + "AAR" + "ARR" + "AAAAA" + "A"
    state, events = run_lots(_start(), _lots(pattern))
    assert [e.to_severity for e in events] == [Severity.REDUCED, Severity.NORMAL,
                                              Severity.TIGHTENED, Severity.NORMAL]
    assert state.severity is Severity.NORMAL and state.lots_seen == len(pattern)


def test_between_ac_re_outside_reduced_is_refused() -> None:
    """A between-Ac-and-Re result on normal inspection is an input error."""
    with pytest.raises(InvalidInput):
        next_state(_start(), LotResult("L0", accepted=True, between_ac_re=True))


@given(st.lists(st.booleans(), max_size=60))
def test_state_is_never_mutated_and_counters_stay_bounded(results: list[bool]) -> None:
    """Any accept/reject history keeps the window at most 5 and never mutates earlier states."""
    state = _start()
    for i, ok in enumerate(results):
        if state.severity is Severity.DISCONTINUED:
            state, _ = resume_after_corrective_action(state, "fix")
        before = state
        state, _ = next_state(state, LotResult(f"L{i}", accepted=ok))
        assert before.lots_seen == state.lots_seen - 1
        assert len(state.normal_window) <= 5 and state.tightened_not_accepted < 5
        assert state.normal_window.count(False) < 2
