"""``microfactory route`` (scenario folder or stored state), ``route explain LINE``, ``sites-status``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from microfactory.adapters.files.scenario import load_scenario
from microfactory.entrypoints.cli.common import (
    DbOption,
    JsonOption,
    console,
    container,
    dump_json,
    handle_errors,
    table,
)
from microfactory.errors import InvalidInput
from microfactory.services.routing import (
    RouteRequest,
    route_scenario,
    route_stored,
    set_site_status,
)
from microfactory.services.routing_rules import RuleSet, load_rules, parse_rules
from microfactory.services.routing_views import explain_line

PolicyOption = typer.Option("optimal", "--policy", help="optimal | greedy | rules")


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str], None]]:
    if not enabled:
        yield lambda _msg: None
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                  transient=True) as bar:
        task = bar.add_task("routing", total=None)
        yield lambda msg: bar.update(task, description=msg)


def _rules(rules_file: Path | None, folder: Path | None, network: Any, catalog: Any) -> RuleSet:
    if rules_file is not None:
        return parse_rules(str(rules_file), rules_file.read_text(encoding="utf-8-sig"), network, catalog)
    return load_rules(folder, network, catalog) if folder is not None else RuleSet()


def _print_result(view: dict[str, Any]) -> None:
    table(f"routing ({view.get('method')})", ["line", "order", "site", "finish", "late days", "cost / reason"],
          [(r["line_id"], r["order_id"], r["site_id"] or "-", r.get("finish", ""), r.get("days_late", ""),
            r.get("cost", r.get("reason"))) for r in view["items"]])
    table("costs", ["part", "amount"], list(view["costs"].items()))
    console.print(f"status {view['status']}, objective {view['objective']}, bound {view['bound']}, gap {view['gap']}, "
                  f"{view['assigned']} assigned, {view['unassigned']} unassigned, {view['late']} late, "
                  f"{view['runtime_s']} s, seed {view['seed']}")
    if "greedy" in view:
        g = view["greedy"]
        console.print(f"greedy baseline: objective {g['objective']} ({g['late']} late, {g['unassigned']} unassigned); "
                      f"optimal saves {g['saving']} ({g['saving_pct']} %)")


@handle_errors
def route(target: str | None = typer.Argument(None, help="a scenario folder, or `explain` LINE_ID"),
          line_id: str | None = typer.Argument(None, help="with `explain`: the order line"),
          policy: str = PolicyOption, brand: str | None = typer.Option(None, "--brand"),
          time_limit: float = typer.Option(30.0, "--time-limit", help="solver seconds"),
          rules_file: Path | None = typer.Option(None, "--rules", help="rules.yaml (default: DIR/rules.yaml)"),
          start: str | None = typer.Option(None, "--start", help="day 0 for a folder (default: first order)"),
          db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """Route order lines: `route DIR` (a folder, no database), `route --db URL` (stored), `route explain LINE`."""
    if target == "explain":
        if not line_id:
            raise InvalidInput("route explain needs a LINE_ID", field="line_id")
        c = container(db)
        with c.uow() as uow:
            view = explain_line(uow, line_id)
        dump_json(view) if json_out else _print_explanation(view)
        return
    if target is not None:
        _route_folder(Path(target), policy, time_limit, rules_file, start, json_out)
        return
    c = container(db)
    with c.uow() as uow, _progress(not json_out) as say:
        network = uow.network.load()
        req = RouteRequest(policy, brand, time_limit, rules=_rules(rules_file, None, network,
                                                                  uow.catalog.load(network)))
        summary = route_stored(uow, req, now=c.clock.now(), actor="cli", progress=say)
        uow.commit()
    if json_out:
        dump_json(summary)
        return
    table(f"routing run {summary['id']}", ["what", "value"],
          [(k, v) for k, v in summary.items() if k not in ("costs", "id")] + list(summary["costs"].items()))


def _route_folder(folder: Path, policy: str, time_limit: float, rules_file: Path | None, start: str | None,
                  json_out: bool) -> None:
    scenario = load_scenario(folder)
    try:
        day0 = date.fromisoformat(start) if start else None
    except ValueError:
        raise InvalidInput(f"--start {start!r} is not an ISO date", field="start") from None
    req = RouteRequest(policy, None, time_limit, rules=_rules(rules_file, folder, scenario.network, scenario.catalog))
    with _progress(not json_out) as say:
        say(f"routing {sum(len(o.lines) for o in scenario.orders)} lines ({policy})")
        view = route_scenario(scenario, req, start=day0)
    dump_json(view) if json_out else _print_result(view)


def _print_explanation(view: dict[str, Any]) -> None:
    console.print(f"line {view['line_id']}: site {view['site_id'] or '-'}"
                  + (f" — {view['reason']}" if view.get("reason") else "")
                  + (f", cost {view['cost']}, finish {view.get('finish')}, {view.get('days_late')} days late"
                     if view["site_id"] else ""))
    table("next best candidates", ["site", "total", "production", "transport", "carbon"],
          [(a["site_id"], a["cost"]["total"], a["cost"]["production"]["total"], a["cost"]["transport"]["cost"],
            a["cost"]["carbon"]["total"]) for a in view.get("alternatives", [])])
    table("rejected", ["site", "reason"], sorted(view.get("rejected", {}).items()))


@handle_errors
def sites_status(site: str, status: str = typer.Argument(..., help="up | down"),
                 reason: str = typer.Option("", "--reason"), db: str | None = DbOption,
                 json_out: bool = JsonOption) -> None:
    """Set a site up or down; a site going down has its unstarted lines re-routed."""
    c = container(db)
    with c.uow() as uow:
        out = set_site_status(uow, site, status, now=c.clock.now(), reason=reason, actor="cli")
        uow.commit()
    if json_out:
        dump_json(out)
    else:
        console.print(f"site {out['site_id']} is {out['status']}: {out['moved']} lines re-routed, "
                      f"{out['unassigned']} left unassigned, {out['kept_started']} started lines stay")


COMMANDS: dict[str, Callable[..., Any]] = {"route": route, "sites-status": sites_status}
