"""Run proposals in the store: two brands sharing a setup key at one site are pooled, with the saving."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from microfactory.bootstrap import Container
from microfactory.engines.pooling import RunOffer
from microfactory.services.intake import LineRequest, OrderRequest, create_order
from microfactory.services.routing_bulk import route_orders_bulk
from microfactory.services.runs import propose
from microfactory.services.scenario import load_folder
from tests.integration.demand_support import NOW

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "berlin"
VEST = """
  - id: nordlicht-vest
    brand: nordlicht
    name: Denim vest
    price: 95
    weight_kg: 0.6
    family: denim-tops
    options:
      - {name: size, values: [S, M, L]}
      - {name: fabric, values: [denim-12oz]}
    bom:
      - {material: "{fabric}", qty: 1.1}
      - {material: thread-poly, qty: 150}
    operations:
      - {id: cut, process: cutting, minutes_per_unit: 6, setup_key: "cut-denim-{fabric}"}
      - {id: sew, process: sewing, minutes_per_unit: 30}
      - {id: pack, process: packing, minutes_per_unit: 2}
"""


@pytest.fixture
def shared_key(container: Container, tmp_path: Path) -> Container:
    """Berlin plus a nordlicht denim vest cut on the same setup key as kiez's jeans (cut-denim-denim-12oz)."""
    folder = tmp_path / "berlin"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("orders.csv", "campaigns.yaml", "policies.yaml"))
    catalog = folder / "catalog.yaml"
    text = catalog.read_text()
    head, sep, rest = text.partition("products:\n")
    catalog.write_text(head + sep + VEST.lstrip("\n") + rest)
    with container.uow() as uow:
        load_folder(uow, folder, now=NOW, with_orders=False)
    return container


def _order(c: Container, brand: str, product: str, options: dict[str, str], qty: int) -> str:
    with c.uow() as uow:
        res = create_order(uow, OrderRequest(brand, (LineRequest(product, options, qty),), 52.5, 13.4),
                           now=NOW, actor="test")
        uow.commit()
    return res.order.id


def test_propose_pools_two_brands_on_a_shared_setup_key_and_reports_the_saving(shared_key: Container) -> None:
    """kiez 2 jeans + nordlicht 3 vests at Kreuzberg: alone 93 + 92 = 185, pooled 90, saving 95."""
    ids = [_order(shared_key, "kiez", "kiez-jean", {"size": "32", "fabric": "denim-12oz"}, 2),
           _order(shared_key, "nordlicht", "nordlicht-vest", {"size": "M", "fabric": "denim-12oz"}, 3),
           _order(shared_key, "kiez", "kiez-jacket", {"size": "M", "fabric": "denim-organic"}, 4)]
    with shared_key.uow() as uow:
        orders = [uow.orders.get(i) for i in ids]
        routed = route_orders_bulk(uow, orders, now=NOW, actor="test", site_ids=("mf-kreuzberg",))
        uow.commit()
    assert routed["assigned"] == 3
    offer = RunOffer("mf-kreuzberg", "cut-denim-denim-12oz", min_batch=5, fixed_cost=90.0,
                     shortfall_cost_per_unit=1.0)
    with shared_key.uow() as uow:
        out = propose(uow, [offer], time_limit_s=2.0)
    assert out["lines"] == 2 and out["status"] == "optimal"
    assert out["baseline_cost"] == pytest.approx(185.0) and out["objective"] == pytest.approx(90.0)
    assert out["saving"] == pytest.approx(95.0)
    [run] = out["runs"]
    assert set(run["brands"]) == {"kiez", "nordlicht"} and run["units"] == 5 and run["site"] == "mf-kreuzberg"
