"""``microfactory trace``: verify the log, export EPCIS, genealogy, labels."""

from __future__ import annotations

import json
from pathlib import Path

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
from microfactory.services import trace, trace_views

app = typer.Typer(help="Traceability: hash-chain check, EPCIS export, genealogy, labels.", no_args_is_help=True)


@app.command("verify")
@handle_errors
def verify(db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """Recompute the trace log's hash chain; exit 1 when an event was edited, removed or inserted."""
    c = container(db)
    with c.uow() as uow:
        report = trace.verify_log(uow)
    if json_out:
        dump_json(report)
    elif report["ok"]:
        console.print(f"trace log intact: {report['length']} events, head {report['head'][:16]}…")
    else:
        table("trace log problems", ["kind", "seq", "message"],
              [(p["kind"], p["seq"], p["message"]) for p in report["problems"]])
    if not report["ok"]:
        raise typer.Exit(1)


@app.command("export")
@handle_errors
def export(batch: str | None = typer.Option(None, "--batch"), order: str | None = typer.Option(None, "--order"),
           out: Path | None = typer.Option(None, "--out", help="write the JSON-LD here instead of stdout"),
           db: str | None = DbOption) -> None:
    """EPCIS 2.0 JSON-LD document of a batch or an order."""
    if (batch is None) == (order is None):
        raise InvalidInput("give exactly one of --batch or --order", field="batch")
    c = container(db)
    with c.uow() as uow:
        doc = (trace.export_batch(uow, batch, now=c.clock.now()) if batch is not None
               else trace.export_order(uow, order or "", now=c.clock.now()))
    if out is None:
        dump_json(doc)
        return
    out.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", "utf-8")
    console.print(f"wrote {len(doc['epcisBody']['eventList'])} events to {out}")


@app.command("forward")
@handle_errors
def forward(item: str, lot: str, customers: bool = typer.Option(False, "--customers", help="show customer references"),
            db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """From a material lot to the batches and orders made from it."""
    c = container(db)
    with c.uow() as uow:
        view = trace_views.trace_forward_view(uow, item, lot, customers=customers)
    if json_out:
        dump_json(view)
        return
    table(f"{item}/{lot} → batches", ["batch", "site", "lot", "status", "units"],
          [(b["batch_id"], b["site_id"], b["lot"], b["status"], b["units"]) for b in view["batches"]])
    table("orders", ["order", "brand", "status", "customer"],
          [(o["order_id"], o["brand"], o["status"], o.get("customer_ref", "")) for o in view["orders"]])


@app.command("back")
@handle_errors
def back(batch: str, db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """From a batch back to its material lots, sites, workers and inspections."""
    c = container(db)
    with c.uow() as uow:
        view = trace_views.trace_back_view(uow, batch)
    if json_out:
        dump_json(view)
        return
    table(f"{batch} ← lots", ["item", "lot", "qty", "site"], [(x["item"], x["lot"], x["qty"], x["site"])
                                                              for x in view["lots"]])
    console.print(f"sites: {', '.join(s['site_id'] for s in view['sites'])}; workers: "
                  f"{', '.join(view['workers']) or 'none in the active plan'}")
    table("inspections", ["id", "decision", "severity", "n", "at"],
          [(i["id"], i["decision"], i["severity"], i["sample_size"], i["at"]) for i in view["inspections"]])


@app.command("label")
@handle_errors
def label(batch: str, out: Path = typer.Option(..., "--out", help="file.svg or file.pdf"),
          kind: str = typer.Option("sewn_in", "--kind", help="sewn_in or receipt"),
          db: str | None = DbOption) -> None:
    """The batch's sewn-in label or receipt: GS1 Digital Link QR code, care, carbon footprint."""
    fmt = out.suffix.lower().lstrip(".")
    c = container(db)
    with c.uow() as uow:
        body = trace_views.label(uow, batch, stem=c.settings.public_base_url, kind=kind, fmt=fmt)
    if isinstance(body, bytes):
        out.write_bytes(body)
    else:
        out.write_text(body, "utf-8")
    console.print(f"wrote {out}")


GROUPS = {"trace": app}
