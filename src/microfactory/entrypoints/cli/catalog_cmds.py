"""Network and catalog lookups: sites, products, bom."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

from microfactory.domain.catalog import parse_options
from microfactory.entrypoints.cli.common import (
    DbOption,
    JsonOption,
    container,
    dump_json,
    handle_errors,
    table,
)
from microfactory.services.views import bom_view, site_view


@handle_errors
def sites(db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """The sites of the stored network."""
    c = container(db)
    with c.uow() as uow:
        network = uow.network.load()
    if json_out:
        dump_json([site_view(s) for s in network.sites])
        return
    table(network.name, ["id", "kind", "operator", "status", "processes", "lead days"],
          [(s.id, s.kind.value, s.operator.value, s.status.value, ", ".join(sorted(s.processes)), s.lead_time_days)
           for s in network.sites])


@handle_errors
def bom(product: str, options: str = typer.Option("", "--options", help="e.g. size=M;fabric=linen"),
        db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """Explode the modular BOM of one variant."""
    c = container(db)
    with c.uow() as uow:
        network = uow.network.load()
        catalog = uow.catalog.load(network)
    exploded = catalog.explode(product, parse_options(options))
    view = bom_view(exploded)
    if json_out:
        dump_json(view)
        return
    table(f"{exploded.sku}: materials", ["material", "qty", "unit", "unit cost", "cost", "substitutes"],
          [(m["material"], m["qty"], m["unit"], m["unit_cost"], m["cost"], ", ".join(m["substitutes"]))
           for m in view["materials"]])
    table("operations", ["op", "process", "min/unit", "setup key"],
          [(o["id"], o["process"], o["minutes_per_unit"], o["setup_key"]) for o in view["operations"]])


COMMANDS: dict[str, Callable[..., Any]] = {"sites": sites, "bom": bom}
