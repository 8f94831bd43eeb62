"""``microfactory qc``: sampling plans, inspections, switching states, drift."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import typer

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
from microfactory.services import quality

app = typer.Typer(help="Quality: sampling plans, inspections, switching states, drift.", no_args_is_help=True)


def parse_defect(text: str) -> dict[str, Any]:
    """``CLASS:TYPE[:COUNT][@UNIT]``, e.g. ``major:seam``, ``minor:stain:2@4``."""
    body, _, unit = text.partition("@")
    parts = body.split(":")
    if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        raise InvalidInput(f"defect {text!r} is not CLASS:TYPE[:COUNT][@UNIT]", field="defect")
    try:
        count = int(parts[2]) if len(parts) == 3 else 1
        where = int(unit) if unit else None
    except ValueError:
        raise InvalidInput(f"defect {text!r}: count and unit are whole numbers", field="defect") from None
    return {"class": parts[0], "type": parts[1], "count": count, "unit": where}


@app.command("plan")
@handle_errors
def plan(lot: int = typer.Option(..., "--lot", help="lot (batch) size"),
         aql: str = typer.Option(..., "--aql", help="acceptance quality limit, percent"),
         level: str = typer.Option("II", "--level", help="S-1..S-4, I, II, III"),
         severity: str = typer.Option("normal", "--severity", help="normal, tightened, reduced"),
         json_out: bool = JsonOption) -> None:
    """The single sampling plan from the MIL-STD-105E / ISO 2859-1 tables (no database)."""
    view = quality.plan_view(lot, aql, level, severity)
    if json_out:
        dump_json(view)
        return
    table(f"lot {lot}, AQL {view['aql']}, level {level}, {severity}", ["code letter", "plan letter", "n", "Ac", "Re",
                                                                        "100%", "cell"],
          [(view["code_letter"], view["plan_letter"], view["n"], view["ac"], view["re"], view["hundred_percent"],
            view["table_cell"])])


@app.command("inspect")
@handle_errors
def inspect(batch: str, inspector: str = typer.Option(..., "--inspector"),
            defect: list[str] = typer.Option([], "--defect", help="CLASS:TYPE[:COUNT][@UNIT], repeatable"),
            defects_file: Path | None = typer.Option(None, "--defects-file", help="JSON list of {class,type,count,unit}"),
            action: str = typer.Option("recommended", "--action", help="recommended, rework, remake or hold"),
            sample_size: int | None = typer.Option(None, "--sample-size"),
            db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """Inspect a batch waiting for QC; accept it or reject it with rework or remake."""
    items = [parse_defect(d) for d in defect]
    if defects_file is not None:
        items += json.loads(defects_file.read_text("utf-8"))
    c = container(db)
    with c.uow() as uow:
        result = quality.inspect_batch(uow, batch, items, inspector=inspector, now=c.clock.now(), actor="cli",
                                       action=action, sample_size=sample_size)
        uow.commit()
    if json_out:
        dump_json(result)
        return
    table(f"{result['inspection_id']}: {result['decision']} ({result['severity']})",
          ["class", "AQL", "n", "Ac", "Re", "count", "decision"],
          [(p["class"], p["aql"], p.get("n", "all"), p.get("ac", 0), p.get("re", 1), p["count"], p["decision"])
           for p in result["plans"]])
    console.print(f"DHU {result['defects_per_hundred_units']}; disposition: {result['disposition']}")
    for s in result["switches"]:
        console.print(f"[bold]switch[/bold] {s['from']} → {s['to']}: {s['rule']}")


@app.command("state")
@handle_errors
def state(site: str | None = typer.Option(None, "--site"), family: str | None = typer.Option(None, "--family"),
          db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """Switching states (normal, tightened, reduced, discontinued) per site and product family."""
    c = container(db)
    with c.uow() as uow:
        rows = quality.states(uow, site, family)
    if json_out:
        dump_json(rows)
        return
    table("switching states", ["site", "family", "severity", "last 5 on normal", "lots", "updated"],
          [(r["site"], r["family"], r["severity"], "".join("A" if a else "R" for a in r["normal_window"]),
            r["lots_seen"], r["updated_at"]) for r in rows])


@app.command("resume")
@handle_errors
def resume(site: str, family: str, reference: str = typer.Option(..., "--reference", help="corrective action"),
           db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """Record corrective action: a discontinued site/family resumes on tightened inspection."""
    c = container(db)
    with c.uow() as uow:
        view = quality.resume_inspection(uow, site, family, reference, now=c.clock.now(), actor="cli")
        uow.commit()
    dump_json(view) if json_out else console.print(f"{site}/{family}: {view['severity']}")


@app.command("drift")
@handle_errors
def drift(site: str | None = typer.Option(None, "--site"), family: str | None = typer.Option(None, "--family"),
          db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """Drift alerts (Western Electric rules, CUSUM) and quality scores per site and family."""
    c = container(db)
    with c.uow() as uow:
        alerts = quality.alerts(uow, site, family)
        scores = [asdict(s) for s in quality.scores(uow)
                  if (not site or s.site == site) and (not family or s.family == family)]
    if json_out:
        dump_json({"alerts": alerts, "scores": scores})
        return
    table("drift alerts", ["site", "family", "rule", "direction", "batches"],
          [(a["site"], a["family"], a["rule"], a["direction"], ", ".join(a["batches"])) for a in alerts])
    table("quality scores", ["site", "family", "batches", "rate", "penalty/unit", "suspended", "reason"],
          [(s["site"], s["family"], s["batches"], f"{s['rate']:.2%}", f"{s['penalty_per_unit']:.2f}", s["suspended"],
            s["reason"]) for s in scores])


GROUPS = {"qc": app}
