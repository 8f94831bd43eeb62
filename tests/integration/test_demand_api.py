"""Demand-program API: campaign errors with code and field, public page, run isolation over HTTP, CLI smoke."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from microfactory.bootstrap import Container
from microfactory.entrypoints.api.app import create_app
from microfactory.entrypoints.cli.main import app as cli
from tests.integration.demand_support import load_berlin

BODY = {"brand": "kiez", "name": "Winter capsule", "id": "CMP-API",
        "variants": [{"product": "kiez-jean", "options": {"size": "32", "fabric": "denim-12oz"}}],
        "deadline": "2026-12-10T00:00:00", "time_zone": "Europe/Berlin", "unit_price": 120.0,
        "sites": ["mf-kreuzberg"], "window_start": "2026-12-10", "window_end": "2026-12-18", "minimum_total": 2}


@pytest.fixture
def berlin(container: Container) -> Container:
    """The Berlin network, catalog and opening stock (no orders)."""
    return load_berlin(container)


def test_campaign_over_http_refusals_carry_code_and_field(berlin: Container) -> None:
    """Open, pledge, refuse past the cap with 409 capacity_exceeded on quantity, public page without pledgers."""
    client = TestClient(create_app(berlin))
    opened = client.post("/v1/campaigns", json=BODY, headers={"Idempotency-Key": "k1"})
    assert opened.status_code == 201, opened.text
    cap = opened.json()["cap"]
    ok = client.post("/v1/campaigns/CMP-API/pledges", json={"sku": "KIEZ-JEAN-32-DENIM12OZ-NONE", "quantity": 2,
                                                             "customer_ref": "alice@example.com"})
    assert ok.status_code == 201, ok.text
    over = client.post("/v1/campaigns/CMP-API/pledges", json={"sku": "KIEZ-JEAN-32-DENIM12OZ-NONE", "quantity": cap})
    assert over.status_code == 409
    assert over.json()["code"] == "capacity_exceeded" and over.json()["field"] == "quantity"
    bad = client.post("/v1/campaigns/CMP-API/pledges", json={"sku": "NOPE", "quantity": 1})
    assert bad.status_code == 422 and bad.json()["field"] == "sku"
    public = client.get("/v1/campaigns/CMP-API/public").json()
    assert public["units"] == 2 and public["remaining_cap"] == cap - 2 and "alice" not in str(public)
    assert client.post("/v1/campaigns/CMP-API/close").json()["status"] == "closed"


def test_run_of_another_brand_is_404_over_http(berlin: Container) -> None:
    """A brand without a line in a run cannot see it."""
    client = TestClient(create_app(berlin))
    made = client.post("/v1/runs", json={"site": "mf-kreuzberg", "setup_key": "x", "min_batch": 5,
                                         "deadline": "2026-12-05T00:00:00", "fixed_cost": 50, "id": "R9"})
    assert made.status_code == 201, made.text
    assert client.get("/v1/runs/R9", params={"brand": "spree"}).status_code == 404
    assert client.get("/v1/runs/R9").status_code == 200


def test_cli_replenish_plan_and_purchasing_plan_print_json(berlin: Container) -> None:
    """The CLI groups run against a database and print JSON."""
    url = str(berlin.engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    res = runner.invoke(cli, ["replenish", "policy", "--store", "st-mitte", "--product", "spree-tote",
                              "--options", "design=wave", "--demand", "4", "--sd", "2", "--lead-time", "4",
                              "--db", url, "--json"])
    assert res.exit_code == 0, res.output
    plan = runner.invoke(cli, ["replenish", "plan", "--all", "--db", url, "--json"])
    assert plan.exit_code == 0 and '"quantity": 51' in plan.output
    pur = runner.invoke(cli, ["purchasing", "plan", "--db", url, "--json"])
    assert pur.exit_code == 0 and '"suggestions"' in pur.output
