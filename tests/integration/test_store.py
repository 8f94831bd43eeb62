"""The store on SQLite and (when configured) PostgreSQL: migrations, repositories, atomicity, idempotency."""

from __future__ import annotations

import shutil
import threading
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from microfactory.adapters.db import SqlUnitOfWork, make_engine, migrate
from microfactory.adapters.db import tables as t
from microfactory.bootstrap import Container
from microfactory.domain.network import SiteStatus
from microfactory.errors import FileError, InsufficientStock
from microfactory.services.scenario import load_folder
from tests.conftest import EXAMPLE, NOW


def _count(c: Container, table: t.Table) -> int:  # type: ignore[name-defined]
    with c.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_migrations_run_twice_without_change(db_url: str) -> None:
    """Migrating an up-to-date database is a no-op."""
    engine = make_engine(db_url)
    migrate(engine)
    migrate(engine)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.orders)).scalar_one() == 0
    engine.dispose()


def test_example_round_trips_through_the_store(loaded: Container) -> None:
    """Network, catalog, orders and stock come back out of the store as they went in."""
    with loaded.uow() as uow:
        network = uow.network.load()
        catalog = uow.catalog.load(network)
        orders, _ = uow.orders.list(limit=500)
        kb = network.site("mf-kreuzberg")
        bom = catalog.explode("kiez-jean", {"size": "32", "fabric": "denim-12oz"})
        denim = uow.inventory.load([("mf-kreuzberg", "denim-12oz")])
    assert len(network.sites) == 8 and len(catalog.products) == 8
    assert len(orders) == 240 and all(o.status.value == "validated" for o in orders)
    assert kb.processes == {"cutting", "sewing", "embroidery", "finishing", "packing"}
    assert bom.materials[0].material == "denim-12oz" and bom.materials[0].qty == pytest.approx(1.4)
    assert denim.on_hand("mf-kreuzberg", "denim-12oz") == pytest.approx(300)
    assert [lot for lot, _ in denim.lots_of("mf-kreuzberg", "denim-12oz")] == ["DN12-2611A", "DN12-2611B"]


def test_loading_twice_creates_nothing_new(loaded: Container) -> None:
    """Loading the same scenario again is idempotent: no second order, lot or brand."""
    before = (_count(loaded, t.orders), _count(loaded, t.order_lines), _count(loaded, t.inventory_lots))
    with loaded.uow() as uow:
        summary = load_folder(uow, EXAMPLE, now=NOW)
    assert summary["orders_created"] == 0 and summary["lots_received"] == 0
    assert (_count(loaded, t.orders), _count(loaded, t.order_lines), _count(loaded, t.inventory_lots)) == before


def test_a_broken_scenario_stores_nothing(container: Container, tmp_path: Path) -> None:
    """One bad line in orders.csv means not even the valid network is stored."""
    folder = tmp_path / "broken"
    shutil.copytree(EXAMPLE, folder)
    rows = (folder / "orders.csv").read_text().splitlines()
    rows[5] = rows[5].replace(",ship,", ",teleport,").replace(",same_day,", ",teleport,")
    (folder / "orders.csv").write_text("\n".join(rows) + "\n")
    with container.uow() as uow, pytest.raises(FileError) as err:
        load_folder(uow, folder, now=NOW)
    assert str(err.value.problems[0]).startswith(f"{folder / 'orders.csv'}:6: delivery")
    assert _count(container, t.sites) == 0 and _count(container, t.orders) == 0


def test_uncommitted_work_rolls_back(loaded: Container) -> None:
    """Leaving a unit of work without commit leaves the database as it was."""
    with loaded.uow() as uow:
        uow.network.set_status("mf-wedding", SiteStatus.DOWN)
    with loaded.uow() as uow:
        assert uow.network.get_site("mf-wedding").status is SiteStatus.UP


def test_site_status_change_is_stored(loaded: Container) -> None:
    """A committed status change is seen by the next unit of work, and setting it again changes nothing."""
    with loaded.uow() as uow:
        assert uow.network.set_status("mf-wedding", SiteStatus.DOWN)
        uow.commit()
    with loaded.uow() as uow:
        assert uow.network.get_site("mf-wedding").status is SiteStatus.DOWN
        assert not uow.network.set_status("mf-wedding", SiteStatus.DOWN)


def test_cursor_paging_visits_every_order_once(loaded: Container) -> None:
    """Following next_cursor pages through all orders without gaps or repeats."""
    seen, cursor = [], None
    with loaded.uow() as uow:
        while True:
            page, cursor = uow.orders.list(limit=37, after=cursor)
            seen += [o.id for o in page]
            if cursor is None:
                break
    assert len(seen) == 240 and len(set(seen)) == 240 and seen[0] == "BER-000001"


def test_inventory_never_goes_negative_in_the_store(loaded: Container) -> None:
    """An issue beyond available stock is refused and nothing is written."""
    at = datetime(2026, 12, 2)
    with loaded.uow() as uow:
        uow.inventory.apply([("mf-kreuzberg", "linen")], lambda inv: inv.reserve("mf-kreuzberg", "linen", 50, "B1", at))
        uow.commit()
    with loaded.uow() as uow, pytest.raises(InsufficientStock):
        uow.inventory.apply([("mf-kreuzberg", "linen")], lambda inv: inv.issue("mf-kreuzberg", "linen", 11, at, "B2"))
    with loaded.uow() as uow:
        inv = uow.inventory.load([("mf-kreuzberg", "linen")])
        moves = uow.inventory.apply([("mf-kreuzberg", "linen")],
                                    lambda inv: inv.issue("mf-kreuzberg", "linen", 50, at, "B1"))
        uow.commit()
    assert inv.available("mf-kreuzberg", "linen") == pytest.approx(10)
    assert [m.lot for m in moves if m.kind.value == "issue"] == ["LIN-2611A"]
    assert [m.kind.value for m in moves] == ["issue", "release"]
    with loaded.uow() as uow:
        after = uow.inventory.load([("mf-kreuzberg", "linen")])
    assert after.on_hand("mf-kreuzberg", "linen") == pytest.approx(10)
    assert after.reserved("mf-kreuzberg", "linen") == 0


def test_concurrent_reservations_never_overbook(loaded: Container) -> None:
    """Two threads reserving the last stock at once: exactly the stock is reserved, never more."""
    at = datetime(2026, 12, 2)
    results: list[str] = []

    def reserve(ref: str) -> None:
        try:
            with loaded.uow() as uow:
                uow.inventory.apply([("mf-kreuzberg", "linen")],
                                    lambda inv: inv.reserve("mf-kreuzberg", "linen", 40, ref, at))
                uow.commit()
            results.append("ok")
        except InsufficientStock:
            results.append("refused")

    threads = [threading.Thread(target=reserve, args=(f"R{i}",)) for i in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    with loaded.uow() as uow:
        reserved = uow.inventory.load([("mf-kreuzberg", "linen")]).reserved("mf-kreuzberg", "linen")
    assert sorted(results) == ["ok", "refused"] and reserved == pytest.approx(40)


def test_unit_of_work_is_usable_after_commit(container: Container) -> None:
    """A unit of work keeps working after a commit (a new transaction starts)."""
    with SqlUnitOfWork(container.engine) as uow:
        uow.audit.add("tester", "noop", "thing", "1", {}, NOW)
        uow.commit()
        uow.audit.add("tester", "noop", "thing", "2", {}, NOW)
        uow.commit()
    assert _count(container, t.audit_log) == 2
