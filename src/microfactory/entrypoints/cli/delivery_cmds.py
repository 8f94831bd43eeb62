"""``microfactory deliveries ...`` and ``microfactory returns ...``: options, same-day plans,
shipments and tracking, transfers, preferences; return authorisations, receipts and KPIs."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import typer

from microfactory.adapters.carriers import FileCarrier
from microfactory.adapters.files.scenario import load_scenario
from microfactory.bootstrap import Container
from microfactory.engines.delivery import DeliveryParams, routes_svg
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
from microfactory.services.fulfillment import (
    PreferenceRequest,
    get_preference,
    order_options,
    set_preference,
    ship_groups,
)
from microfactory.services.fulfillment_sameday import plan_folder, plan_stored, run_view
from microfactory.services.fulfillment_shipping import (
    create_shipment,
    sync_tracking,
    transfer_material,
)
from microfactory.services.fulfillment_views import group_view, options_view
from microfactory.services.returns import (
    ReceiveRequest,
    authorise_return,
    receive_return,
    return_kpis,
    return_view,
)

deliveries = typer.Typer(help="Delivery options, same-day runs, shipments, tracking and transfers.",
                         no_args_is_help=True)
returns = typer.Typer(help="Return authorisations, receipt with inspection, return rates.", no_args_is_help=True)
GROUPS = {"deliveries": deliveries, "returns": returns}

CarrierDirOption = typer.Option(None, "--carrier-dir",
                                help="File carrier folder (default: <data_dir>/carriers/filex)")

MapOption = typer.Option(None, "--map", help="write an SVG map of the routes")
MeasureOption = typer.Option([], "--measure", help="adjusted measurement NAME=VALUE (repeatable)")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"date {text!r} is not YYYY-MM-DD", field="date") from None


def file_carrier(c: Container, folder: Path | None) -> FileCarrier:
    return FileCarrier.in_folder(folder or c.settings.data_dir / "carriers" / "filex", c.clock.now)


@deliveries.command("options")
@handle_errors
def options(order_id: str, db: str | None = DbOption, carrier_dir: Path | None = CarrierDirOption,
            json_out: bool = JsonOption) -> None:
    """Delivery options of an order from the stored plan: promised date, price, emissions."""
    c = container(db)
    with c.uow() as uow:
        view = options_view(order_options(uow, order_id, c.clock.now(), carriers=[file_carrier(c, carrier_dir)]))
    if json_out:
        dump_json(view)
        return
    console.print(f"order {order_id}: from {view['site']} ({view['site_basis']}), ready {view['ready_at']} "
                  f"({view['ready_basis']})")
    table("options", ["kind", "promised by", "price", "kg CO2e", "carrier"],
          [(o["kind"], o["promised_by"], f"{o['price']:.2f}", f"{o['kg_co2e']:.4f}", o["carrier"] or "")
           for o in view["options"]])
    for u in view["unavailable"]:
        console.print(f"not offered: {u['kind']}: {u['reason']}")


def _print_plan(view: dict[str, Any]) -> None:
    table(f"same-day plan {view['site']} {view['date']} ({view['status']}, {view['runtime_s']} s, seed {view['seed']})",
          ["route", "vehicle", "stops (order: arrival)", "km", "cost", "kg CO2e"],
          [(r["route_id"], r["vehicle_type"], ", ".join(f"{s['order_id']}: {s['arrives']}" for s in r["stops"]),
            f"{r['distance_km']:.1f}", f"{r['cost']:.2f}", f"{r['kg_co2e']:.3f}") for r in view["routes"]])
    console.print(f"{view['stops']} stops, {len(view['unserved'])} unserved, total {view['distance_km']} km, "
                  f"{view['cost']} cost, {view['kg_co2e']} kg CO2e; checker: "
                  f"{'feasible' if not view['violations'] else view['violations']}")


@deliveries.command("plan")
@handle_errors
def plan(folder: Path, site: str = typer.Option(..., "--site"), day: str = typer.Option(..., "--date"),
         map_out: Path | None = MapOption,
         time_limit: float = typer.Option(2.0, "--time-limit"), seed: int = typer.Option(0, "--seed"),
         json_out: bool = JsonOption) -> None:
    """Plan a site's same-day runs for a day on a scenario folder (PyVRP, checked independently)."""
    scenario = load_scenario(folder)
    run = plan_folder(scenario.network, scenario.catalog, scenario.orders, site, _day(day),
                      params=DeliveryParams(time_limit_s=time_limit, seed=seed))
    if map_out is not None:
        map_out.write_text(routes_svg(run.problem, run.solution))
    view = run_view(run)
    dump_json(view) if json_out else _print_plan(view)


@deliveries.command("dispatch")
@handle_errors
def dispatch(site: str = typer.Option(..., "--site"), day: str = typer.Option(..., "--date"),
             db: str | None = DbOption, time_limit: float = typer.Option(2.0, "--time-limit"),
             seed: int = typer.Option(0, "--seed"), json_out: bool = JsonOption) -> None:
    """Plan the stored same-day orders of a site and day and store the runs as shipments."""
    c = container(db)
    with c.uow() as uow:
        run = plan_stored(uow, site, _day(day), c.clock.now(), "cli",
                          params=DeliveryParams(time_limit_s=time_limit, seed=seed))
        uow.commit()
    view = run_view(run)
    dump_json(view) if json_out else _print_plan(view)


@deliveries.command("groups")
@handle_errors
def groups(site: str = typer.Option(..., "--site"), day: str = typer.Option(..., "--date"),
           db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """Lines of a site that ship on a day, grouped per customer on their cadence."""
    c = container(db)
    with c.uow() as uow:
        items = [group_view(g) for g in ship_groups(uow, site, _day(day), c.clock.now())]
    dump_json({"items": items}) if json_out else table(
        f"ship groups {site} {day}", ["customer", "lines"], [(g["customer"], ", ".join(g["line_ids"])) for g in items])


@deliveries.command("ship")
@handle_errors
def ship(order_id: str, db: str | None = DbOption, carrier_dir: Path | None = CarrierDirOption,
         reference: str = typer.Option("", "--reference"), json_out: bool = JsonOption) -> None:
    """Book an order's packed lines with the file carrier (a pickup order: a transfer to its store)."""
    c = container(db)
    with c.uow() as uow:
        shipment = create_shipment(uow, order_id, file_carrier(c, carrier_dir), c.clock.now(), "cli", reference)
        uow.commit()
    dump_json(shipment) if json_out else console.print(
        f"{shipment['kind']} {shipment['id']} tracking {shipment['tracking']} ({shipment['status']})")


@deliveries.command("track")
@handle_errors
def track(db: str | None = DbOption, carrier_dir: Path | None = CarrierDirOption,
          json_out: bool = JsonOption) -> None:
    """Read tracking updates of every open shipment and move the orders (shipped, delivered...)."""
    c = container(db)
    fc = file_carrier(c, carrier_dir)
    with c.uow() as uow:
        result = sync_tracking(uow, c.clock.now(), {fc.name: fc}, "cli")
        uow.commit()
    dump_json(result) if json_out else table(
        "tracking changes", ["shipment", "order", "from", "to", "lines moved"],
        [(x["shipment"], x["order_id"], x["old"], x["new"], x["lines_moved"]) for x in result["changed"]])


@deliveries.command("transfer")
@handle_errors
def transfer(from_site: str, to_site: str, item: str, qty: float, db: str | None = DbOption,
             weight_kg: float | None = typer.Option(None, "--weight-kg"),
             transfer_id: str | None = typer.Option(None, "--id"), json_out: bool = JsonOption) -> None:
    """Move stock between sites (FIFO lots) and record the leg's cost and emissions."""
    c = container(db)
    with c.uow() as uow:
        result = transfer_material(uow, from_site, to_site, item, qty, c.clock.now(), "cli", weight_kg, transfer_id)
        uow.commit()
    leg = result["detail"]["legs"][0]
    dump_json(result) if json_out else console.print(
        f"{result['id']}: {qty:g} {item} {from_site} -> {to_site}, {leg['distance_km']:.1f} km, "
        f"cost {leg['cost']:.2f}, {leg['kg_co2e']:.4f} kg CO2e")


@deliveries.command("prefs")
@handle_errors
def prefs(customer_ref: str, db: str | None = DbOption, brand: str | None = typer.Option(None),
          cadence: str | None = typer.Option(None, help="asap | weekly | biweekly"),
          weekday: int | None = typer.Option(None, help="0 = Monday"), anchor: str | None = typer.Option(None),
          channel: str = typer.Option("email"), store: str | None = typer.Option(None, "--store"),
          json_out: bool = JsonOption) -> None:
    """Show a customer's preferences, or set them with --brand and --cadence."""
    c = container(db)
    with c.uow() as uow:
        if cadence is None:
            pref = get_preference(uow, customer_ref)
        else:
            if brand is None:
                raise InvalidInput("setting preferences needs --brand", field="brand")
            req = PreferenceRequest(brand, cadence, weekday, _day(anchor) if anchor else None, channel, store)
            pref = set_preference(uow, customer_ref, req, c.clock.now(), "cli")
            uow.commit()
    dump_json(pref) if json_out else table(f"preferences of {customer_ref}", ["field", "value"], pref.items())


@returns.command("authorise")
@handle_errors
def authorise_cmd(order_id: str, line_id: str, reason: str = typer.Option(..., help="fit | defect | "
                                                                          "not_as_described | changed_mind"),
                  qty: int = typer.Option(1, "--qty"), db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """Authorise the return of a shipped or delivered line."""
    c = container(db)
    with c.uow() as uow:
        ret = authorise_return(uow, order_id, line_id, qty, reason, c.clock.now(), "cli")
        uow.commit()
    dump_json(return_view(ret)) if json_out else console.print(f"return {ret.id} authorised ({ret.reason.value})")


def _measurements(items: list[str]) -> dict[str, float]:
    out = {}
    for item in items:
        name, _, value = item.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise InvalidInput(f"measurement {item!r} is not NAME=NUMBER", field="measure") from None
    return out


@returns.command("receive")
@handle_errors
def receive_cmd(return_id: str, resellable: bool = typer.Option(True, "--resellable/--damaged"),
                notes: str = typer.Option(""), measure: list[str] = MeasureOption,
                outcome: str | None = typer.Option(None, help="restocked | remade | rejected"),
                store: str | None = typer.Option(None), db: str | None = DbOption,
                json_out: bool = JsonOption) -> None:
    """Receive and inspect a return; restock, remake (with --measure) or reject it."""
    c = container(db)
    with c.uow() as uow:
        ret = receive_return(uow, return_id, ReceiveRequest(resellable, notes, _measurements(measure), outcome, store),
                             c.clock.now(), "cli")
        uow.commit()
    view = return_view(ret)
    dump_json(view) if json_out else console.print(
        f"return {ret.id}: {ret.status.value}" + (f" at {ret.store}" if ret.store else "")
        + (f", remake order {ret.remake_order_id}" if ret.remake_order_id else ""))


@returns.command("list")
@handle_errors
def list_cmd(db: str | None = DbOption, status: str | None = typer.Option(None),
             order_id: str | None = typer.Option(None, "--order"), json_out: bool = JsonOption) -> None:
    """Returns, by id."""
    c = container(db)
    with c.uow() as uow:
        items = [return_view(r) for r in uow.fulfillment.returns(order_id=order_id, status=status, limit=500)]
    dump_json({"items": items}) if json_out else table(
        "returns", ["id", "order", "line", "qty", "reason", "status"],
        [(r["id"], r["order_id"], r["line_id"], r["quantity"], r["reason"], r["status"]) for r in items])


@returns.command("kpis")
@handle_errors
def kpis_cmd(db: str | None = DbOption, brand: str | None = typer.Option(None), json_out: bool = JsonOption) -> None:
    """Return rates overall and by reason, product and site."""
    c = container(db)
    with c.uow() as uow:
        rates = return_kpis(uow, brand)
    if json_out:
        dump_json(rates)
        return
    console.print(f"shipped {rates['shipped']}, returned {rates['returned']}, rate {rates['rate']}")
    for by in ("by_reason", "by_product", "by_site"):
        table(by.replace("_", " "), ["key", "shipped", "returned", "rate"],
              [(r["key"], r["shipped"], r["returned"], r["rate"]) for r in rates[by]])


__all__ = ["GROUPS"]
