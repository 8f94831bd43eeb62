"""``microfactory route`` on a scenario folder and on the stored state; ``route explain``; ``sites-status``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from microfactory.bootstrap import Container
from microfactory.entrypoints.cli.main import app
from tests.conftest import EXAMPLE

runner = CliRunner()


def _small_example(tmp_path: Path, orders: int = 30) -> Path:
    """The Berlin example with its first ``orders`` orders (a quick solve)."""
    folder = tmp_path / "berlin-small"
    shutil.copytree(EXAMPLE, folder)
    rows = (EXAMPLE / "orders.csv").read_text().splitlines()
    keep = {r.split(",")[0] for r in rows[1:]}
    first = sorted(keep)[:orders]
    (folder / "orders.csv").write_text("\n".join([rows[0]] + [r for r in rows[1:] if r.split(",")[0] in first]) + "\n")
    return folder


def test_route_folder_assigns_or_explains_every_line_and_beats_greedy(tmp_path: Path) -> None:
    """Every line of the folder has a site or a reason; the optimal cost is at most the greedy cost."""
    folder = _small_example(tmp_path)
    res = runner.invoke(app, ["route", str(folder), "--time-limit", "5", "--json"])
    assert res.exit_code == 0, res.output
    view = json.loads(res.output)
    assert view["lines"] == len(view["items"]) > 30
    assert all(i["site_id"] or i["reason"] for i in view["items"])
    assert view["status"] in ("optimal", "feasible") and view["bound"] is not None
    assert view["objective"] <= view["greedy"]["objective"] + 1e-6
    table = runner.invoke(app, ["route", str(folder), "--policy", "greedy"])
    assert table.exit_code == 0 and "status feasible" in table.output


def test_route_folder_rules_file_errors_and_bad_policy(tmp_path: Path) -> None:
    """A bad rules.yaml stops with FILE:LINE (exit 3); an unknown policy is invalid input (exit 2)."""
    folder = _small_example(tmp_path, 5)
    (folder / "rules.yaml").write_text("rules:\n  - site: mf-atlantis\n")
    res = runner.invoke(app, ["route", str(folder)])
    assert res.exit_code == 3 and "rules.yaml:2:" in res.output
    (folder / "rules.yaml").write_text("mode: hard\nrules:\n  - {site: mf-wedding, fallback: mf-spandau-ondemand}\n")
    ok = runner.invoke(app, ["route", str(folder), "--policy", "rules", "--json"])
    assert ok.exit_code == 0, ok.output
    assert {i["site_id"] for i in json.loads(ok.output)["items"]} <= {"mf-wedding", "mf-spandau-ondemand", None}
    assert runner.invoke(app, ["route", str(folder), "--policy", "cheapest"]).exit_code == 2


def test_route_stored_explain_and_site_status(loaded: Container) -> None:
    """route --db stores a run; route explain shows the line; sites-status down re-routes; unknown site exits 4."""
    db = loaded.settings.database_url
    res = runner.invoke(app, ["route", "--db", db, "--policy", "greedy", "--brand", "spree", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["assigned"] > 0
    exp = runner.invoke(app, ["route", "explain", "BER-000002-1", "--db", db, "--json"])
    assert exp.exit_code == 0 and json.loads(exp.output)["site_id"]
    assert runner.invoke(app, ["route", "explain", "BER-000002-1", "--db", db]).exit_code == 0
    down = runner.invoke(app, ["sites-status", "mf-neukoelln", "down", "--reason", "test", "--db", db, "--json"])
    assert down.exit_code == 0, down.output
    assert json.loads(down.output)["status"] == "down"
    assert runner.invoke(app, ["sites-status", "mf-nowhere", "down", "--db", db]).exit_code == 4
