"""campaigns.yaml and policies.yaml: the Berlin examples load; bad inputs are reported as FILE:LINE."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from microfactory.bootstrap import Container
from microfactory.entrypoints.cli.main import app as cli
from microfactory.errors import FileError
from microfactory.services.demand_files import load_campaigns, load_policies
from tests.integration.demand_support import NOW, load_berlin

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "berlin"


@pytest.fixture
def berlin(container: Container) -> Container:
    """The Berlin network, catalog and opening stock (no orders)."""
    return load_berlin(container)


def _folder(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / name).write_text(text)
    return tmp_path


def test_berlin_campaigns_and_policies_load(berlin: Container) -> None:
    """The example capsule opens with a held cap on its two sites; five policies are stored; reloading skips."""
    with berlin.uow() as uow:
        camps = load_campaigns(uow, EXAMPLE, now=NOW, actor="test")
        pols = load_policies(uow, EXAMPLE, now=NOW, actor="test")
        uow.commit()
        again = load_campaigns(uow, EXAMPLE, now=NOW, actor="test")
        row = uow.demand.get_campaign("CMP-NORDLICHT-WINTER")
        stored = uow.demand.list_policies()
    [opened] = camps["opened"]
    assert opened["id"] == "CMP-NORDLICHT-WINTER" and opened["cap"] == 150
    assert row["spec"]["sites"] == ["mf-kreuzberg", "mf-wedding"] and row["cap_detail"]["held_minutes"] > 0
    assert again == {"file": camps["file"], "opened": [], "skipped": ["CMP-NORDLICHT-WINTER"]}
    assert len(pols["policies"]) == len(stored) == 5
    mitte = [p for p in stored if p["store_id"] == "st-mitte"]
    assert len(mitte) == 2 and all(p["kind"] == "stocked" and p["order_up_to"] > p["reorder_point"] > 0
                                   for p in mitte)


def test_schema_errors_name_the_file_and_line(berlin: Container, tmp_path: Path) -> None:
    """An unknown field on line 5 and a bad payment on line 6 are both reported at their lines."""
    text = ("campaigns:\n"
            "  - id: C1\n"
            "    brand: nordlicht\n"
            "    name: x\n"
            "    colour: red\n"
            "    payment: cash\n"
            "    variants: [{product: nordlicht-dress}]\n"
            "    deadline: '2026-12-12T10:00'\n"
            "    time_zone: Europe/Berlin\n"
            "    unit_price: 10\n"
            "    sites: [mf-kreuzberg]\n"
            "    window: {start: '2026-12-14', end: '2026-12-20'}\n")
    folder = _folder(tmp_path, "campaigns.yaml", text)
    with berlin.uow() as uow, pytest.raises(FileError) as exc:
        load_campaigns(uow, folder, now=NOW)
    assert any(p.line == 5 and "colour" in p.message for p in exc.value.problems), exc.value.problems
    assert any(p.line == 6 and "cash" in p.message for p in exc.value.problems)
    assert all(p.file.endswith("campaigns.yaml") for p in exc.value.problems)


def test_meaning_errors_point_at_the_value_they_name(berlin: Container, tmp_path: Path) -> None:
    """An unknown option value is reported at its own line; nothing of the file is stored."""
    text = ("campaigns:\n"
            "  - id: C1\n"
            "    brand: nordlicht\n"
            "    name: x\n"
            "    variants:\n"
            "      - product: nordlicht-dress\n"
            "        options: {size: M, fabric: leather}\n"
            "    deadline: '2026-12-12T10:00'\n"
            "    time_zone: Europe/Berlin\n"
            "    unit_price: 10\n"
            "    sites: [mf-kreuzberg]\n"
            "    window: {start: '2026-12-14', end: '2026-12-20'}\n")
    folder = _folder(tmp_path, "campaigns.yaml", text)
    with berlin.uow() as uow, pytest.raises(FileError) as exc:
        load_campaigns(uow, folder, now=NOW)
    [problem] = exc.value.problems
    assert problem.line == 7 and "leather" in problem.message
    with berlin.uow() as uow:
        assert not uow.demand.campaign_exists("C1")


def test_policy_file_errors_over_the_cli_print_file_and_line(berlin: Container, tmp_path: Path) -> None:
    """`replenish policies load` prints FILE:LINE for a bad service level and an unknown store, and fails."""
    shutil.copy(EXAMPLE / "policies.yaml", tmp_path / "ok.yaml")
    text = ("policies:\n"
            "  - {store: st-mitte, product: spree-tee, kind: stocked, service_level: 1.5}\n"
            "  - {store: st-nowhere, product: spree-tee, kind: made_to_order,\n"
            "     options: {size: M, colour: white, design: wave}}\n")
    folder = _folder(tmp_path, "policies.yaml", text)
    url = str(berlin.engine.url.render_as_string(hide_password=False))
    bad = CliRunner().invoke(cli, ["replenish", "policies", "load", str(folder), "--db", url])
    assert bad.exit_code != 0 and "policies.yaml:2" in bad.output, bad.output
    (tmp_path / "policies.yaml").write_text(text.replace("service_level: 1.5", "service_level: 0.9, demand_per_day: 1"
                                                         ).replace("kind: stocked", "kind: stocked, options: "
                                                                   "{size: M, colour: white, design: wave}"))
    bad = CliRunner().invoke(cli, ["replenish", "policies", "load", str(folder), "--db", url])
    assert bad.exit_code != 0 and "policies.yaml:3" in bad.output and "st-nowhere" in bad.output, bad.output
    ok = CliRunner().invoke(cli, ["replenish", "policies", "load", str(EXAMPLE), "--db", url, "--json"])
    assert ok.exit_code == 0 and ok.output.count('"store"') == 5, ok.output
