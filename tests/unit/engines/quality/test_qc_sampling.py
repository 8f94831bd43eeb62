"""Sampling plans against MIL-STD-105E Tables I and II-A/B/C."""

from __future__ import annotations

import csv
from importlib import resources
from itertools import pairwise

import pytest

from microfactory.engines.quality import LEVELS, LotDecision, code_letter, sampling_plan
from microfactory.engines.quality.tables import code_letter_bands, resolve_cell
from microfactory.errors import InvalidInput

# Table I as printed, written out again here so the test does not read what the code reads.
TABLE_I = {
    (2, 8): "AAAAAAB", (9, 15): "AAAAABC", (16, 25): "AABBBCD", (26, 50): "ABBCCDE",
    (51, 90): "BBCCCEF", (91, 150): "BBCDDFG", (151, 280): "BCDEEGH", (281, 500): "BCDEFHJ",
    (501, 1200): "CCEFGJK", (1201, 3200): "CDEGHKL", (3201, 10000): "CDFGJLM",
    (10001, 35000): "CDFHKMN", (35001, 150000): "DEGJLNP", (150001, 500000): "DEGJMPQ",
    (500001, 10**9): "DEHKNQR",
}


def _resolved_rows() -> list[dict[str, str]]:
    text = resources.files("microfactory.data").joinpath(
        "sampling", "single_plans_resolved.csv").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def test_code_letter_every_band_edge_and_level() -> None:
    """Both ends of every lot-size band give Table I's letter at every level."""
    for (low, high), letters in TABLE_I.items():
        for level, letter in zip(LEVELS, letters):
            assert code_letter(low, level) == letter, (low, level)
            assert code_letter(high, level) == letter, (high, level)


def test_code_letter_bands_are_contiguous() -> None:
    """Table I's bands start at 2 and follow each other without gaps."""
    bands = code_letter_bands()
    assert bands[0].lot_min == 2 and bands[-1].lot_max is None
    for a, b in pairwise(bands):
        assert a.lot_max is not None and b.lot_min == a.lot_max + 1


def test_code_letter_rejects_bad_input() -> None:
    """A lot of one unit or an unknown level is refused with the field named."""
    with pytest.raises(InvalidInput) as err:
        code_letter(1)
    assert err.value.field == "lot_size"
    with pytest.raises(InvalidInput) as err:
        code_letter(100, "IV")
    assert err.value.field == "level"


def test_every_cell_matches_resolved_table() -> None:
    """Arrow-following on the master tables gives the resolved CSV's plan for all 1248 cells."""
    rows = _resolved_rows()
    assert len(rows) == 3 * 16 * 26
    for row in rows:
        cell = resolve_cell(row["inspection"], row["code_letter"], row["aql"])
        got = (cell.plan_letter, cell.n, cell.ac, cell.re, cell.table_cell)
        want = (row["plan_code_letter"], int(row["sample_size"]), int(row["ac"]),
                int(row["re"]), row["table_cell"])
        assert got == want, row


def test_arrow_down_takes_the_lower_rows_sample_size() -> None:
    """Normal H/0.65 points down to J: n=80, 1/2 instead of n=50."""
    plan = sampling_plan(400, 0.65)
    assert (plan.code_letter, plan.plan_letter, plan.n, plan.ac, plan.re) == ("H", "J", 80, 1, 2)
    assert plan.arrow_followed and plan.table_cell == "down"


def test_arrow_up_takes_the_upper_rows_sample_size() -> None:
    """Normal F/1.0 points up to E: n=13, 0/1."""
    plan = sampling_plan(100, 1.0)
    assert (plan.code_letter, plan.plan_letter, plan.n, plan.ac, plan.re) == ("F", "E", 13, 0, 1)


def test_chained_arrows_in_tightened_table() -> None:
    """Tightened C/6.5 chains two down arrows to E: n=13, 1/2."""
    cell = resolve_cell("tightened", "C", 6.5)
    assert (cell.plan_letter, cell.n, cell.ac, cell.re) == ("E", 13, 1, 2)


def test_tightened_row_s_is_reached_from_r() -> None:
    """Tightened Q/0.025 chains down through R to the extra row S: n=3150, 1/2."""
    plan = sampling_plan(600_000, 0.025, "II", "tightened")
    assert (plan.code_letter, plan.plan_letter, plan.n, plan.ac, plan.re) == ("Q", "S", 3150, 1, 2)
    plan = sampling_plan(600_000, 0.025, "III", "tightened")
    assert (plan.code_letter, plan.plan_letter, plan.n, plan.ac, plan.re) == ("R", "S", 3150, 1, 2)


def test_issue_example_plan() -> None:
    """`qc plan --lot 500 --aql 2.5 --level II` is code letter H, n=50, Ac 3, Re 4."""
    plan = sampling_plan(500, 2.5, "II")
    assert (plan.code_letter, plan.n, plan.ac, plan.re, plan.hundred_percent) == \
        ("H", 50, 3, 4, False)


def test_hundred_percent_when_sample_reaches_lot() -> None:
    """Lot of 10 at AQL 0.65 points to n=20 >= 10, so all 10 units are inspected."""
    plan = sampling_plan(10, 0.65)
    assert plan.hundred_percent and plan.n == 10 and (plan.ac, plan.re) == (0, 1)


def test_reduced_between_ac_and_re_accepts_and_returns_to_normal() -> None:
    """Reduced K/1.0 is n=50, 1/4: 0-1 accept, 2-3 accept and return to normal, 4 reject."""
    plan = sampling_plan(1000, 1.0, "III", "reduced")
    assert (plan.code_letter, plan.n, plan.ac, plan.re) == ("K", 50, 1, 4)
    assert [plan.decide(c) for c in range(5)] == [
        LotDecision.ACCEPT, LotDecision.ACCEPT, LotDecision.ACCEPT_RETURN_TO_NORMAL,
        LotDecision.ACCEPT_RETURN_TO_NORMAL, LotDecision.REJECT]


def test_low_confidence_cells_are_flagged() -> None:
    """Reduced B/40 comes from a single source and is flagged low confidence."""
    plan = sampling_plan(12, 40, "II", "reduced")
    assert plan.code_letter == "B" and plan.confidence == "low"
    assert sampling_plan(500, 2.5).confidence == "high"


def test_unknown_aql_is_refused() -> None:
    """An AQL that is not a table column (3.0) is refused."""
    with pytest.raises(InvalidInput) as err:
        sampling_plan(500, 3.0)
    assert err.value.field == "aql"
