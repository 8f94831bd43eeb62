"""The deliveries and returns commands: a same-day plan on the example folder, and the stored flow."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from typer.testing import CliRunner

from microfactory.bootstrap import Settings, bootstrap
from microfactory.domain.geo import Location
from microfactory.engines.delivery import DeliveryProblem, DeliveryStop, VehicleType, check_routes
from microfactory.entrypoints.cli.main import app
from microfactory.services.clock import FixedClock
from microfactory.services.fulfillment_sameday import solution_from_dict
from tests.conftest import EXAMPLE, NOW
from tests.integration.fulfillment_support import add_order, advance, network_only

runner = CliRunner()


def _problem(view: dict) -> DeliveryProblem:  # type: ignore[type-arg]
    stops = tuple(DeliveryStop(s["id"], s["order_id"], Location(**s["location"]), s["demand"], s["earliest"],
                               s["latest"], s["service_minutes"]) for s in view["problem"]["stops"])
    depot = view["problem"]["depot"]
    return DeliveryProblem(Location(depot["lat"], depot["lon"]), stops,
                           tuple(VehicleType(**v) for v in view["problem"]["vehicle_types"]),
                           view["problem"]["road_factor"], depot["id"])


def test_plan_on_the_example_writes_json_and_a_map(tmp_path: Path) -> None:
    """`deliveries plan examples/berlin --site mf-kreuzberg --date 2026-12-02 --json --map` gives checked routes and an SVG."""
    out = tmp_path / "out.svg"
    result = runner.invoke(app, ["deliveries", "plan", str(EXAMPLE), "--site", "mf-kreuzberg", "--date", "2026-12-02",
                                 "--json", "--map", str(out), "--time-limit", "1"])
    assert result.exit_code == 0, result.output
    view = json.loads(result.stdout)
    assert view["violations"] == [] and view["stops"] >= 1 and view["status"] == "feasible"
    assert sum(len(r["stops"]) for r in view["routes"]) + len(view["unserved"]) == view["stops"]
    assert all(r["cost"] > 0 and r["distance_km"] > 0 and r["stops"][0]["arrives"] for r in view["routes"])
    assert ET.fromstring(out.read_text()).tag.endswith("svg")
    bad = runner.invoke(app, ["deliveries", "plan", str(EXAMPLE), "--site", "mf-kreuzberg", "--date", "soon"])
    assert bad.exit_code == 2


def test_stored_flow_dispatch_ship_track_and_return(tmp_path: Path) -> None:
    """Dispatch stores a checked plan; ship and track move a parcel order; a return is authorised and restocked
    (SQLite only: the services run on both backends in test_fulfillment_services)."""
    container = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'cli.db'}"), clock=FixedClock(NOW))
    network_only(container)
    with container.uow() as uow:
        add_order(uow, "s1", delivery="same_day")
        advance(uow, "s1")
        add_order(uow, "p1")
        advance(uow, "p1")
        uow.commit()
    db = ["--db", str(container.engine.url.render_as_string(hide_password=False))]
    cdir = ["--carrier-dir", str(tmp_path / "filex")]
    plan = runner.invoke(app, ["deliveries", "dispatch", "--site", "mf-kreuzberg", "--date", "2026-12-01", "--json",
                               "--time-limit", "1", *db])
    assert plan.exit_code == 0, plan.output
    with container.uow() as uow:
        stored = uow.fulfillment.get_delivery_plan(json.loads(plan.stdout)["plan_id"])
    assert check_routes(_problem(stored), solution_from_dict(stored["solution"])) == []
    options = runner.invoke(app, ["deliveries", "options", "p1", "--json", *cdir, *db])
    assert options.exit_code == 0 and json.loads(options.stdout)["site"] == "mf-kreuzberg"
    shipped = json.loads(runner.invoke(app, ["deliveries", "ship", "p1", "--json", *cdir, *db]).stdout)
    (tmp_path / "filex" / "inbox").mkdir(parents=True)
    (tmp_path / "filex" / "inbox" / "a.csv").write_text(
        f"tracking_number,status,at,location,note\n{shipped['tracking']},delivered,2026-12-02T10:00:00,,\n")
    tracked = json.loads(runner.invoke(app, ["deliveries", "track", "--json", *cdir, *db]).stdout)
    assert [c["new"] for c in tracked["changed"]] == ["delivered"]
    rma = json.loads(runner.invoke(app, ["returns", "authorise", "p1", "p1-1", "--reason", "changed_mind",
                                         "--json", *db]).stdout)
    done = runner.invoke(app, ["returns", "receive", rma["id"], "--store", "st-mitte", "--json", *db])
    assert json.loads(done.stdout)["status"] == "restocked"
    kpis = json.loads(runner.invoke(app, ["returns", "kpis", "--json", *db]).stdout)
    assert kpis["returned"] == 1
    missing = runner.invoke(app, ["returns", "receive", "RMA-NONE", *db])
    assert missing.exit_code == 4
