"""A one-unit lot (below Table I) is inspected whole with the two-unit plan's numbers."""

from __future__ import annotations

from microfactory.engines.quality import Defect, InspectionInput, LotDecision, inspect


def test_single_unit_lot_is_inspected_whole() -> None:
    """n = 1 for a one-unit lot; a clean unit is accepted."""
    result = inspect(InspectionInput("B1", 1))
    assert result.sample_size == 1 and result.decision is LotDecision.ACCEPT
    major = next(c for c in result.classes if c.defect_class == "major")
    assert major.plan is not None and (major.plan.n, major.plan.ac, major.plan.re) == (1, 0, 1)
    assert major.plan.hundred_percent


def test_single_unit_with_a_major_defect_is_rejected() -> None:
    """One major defect on the only unit rejects it (Ac 0)."""
    result = inspect(InspectionInput("B1", 1, (Defect(0, "major", "seam"),)))
    assert result.decision is LotDecision.REJECT and result.defects_per_hundred_units == 100.0
