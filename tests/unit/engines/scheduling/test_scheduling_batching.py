"""Batch formation by setup key under minimum and maximum sizes and due-date windows."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microfactory.engines.scheduling import BatchRules, Line, OpSpec, form_batches
from microfactory.errors import InvalidInput

OPS = (OpSpec("sew", 2.0),)


def line(lid: str, key: str, qty: int, due: int = 1000, release: int = 0, weight: float = 1.0) -> Line:
    """A sewing line of ``qty`` units."""
    return Line(lid, "o", "tee", qty, key, due, OPS, release, weight)


def test_lines_of_one_key_share_a_batch() -> None:
    """Three lines of key A and one of B make two batches."""
    f = form_batches([line("1", "A", 2), line("2", "B", 3), line("3", "A", 4), line("4", "A", 1)], BatchRules())
    sizes = {b.setup_key: (b.qty, len(b.lines)) for b in f.batches}
    assert sizes == {"A": (7, 3), "B": (3, 1)}


def test_max_batch_splits_a_key() -> None:
    """Key A with 4 + 4 + 4 units and max 8 makes batches of 8 and 4."""
    f = form_batches([line(str(i), "A", 4) for i in range(3)], BatchRules(max_batch=8))
    assert sorted(b.qty for b in f.batches) == [4, 8]


def test_line_larger_than_max_is_split_into_parts() -> None:
    """A line of 10 units with max 4 becomes parts of 4, 3, 3 named LINE#k."""
    f = form_batches([line("L", "A", 10)], BatchRules(max_batch=4))
    assert sorted(b.qty for b in f.batches) == [3, 3, 4]
    assert {b.lines[0] for b in f.batches} == {"L#1", "L#2", "L#3"}


def test_due_window_separates_far_due_dates() -> None:
    """Lines due 1000 and 5000 with a 1440-minute window go in two batches, each with its own due date."""
    f = form_batches([line("1", "A", 2, due=1000), line("2", "A", 2, due=5000)], BatchRules(due_window=1440))
    assert sorted(b.due for b in f.batches) == [1000, 5000]


def test_small_batch_merges_with_neighbour_then_is_reported() -> None:
    """A 1-unit batch joins its key's neighbour when it fits; a lone 1-unit key is made and reported."""
    rules = BatchRules(min_batch=3, max_batch=10, due_window=10)
    f = form_batches([line("1", "A", 4, due=100), line("2", "A", 1, due=900), line("3", "B", 1)], rules)
    by_key = {b.setup_key: b for b in f.batches}
    assert by_key["A"].qty == 5
    assert f.under_min == (by_key["B"].id,)


def test_batch_takes_earliest_due_latest_release_and_summed_weight() -> None:
    """A batch's due is its earliest line's, release its latest line's, weight the sum."""
    f = form_batches([line("1", "A", 2, due=800, release=50, weight=2.0), line("2", "A", 2, due=700, release=10)],
                     BatchRules())
    (b,) = f.batches
    assert (b.due, b.release, b.weight) == (700, 50, 3.0)


def test_invalid_rules_are_rejected() -> None:
    """min_batch above max_batch raises InvalidInput."""
    with pytest.raises(InvalidInput):
        BatchRules(min_batch=5, max_batch=2)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ABC"), st.integers(1, 12), st.integers(0, 5000)), min_size=1, max_size=25),
       st.integers(1, 10))
def test_batches_conserve_units_and_respect_max(rows: list[tuple[str, int, int]], max_batch: int) -> None:
    """Every unit lands in exactly one batch and no batch exceeds max_batch."""
    lines = [line(str(i), k, q, due=d) for i, (k, q, d) in enumerate(rows)]
    f = form_batches(lines, BatchRules(max_batch=max_batch))
    assert sum(b.qty for b in f.batches) == sum(q for _k, q, _d in rows)
    assert all(b.qty <= max_batch for b in f.batches)
    assert all(len({ln.split("#")[0] for ln in b.lines}) == len(b.lines) for b in f.batches)
