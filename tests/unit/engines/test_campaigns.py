"""Pre-order campaigns: deadline across time zones, cap, cancel, close, partial outcomes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from microfactory.engines.campaigns import (
    Accepted,
    Campaign,
    CampaignState,
    CampaignStatus,
    CapacityLimit,
    Outcome,
    PaymentPlan,
    Pledge,
    Refusal,
    Refused,
    accept_pledge,
    campaign_cap,
    cancel_pledge,
    close_campaign,
)
from microfactory.errors import IllegalTransition, InvalidInput, NotFound

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
EARLY = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)


def _campaign(**changes: object) -> Campaign:
    base = Campaign(id="c1", brand="alpha", variants={"TEE-S": "tee", "TEE-M": "tee", "CAP-1": "cap"},
                    deadline_local=datetime(2026, 6, 1, 0, 0), time_zone="Europe/Paris",
                    unit_price=40.0, payment=PaymentPlan.DEPOSIT, deposit_fraction=0.25,
                    minimum_per_product={"tee": 3, "cap": 2})
    return replace(base, **changes)  # type: ignore[arg-type]


def _take(state: CampaignState, *pledges: Pledge, now: datetime = EARLY) -> CampaignState:
    for pledge in pledges:
        result = accept_pledge(state, pledge, now)
        assert isinstance(result, Accepted), result
        state = result.state
    return state


def test_deadline_is_converted_from_its_zone() -> None:
    """Midnight 1 June in Paris (CEST, UTC+2) is 22:00 UTC on 31 May."""
    assert _campaign().deadline_utc == datetime(2026, 5, 31, 22, 0, tzinfo=UTC)


def test_pledge_exactly_at_deadline_in_another_zone_is_refused() -> None:
    """18:00 in New York (EDT) is the Paris deadline instant: refused, the deadline is exclusive."""
    at_deadline = datetime(2026, 5, 31, 18, 0, tzinfo=NEW_YORK)
    result = accept_pledge(CampaignState(_campaign()), Pledge("p1", "ann", "TEE-S", 1), at_deadline)
    assert isinstance(result, Refused) and result.reason is Refusal.PAST_DEADLINE


def test_pledge_one_microsecond_before_deadline_is_taken() -> None:
    """One microsecond before the deadline, expressed in New York time, the pledge is taken."""
    just_before = datetime(2026, 5, 31, 18, 0, tzinfo=NEW_YORK) - timedelta(microseconds=1)
    result = accept_pledge(CampaignState(_campaign()), Pledge("p1", "ann", "TEE-S", 1), just_before)
    assert isinstance(result, Accepted)
    assert result.event.amount == pytest.approx(10.0)


def test_nonexistent_local_deadline_is_rejected() -> None:
    """02:30 on the spring-forward night does not exist in Paris."""
    with pytest.raises(InvalidInput):
        _campaign(deadline_local=datetime(2026, 3, 29, 2, 30))


def test_naive_now_is_rejected() -> None:
    """A clock reading without a time zone is refused."""
    with pytest.raises(InvalidInput):
        accept_pledge(CampaignState(_campaign()), Pledge("p", "a", "TEE-S", 1), datetime(2026, 5, 1))


def test_refusal_reasons() -> None:
    """Unknown SKU, duplicate pledge and a pledge past the cap are refused with their reason."""
    state = _take(CampaignState(_campaign(cap=3)), Pledge("p1", "ann", "TEE-S", 2))
    cases = [(Pledge("p2", "bob", "SOCK", 1), Refusal.UNKNOWN_VARIANT),
             (Pledge("p1", "ann", "TEE-S", 1), Refusal.DUPLICATE_PLEDGE),
             (Pledge("p3", "cid", "CAP-1", 2), Refusal.CAP_REACHED)]
    for pledge, reason in cases:
        result = accept_pledge(state, pledge, EARLY)
        assert isinstance(result, Refused) and result.reason is reason
    assert isinstance(accept_pledge(state, Pledge("p4", "dan", "CAP-1", 1), EARLY), Accepted)


def test_process_capacity_limits_pledges() -> None:
    """With 100 free sewing minutes and 30 per tee, a fourth tee is refused."""
    limit = CapacityLimit({"sewing": 100.0}, {"tee": {"sewing": 30.0}, "cap": {"sewing": 5.0}})
    state = _take(CampaignState(_campaign(capacity=limit)), Pledge("p1", "a", "TEE-S", 3))
    refused = accept_pledge(state, Pledge("p2", "b", "TEE-M", 1), EARLY)
    assert isinstance(refused, Refused) and refused.reason is Refusal.CAP_REACHED
    assert isinstance(accept_pledge(state, Pledge("p3", "c", "CAP-1", 2), EARLY), Accepted)


def test_cancel_pledge_refunds_the_deposit() -> None:
    """Cancelling a pledge removes it and refunds the 25% deposit."""
    state = _take(CampaignState(_campaign()), Pledge("p1", "a", "TEE-S", 2), Pledge("p2", "b", "CAP-1", 1))
    state, events = cancel_pledge(state, "p1", EARLY)
    assert [p.id for p in state.pledges] == ["p2"]
    assert [(e.kind, e.amount) for e in events] == [("pledge_cancelled", 20.0)]
    with pytest.raises(NotFound):
        cancel_pledge(state, "p1", EARLY)


def test_cancel_after_deadline_is_illegal() -> None:
    """After the deadline a pledge can no longer be cancelled."""
    state = _take(CampaignState(_campaign()), Pledge("p1", "a", "TEE-S", 2))
    with pytest.raises(IllegalTransition):
        cancel_pledge(state, "p1", datetime(2026, 6, 2, tzinfo=UTC))


def test_close_all_or_nothing_releases_everything_when_one_product_misses() -> None:
    """Tee meets its minimum, cap does not: without partial outcomes every pledge is refunded."""
    state = _take(CampaignState(_campaign()), Pledge("p1", "a", "TEE-S", 3), Pledge("p2", "b", "CAP-1", 1))
    closed, outcome, events = close_campaign(state, datetime(2026, 6, 1, tzinfo=UTC))
    assert closed.status is CampaignStatus.CLOSED
    assert outcome.of("tee") is Outcome.RELEASE and outcome.of("cap") is Outcome.RELEASE
    assert [(e.kind, e.amount) for e in events] == [("refund_pledge", 30.0), ("refund_pledge", 10.0)]


def test_partial_outcome_goes_per_product() -> None:
    """With partial outcomes the tee goes (balance due 75%) while the cap is refunded."""
    state = _take(CampaignState(_campaign(partial_outcomes=True)),
                  Pledge("p1", "a", "TEE-S", 1), Pledge("p2", "b", "TEE-M", 2), Pledge("p3", "c", "CAP-1", 1))
    _, outcome, events = close_campaign(state, datetime(2026, 6, 1, tzinfo=UTC))
    assert outcome.of("tee") is Outcome.GO and outcome.of("cap") is Outcome.RELEASE
    assert [(e.kind, e.pledge_id, e.amount) for e in events] == [
        ("convert_pledge", "p1", 30.0), ("convert_pledge", "p2", 60.0), ("refund_pledge", "p3", 10.0)]


def test_minimum_total_with_full_payment() -> None:
    """A total minimum of 4 met by 4 units converts every pledge with nothing left to pay."""
    campaign = _campaign(payment=PaymentPlan.FULL, deposit_fraction=1.0, minimum_per_product={},
                         minimum_total=4)
    state = _take(CampaignState(campaign), Pledge("p1", "a", "TEE-S", 3), Pledge("p2", "b", "CAP-1", 1))
    _, outcome, events = close_campaign(state, EARLY)
    assert {p.outcome for p in outcome.products} == {Outcome.GO}
    assert all(e.kind == "convert_pledge" and e.amount == 0.0 for e in events)


def test_close_twice_returns_same_outcome_and_no_events() -> None:
    """Closing a closed campaign returns its outcome and emits nothing."""
    state = _take(CampaignState(_campaign()), Pledge("p1", "a", "TEE-S", 3), Pledge("p2", "b", "CAP-1", 2))
    closed, outcome, events = close_campaign(state, datetime(2026, 6, 1, tzinfo=UTC))
    assert len(events) == 2 and outcome.of("cap") is Outcome.GO
    again, outcome2, events2 = close_campaign(closed, datetime(2026, 6, 9, tzinfo=UTC))
    assert again == closed and outcome2 == outcome and events2 == ()
    refused = accept_pledge(closed, Pledge("p9", "z", "TEE-S", 1), EARLY)
    assert isinstance(refused, Refused) and refused.reason is Refusal.CAMPAIGN_CLOSED


def test_campaign_cap_from_free_capacity() -> None:
    """Sewing 600 min, printing 300 min: tee 10+5 min, cap 4+10 min, caps worked out by hand."""
    cap = campaign_cap({"sewing": 600.0, "printing": 300.0},
                       {"tee": {"sewing": 10.0, "printing": 5.0}, "cap": {"sewing": 4.0, "printing": 10.0}})
    assert cap.per_product == {"cap": 30, "tee": 60}
    assert cap.guaranteed_units == 30  # min(600 // 10, 300 // 10)
    assert cap.max_units == 60 and cap.status == "optimal"  # all tees is best
    assert cap.bound == pytest.approx(60.0)


def test_running_tally_matches_a_rebuilt_state() -> None:
    """The tally kept pledge by pledge equals the one rebuilt from the pledges (as a store reloads it)."""
    state = _take(CampaignState(_campaign()), Pledge("p1", "a", "TEE-S", 2), Pledge("p2", "b", "CAP-1", 1),
                  Pledge("p3", "c", "TEE-M", 4))
    rebuilt = CampaignState(state.campaign, pledges=state.pledges)
    assert rebuilt == state and state.units_by_product() == {"cap": 1, "tee": 6}
