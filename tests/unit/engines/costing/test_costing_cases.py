"""The shipped example cases, recomputed from their stated inputs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from microfactory.engines.costing import break_even, case_from_dict, compare
from microfactory.engines.emissions import g_per_tkm

EXAMPLES = Path(__file__).resolve().parents[4] / "examples" / "economics"


def _load(name: str) -> dict[str, object]:
    data = yaml.safe_load((EXAMPLES / name).read_text())
    assert isinstance(data, dict)
    return data


def _leg_kg(legs: list[dict[str, float]], weight: float) -> float:
    return sum(leg["distance_km"] * weight / 1000 * g_per_tkm(str(leg["mode"])) / 1000 for leg in legs)


def test_furniture_case_recomputes_lead_times_and_emissions() -> None:
    """Lead times and the emissions cut of the furniture case follow from its inputs."""
    data = _load("furniture_sofa.yaml")
    r = compare(case_from_dict(data))
    local, off, w = data["local"], data["offshore"], data["params"]["weight_kg"]  # type: ignore[index]
    assert r.local.lead_time_days == pytest.approx(local["production_days"] + 0 + 1)  # type: ignore[index]
    assert r.offshore.lead_time_days == pytest.approx(35 + 10 + 19000 / 500 + 300 / 600 + 1)
    expected = 1 - _leg_kg(local["legs"], w) / _leg_kg(off["legs"], w)  # type: ignore[index]
    assert r.emissions_reduction == pytest.approx(expected)
    assert 0.55 <= r.emissions_reduction <= 0.70  # the seed's "about 60 %"
    assert round(r.offshore.lead_time_days / 7) == 12 and r.local.lead_time_days == 5


def test_apparel_case_break_even_closed_form_is_valid() -> None:
    """The hoodie case's MOQ does not bind at break-even, so both methods agree."""
    be = break_even(case_from_dict(_load("apparel_hoodie.yaml")))
    assert be.closed_form_valid and be.closed_form is not None
    assert be.closed_form in [pytest.approx(v, rel=1e-6) for v in be.numeric]


def test_unknown_case_key_is_rejected() -> None:
    """A typo in a case file is reported, not ignored."""
    data = _load("apparel_hoodie.yaml")
    data["locall"] = {}
    with pytest.raises(Exception, match="unknown keys"):
        case_from_dict(data)
