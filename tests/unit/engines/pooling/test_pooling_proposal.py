"""Proposing collaborative runs from open lines of several brands."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microfactory.engines.pooling import OpenLine, RunOffer, propose_runs


def test_three_brands_pooled_into_one_run() -> None:
    """Three brands short of the minimum alone are pooled; saving worked out by hand."""
    lines = [OpenLine("l1", "A", "s1", "denim", 30), OpenLine("l2", "B", "s1", "denim", 40),
             OpenLine("l3", "C", "s1", "denim", 50), OpenLine("l4", "A", "s1", "linen", 10)]
    offers = [RunOffer("s1", "denim", 100, 500.0, 3.0), RunOffer("s1", "linen", 50, 200.0, 1.0)]
    result = propose_runs(lines, offers)
    # Alone: A 500+210, B 500+180, C 500+150, A linen 200+40 = 2280; pooled 500 + 240 = 740.
    assert result.baseline_cost == pytest.approx(2280.0)
    assert result.objective == pytest.approx(740.0)
    assert result.saving == pytest.approx(1540.0)
    assert result.status == "optimal" and result.bound == pytest.approx(740.0)
    assert [(r.line_ids, r.brands, r.units) for r in result.runs] == [
        (("l1", "l2", "l3"), ("A", "B", "C"), 120)]


def test_max_batch_splits_into_two_runs() -> None:
    """Four brands of 60 with a 100-150 batch form two runs of two brands each."""
    lines = [OpenLine(f"l{i}", b, "s1", "print", 60) for i, b in enumerate("ABCD")]
    result = propose_runs(lines, [RunOffer("s1", "print", 100, 300.0, 2.0, max_batch=150)])
    assert len(result.runs) == 2
    assert all(len(r.brands) == 2 and r.units == 120 for r in result.runs)
    assert result.objective == pytest.approx(600.0)


def test_single_brand_is_never_a_collaborative_run() -> None:
    """Lines of one brand only give no proposal and no saving."""
    lines = [OpenLine("l1", "A", "s1", "denim", 60), OpenLine("l2", "A", "s1", "denim", 60)]
    result = propose_runs(lines, [RunOffer("s1", "denim", 100, 500.0, 3.0)])
    assert result.runs == () and result.saving == pytest.approx(0.0)


def test_lines_without_an_offer_are_ignored() -> None:
    """Lines at a site and setup key with no run offer are left out."""
    lines = [OpenLine("l1", "A", "s2", "denim", 60), OpenLine("l2", "B", "s2", "denim", 60)]
    result = propose_runs(lines, [RunOffer("s1", "denim", 100, 500.0)])
    assert result.runs == () and result.baseline_cost == 0.0


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ABCD"), st.integers(5, 80)), min_size=1, max_size=7))
def test_proposals_are_valid_and_never_cost_more(spec: list[tuple[str, int]]) -> None:
    """Every proposed run pools two brands or more within its batch limits, and saving is >= 0."""
    lines = [OpenLine(f"l{i}", brand, "s1", "denim", qty) for i, (brand, qty) in enumerate(spec)]
    offer = RunOffer("s1", "denim", 100, 400.0, 2.0, max_batch=180)
    result = propose_runs(lines, [offer])
    assert result.status == "optimal" and result.saving >= -1e-6
    used = [line_id for run in result.runs for line_id in run.line_ids]
    assert len(used) == len(set(used))
    assert all(len(r.brands) >= 2 and 100 <= r.units <= 180 for r in result.runs)
    left: dict[str, int] = {}
    for line in lines:
        if line.id not in used:
            left[line.brand] = left.get(line.brand, 0) + line.quantity
    pooled = 400.0 * len(result.runs) + sum(offer.alone(q) for q in left.values())
    assert result.objective == pytest.approx(pooled)
