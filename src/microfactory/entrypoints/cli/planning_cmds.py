"""``microfactory plan``: a scenario folder or the store; ``plan event KIND``; ``plan bottlenecks``; ``plan show``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import typer

from microfactory.adapters.files.scenario import load_scenario
from microfactory.engines.scheduling import gantt_svg
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
from microfactory.services.planning import PlanRequest, parse_horizon, plan_scenario, plan_stored
from microfactory.services.planning_events import EVENT_KINDS, apply_event, bottleneck_report
from microfactory.services.planning_views import folder_view, schedule_svg, schedule_view


def _print_plan(v: dict[str, Any]) -> None:
    console.print(f"[bold]{v['site_id']}[/bold] plan {v.get('plan_id') or '(folder)'}: status {v['status']}, "
                  f"objective {v.get('objective')}, bound {v.get('bound')}, {v.get('runtime_s')} s, seed {v.get('seed')}; "
                  f"{v.get('batches', 0)} batches, weighted tardiness {v.get('weighted_tardiness')}, "
                  f"changeover {v.get('changeover_minutes')} min, makespan {v.get('makespan_at', '-')}")
    if v.get("moves") is not None:
        table("moved operations", ["batch", "op", "before", "after", "shift min"],
              [(m["batch"], m["op"], (m["before"] or {}).get("start", "new"), m["after"]["start"] + " "
                + m["after"]["resource"], m["shift_minutes"]) for m in v["moves"]])
    if v.get("work_orders"):
        table(f"work orders {v['site_id']}", ["batch", "op", "process", "resource", "worker", "start", "end"],
              [(o["batch"], o["op"], o["process"], f"{o['resource']}/{o['unit']}", o["worker"], o["start"], o["end"])
               for o in v["work_orders"]])


def _event_body(kind: str, resource: str | None, unit: int | None, worker: str | None, order: str | None,
                batch: str | None, start: str | None, end: str | None) -> dict[str, Any]:
    if kind not in EVENT_KINDS:
        raise InvalidInput(f"event kind must be one of {', '.join(EVENT_KINDS)}", field="kind")
    body = {"kind": kind, "resource": resource, "unit": unit, "worker": worker, "order_id": order,
            "batch_id": batch, "from": start, "to": end}
    return {k: v for k, v in body.items() if v is not None}


@handle_errors
def plan(target: str | None = typer.Argument(None, help="a scenario folder, `event`, `bottlenecks` or `show`"),
         kind: str | None = typer.Argument(None, help="with `event`: " + " | ".join(EVENT_KINDS)),
         site: str | None = typer.Option(None, "--site", help="one site (default: every production site)"),
         horizon: str = typer.Option("7d", "--horizon", help="planning horizon, e.g. 7d or 48h"),
         time_limit: float = typer.Option(10.0, "--time-limit", help="CP-SAT seconds per site"),
         seed: int = typer.Option(0, "--seed"), max_batch: int = typer.Option(20, "--max-batch"),
         now: str | None = typer.Option(None, "--now", help="plan as of (default: the clock; a folder: first order's day)"),
         route_policy: str = typer.Option("greedy", "--route-policy", help="folder: routing policy first"),
         gantt: Path | None = typer.Option(None, "--gantt", help="write the Gantt chart SVG here"),
         resource: str | None = typer.Option(None, "--resource"), unit: int | None = typer.Option(None, "--unit"),
         worker: str | None = typer.Option(None, "--worker"), order: str | None = typer.Option(None, "--order"),
         batch: str | None = typer.Option(None, "--batch"), start: str | None = typer.Option(None, "--from"),
         end: str | None = typer.Option(None, "--to"), top: int = typer.Option(2, "--top"),
         db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """Plan production: `plan DIR` (folder), `plan --db URL` (store), `plan event KIND`, `plan bottlenecks`, `plan show`."""
    req = PlanRequest(parse_horizon(horizon), max_batch, time_limit, seed)
    if target in ("event", "bottlenecks", "show"):
        if not site:
            raise InvalidInput(f"plan {target} needs --site", field="site")
        c = container(db)
        at = _at(now) or c.clock.now()
        with c.uow() as uow:
            if target == "event":
                out = apply_event(uow, site, _event_body(kind or "", resource, unit, worker, order, batch, start, end),
                                  now=at, req=req, actor="cli")
            elif target == "bottlenecks":
                out = bottleneck_report(uow, site, now=at, time_limit_s=time_limit, top=top, seed=seed)
            else:
                out = schedule_view(uow, site)
            svg = schedule_svg(uow, site) if gantt else None
            uow.commit()
        if svg is not None and gantt is not None:
            gantt.write_text(svg, encoding="utf-8")
        _show(target, out, json_out)
        return
    if target is not None:
        _plan_folder(Path(target), req, site, now, route_policy, gantt, json_out)
        return
    c = container(db)
    with c.uow() as uow:
        out = plan_stored(uow, req, now=_at(now) or c.clock.now(), site=site, actor="cli")
        uow.commit()
        svg = schedule_svg(uow, site) if gantt and site and out.get("plan_id") else None
    if svg is not None and gantt is not None:
        gantt.write_text(svg, encoding="utf-8")
    if json_out:
        dump_json(out)
        return
    for v in out.get("sites", [out]):
        if v.get("plan_id"):
            _print_plan(v)
        else:
            console.print(f"{v['site_id']}: nothing to plan")


def _at(now: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(now).replace(tzinfo=None) if now else None
    except ValueError:
        raise InvalidInput(f"--now {now!r} is not an ISO datetime", field="now") from None


def _show(target: str, out: dict[str, Any], json_out: bool) -> None:
    if json_out:
        dump_json(out)
    elif target == "bottlenecks":
        table(f"loads {out['site_id']}", ["kind", "name", "busy min", "available min", "utilisation"],
              [(r["kind"], r["name"], r["busy_minutes"], r["available_minutes"], r["utilisation"]) for r in out["loads"]])
        table("candidates (re-solved)", ["change", "weighted tardiness", "reduction", "changeover", "status"],
              [(c["description"], c["weighted_tardiness"], c["reduction"], c["changeover_minutes"], c["status"])
               for c in out["candidates"]])
        console.print(f"limiting: {out['limiting']['kind']} {out['limiting']['name']} "
                      f"({out['limiting']['utilisation']:.0%}); best change: {out['best'] or 'none helps'}")
    elif target == "show":
        _print_plan({**out["plan"], **out["plan"]["summary"], "plan_id": out["plan"]["id"],
                     "work_orders": out["work_orders"]})
    else:
        _print_plan(out)


def _plan_folder(folder: Path, req: PlanRequest, site: str | None, now: str | None, route_policy: str,
                 gantt: Path | None, json_out: bool) -> None:
    scenario = load_scenario(folder)
    plans = plan_scenario(scenario, req, site=site, now=_at(now), route_policy=route_policy)
    views = {sid: folder_view(p) for sid, p in plans.items()}
    if gantt is not None:
        for sid, p in plans.items():
            path = gantt if len(plans) == 1 else gantt.with_name(f"{gantt.stem}-{sid}{gantt.suffix}")
            path.write_text(gantt_svg(p.problem, p.schedule, origin=p.origin), encoding="utf-8")
    if json_out:
        dump_json(views[site] if site else {"sites": list(views.values())})
        return
    for v in views.values():
        _print_plan(v)


COMMANDS: dict[str, Callable[..., Any]] = {"plan": plan}
