"""``microfactory campaigns|runs|replenish|market|purchasing ...``: the demand programs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import typer

from microfactory.domain.catalog import parse_options
from microfactory.engines.pooling import RunOffer
from microfactory.entrypoints.cli.common import (
    DbOption,
    JsonOption,
    container,
    dump_json,
    handle_errors,
    table,
)
from microfactory.errors import InvalidInput
from microfactory.services import campaigns as cs
from microfactory.services import demand_files as df
from microfactory.services import market as mk
from microfactory.services import purchasing as pu
from microfactory.services import runs as rs
from microfactory.services import stock as st

campaigns = typer.Typer(help="Pre-order campaigns: open, pledge, cancel, close.", no_args_is_help=True)
runs = typer.Typer(help="Collaborative runs across brands.", no_args_is_help=True)
replenish = typer.Typer(help="Stock policies, store sales and replenishment.", no_args_is_help=True)
market = typer.Typer(help="Test-market analysis.", no_args_is_help=True)
purchasing = typer.Typer(help="Material planning and purchase orders.", no_args_is_help=True)
policies = typer.Typer(help="Stock policies from a scenario folder's policies.yaml.", no_args_is_help=True)
replenish.add_typer(policies, name="policies")
GROUPS = {"campaigns": campaigns, "runs": runs, "replenish": replenish, "market": market, "purchasing": purchasing}


def _write(db: str | None, fn: Any) -> Any:
    c = container(db)
    with c.uow() as uow:
        out = fn(uow, c.clock.now())
        uow.commit()
    return out


def _show(data: Any, json_out: bool, title: str) -> None:
    if json_out:
        dump_json(data)
    elif isinstance(data, list):
        keys = list(data[0]) if data else ["empty"]
        table(title, keys, [[str(row.get(k, "")) for k in keys] for row in data])
    else:
        table(title, ["field", "value"], [(k, v) for k, v in data.items()])


def _variant(text: str) -> cs.VariantRequest:
    product, _, opts = text.partition(":")
    if not product:
        raise InvalidInput(f"variant {text!r} is not PRODUCT[:name=value;...]", field="variant")
    return cs.VariantRequest(product.strip(), parse_options(opts))


@campaigns.command("open")
@handle_errors
def campaigns_open(brand: str = typer.Option(...), name: str = typer.Option(...),
                   variant: list[str] = typer.Option(..., help="PRODUCT:size=M;fabric=linen (repeat)"),
                   deadline: datetime = typer.Option(..., help="local wall-clock time"),
                   tz: str = typer.Option(..., "--tz"), price: float = typer.Option(...),
                   site: list[str] = typer.Option(...), window_start: datetime = typer.Option(...),
                   window_end: datetime = typer.Option(...), minimum: int | None = typer.Option(None),
                   minimum_product: list[str] = typer.Option([], help="PRODUCT=N (repeat)"),
                   partial: bool = typer.Option(False), payment: str = typer.Option("full"),
                   deposit: float = typer.Option(1.0), campaign_id: str | None = typer.Option(None, "--id"),
                   db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """Open a campaign; its cap comes from the free capacity of the sites in the window."""
    per = {k: int(v) for k, v in (m.split("=", 1) for m in minimum_product)}
    req = cs.CampaignRequest(brand, name, tuple(_variant(v) for v in variant), deadline, tz, price, tuple(site),
                             window_start.date(), window_end.date(), minimum, per, payment, deposit, partial,
                             campaign_id)
    _show(_write(db, lambda uow, now: cs.open_campaign(uow, req, now=now, actor="cli")), json_out, "campaign")


@campaigns.command("list")
@handle_errors
def campaigns_list(brand: str | None = typer.Option(None), status: str | None = typer.Option(None),
                   db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """Campaigns with their progress."""
    with container(db).uow() as uow:
        items = [cs.campaign_view(r) for r in uow.demand.list_campaigns(brand=brand, status=status)]
    _show(items if json_out else [{k: i[k] for k in ("id", "brand", "status", "deadline_utc", "units", "cap")}
                                  for i in items], json_out, "campaigns")


@campaigns.command("pledge")
@handle_errors
def campaigns_pledge(campaign_id: str, sku: str = typer.Option(...), quantity: int = typer.Option(1),
                     customer: str = typer.Option(""), db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """Pledge on a campaign (refused past the cap or the deadline, with the reason)."""
    req = cs.PledgeRequest(campaign_id, quantity, sku=sku, customer_ref=customer)
    _show(_write(db, lambda uow, now: cs.place_pledge(uow, req, now=now, actor="cli")), json_out, "pledge")


@campaigns.command("cancel")
@handle_errors
def campaigns_cancel(campaign_id: str, pledge_id: str, db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """Cancel a pledge before the deadline (refunded)."""
    _show(_write(db, lambda uow, now: cs.cancel_pledge(uow, campaign_id, pledge_id, now=now, actor="cli")),
          json_out, "pledge")


@campaigns.command("close")
@handle_errors
def campaigns_close(campaign_id: str | None = typer.Argument(None), due: bool = typer.Option(False, "--due"),
                    db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """Close one campaign by hand (idempotent), or with --due every campaign past its deadline."""
    if due:
        out: Any = _write(db, lambda uow, now: cs.close_due_campaigns(uow, now=now, actor="cli"))
        _show([{"id": c["id"], "outcome": c["outcome"]} for c in out] if not json_out else out, json_out, "closed")
        return
    if campaign_id is None:
        raise InvalidInput("give a campaign id or --due", field="campaign_id")
    _show(_write(db, lambda uow, now: cs.close_campaign(uow, campaign_id, now=now, actor="cli")), json_out, "campaign")


@campaigns.command("load")
@handle_errors
def campaigns_load(folder: str = typer.Argument(..., help="scenario folder with a campaigns.yaml"),
                   db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """Open the campaigns of FOLDER/campaigns.yaml (existing ids are skipped; errors as FILE:LINE)."""
    out = _write(db, lambda uow, now: df.load_campaigns(uow, folder, now=now, actor="cli"))
    _show(out if json_out else {"file": out["file"], "opened": ", ".join(f"{c['id']} (cap {c['cap']})"
                                                                         for c in out["opened"]) or "-",
                                "skipped": ", ".join(out["skipped"]) or "-"}, json_out, "campaigns")


@policies.command("load")
@handle_errors
def policies_load(folder: str = typer.Argument(..., help="scenario folder with a policies.yaml"),
                  db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """Store the stock policies of FOLDER/policies.yaml (errors as FILE:LINE)."""
    out = _write(db, lambda uow, now: df.load_policies(uow, folder, now=now, actor="cli"))
    _show(out if json_out else {"file": out["file"], "policies": len(out["policies"])}, json_out, "policies")


@runs.command("offer")
@handle_errors
def runs_offer(site: str = typer.Option(...), setup_key: str = typer.Option(...), min_batch: int = typer.Option(...),
               deadline: datetime = typer.Option(..., help="UTC"), fixed_cost: float = typer.Option(...),
               shortfall: float = typer.Option(0.0), max_batch: int | None = typer.Option(None),
               rule: str = typer.Option("shapley"), run_id: str | None = typer.Option(None, "--id"),
               db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """A site offers a run for one setup key."""
    req = rs.RunRequest(site, setup_key, min_batch, deadline, fixed_cost, shortfall, max_batch, rule, run_id)
    _show(_write(db, lambda uow, now: rs.offer_run(uow, req, now=now, actor="cli")), json_out, "run")


@runs.command("join")
@handle_errors
def runs_join(run_id: str, brand: str = typer.Option(...), line: str = typer.Option(...),
              on_fail: str = typer.Option("reroute"), db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """Put one of a brand's open order lines in a run."""
    _show(_write(db, lambda uow, now: rs.join(uow, run_id, brand, line, on_fail=on_fail, now=now, actor="cli")),
          json_out, "run")


@runs.command("show")
@handle_errors
def runs_show(run_id: str, brand: str | None = typer.Option(None), db: str | None = DbOption,
              json_out: bool = JsonOption) -> None:
    """A run as the coordinator sees it, or as one brand sees it (--brand)."""
    with container(db).uow() as uow:
        _show(rs.run_view(uow, run_id, brand), json_out, f"run {run_id}")


@runs.command("resolve")
@handle_errors
def runs_resolve(db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """Resolve every open run past its deadline (fail cleanly)."""
    _show(_write(db, lambda uow, now: rs.resolve_due(uow, now=now, actor="cli")), json_out, "resolved")


@runs.command("propose")
@handle_errors
def runs_propose(site: str = typer.Option(...), setup_key: str = typer.Option(...), min_batch: int = typer.Option(...),
                 fixed_cost: float = typer.Option(...), shortfall: float = typer.Option(0.0),
                 time_limit: float = typer.Option(5.0), seed: int = typer.Option(0),
                 db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """Which open lines of different brands would pool into runs, and the saving."""
    offer = RunOffer(site, setup_key, min_batch, fixed_cost, shortfall)
    with container(db).uow() as uow:
        out = rs.propose(uow, [offer], time_limit_s=time_limit, seed=seed)
    _show(out, json_out, "proposal")


@replenish.command("policy")
@handle_errors
def replenish_policy(store: str = typer.Option(...), product: str = typer.Option(...), options: str = typer.Option(""),
                     kind: str = typer.Option("stocked"), demand: float | None = typer.Option(None),
                     sd: float = typer.Option(0.0), lead_time: float = typer.Option(3.0),
                     service_level: float = typer.Option(0.95), review_days: int = typer.Option(7),
                     db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """Set a store's policy for one variant (stocked with a cushion, made_to_order, preorder_only)."""
    req = st.PolicyRequest(store, product, parse_options(options), kind, demand, sd, lead_time, service_level,
                           review_days)
    _show(_write(db, lambda uow, now: st.set_policy(uow, req, now=now, actor="cli")), json_out, "policy")


@replenish.command("plan")
@handle_errors
def replenish_plan(all_: bool = typer.Option(False, "--all", help="review every policy today"),
                   db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """What the replenishment planner would order today (nothing stored)."""
    c = container(db)
    with c.uow() as uow:
        out = st.plan_view(st.replenishment_plan(uow, now=c.clock.now(), review_all=all_))
    _show(out, json_out, "replenishment plan")


@replenish.command("run")
@handle_errors
def replenish_run(all_: bool = typer.Option(False, "--all"), db: str | None = DbOption,
                  json_out: bool = JsonOption) -> None:
    """Create and route today's replenishment orders."""
    out = _write(db, lambda uow, now: st.run_replenishment(uow, now=now, actor="cli", review_all=all_))
    _show(out["orders"], json_out, "replenishment orders")


@market.command("analyse")
@handle_errors
def market_analyse(product: str, start: datetime = typer.Option(...), end: datetime = typer.Option(...),
                   horizon: float = typer.Option(28.0), unit_cost: float | None = typer.Option(None),
                   salvage: float = typer.Option(0.0), scale_units: int = typer.Option(200),
                   stop_units: int = typer.Option(20), db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """Demand posterior, newsvendor quantity and keep/scale/stop for a product's pilot period."""
    req = mk.MarketRequest(product, start.date(), end.date(), horizon, unit_cost, salvage, None, scale_units, stop_units)
    with container(db).uow() as uow:
        _show(mk.analyse(uow, req), json_out, f"market {product}")


@purchasing.command("plan")
@handle_errors
def purchasing_plan(db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """Net material requirements and purchase suggestions (nothing stored)."""
    c = container(db)
    with c.uow() as uow:
        out = pu.plan(uow, now=c.clock.now())
    if json_out:
        dump_json(out)
    else:
        _show(out["suggestions"], False, f"suggestions (total {out['total_cost']})")


@purchasing.command("order")
@handle_errors
def purchasing_order(site: str | None = typer.Option(None), supplier: str | None = typer.Option(None),
                     material: str | None = typer.Option(None), quantity: float | None = typer.Option(None),
                     db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """Place the suggested purchase orders, or one by hand (--site --supplier --material --quantity)."""
    if site and supplier and material and quantity:
        out: Any = [_write(db, lambda uow, now: pu.order_manual(uow, site, supplier, material, quantity, now=now,
                                                                actor="cli"))]
    else:
        out = _write(db, lambda uow, now: pu.order_suggested(uow, now=now, actor="cli"))
    _show(out, json_out, "purchase orders")


@purchasing.command("receive")
@handle_errors
def purchasing_receive(po_id: str, quantity: float = typer.Option(...), lot: str = typer.Option(...),
                       db: str | None = DbOption, json_out: bool = JsonOption) -> None:
    """Receive (part of) a purchase order as a lot into inventory."""
    _show(_write(db, lambda uow, now: pu.receive(uow, po_id, quantity, lot, now=now, actor="cli")), json_out, "po")


__all__ = ["GROUPS", "date"]
