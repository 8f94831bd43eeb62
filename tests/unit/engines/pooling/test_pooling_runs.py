"""Collaborative runs: joining, filling, failing, cost sharing and brand isolation."""

from __future__ import annotations

import pytest

from microfactory.engines.pooling import (
    OnFail,
    Run,
    RunLine,
    RunState,
    RunStatus,
    SharingParams,
    SharingRule,
    brand_view,
    join_run,
    leave_run,
    resolve_run,
    share_run_cost,
)
from microfactory.errors import CapacityExceeded, Conflict, Forbidden, IllegalTransition


def _run(max_batch: int | None = None) -> RunState:
    return RunState(Run("r1", "lyon", "denim-indigo", min_batch=100, deadline=1440, fixed_cost=90.0,
                        shortfall_cost_per_unit=1.0, max_batch=max_batch))


def _joined() -> RunState:
    state = _run()
    for line in (RunLine("a1", "alpha", 20), RunLine("b1", "beta", 30, OnFail.RELEASE),
                 RunLine("c1", "gamma", 50)):
        state = join_run(state, line, now=10)
    return state


def test_filled_run_is_scheduled_as_one_batch() -> None:
    """A run at its minimum becomes one scheduled batch, even before its deadline."""
    state, events = resolve_run(_joined(), now=100)
    assert state.status is RunStatus.SCHEDULED
    assert [(e.kind, e.quantity) for e in events] == [("schedule_batch", 100)]


def test_unfilled_run_fails_per_brand_choice() -> None:
    """At the deadline a short run reroutes or releases each line as its brand chose."""
    state = leave_run(_joined(), "c1")
    state, events = resolve_run(state, now=1440)
    assert state.status is RunStatus.FAILED
    assert [(e.kind, e.line_id) for e in events] == [("reroute_line", "a1"), ("release_line", "b1")]


def test_unfilled_run_before_deadline_stays_open() -> None:
    """A short run before its deadline is left open with no events."""
    state, events = resolve_run(leave_run(_joined(), "c1"), now=1439)
    assert state.status is RunStatus.OPEN and events == ()


def test_resolve_is_idempotent() -> None:
    """Resolving a resolved run again changes nothing and emits nothing."""
    state, _ = resolve_run(_joined(), now=100)
    again, events = resolve_run(state, now=2000)
    assert again == state and events == ()


def test_join_refusals() -> None:
    """Joining after the deadline, twice, past the maximum or a resolved run is refused."""
    with pytest.raises(IllegalTransition):
        join_run(_run(), RunLine("a1", "alpha", 5), now=1440)
    with pytest.raises(Conflict):
        join_run(_joined(), RunLine("a1", "alpha", 5), now=1)
    with pytest.raises(CapacityExceeded):
        join_run(join_run(_run(120), RunLine("a1", "alpha", 100), 0), RunLine("b", "beta", 21), 0)
    scheduled, _ = resolve_run(_joined(), now=1)
    with pytest.raises(IllegalTransition):
        join_run(scheduled, RunLine("d1", "delta", 5), now=1)


def test_shapley_sharing_of_a_run_by_hand() -> None:
    """Shares of the 20/30/50 run (fixed 90, minimum 100, 1/unit surcharge) are 260/6, 200/6, 80/6."""
    sharing = share_run_cost(_joined())
    assert sharing.shares == pytest.approx({"alpha": 260 / 6, "beta": 200 / 6, "gamma": 80 / 6})
    assert sharing.total_cost == pytest.approx(90.0) and sharing.status == "optimal"


def test_proportional_sharing() -> None:
    """Proportional shares split the run's cost by units."""
    sharing = share_run_cost(_joined(), SharingParams(rule=SharingRule.PROPORTIONAL))
    assert sharing.shares == pytest.approx({"alpha": 18.0, "beta": 27.0, "gamma": 45.0})


def test_many_brands_are_sampled_with_a_stated_error() -> None:
    """A run of 14 brands is shared by sampling, with a standard error per brand."""
    state = _run()
    for i in range(14):
        state = join_run(state, RunLine(f"l{i}", f"brand{i:02d}", 3 + i), now=0)
    sharing = share_run_cost(state, SharingParams(samples=2000, seed=4))
    assert sharing.method == "shapley_sampled" and sharing.seed == 4
    assert sum(sharing.shares.values()) == pytest.approx(sharing.total_cost)
    assert all(se >= 0 for se in sharing.std_error.values())


def test_brand_view_shows_only_own_lines_and_share() -> None:
    """A brand's view holds its own lines and share and nothing naming another brand."""
    state = _joined()
    view = brand_view(state, "beta", share_run_cost(state))
    assert [line.id for line in view.lines] == ["b1"]
    assert view.share == pytest.approx(200 / 6)
    text = repr(view)
    assert "alpha" not in text and "gamma" not in text and "a1" not in text


def test_brand_without_lines_is_forbidden() -> None:
    """A brand that did not join the run cannot see it."""
    with pytest.raises(Forbidden):
        brand_view(_joined(), "delta")


def test_brand_choice_overrides_line_choice_on_failure() -> None:
    """A brand-wide choice given at resolution applies to all of that brand's lines."""
    state = leave_run(_joined(), "c1")
    _, events = resolve_run(state, now=1440, brand_choices={"alpha": OnFail.RELEASE})
    assert [(e.kind, e.brand) for e in events] == [("release_line", "alpha"), ("release_line", "beta")]
