"""Economics through the service, API and CLI on the stored Berlin example."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from microfactory.bootstrap import Container
from microfactory.entrypoints.api.app import create_app
from microfactory.services import economics as eco

JEAN = {"size": "32", "fabric": "denim-12oz"}
ROOT = Path(__file__).resolve().parents[2]


def test_unit_cost_parts_add_up_and_setup_spreads_over_the_batch(loaded: Container) -> None:
    """The breakdown sums to the total, and setup per unit x batch is the same setup cost at 1 and 10."""
    with loaded.uow() as uow:
        one = eco.unit_cost_view(uow, "kiez-jean", JEAN, "mf-kreuzberg", 1)
        ten = eco.unit_cost_view(uow, "kiez-jean", JEAN, "mf-kreuzberg", 10)
    b = ten["breakdown"]
    parts = sum(b[k] for k in ("materials", "staff", "machine", "setup", "overhead", "logistics", "carbon"))
    assert abs(parts - b["total"]) < 1e-4
    assert abs(one["breakdown"]["setup"] - 10 * b["setup"]) < 1e-4
    assert abs(b["setup"] * 10 - ten["rates"]["setup_cost"]) < 1e-3
    assert abs(b["overhead"] - 0.25 * (b["staff"] + b["machine"] + b["setup"])) < 1e-4


def test_kpis_on_a_store_without_deliveries_are_empty_not_errors(loaded: Container) -> None:
    """With orders but no deliveries, returns or work yet, KPIs count orders and leave rates empty."""
    with loaded.uow() as uow:
        view = eco.kpis_view(uow)
    assert view["orders"] == 240 and view["delivered"] == 0 and view["on_time_rate"] is None


def test_api_unit_cost_kpis_and_typed_errors(loaded: Container) -> None:
    """The endpoints answer, the CSV has a header, and unknown sites or bad periods are typed errors."""
    client = TestClient(create_app(loaded))
    ok = client.get("/v1/costing/unit-cost", params={"product": "kiez-jean", "site": "mf-kreuzberg", "batch": 5,
                                                      "options": "size=32;fabric=denim-12oz"})
    assert ok.status_code == 200 and ok.json()["batch_units"] == 5
    missing = client.get("/v1/costing/unit-cost", params={"product": "kiez-jean", "site": "nowhere",
                                                           "options": "size=32;fabric=denim-12oz"})
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    bad = client.get("/v1/kpis", params={"from": "2026-12-02T00:00:00", "to": "2026-12-01T00:00:00"})
    assert bad.status_code == 422 and bad.json()["field"] == "to"
    assert client.get("/v1/kpis.csv").text.startswith("kpi,key,value")


def test_api_quotes_are_ranked(loaded: Container) -> None:
    """A quote request returns ranked quotes from sites that can make the variant."""
    client = TestClient(create_app(loaded))
    r = client.post("/v1/quotes", json={"product": "kiez-jean", "options": JEAN, "qty": 10, "due": "2026-12-20"},
                    headers={"Idempotency-Key": "q1"})
    assert r.status_code == 200
    ranks = [q["rank"] for q in r.json()["quotes"]]
    assert ranks == list(range(1, len(ranks) + 1)) and ranks


def test_cli_simulate_tiny_example_prints_json() -> None:
    """``microfactory simulate examples/simulations/tiny.yaml --days 3 --json`` prints the KPIs."""
    import json

    from microfactory.entrypoints.cli.main import app

    result = CliRunner().invoke(app, ["simulate", str(ROOT / "examples/simulations/tiny.yaml"), "--days", "3",
                                      "--seed", "2", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output[result.output.index("{"):])
    assert data["days"] == 3 and data["kpis"]["orders"] > 0
