"""Batches and quality over the REST API and the `qc` commands."""

from __future__ import annotations

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from microfactory.bootstrap import Container
from microfactory.entrypoints.api.app import create_app
from microfactory.entrypoints.cli.main import app as cli
from tests.integration.qt_support import make_batch


def test_api_runs_a_batch_from_start_to_rejection_and_reports_quality(loaded: Container) -> None:
    """Start, finish, inspect (rejected, reworked), list and get the batch; states, charts, alerts, plan."""
    batch = make_batch(loaded)
    client = TestClient(create_app(loaded))
    started = client.post(f"/v1/batches/{batch.id}/start", headers={"Idempotency-Key": "s-1"})
    assert started.status_code == 200 and started.json()["batch"]["status"] == "in_production"
    again = client.post(f"/v1/batches/{batch.id}/start", headers={"Idempotency-Key": "s-1"})
    assert again.json() == started.json()  # replayed, not started twice
    assert client.post(f"/v1/batches/{batch.id}/start").status_code == 409
    assert client.post(f"/v1/batches/{batch.id}/finish").json()["status"] == "inspection"
    body = {"inspector": "qc-1", "defects": [{"class": "major", "type": "seam", "count": 1}]}
    r = client.post(f"/v1/batches/{batch.id}/inspections", json=body)
    assert r.status_code == 201 and r.json()["decision"] == "reject"
    assert r.json()["disposition"]["action"] == "rework"
    bad = client.post(f"/v1/batches/{batch.id}/inspections", json={"inspector": "x", "defects": [{"class": "odd",
                                                                                                  "type": "seam"}]})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_input"
    detail = client.get(f"/v1/batches/{batch.id}").json()
    assert detail["status"] == "in_production" and detail["inspections"][0]["decision"] == "reject"
    assert detail["trace_events"] == 3 and detail["consumption"]
    assert [b["id"] for b in client.get("/v1/batches", params={"site": "mf-kreuzberg"}).json()["items"]] == [batch.id]
    assert client.get("/v1/batches/NOPE").status_code == 404
    state = client.get("/v1/quality/states").json()["items"][0]
    assert state["severity"] == "normal" and state["normal_window"] == [False]
    chart = client.get("/v1/quality/charts", params={"site": "mf-kreuzberg", "family": "denim-bottoms"}).json()
    assert chart["points"][0]["p"] == 0.2 and chart["score"]["batches"] == 1
    assert client.get("/v1/quality/alerts").json()["items"] == []
    plan = client.get("/v1/quality/plan", params={"lot": 500, "aql": "2.5"}).json()
    assert (plan["code_letter"], plan["n"], plan["ac"], plan["re"]) == ("H", 50, 3, 4)


def test_qc_commands_plan_inspect_state_and_drift(loaded: Container) -> None:
    """`qc plan` needs no database; `qc inspect`, `qc state` and `qc drift` read and write the store."""
    runner = CliRunner()
    res = runner.invoke(cli, ["qc", "plan", "--lot", "500", "--aql", "2.5", "--level", "II", "--json"])
    assert res.exit_code == 0 and '"n": 50' in res.output
    tight = runner.invoke(cli, ["qc", "plan", "--lot", "500", "--aql", "2.5", "--severity", "tightened", "--json"])
    assert '"ac": 2' in tight.output
    batch = make_batch(loaded, count=1)
    url = loaded.settings.database_url
    client = TestClient(create_app(loaded))
    client.post(f"/v1/batches/{batch.id}/start")
    client.post(f"/v1/batches/{batch.id}/finish")
    res = runner.invoke(cli, ["qc", "inspect", batch.id, "--inspector", "qc-1", "--db", url, "--json"])
    assert res.exit_code == 0 and '"decision": "accept"' in res.output
    again = runner.invoke(cli, ["qc", "inspect", batch.id, "--inspector", "qc-1", "--db", url])
    assert again.exit_code != 0 and "not waiting for inspection" in again.output
    state = runner.invoke(cli, ["qc", "state", "--db", url, "--json"])
    assert '"lots_seen": 1' in state.output
    drift = runner.invoke(cli, ["qc", "drift", "--db", url, "--json"])
    assert drift.exit_code == 0 and '"scores"' in drift.output
    wrong = runner.invoke(cli, ["qc", "inspect", batch.id, "--inspector", "q", "--defect", "major", "--db", url])
    assert wrong.exit_code != 0
