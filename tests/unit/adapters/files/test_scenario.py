"""Loading scenario folders: the Berlin example, synthetic scenarios, and what the loader builds."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import pytest

from microfactory.adapters.files.generate import GenerateParams, generate_scenario
from microfactory.adapters.files.scenario import load_scenario, parse_datetime
from microfactory.domain.network import Operator, SiteKind
from microfactory.domain.orders import Channel, DeliveryKind
from microfactory.errors import InvalidInput

from .conftest import BERLIN, ScenarioCopy


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_berlin_example_loads_with_its_counts() -> None:
    """Berlin has 4 microfactories and 4 stores, 3 brands, 8 products, 18 materials, 2 suppliers and 45 stock lots."""
    s = load_scenario(BERLIN)
    assert len(s.network.factories) == 4 and len(s.network.stores) == 4 and len(s.network.sites) == 8
    assert [b.id for b in s.network.brands] == ["kiez", "nordlicht", "spree"]
    assert len(s.catalog.products) == 8 and len(s.catalog.materials) == 18
    assert len(s.network.suppliers) == 2
    assert len(s.stock) == 45


def test_berlin_orders_match_the_csv() -> None:
    """Every row of orders.csv is one line; rows sharing an order id are one order; at least 200 orders."""
    rows = csv_rows(BERLIN / "orders.csv")
    s = load_scenario(BERLIN)
    assert len(s.orders) == len({r["order_id"] for r in rows}) >= 200
    assert sum(len(o.lines) for o in s.orders) == len(rows)
    assert sum(o.units for o in s.orders) == sum(int(r["quantity"]) for r in rows)


def test_berlin_network_meets_the_brief() -> None:
    """At least 3 microfactories with different operators (one on demand) and 3 stores serve 2+ brands."""
    net = load_scenario(BERLIN).network
    operators = {f.operator for f in net.factories}
    assert len(operators) >= 3 and Operator.ON_DEMAND in operators
    assert len(net.stores) >= 3 and len(net.brands) >= 2
    kb = net.site("mf-kreuzberg")
    assert kb.calendar.days_off == frozenset({date(2026, 12, 25), date(2026, 12, 26)})
    assert kb.brands == frozenset({"kiez", "nordlicht"}) and kb.uptime == 0.97
    assert net.site("st-mitte").kind is SiteKind.STORE


def test_berlin_mtm_shirt_explodes_to_the_hand_computed_fabric() -> None:
    """The made-to-measure shirt at chest 100, sleeve 60 needs 0.55 + 0.9 + 0.36 = 1.81 m of linen."""
    catalog = load_scenario(BERLIN).catalog
    bom = catalog.explode("nordlicht-shirt-mtm", {"fabric": "linen", "chest_cm": "100", "sleeve_cm": "60"})
    assert {m.material: m.qty for m in bom.materials}["linen"] == pytest.approx(1.81)
    assert bom.sku == "NORDLICHT-SHIRT-MTM-LINEN-CLASSIC-CHE100-SLE60-NONE"


def test_berlin_jean_monogram_adds_thread_and_embroidery() -> None:
    """A size-34 jean is 1.4 × 1.05 = 1.47 m of denim; initials add embroidery thread and an embroidery step."""
    catalog = load_scenario(BERLIN).catalog
    bom = catalog.explode("kiez-jean", {"size": "34", "fabric": "denim-12oz", "monogram": "initials"})
    qty = {m.material: m.qty for m in bom.materials}
    assert qty["denim-12oz"] == pytest.approx(1.47) and qty["thread-embroidery"] == 25
    assert [o.process for o in bom.operations] == ["cutting", "sewing", "embroidery", "finishing", "packing"]


def test_order_rows_become_orders_with_lines(berlin: ScenarioCopy) -> None:
    """Two rows with the same id make one order of two lines, with SKU, price, delivery and times parsed."""
    row = {"order_id": "T-9", "brand": "kiez", "product": "kiez-stool", "options": "fabric=linen", "quantity": "2",
           "customer_lat": "52.5", "customer_lon": "13.4", "delivery": "pickup:st-mitte", "due": "2026-12-10",
           "created": "2026-12-03T10:00+01:00", "channel": "shop"}
    berlin.append_row("orders.csv", row)
    berlin.append_row("orders.csv", {**row, "options": "fabric=denim-12oz", "quantity": "1"})
    order = {o.id: o for o in load_scenario(berlin.root).orders}["T-9"]
    assert [(ln.id, ln.sku, ln.quantity, ln.unit_price) for ln in order.lines] == [
        ("T-9-1", "KIEZ-STOOL-LINEN", 2, 189.0), ("T-9-2", "KIEZ-STOOL-DENIM12OZ", 1, 189.0)]
    assert order.delivery.kind is DeliveryKind.PICKUP and order.delivery.store == "st-mitte"
    assert order.created == datetime(2026, 12, 3, 9, 0) and order.due == date(2026, 12, 10)
    assert order.channel is Channel.SHOP and order.units == 3


def test_parse_datetime_converts_offsets_to_naive_utc() -> None:
    """``10:00+01:00`` and ``09:00Z`` are the same naive UTC time; a naive time is kept."""
    assert parse_datetime("2026-12-03T10:00+01:00") == parse_datetime("2026-12-03T09:00Z") == datetime(2026, 12, 3, 9)
    assert parse_datetime("2026-12-03T10:00") == datetime(2026, 12, 3, 10)


def test_inventory_with_a_byte_order_mark_loads(berlin: ScenarioCopy) -> None:
    """An inventory.csv saved by a spreadsheet with a UTF-8 BOM loads like the plain file."""
    path = berlin.root / "inventory.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert len(load_scenario(berlin.root).stock) == 45


def test_stock_rows_keep_their_lines_and_receipt_times() -> None:
    """The first stock row is line 2 of inventory.csv, with its quantity and receipt time."""
    first = load_scenario(BERLIN).stock[0]
    row = csv_rows(BERLIN / "inventory.csv")[0]
    assert (first.site, first.item, first.lot, first.quantity, first.line) == (
        row["site"], row["item"], row["lot"], float(row["quantity"]), 2)
    assert first.received == datetime.fromisoformat(row["received"])


@pytest.mark.parametrize("seed", [1, 7])
def test_generated_scenario_loads(tmp_path: Path, seed: int) -> None:
    """A generated scenario (5 microfactories, 60 orders) loads with every order and its stores."""
    out = generate_scenario(GenerateParams(sites=5, orders=60, seed=seed, days=7), tmp_path / "gen")
    s = load_scenario(out)
    assert len(s.orders) == 60
    assert len(s.network.factories) == 5 and len(s.network.stores) == 1
    assert all(o.brand in {b.id for b in s.network.brands} for o in s.orders)
    offered = s.network.processes
    assert all(p.processes <= offered for p in s.catalog.products.values())


def test_generation_is_reproducible(tmp_path: Path) -> None:
    """The same seed writes the same bytes; another seed writes other orders."""
    params = GenerateParams(sites=4, orders=40, seed=3, days=7)
    a, b = generate_scenario(params, tmp_path / "a"), generate_scenario(params, tmp_path / "b")
    c = generate_scenario(GenerateParams(sites=4, orders=40, seed=4, days=7), tmp_path / "c")
    for name in ("network.yaml", "catalog.yaml", "orders.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    assert (a / "orders.csv").read_bytes() != (c / "orders.csv").read_bytes()


def test_generate_params_are_validated() -> None:
    """Zero sites or a load outside 0.05–5 is invalid input."""
    with pytest.raises(InvalidInput):
        GenerateParams(sites=0)
    with pytest.raises(InvalidInput):
        GenerateParams(load=9)
