"""Shared fixtures: the Berlin example network and a tiny scenario spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from microfactory.adapters.files.scenario import Scenario, load_scenario
from microfactory.simulation import ScenarioSpec, spec_from_dict

ROOT = Path(__file__).resolve().parents[3]
BERLIN = ROOT / "examples" / "berlin"


@pytest.fixture(scope="session")
def berlin() -> Scenario:
    return load_scenario(BERLIN)


def tiny_spec(**over: object) -> ScenarioSpec:
    data: dict[str, object] = {"network": str(BERLIN), "days": 5, "seed": 3, "name": "tiny",
                               "demand": {"orders_per_day": 6, "due_days": [3, 5]},
                               "outages": {"site_mttr_days": 1, "machine_failures_per_week": 1},
                               "planning": {"routing_time_limit_s": 5}}
    data.update(over)
    return spec_from_dict(data)
