"""Load a scenario folder into the store: network, catalog, orders and opening stock, atomically."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from microfactory.adapters.files.scenario import Scenario, load_scenario
from microfactory.services.intake import import_orders
from microfactory.services.ports import UnitOfWork


def store_scenario(uow: UnitOfWork, scenario: Scenario, *, now: datetime, actor: str = "system",
                   with_orders: bool = True, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Upsert the network and catalog, import orders and opening stock; idempotent."""
    uow.network.save(scenario.network)
    uow.catalog.save(scenario.catalog)
    lots = 0
    for row in scenario.stock:
        if uow.inventory.lot_exists(row.site, row.item, row.lot):
            continue
        uow.inventory.apply([(row.site, row.item)],
                            lambda inv, r=row: inv.receive(r.site, r.item, r.lot, r.quantity, r.received, "opening stock"))
        lots += 1
    orders = (import_orders(uow, list(scenario.orders), now=now, actor=actor, progress=progress) if with_orders
              else {"created": 0, "skipped": 0})
    uow.audit.add(actor, "scenario.load", "network", scenario.network.name,
                  {"sites": len(scenario.network.sites), "products": len(scenario.catalog.products)}, now)
    return {"network": scenario.network.name, "sites": len(scenario.network.sites),
            "products": len(scenario.catalog.products), "materials": len(scenario.catalog.materials),
            "orders_created": orders["created"], "orders_skipped": orders["skipped"], "lots_received": lots}


def load_folder(uow: UnitOfWork, folder: str | Path, *, now: datetime, actor: str = "system",
                with_orders: bool = True, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Parse the whole folder first (FILE:LINE errors, nothing stored), then store it in one transaction."""
    scenario = load_scenario(folder)
    summary = store_scenario(uow, scenario, now=now, actor=actor, with_orders=with_orders, progress=progress)
    uow.commit()
    return summary
