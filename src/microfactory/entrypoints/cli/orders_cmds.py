"""``microfactory orders ...``: import a CSV, list and show orders."""

from __future__ import annotations

from pathlib import Path

import typer

from microfactory.adapters.files.scenario import parse_orders
from microfactory.entrypoints.cli.common import (
    DbOption,
    JsonOption,
    container,
    dump_json,
    handle_errors,
    progress_bar,
    table,
)
from microfactory.errors import FileError, FileProblem
from microfactory.services.intake import import_orders
from microfactory.services.views import order_view

app = typer.Typer(help="Order intake and lookup.", no_args_is_help=True)


@app.command("import")
@handle_errors
def import_(file: Path, db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """Import orders.csv into the stored network (idempotent by order id; all or nothing)."""
    c = container(db)
    try:
        text = file.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError) as exc:
        raise FileError([FileProblem(str(file), 0, f"cannot read: {exc}")]) from None
    with c.uow() as uow:
        network = uow.network.load()
        catalog = uow.catalog.load(network)
        problems: list[FileProblem] = []
        orders = parse_orders(str(file), text, network, catalog, problems)
        if problems:
            raise FileError(problems)
        with progress_bar("importing orders") as update:
            summary = import_orders(uow, list(orders), now=c.clock.now(), actor="cli", progress=update)
        uow.commit()
    dump_json(summary) if json_out else table(f"imported {file}", ["what", "count"], summary.items())


@app.command("list")
@handle_errors
def list_(db: str | None = DbOption, brand: str | None = typer.Option(None), status: str | None = typer.Option(None),
          limit: int = typer.Option(20), after: int | None = typer.Option(None, help="cursor from the previous page"),
          json_out: bool = JsonOption) -> None:
    """List orders, oldest first, a page at a time."""
    c = container(db)
    with c.uow() as uow:
        orders, nxt = uow.orders.list(brand=brand, status=status, after=after, limit=limit)
    if json_out:
        dump_json({"items": [order_view(o) for o in orders], "next_cursor": nxt})
        return
    table("orders", ["id", "brand", "status", "lines", "units", "delivery", "due"],
          [(o.id, o.brand, o.status.value, len(o.lines), o.units, str(o.delivery), o.due) for o in orders])
    if nxt is not None:
        typer.echo(f"next page: --after {nxt}")


@app.command("show")
@handle_errors
def show(order_id: str, db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """One order with its lines and history."""
    c = container(db)
    with c.uow() as uow:
        order = uow.orders.get(order_id)
        events = uow.orders.events(order_id)
    view = order_view(order) | {"events": events}
    if json_out:
        dump_json(view)
        return
    table(f"order {order.id} ({order.status.value})", ["line", "sku", "qty", "status"],
          [(ln.id, ln.sku, ln.quantity, ln.status.value) for ln in order.lines])
    table("history", ["at", "line", "from", "to", "reason"],
          [(e["at"], e["line_id"] or "", e["old"] or "", e["new"] or "", e["reason"]) for e in events])
