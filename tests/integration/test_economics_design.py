"""Network design, simulations, compare, quotes, hedge and unit cost through the CLI, API and service."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from microfactory.bootstrap import Container
from microfactory.entrypoints.api.app import create_app
from microfactory.entrypoints.cli.main import app
from microfactory.services import economics as eco

ROOT = Path(__file__).resolve().parents[2]
BERLIN = ROOT / "examples" / "berlin"
PANKOW = {"id": "mf-pankow", "location": {"lat": 52.569, "lon": 13.402}, "fixed_cost_per_week": 600,
          "variable_cost_per_unit": 14.0, "capacity_units_per_week": 150,
          "processes": ["cutting", "sewing", "finishing", "packing"], "operator": "partner"}
FAST = {"sim_days": 3, "sim_routing": "greedy", "time_limit_s": 5, "seed": 1, "promise_days": 2,
        "speed_km_per_day": 40}


def _json(output: str) -> Any:
    return json.loads(output[output.index("{") if output.lstrip().startswith("{") else output.index("["):])


def test_unit_cost_of_a_jean_at_kreuzberg_matches_a_hand_computation(loaded: Container) -> None:
    """Jean 32 in 12 oz denim, batch 10 at Kreuzberg, every part worked out by hand.

    materials 1.4 m x 9.80 + 180 m x 0.004 + 6 x 0.12 + 0.35 + 0.15 = 15.66 (organic denim at 13.50 is dearer);
    staffed minutes sew 38 + finish 8 + pack 2 = 48 (the cutter is automated), machine minutes 54;
    staff rate mean(24, 22, 21, 23) = 22.50/h -> 48 x 22.5 / 60 = 18.00;
    machine rate mean(18, 4, 2, 1) = 6.25/h -> 54 x 6.25 / 60 = 5.625;
    setup (25 + 10 + 5 + 0) min x (22.5 + 6.25) / 60 = 19.1667 a batch -> 1.91667 a unit;
    overhead 25 % x (18 + 5.625 + 1.91667) = 6.38542.
    """
    with loaded.uow() as uow:
        view = eco.unit_cost_view(uow, "kiez-jean", {"size": "32", "fabric": "denim-12oz"}, "mf-kreuzberg", 10)
    b = view["breakdown"]
    assert abs(b["materials"] - 15.66) < 1e-3
    assert abs(b["staff"] - 18.0) < 1e-3
    assert abs(b["machine"] - 5.625) < 1e-3
    assert abs(b["setup"] - 40 * 28.75 / 60 / 10) < 1e-3
    assert abs(b["overhead"] - 0.25 * (18.0 + 5.625 + 40 * 28.75 / 600)) < 1e-3
    assert b["logistics"] > 0
    assert abs(b["total"] - sum(b[k] for k in ("materials", "staff", "machine", "setup", "overhead", "logistics",
                                                 "carbon"))) < 1e-3
    assert abs(view["price"]["price"] - round(b["total"] / 0.5, 2)) < 0.011


def test_cli_hedge_on_berlin_denim_has_the_expected_spot_of_the_scenario(loaded: Container) -> None:
    """Default moves -10 % (p .25), 0 (p .5), +20 % (p .25) on 9.80 expect 9.80 x 1.025 = 10.045."""
    res = CliRunner().invoke(app, ["hedge", "denim-12oz", "--need", "100", "--forward", "10.0",
                                   "--db", loaded.settings.database_url, "--json"])
    assert res.exit_code == 0, res.output
    view = _json(res.output)
    assert abs(view["expected_spot"] - 10.045) < 1e-6 and view["spot"] == 9.8
    assert 0.0 <= view["forward_fraction"] <= 1.0 and view["action"]
    unknown = CliRunner().invoke(app, ["hedge", "unobtainium", "--need", "1", "--forward", "1",
                                       "--db", loaded.settings.database_url])
    assert unknown.exit_code == 4


def test_cli_quotes_request_ranks_sites_and_is_audited(loaded: Container) -> None:
    """Sites that can sew the jean answer with ranked quotes; the request lands in the audit log."""
    res = CliRunner().invoke(app, ["quotes", "request", "kiez-jean", "--qty", "10", "--due", "2026-12-20",
                                   "--options", "size=32;fabric=denim-12oz", "--db", loaded.settings.database_url,
                                   "--json"])
    assert res.exit_code == 0, res.output
    view = _json(res.output)
    assert [q["rank"] for q in view["quotes"]] == list(range(1, len(view["quotes"]) + 1)) and view["quotes"]
    assert "mf-neukoelln" not in {q["site_id"] for q in view["quotes"]}  # no finishing there
    with loaded.uow() as uow:
        assert any(a["action"] == "quotes_requested" for a in uow.audit.list())


def test_cli_compare_prints_both_sides_break_even_and_writes_the_plot(tmp_path: Path) -> None:
    """The hoodie case compares local and offshore, gives a break-even and writes an SVG of both curves."""
    svg = tmp_path / "curves.svg"
    res = CliRunner().invoke(app, ["compare", str(ROOT / "examples/economics/apparel_hoodie.yaml"), "--svg", str(svg),
                                   "--json"])
    assert res.exit_code == 0, res.output
    view = _json(res.output)
    assert view["local"]["lead_time_days"] < view["offshore"]["lead_time_days"]
    assert "closed_form" in view["break_even"] and len(view["curve"]) == 30
    assert svg.read_text().startswith("<svg")


def test_cli_design_on_the_berlin_folder_checks_the_new_site_in_the_simulator(tmp_path: Path) -> None:
    """design CANDIDATES DIR opens the cheap partner and reports both simulations side by side."""
    cands = tmp_path / "candidates.yaml"
    cands.write_text(yaml.safe_dump({"settings": FAST, "candidates": [PANKOW]}))
    res = CliRunner().invoke(app, ["design", str(cands), str(BERLIN), "--json"])
    assert res.exit_code == 0, res.output
    view = _json(res.output)
    assert view["new_sites"] == ["mf-pankow"] and view["design"]["status"] == "optimal"
    kpis = {r["kpi"] for r in view["simulation"]["side_by_side"]}
    assert {"on_time_rate", "total_cost_per_order", "lead_time_p90_days"} <= kpis
    table = CliRunner().invoke(app, ["design", str(cands), str(BERLIN)])
    assert table.exit_code == 0 and "simulation check" in table.output


def test_cli_design_reports_a_bad_candidates_file_with_its_line(tmp_path: Path) -> None:
    """A candidate without a location exits with an input error naming FILE:LINE."""
    cands = tmp_path / "candidates.yaml"
    cands.write_text("candidates:\n  - id: x\n    fixed_cost_per_week: 1\n")
    res = CliRunner().invoke(app, ["design", str(cands), str(BERLIN)])
    assert res.exit_code != 0 and f"{cands}:2" in res.output


def test_cli_design_from_the_store_without_the_check(loaded: Container, tmp_path: Path) -> None:
    """With --db the stored order history is the demand; --no-check skips the simulation."""
    cands = tmp_path / "candidates.yaml"
    cands.write_text(yaml.safe_dump({"settings": FAST, "candidates": [PANKOW]}))
    res = CliRunner().invoke(app, ["design", str(cands), "--db", loaded.settings.database_url, "--no-check", "--json"])
    assert res.exit_code == 0, res.output
    view = _json(res.output)
    assert view["demand"]["orders"] == 240 and view["simulation"] is None
    assert view["recommendation"].endswith("(not checked in the simulator)")


def test_api_network_design_runs_on_the_stored_history_and_validates_input(loaded: Container) -> None:
    """POST /v1/network-design answers with the design and its check; bad candidates and long runs are 422."""
    client = TestClient(create_app(loaded))
    ok = client.post("/v1/network-design", json={"candidates": [PANKOW], "settings": FAST})
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["new_sites"] == ["mf-pankow"] and body["simulation"]["days"] == 3
    assert body["design"]["runtime_s"] >= 0 and body["design"]["bound"] is not None
    bad = client.post("/v1/network-design", json={"candidates": [{**PANKOW, "capacity_units_per_week": -1}]})
    assert bad.status_code == 422 and bad.json()["field"] == "candidates.0.capacity_units_per_week"
    long = client.post("/v1/network-design", json={"candidates": [PANKOW], "settings": {"sim_days": 400}})
    assert long.status_code == 422 and long.json()["field"] == "settings"


def test_api_simulation_bounds_its_days(loaded: Container) -> None:
    """A 2-day simulation runs; 367 days is refused with 422 before anything is simulated."""
    client = TestClient(create_app(loaded))
    scenario = {"network": str(BERLIN), "days": 2, "seed": 1, "demand": {"orders_per_day": 4, "due_days": [3]},
                "planning": {"routing_policy": "greedy"}}
    ok = client.post("/v1/simulations", json={"scenario": scenario})
    assert ok.status_code == 200 and ok.json()["days"] == 2 and ok.json()["kpis"]["orders"] >= 0
    too_long = client.post("/v1/simulations", json={"scenario": {**scenario, "days": 367}})
    assert too_long.status_code == 422 and too_long.json()["field"] == "scenario.days"
    bad = client.post("/v1/simulations", json={"scenario": {**scenario, "colour": "red"}})
    assert bad.status_code == 422
