"""``microfactory``: init, load, validate, schema, orders, generate, serve, demo and the engines' commands."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from microfactory.adapters.files.generate import GenerateParams, generate_scenario
from microfactory.adapters.files.located import schema as load_schema
from microfactory.adapters.files.scenario import load_scenario
from microfactory.entrypoints.cli import catalog_cmds, orders_cmds
from microfactory.entrypoints.cli.common import (
    DbOption,
    JsonOption,
    console,
    container,
    dump_json,
    handle_errors,
    progress_bar,
    table,
)
from microfactory.errors import InvalidInput
from microfactory.services.scenario import load_folder

app = typer.Typer(help="microfactory: the digital core of a network of microfactories.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
app.add_typer(orders_cmds.app, name="orders")
for name, fn in catalog_cmds.COMMANDS.items():
    app.command(name)(fn)


def _register_capabilities() -> None:
    """Each capability's commands live in ``entrypoints/cli/<name>_cmds.py``, exposing either
    ``GROUPS = {"name": typer_app}`` (sub-commands) or ``COMMANDS = {"name": function}``."""
    import importlib
    import pkgutil

    import microfactory.entrypoints.cli as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if not info.name.endswith("_cmds") or info.name in ("orders_cmds", "catalog_cmds"):
            continue
        module = importlib.import_module(f"{pkg.__name__}.{info.name}")
        for group, sub in getattr(module, "GROUPS", {}).items():
            app.add_typer(sub, name=group)
        for name, fn in getattr(module, "COMMANDS", {}).items():
            app.command(name)(fn)


_register_capabilities()

EXAMPLE = "examples/berlin"


@app.command()
@handle_errors
def init(db: str | None = DbOption) -> None:
    """Create or migrate the database."""
    c = container(db)
    console.print(f"database ready: {c.engine.url.render_as_string(hide_password=True)}")


@app.command()
@handle_errors
def load(folder: Path, db: str | None = DbOption, no_orders: bool = typer.Option(False, "--no-orders"),
         demand: bool = typer.Option(False, "--demand", help="also store policies.yaml and open campaigns.yaml"),
         json_out: bool = JsonOption) -> None:
    """Load a scenario folder (network, catalog, orders, stock) into the database, atomically.

    With --demand the folder's stock policies and campaigns follow, each file in its own
    transaction after the scenario (a campaign's cap holds free capacity, so it comes last)."""
    c = container(db)
    with c.uow() as uow, progress_bar("storing orders") as update:
        summary = load_folder(uow, folder, now=c.clock.now(), actor="cli", with_orders=not no_orders, progress=update)
    if demand:
        for counts in _demand_files(c, folder, actor="cli", tolerate=False):
            summary.update(counts)
    if json_out:
        dump_json(summary)
    else:
        table(f"loaded {folder}", ["what", "count"], [(k, v) for k, v in summary.items()])


@app.command()
@handle_errors
def validate(folder: Path, json_out: bool = JsonOption) -> None:
    """Check a scenario folder: schemas and cross-references; errors read FILE:LINE: what is wrong."""
    scenario = load_scenario(folder)
    summary = {"valid": True, "sites": len(scenario.network.sites), "products": len(scenario.catalog.products),
               "orders": len(scenario.orders), "lines": sum(len(o.lines) for o in scenario.orders),
               "stock_rows": len(scenario.stock)}
    if json_out:
        dump_json(summary)
    else:
        console.print(f"[green]{folder} is valid[/green]: {summary['sites']} sites, {summary['products']} products, "
                      f"{summary['orders']} orders ({summary['lines']} lines), {summary['stock_rows']} stock rows")


@app.command()
@handle_errors
def schema(name: str = typer.Argument(..., help="network | catalog | orders | inventory | rules")) -> None:
    """Print the JSON Schema of a scenario file."""
    if name == "rules":
        from microfactory.services.routing_rules import rules_schema

        print(json.dumps(rules_schema(), indent=2))
        return
    if name not in ("network", "catalog", "orders", "inventory"):
        raise InvalidInput(f"no schema {name!r}; choose network, catalog, orders or inventory", field="name")
    print(json.dumps(load_schema(name), indent=2))


@app.command()
@handle_errors
def generate(out_dir: Path, sites: int = typer.Option(10, "--sites"), orders: int = typer.Option(500, "--orders"),
             seed: int = typer.Option(1, "--seed"), load: float = typer.Option(0.7, "--load", help="demand/capacity"),
             brands: int = typer.Option(3, "--brands"), days: int = typer.Option(14, "--days"),
             json_out: bool = JsonOption) -> None:
    """Write a valid synthetic scenario of any size (sites over a metro area, mixed processes)."""
    params = GenerateParams(sites=sites, orders=orders, seed=seed, load=load, brands=brands, days=days)
    path = generate_scenario(params, out_dir)
    scenario = load_scenario(path)
    summary = {"folder": str(path), "sites": len(scenario.network.sites), "orders": len(scenario.orders),
               "lines": sum(len(o.lines) for o in scenario.orders)}
    dump_json(summary) if json_out else console.print(
        f"wrote {path}: {summary['sites']} sites, {summary['orders']} orders ({summary['lines']} lines)")


@app.command()
@handle_errors
def serve(db: str | None = DbOption, host: str = typer.Option("127.0.0.1", "--host"),
          port: int = typer.Option(8000, "--port"), workers: int = typer.Option(1, "--workers")) -> None:
    """Serve the REST API (/v1, /docs) and the dashboard (/ui)."""
    import os

    import uvicorn

    c = container(db)  # migrate once before workers start
    os.environ["MICROFACTORY_DATABASE_URL"] = c.settings.database_url
    uvicorn.run("microfactory.entrypoints.api.app:app_from_env", factory=True, host=host, port=port,
                workers=workers, log_level="warning")


def _example_dir() -> Path:
    here = Path(__file__).resolve()
    for candidate in (Path.cwd() / EXAMPLE, here.parents[4] / EXAMPLE):
        if (candidate / "network.yaml").exists():
            return candidate
    raise InvalidInput("cannot find examples/berlin; run from the repository root", field="example")


@app.command()
@handle_errors
def demo(db: str | None = DbOption, port: int = typer.Option(8000, "--port"),
         no_serve: bool = typer.Option(False, "--no-serve", help="load the example and stop")) -> None:
    """Initialise the database, load the Berlin example with its orders, and serve it."""
    c = container(db)
    example = _example_dir()
    with c.uow() as uow:
        summary = load_folder(uow, example, now=c.clock.now(), actor="demo")
    console.print(f"[bold]microfactory demo[/bold]: {summary['network']} — {summary['sites']} sites, "
                  f"{summary['products']} products, {summary['orders_created']} new orders "
                  f"({summary['orders_skipped']} already there), {summary['lots_received']} stock lots")
    for counts in _demand_files(c, example, actor="demo", tolerate=True):
        if "stock_policies" in counts:
            console.print(f"stock policies: {counts['stock_policies']}")
        else:
            console.print(f"campaigns: {counts['campaigns_opened']} opened, {counts['campaigns_skipped']} already there")
    if no_serve:
        return
    import secrets as _secrets

    from microfactory.services import auth

    password = _secrets.token_urlsafe(9)
    with c.uow() as uow:
        secret, _ = auth.create_token(uow, name="demo-admin", role="admin", now=c.clock.now(), days=1, actor="demo")
        user = f"demo-{_secrets.token_hex(3)}"
        auth.create_user(uow, username=user, password=password, role="admin", now=c.clock.now(), actor="demo")
        uow.commit()
    console.print(f"dashboard: http://localhost:{port}/ui  (log in as {user} / {password})\n"
                  f"API docs:  http://localhost:{port}/docs\n"
                  f"API calls need a token; a one-day admin token for this demo:\n"
                  f"  curl -H 'Authorization: Bearer {secret}' http://localhost:{port}/v1/orders\nCtrl-C to stop.")
    serve(db=c.settings.database_url, host="127.0.0.1", port=port, workers=1)


def _demand_files(c: Any, folder: Path, *, actor: str, tolerate: bool) -> Iterator[dict[str, int]]:
    """Store ``policies.yaml`` then open ``campaigns.yaml`` (a campaign's cap holds free capacity,
    so it comes last), each file in its own transaction; yield each file's counts.

    ``tolerate``: a file refused (e.g. a campaign whose deadline has passed) is reported and
    skipped instead of raising."""
    from microfactory.errors import MicrofactoryError
    from microfactory.services import demand_files as df

    for name, fn in (("policies.yaml", df.load_policies), ("campaigns.yaml", df.load_campaigns)):
        try:
            with c.uow() as uow:
                out = fn(uow, folder, now=c.clock.now(), actor=actor)
                uow.commit()
        except MicrofactoryError as exc:
            if not tolerate:
                raise
            console.print(f"[yellow]{name} not loaded[/yellow]: {exc}")
            continue
        yield ({"stock_policies": len(out["policies"])} if "policies" in out else
               {"campaigns_opened": len(out["opened"]), "campaigns_skipped": len(out["skipped"])})


def main() -> None:
    app()


if __name__ == "__main__":
    main()
