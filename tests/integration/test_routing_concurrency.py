"""Two units of work routing at once against a nearly full site never over-book it."""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import select

from microfactory.adapters.db import tables as t
from microfactory.bootstrap import Container
from microfactory.entrypoints.api.writes import run_write
from microfactory.services.routing import RouteRequest, route_stored, set_site_status
from tests.conftest import NOW


def _nearly_fill(c: Container, site_id: str, free_share: float, days: int = 40) -> None:
    """Reserve all but ``free_share`` of every process-day of a site for a blocker line."""
    with c.uow() as uow:
        site = uow.network.get_site(site_id)
        rows = {(site_id, p, NOW.date() + timedelta(d)): site.process_minutes(p, NOW.date() + timedelta(d))
                for d in range(days) for p in site.processes}
        uow.routing.ensure_capacity(rows)
        uow.routing.lock_capacity([site_id], NOW.date(), NOW.date() + timedelta(days))
        uow.routing.reserve("BLOCKER", site_id, {(p, d): m * (1 - free_share) for (_, p, d), m in rows.items()})
        uow.commit()


def test_two_workers_routing_at_once_never_over_book(loaded: Container) -> None:
    """Kiez and Nordlicht lines compete for Kreuzberg only; after both runs reserved = Σ reservations ≤ capacity."""
    with loaded.uow() as uow:
        for site in ("mf-wedding", "mf-spandau-ondemand"):
            set_site_status(uow, site, "down", now=NOW, actor="test")
        uow.commit()
    _nearly_fill(loaded, "mf-kreuzberg", 0.15)
    postgres = loaded.engine.dialect.name == "postgresql"
    barrier = threading.Barrier(2, timeout=30)  # both solve on the same state, then race to reserve
    first_try: dict[str, bool] = defaultdict(lambda: True)
    results: dict[str, dict[str, object]] = {}
    errors: list[BaseException] = []

    def worker(brand: str) -> None:
        def wait(msg: str) -> None:
            if postgres and msg.startswith("reserving") and first_try[brand]:
                first_try[brand] = False
                barrier.wait()
        try:
            results[brand] = run_write(loaded, lambda uow: route_stored(
                uow, RouteRequest("greedy", brand), now=NOW, actor=brand, progress=wait))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(b,)) for b in ("kiez", "nordlicht")]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not errors, errors
    assert results["kiez"]["assigned"] and results["nordlicht"]["assigned"]  # type: ignore[truthy-bool]
    per_key: dict[tuple[object, ...], float] = defaultdict(float)
    with loaded.engine.connect() as conn:
        for r in conn.execute(select(t.capacity_reservations)):
            per_key[(r.site_id, r.process, r.day)] += r.minutes
        rows = list(conn.execute(select(t.capacity).where(t.capacity.c.site_id == "mf-kreuzberg")))
    assert rows
    for r in rows:
        assert r.reserved_min == pytest.approx(per_key[(r.site_id, r.process, r.day)], abs=1e-6)
        assert r.reserved_min <= r.capacity_min + 1e-6
