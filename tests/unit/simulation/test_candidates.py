"""Candidate sites: the candidates file, its FILE:LINE errors, and a candidate as a simulated site."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from microfactory.adapters.files.candidates import candidates_from_dict, load_candidates
from microfactory.errors import FileError, InvalidInput
from microfactory.simulation.candidates import WEEK_MINUTES, Candidate, candidate_site
from microfactory.simulation.clock import StepClock

from .conftest import ROOT

GOOD = {"id": "mf-x", "location": {"lat": 52.5, "lon": 13.4}, "fixed_cost_per_week": 100,
        "variable_cost_per_unit": 6.0, "capacity_units_per_week": 90, "processes": ["sewing", "packing"]}


def test_the_berlin_candidates_file_loads() -> None:
    """The shipped example has three candidates and its settings."""
    cf = load_candidates(ROOT / "examples" / "berlin" / "candidates.yaml")
    assert [c.id for c in cf.candidates] == ["mf-pankow", "mf-charlottenburg", "mf-lichtenberg-print"]
    assert cf.settings.promise_days == 2 and cf.settings.carbon_price_per_kg == 0.1


def test_a_bad_candidates_file_names_file_and_line_of_each_problem(tmp_path: Path) -> None:
    """A negative capacity, an unknown field and a repeated id are each reported at their own line."""
    f = tmp_path / "candidates.yaml"
    f.write_text("candidates:\n"
                 "  - id: a\n    location: {lat: 52.5, lon: 13.4}\n    fixed_cost_per_week: 1\n"
                 "    variable_cost_per_unit: 1\n    capacity_units_per_week: -5\n    processes: [sewing]\n"
                 "  - id: a\n    location: {lat: 52.5, lon: 13.4}\n    fixed_cost_per_week: 1\n"
                 "    variable_cost_per_unit: 1\n    capacity_units_per_week: 5\n    processes: [sewing]\n"
                 "    colour: red\n")
    with pytest.raises(FileError) as err:
        load_candidates(f)
    lines = {(p.line, p.message.split(":")[0]) for p in err.value.problems}
    assert (6, "candidates.0.capacity_units_per_week") in lines
    assert (14, "candidates.1.colour") in lines
    assert all(p.file == str(f) for p in err.value.problems)


def test_an_api_body_with_a_missing_field_is_invalid_input_naming_it() -> None:
    """A candidate without processes is refused with the candidate's path as the field."""
    body = {k: v for k, v in GOOD.items() if k != "processes"}
    with pytest.raises(InvalidInput) as err:
        candidates_from_dict({"candidates": [body]})
    assert err.value.field == "candidates.0" and "missing processes" in err.value.message
    with pytest.raises(InvalidInput):
        candidates_from_dict({"candidates": [GOOD], "settings": {"sim_routing": "fastest"}})


def test_a_candidate_becomes_a_site_sized_for_its_weekly_capacity() -> None:
    """90 units a week of 40 sewing and 2 packing minutes need ceil(3600/2700)=2 sewing units and 1 packing unit."""
    cand = candidates_from_dict({"candidates": [GOOD]}).candidates[0]
    site = candidate_site(cand, {"sewing": 40.0, "packing": 2.0, "printing": 9.0})
    units = {r.process: r.units for r in site.resources}
    assert units == {"sewing": math.ceil(90 * 40 / WEEK_MINUTES), "packing": 1} == {"sewing": 2, "packing": 1}
    # 6.00 per unit over 42 minutes: 60 x 6 / 42 = 8.5714 per hour, so an average unit costs 6.00
    assert all(abs(r.cost_per_hour - 60 * 6.0 / 42.0) < 1e-5 for r in site.resources)
    assert abs(sum(m * site.rate_per_minute(p) for p, m in (("sewing", 40.0), ("packing", 2.0))) - 6.0) < 1e-4
    assert site.processes == frozenset({"sewing", "packing"}) and site.workers == ()


def test_a_candidate_without_demand_minutes_still_gets_one_unit_per_process() -> None:
    """Processes the demand never uses get one free resource, so the site is well formed."""
    site = candidate_site(Candidate("c", "c", 52.0, 13.0, 0, 5, 10, frozenset({"embroidery"})), {})
    assert [(r.process, r.units, r.cost_per_hour) for r in site.resources] == [("embroidery", 1, 0.0)]


def test_step_clock_ticks_a_fixed_step_per_reading() -> None:
    """Three readings of a 0.25 s step clock are 0.25, 0.5 and 0.75 whatever the wall clock does."""
    clock = StepClock(0.25)
    assert [clock(), clock(), clock()] == [0.25, 0.5, 0.75]
    with pytest.raises(ValueError):
        StepClock(0)
