"""Inspecting batches: per-class plans, decisions, DHU and rework recommendations."""

from __future__ import annotations

import pytest

from microfactory.engines.quality import Defect, InspectionInput, LotDecision, inspect
from microfactory.errors import InvalidInput


def _defects(spec: list[tuple[int, str, str]]) -> tuple[Defect, ...]:
    return tuple(Defect(unit, cls, kind) for unit, cls, kind in spec)


def test_clean_sample_is_accepted() -> None:
    """A lot of 500 with 3 major and 2 minor defects passes (major 3/4, minor 5/6 at n=50)."""
    defects = _defects([(0, "major", "seam"), (1, "major", "stain"), (2, "major", "seam"),
                        (3, "minor", "loose_thread"), (4, "minor", "pressing")])
    result = inspect(InspectionInput("B1", 500, defects))
    assert result.decision is LotDecision.ACCEPT and result.rework is None
    assert result.sample_size == 50
    assert result.defects_per_hundred_units == pytest.approx(10.0)
    assert dict(result.defects_by_type) == {"seam": 2, "stain": 1, "loose_thread": 1,
                                            "pressing": 1}


def test_major_defects_at_re_reject_and_recommend_rework() -> None:
    """Four major defects on four units reach Re=4: reject, scale 4/50 of 500 to 40 units."""
    defects = _defects([(0, "major", "seam"), (1, "major", "seam"), (2, "major", "colour"),
                        (3, "major", "colour")])
    result = inspect(InspectionInput("B2", 500, defects))
    assert result.decision is LotDecision.REJECT
    major = next(c for c in result.classes if c.defect_class == "major")
    assert major.plan is not None and (major.count, major.plan.re) == (4, 4)
    assert result.rework is not None
    assert (result.rework.rework_units, result.rework.remake_units) == (20, 20)
    assert dict(result.rework.by_type) == {"seam": 20, "colour": 20}


def test_one_critical_defect_rejects() -> None:
    """Critical defects have zero tolerance: one is enough to reject and remake."""
    result = inspect(InspectionInput("B3", 500, _defects([(7, "critical", "needle_left")])))
    assert result.decision is LotDecision.REJECT
    assert result.rework is not None and result.rework.remake_units == 10


def test_worst_defect_of_a_unit_decides_rework_or_remake() -> None:
    """A unit with a seam and a colour defect counts once, as a remake."""
    defects = _defects([(0, "major", "seam"), (0, "major", "colour"), (1, "critical", "hole")])
    result = inspect(InspectionInput("B4", 500, defects))
    assert result.rework is not None and result.defective_units == 2
    assert (result.rework.rework_units, result.rework.remake_units) == (0, 20)


def test_units_basis_counts_defective_units() -> None:
    """On the units basis three minor defects on one unit count as one nonconforming unit."""
    defects = tuple(Defect(0, "minor", k) for k in ("seam", "stain", "pressing"))
    result = inspect(InspectionInput("B5", 500, defects, basis="units"))
    minor = next(c for c in result.classes if c.defect_class == "minor")
    assert minor.count == 1 and result.defects_per_hundred_units == pytest.approx(6.0)


def test_tightened_severity_uses_the_tightened_plan() -> None:
    """On tightened inspection major AQL 2.5 at lot 500 is n=50, 2/3, so 3 defects reject."""
    defects = _defects([(i, "major", "seam") for i in range(3)])
    normal = inspect(InspectionInput("B6", 500, defects))
    tight = inspect(InspectionInput("B6", 500, defects, severities=(("major", "tightened"),)))
    assert normal.accepted and not tight.accepted


def test_defect_outside_sample_is_refused() -> None:
    """A defect on unit 60 of a 50-unit sample is an input error."""
    with pytest.raises(InvalidInput) as err:
        inspect(InspectionInput("B7", 500, _defects([(60, "minor", "stain")])))
    assert err.value.field == "defects"


def test_unknown_defect_class_is_refused() -> None:
    """Defect classes are critical, major and minor only."""
    with pytest.raises(InvalidInput):
        Defect(0, "cosmetic", "stain")
