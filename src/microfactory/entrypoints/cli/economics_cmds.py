"""Economics and simulation commands: cost, compare, hedge, quotes, kpis, simulate, sweep, design."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import typer
import yaml

from microfactory.domain.catalog import parse_options
from microfactory.entrypoints.cli.common import (
    DbOption,
    JsonOption,
    console,
    container,
    dump_json,
    err_console,
    handle_errors,
    table,
)
from microfactory.errors import InvalidInput
from microfactory.services import economics as eco


def _point(text: str | None) -> tuple[float, float] | None:
    if not text:
        return None
    try:
        lat, lon = (float(x) for x in text.split(","))
    except ValueError:
        raise InvalidInput("--to must be LAT,LON", field="to") from None
    return lat, lon


@handle_errors
def cost(product: str, site: str = typer.Option(..., "--site"), batch: int = typer.Option(1, "--batch"),
         options: str = typer.Option("", "--options", help="e.g. size=M;fabric=linen"),
         margin: float = typer.Option(0.5, "--margin"), overhead: float = typer.Option(0.25, "--overhead"),
         to: str | None = typer.Option(None, "--to", help="deliver to LAT,LON"),
         sensitivity: bool = typer.Option(False, "--sensitivity", help="material price tornado"),
         shock: float = typer.Option(0.1, "--shock"), db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """Unit cost of a variant at a site and batch size, its breakdown and cost curve."""
    with container(db).uow() as uow:
        view = eco.unit_cost_view(uow, product, parse_options(options), site, batch, overhead_rate=overhead,
                                  margin=margin, deliver_to=_point(to))
        if sensitivity:
            view["sensitivity"] = eco.sensitivity_view(uow, product, parse_options(options), site, batch,
                                                       shock=shock, overhead_rate=overhead)["rows"]
    if json_out:
        dump_json(view)
        return
    b = view["breakdown"]
    table(f"{view['sku']} at {site}, batch {batch}", ["part", "per unit"],
          [(k, b[k]) for k in ("materials", "staff", "machine", "setup", "overhead", "logistics", "carbon", "total")])
    table("cost curve", ["batch", "unit cost"], [(c["batch"], c["total"]) for c in view["curve"]])
    console.print(f"price for a {view['price']['margin']:.0%} margin: {view['price']['price']}")
    for row in view.get("sensitivity", []):
        console.print(f"{row['material']}: {row['cost_low']} .. {row['cost_high']} (elasticity {row['elasticity']})")


@handle_errors
def compare(case_file: Path, svg: Path | None = typer.Option(None, "--svg", help="write both cost curves"),
            json_out: bool = JsonOption) -> None:
    """Local network against an offshore plant for a case file: costs, break-even, curves."""
    try:
        data = yaml.safe_load(case_file.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"cannot read {case_file}: {exc}", field="case_file") from exc
    view = eco.compare_view(data, svg=svg is not None)
    if svg is not None:
        svg.write_text(view.pop("svg"))
    if json_out:
        dump_json(view)
        return
    keys = ["units_made", "units_sold", "landed_unit_cost", "cost_per_unit_sold", "lead_time_days", "kg_co2e_per_unit"]
    rows = [(k, view["local"].get(k), view["offshore"].get(k)) for k in keys if k in view["local"]]
    table(view["name"], ["", "local", "offshore"], rows)
    console.print(f"break-even (closed form): {view['break_even']['closed_form']} "
                  f"valid={view['break_even']['closed_form_valid']}; numeric: {view['break_even']['numeric']}")


@handle_errors
def hedge(material: str, need: float = typer.Option(..., "--need"), forward: float = typer.Option(..., "--forward"),
          moves: str = typer.Option("-0.1:0.25,0:0.5,0.2:0.25", "--moves", help="change:probability,..."),
          risk: float = typer.Option(0.0, "--risk-aversion"), db: str | None = DbOption,
          json_out: bool = JsonOption) -> None:
    """Forward-buy suggestion for a material need under a price scenario."""
    pairs = [tuple(float(x) for x in m.split(":")) for m in moves.split(",") if m]
    with container(db).uow() as uow:
        view = eco.hedge_view(uow, material, need, forward, [(a, b) for a, b in pairs], risk)
    if json_out:
        dump_json(view)
        return
    table(f"hedge {material}", ["", ""], [(k, v) for k, v in view.items()])


quotes_app = typer.Typer(help="Partner quotes for a pilot.", no_args_is_help=True)


@quotes_app.command("request")
@handle_errors
def quotes_request(product: str, qty: int = typer.Option(..., "--qty"), due: str = typer.Option(..., "--due"),
                   options: str = typer.Option("", "--options"), sites: str = typer.Option("", "--sites"),
                   margin: float = typer.Option(0.3, "--margin"), carbon: float = typer.Option(0.0, "--carbon-price"),
                   db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """Ask candidate sites for a quote and rank them side by side."""
    c = container(db)
    with c.uow() as uow:
        view = eco.request_quotes(uow, c.clock.now(), product, parse_options(options), qty, date.fromisoformat(due),
                                  sites=[s for s in sites.split(",") if s] or None, margin=margin,
                                  carbon_price_per_kg=carbon, actor="cli")
        uow.commit()
    if json_out:
        dump_json(view)
        return
    table(f"quotes for {qty} x {view['request']['sku']}", ["rank", "site", "price", "lead days", "kg CO2e", "quality", "by date"],
          [(q["rank"], q["site_id"], q["price"], q["lead_time_days"], q["kg_co2e"], q["quality_score"],
            q["feasible_by_date"]) for q in view["quotes"]])


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"not an ISO date: {text!r}", field="from") from None


@handle_errors
def kpis(start: str | None = typer.Option(None, "--from"), end: str | None = typer.Option(None, "--to"),
         brand: str | None = typer.Option(None, "--brand"), site: str | None = typer.Option(None, "--site"),
         csv_out: bool = typer.Option(False, "--csv"), db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """KPIs of the orders created in a period: lead time, on time, cost, returns, emissions, utilisation."""
    with container(db).uow() as uow:
        if csv_out:
            sys.stdout.write(eco.kpis_csv(uow, _when(start), _when(end), brand, site))
            return
        view = eco.kpis_view(uow, _when(start), _when(end), brand, site)
    if json_out:
        dump_json(view)
        return
    _print_kpis(view)


def _print_kpis(view: dict[str, Any]) -> None:
    lt = view["lead_time_days"]
    rows = [("orders", view["orders"]), ("delivered", view["delivered"]), ("lead time p50 days", lt["p50"]),
            ("lead time p90 days", lt["p90"]), ("on-time rate", view["on_time_rate"]),
            ("cost per order", view["cost_per_order"]), ("kg CO2e per order", view["kg_co2e_per_order"]),
            ("returns rate", view["returns_rate"])]
    rows += [(f"utilisation {k}", v) for k, v in view["utilisation_by_site"].items()]
    table("KPIs", ["kpi", "value"], rows)


@handle_errors
def simulate(target: Path, days: int | None = typer.Option(None, "--days"),
             seed: int | None = typer.Option(None, "--seed"),
             trace: Path | None = typer.Option(None, "--trace", help="write the trace as CSV"),
             json_out: bool = JsonOption) -> None:
    """Simulate a scenario file (or a scenario folder with default settings) over days."""
    from rich.progress import Progress

    from microfactory.adapters.files.scenario import load_scenario
    from microfactory.simulation import load_spec, spec_from_dict, with_overrides, write_trace_csv
    from microfactory.simulation.model import Simulator

    raw = load_spec(target)[1] if target.is_file() else {"network": str(target.resolve()), "name": target.name}
    over: dict[str, Any] = {k: v for k, v in (("days", days), ("seed", seed)) if v is not None}
    spec = with_overrides(raw, over) if over else spec_from_dict(raw)
    scenario = load_scenario(spec.network)
    sim = Simulator(spec, scenario.network, scenario.catalog, keep_trace=trace is not None)
    with Progress(console=console, transient=True, disable=json_out) as bar:
        task = bar.add_task(f"simulating {spec.name}", total=sim.horizon_days)
        result = sim.run(lambda d, total: bar.update(task, completed=d + 1))
    if trace is not None:
        write_trace_csv(result.trace, trace)
    if json_out:
        dump_json(result.as_dict())
        return
    _print_kpis(result.as_dict()["kpis"])
    console.print(json.dumps(result.summary, default=str))


@handle_errors
def design(candidates: Path, folder: Path | None = typer.Argument(None, help="scenario folder with orders.csv"),
           no_check: bool = typer.Option(False, "--no-check", help="skip the simulation check"),
           db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """Where to open a microfactory next: facility location over candidates, checked in the simulator."""
    from microfactory.adapters.files.candidates import load_candidates
    from microfactory.adapters.files.scenario import load_scenario
    from microfactory.services.network_design import design_from_store, design_view

    cf = load_candidates(candidates)
    say = (lambda msg: err_console.print(f"[dim]{msg}[/dim]")) if not json_out else None
    if folder is not None:
        sc = load_scenario(folder, require_orders=True)
        view = design_view(sc.network, sc.catalog, list(sc.orders), cf, check=not no_check, progress=say)
    else:
        with container(db).uow() as uow:
            view = design_from_store(uow, cf, check=not no_check, progress=say)
    if json_out:
        dump_json(view)
        return
    _print_design(view)


def _short(v: Any) -> Any:
    return round(v, 4) if isinstance(v, float) else v


def _print_design(view: dict[str, Any]) -> None:
    d = view["design"]
    table("network design", ["", ""], [("status", d["status"]), ("objective per week", _short(d["objective"])),
                                        ("bound", _short(d["bound"])), ("gap", _short(d["gap"])), ("runtime s", d["runtime_s"]),
                                        ("seed", d["seed"]), ("opened", ", ".join(d["opened"])),
                                        ("new sites", ", ".join(view["new_sites"]) or "none"),
                                        *[(f"cost {k}", round(v, 2)) for k, v in d["costs"].items()],
                                        ("kg CO2e per week", round(d["kg_co2e"], 3))])
    if view["lead_time_promise"]:
        table("lead-time promise", ["", ""], list(view["lead_time_promise"].items()))
    sim = view["simulation"]
    if sim:
        table(f"simulation check ({sim['days']} days, seed {sim['seed']})", ["kpi", "without", "with"],
              [(r["kpi"], _short(r["without"]), _short(r["with"])) for r in sim["side_by_side"]])
    console.print(view["recommendation"])


sweep_app = typer.Typer(help="What-if sweeps of scenario parameters on Dask.", no_args_is_help=True)


@sweep_app.command("run")
@handle_errors
def sweep_run(grid_file: Path, workers: int = typer.Option(2, "--workers", help="0: run one after another"),
              scheduler: str | None = typer.Option(None, "--scheduler", help="tcp://host:8786"),
              out: Path | None = typer.Option(None, "--out", help="CSV table (and .svg plots beside it)"),
              json_out: bool = JsonOption) -> None:
    """Run every point of a grid file as an independent simulation and collect one table."""
    from microfactory.simulation.sweep import load_grid, run_sweep, svg_metric_bars

    grid = load_grid(grid_file)
    rows = run_sweep(grid, scheduler=scheduler, workers=workers)
    if out is not None:
        with out.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        for metric in grid.metrics:
            out.with_name(f"{out.stem}-{metric.replace('.', '_')}.svg").write_text(svg_metric_bars(rows, grid.keys, metric))
    if json_out:
        dump_json(rows)
        return
    table(f"sweep {grid_file.name}", list(rows[0]), [list(r.values()) for r in rows])


GROUPS: dict[str, typer.Typer] = {"quotes": quotes_app, "sweep": sweep_app}
COMMANDS: dict[str, Callable[..., Any]] = {"cost": cost, "compare": compare, "hedge": hedge, "kpis": kpis,
                                           "simulate": simulate, "design": design}
