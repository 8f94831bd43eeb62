"""Planning over HTTP and the CLI: schedule, SVG, events, bottlenecks, roles; `plan DIR` and `plan --db`."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from microfactory.bootstrap import Container
from microfactory.entrypoints.api.app import create_app
from microfactory.entrypoints.cli.main import app as cli
from microfactory.services import auth
from tests.conftest import EXAMPLE, NOW
from tests.integration.test_planning_store import SITE, route_lines

PLAN = {"time_limit_s": 0.4}


def _token(c: Container, role: str, **kw: str) -> dict[str, str]:
    with c.uow() as uow:
        secret, _ = auth.create_token(uow, name=f"p-{role}-{kw}", role=role, now=NOW, **kw)  # type: ignore[arg-type]
        uow.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_plan_schedule_svg_event_and_bottlenecks_over_http(loaded: Container) -> None:
    """POST plan, GET schedule (work orders, gantt), GET svg, POST machine_down (moves), GET bottlenecks."""
    route_lines(loaded, 6)
    client = TestClient(create_app(loaded))
    r = client.post(f"/v1/sites/{SITE}/plan", json=PLAN, headers={"Idempotency-Key": "p1"})
    assert r.status_code == 201, r.text
    plan = r.json()
    assert plan["status"] in ("optimal", "feasible") and plan["new_batches"]
    again = client.post(f"/v1/sites/{SITE}/plan", json=PLAN, headers={"Idempotency-Key": "p1"}).json()
    assert again["plan_id"] == plan["plan_id"]
    sched = client.get(f"/v1/sites/{SITE}/schedule").json()
    assert sched["plan"]["id"] == plan["plan_id"] and len(sched["work_orders"]) == plan["operations"]
    assert {"resource", "unit", "worker", "start", "end"} <= set(sched["work_orders"][0])
    rows = {(r["resource"], r["unit"]) for r in sched["gantt"]["rows"] if r["ops"]}
    assert rows == {(o["resource"], o["unit"]) for o in sched["work_orders"]}
    svg = client.get(f"/v1/sites/{SITE}/schedule.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.startswith("<svg")
    first = min(o["start"] for o in sched["work_orders"])
    body = {"kind": "machine_down", "resource": "kb-cutter", "from": first, "to": (NOW + timedelta(days=3)).isoformat(),
            "time_limit_s": 0.4}
    ev = client.post(f"/v1/sites/{SITE}/events", json=body)
    assert ev.status_code == 200, ev.text
    assert ev.json()["moved"] == len(ev.json()["moves"]) and ev.json()["event"]["kind"] == "machine_down"
    bn = client.get(f"/v1/sites/{SITE}/bottlenecks", params={"time_limit_s": 0.3, "top": 1}).json()
    assert bn["plan_id"] == ev.json()["plan_id"] and bn["limiting"]["utilisation"] > 0
    assert {r["kind"] for r in bn["loads"]} == {"resource", "process", "skill"}


def test_unknown_site_and_missing_plan_are_404(loaded: Container) -> None:
    """A site that does not exist, or has no plan yet, answers 404; a bad event kind 422."""
    client = TestClient(create_app(loaded))
    assert client.get("/v1/sites/nowhere/schedule").status_code == 404
    assert client.get(f"/v1/sites/{SITE}/schedule").status_code == 404
    assert client.post(f"/v1/sites/{SITE}/events", json={"kind": "flood"}).status_code == 422


def test_site_operator_sees_only_its_schedule_and_brands_none(loaded: Container) -> None:
    """An operator of Kreuzberg reads and changes its schedule; another site's operator and a brand get 403."""
    route_lines(loaded, 4)
    secured = Container(replace(loaded.settings, require_auth=True), loaded.engine, loaded.clock)
    client = TestClient(create_app(secured))
    own = _token(secured, "site_operator", site=SITE)
    other = _token(secured, "site_operator", site="mf-wedding")
    brand = _token(secured, "brand", brand="kiez")
    assert client.post(f"/v1/sites/{SITE}/plan", json=PLAN, headers=other).status_code == 403
    assert client.post(f"/v1/sites/{SITE}/plan", json=PLAN, headers=own).status_code == 201
    assert client.get(f"/v1/sites/{SITE}/schedule", headers=own).status_code == 200
    for headers in (other, brand):
        assert client.get(f"/v1/sites/{SITE}/schedule", headers=headers).status_code == 403
        assert client.get(f"/v1/sites/{SITE}/schedule.svg", headers=headers).status_code == 403
        assert client.get(f"/v1/sites/{SITE}/bottlenecks", headers=headers).status_code == 403
        r = client.post(f"/v1/sites/{SITE}/events", headers=headers,
                        json={"kind": "worker_absent", "worker": "kb-w1", "from": NOW.isoformat(),
                              "to": (NOW + timedelta(hours=3)).isoformat()})
        assert r.status_code == 403
    assert client.get(f"/v1/sites/{SITE}/schedule").status_code == 401


def test_cli_plans_a_folder_with_json_and_gantt(tmp_path: Path) -> None:
    """`plan examples/berlin --site mf-kreuzberg --json --gantt out.svg` routes, plans and writes the chart."""
    out = tmp_path / "out.svg"
    r = CliRunner().invoke(cli, ["plan", str(EXAMPLE), "--site", SITE, "--json", "--gantt", str(out),
                                 "--time-limit", "0.4"])
    assert r.exit_code == 0, r.output
    view = json.loads(r.stdout)
    assert view["site_id"] == SITE and view["status"] in ("optimal", "feasible") and view["batches"] > 0
    assert len(view["work_orders"]) == view["operations"] and view["seed"] == 0
    assert out.read_text(encoding="utf-8").startswith("<svg")


def test_cli_plans_the_store_then_an_event_and_bottlenecks(loaded: Container, tmp_path: Path) -> None:
    """`plan --db URL --site S`, then `plan event worker_absent`, then `plan bottlenecks` and `plan show`."""
    route_lines(loaded, 4)
    db = loaded.settings.database_url
    runner = CliRunner()
    at = ["--now", NOW.isoformat()]
    r = runner.invoke(cli, ["plan", "--db", db, "--site", SITE, "--time-limit", "0.4", "--json", *at,
                            "--gantt", str(tmp_path / "g.svg")])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["plan_id"] and (tmp_path / "g.svg").exists()
    r = runner.invoke(cli, ["plan", "event", "worker_absent", "--db", db, "--site", SITE, "--worker", "kb-w2",
                            "--from", NOW.isoformat(), "--to", (NOW + timedelta(days=1)).isoformat(),
                            "--time-limit", "0.4", "--json", *at])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["event"]["worker"] == "kb-w2"
    r = runner.invoke(cli, ["plan", "bottlenecks", "--db", db, "--site", SITE, "--time-limit", "0.3", "--top", "1", *at])
    assert r.exit_code == 0, r.output
    assert "limiting" in r.stdout
    r = runner.invoke(cli, ["plan", "show", "--db", db, "--site", SITE])
    assert r.exit_code == 0 and "work orders" in r.stdout
    r = runner.invoke(cli, ["plan", "event", "--db", db, "--site", SITE])
    assert r.exit_code != 0
