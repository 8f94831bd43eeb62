"""The `microfactory` command line, end to end on a real database."""

from __future__ import annotations

import json
import shutil
from datetime import UTC
from pathlib import Path

from typer.testing import CliRunner

from microfactory.entrypoints.cli.main import app
from tests.conftest import EXAMPLE

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_validate_accepts_the_example() -> None:
    """`validate` on the Berlin example reports it valid with its counts."""
    code, out, _ = run("validate", str(EXAMPLE), "--json")
    assert code == 0
    assert json.loads(out) == {"valid": True, "sites": 8, "products": 8, "orders": 240, "lines": 295, "stock_rows": 45}


def test_validate_names_the_broken_line(tmp_path: Path) -> None:
    """`validate` on a broken file prints FILE:LINE and exits with the invalid-file code."""
    folder = tmp_path / "s"
    shutil.copytree(EXAMPLE, folder)
    text = (folder / "network.yaml").read_text().replace("kind: microfactory\n    operator: partner", "kind: factory\n    operator: partner")
    (folder / "network.yaml").write_text(text)
    line = text.splitlines().index("    kind: factory") + 1
    code, _, err = run("validate", str(folder))
    assert code == 3
    assert f"{folder / 'network.yaml'}:{line}: sites[1].kind: 'factory' is not one of" in err.replace("\n", "")


def test_schema_prints_json_schema() -> None:
    """`schema orders` prints a JSON Schema; an unknown name exits 2."""
    code, out, _ = run("schema", "orders")
    assert code == 0 and json.loads(out)["title"].startswith("microfactory orders.csv")
    assert run("schema", "nope")[0] == 2


def test_load_import_and_list_orders(tmp_path: Path) -> None:
    """`load` then `orders import` (idempotent) then `orders list --json` with a cursor."""
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    assert run("init", "--db", db)[0] == 0
    code, out, _ = run("load", str(EXAMPLE), "--db", db, "--no-orders", "--json")
    assert code == 0 and json.loads(out)["orders_created"] == 0
    code, out, _ = run("orders", "import", str(EXAMPLE / "orders.csv"), "--db", db, "--json")
    assert code == 0 and json.loads(out) == {"created": 240, "skipped": 0}
    code, out, _ = run("orders", "import", str(EXAMPLE / "orders.csv"), "--db", db, "--json")
    assert json.loads(out) == {"created": 0, "skipped": 240}
    code, out, _ = run("orders", "list", "--db", db, "--limit", "5", "--brand", "kiez", "--json")
    page = json.loads(out)
    assert code == 0 and len(page["items"]) == 5 and all(o["brand"] == "kiez" for o in page["items"])
    code, out, _ = run("orders", "show", page["items"][0]["id"], "--db", db, "--json")
    assert code == 0 and json.loads(out)["events"][0]["kind"] == "created"
    assert run("orders", "show", "NOPE", "--db", db)[0] == 4


def test_load_with_demand_stores_policies_and_campaigns(tmp_path: Path) -> None:
    """`load --demand` stores policies.yaml and opens campaigns.yaml (none here); a broken
    policies.yaml is refused with FILE:LINE after the scenario itself was stored."""
    folder = tmp_path / "s"
    shutil.copytree(EXAMPLE, folder)
    (folder / "campaigns.yaml").unlink()
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    code, out, _ = run("load", str(folder), "--db", db, "--no-orders", "--demand", "--json")
    summary = json.loads(out)
    assert code == 0 and summary["stock_policies"] == 5 and summary["campaigns_opened"] == 0
    text = (folder / "policies.yaml").read_text().replace("kind: made_to_order", "kind: sometimes")
    (folder / "policies.yaml").write_text(text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "kind: sometimes" in row)
    code, _, err = run("load", str(folder), "--db", db, "--no-orders", "--demand")
    assert code == 3 and f"{folder / 'policies.yaml'}:{line}:" in err.replace("\n", "")


def test_bom_explodes_a_variant(tmp_path: Path) -> None:
    """`bom` prints the exploded BOM of a made-to-measure variant."""
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    run("load", str(EXAMPLE), "--db", db, "--no-orders")
    code, out, _ = run("bom", "kiez-jean", "--options", "size=36;fabric=denim-organic;monogram=initials", "--db", db, "--json")
    view = json.loads(out)
    assert code == 0 and view["sku"] == "KIEZ-JEAN-36-DENIMORGANIC-INITIALS"
    assert view["materials"][0]["qty"] == 1.54 and "embroidery" in [o["process"] for o in view["operations"]]
    assert run("bom", "kiez-jean", "--options", "size=99;fabric=denim-organic", "--db", db)[0] == 2


def test_generate_writes_a_valid_reproducible_scenario(tmp_path: Path) -> None:
    """`generate` writes a scenario that validates, byte-identical for the same seed."""
    for name in ("a", "b"):
        code, out, _ = run("generate", str(tmp_path / name), "--sites", "12", "--orders", "300", "--seed", "7", "--json")
        assert code == 0 and json.loads(out)["orders"] == 300
    for f in ("network.yaml", "catalog.yaml", "orders.csv"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
    assert run("validate", str(tmp_path / "a"))[0] == 0


def test_demo_loads_the_example_without_serving(tmp_path: Path) -> None:
    """`demo --no-serve` initialises and loads the example; running it twice creates nothing new."""
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    code, out, _ = run("demo", "--db", db, "--no-serve")
    assert code == 0 and "240 new orders" in out
    code, out, _ = run("demo", "--db", db, "--no-serve")
    assert "0 new orders (240 already there)" in " ".join(out.split())
    assert "stock policies: 5" in out


def test_demo_opens_the_example_campaign_or_says_why_not(tmp_path: Path) -> None:
    """The demo opens campaigns.yaml on the wall clock: before the example's deadline the capsule is
    opened once; after it, the demo still runs and names the reason."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    db = f"sqlite:///{tmp_path / 'demo.db'}"
    code, out, _ = run("demo", "--db", db, "--no-serve")
    flat = " ".join(out.split())
    assert code == 0
    deadline = datetime(2026, 12, 12, 23, 59, tzinfo=ZoneInfo("Europe/Berlin"))
    if datetime.now(UTC) < deadline:
        assert "campaigns: 1 opened, 0 already there" in flat
        code, out, _ = run("demo", "--db", db, "--no-serve")
        assert "campaigns: 0 opened, 1 already there" in " ".join(out.split())
    else:
        assert "campaigns.yaml not loaded: the deadline must be in the future" in flat
