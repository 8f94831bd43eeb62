"""Collaborative runs in the store: offer, join, leave, resolve (one batch or a clean failure), share cost.

A run's deadline is a naive UTC datetime; the engine works in minutes from the run's
creation. Tenant isolation: every read a brand makes goes through repository queries
filtered by that brand, so another brand's lines, units and share never leave the store;
a brand with no line in a run gets NotFound (404), as if the run did not exist.

When the lines reach the minimum the run is resolved at once: one batch (``batches`` with
its lines) is created for the planner to schedule, the lines are booked at the run's site
through the routing service (capacity and stock reserved, assignment stored; a line routed
elsewhere gives its booking back first; one that no longer fits stays ``validated`` and is
counted in ``sharing.booking.unassigned``), and the fixed cost is shared by the chosen rule. The stored sharing holds the
rule, its inputs (units per brand, fixed cost, minimum, surcharge), the result (shares,
standard errors) and the solver figures (status, objective, bound, runtime, seed).

``uow`` is the SQL unit of work (``Any``: ``uow.demand``, ``uow.production`` are lazy).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from microfactory.domain.network import SiteKind
from microfactory.domain.orders import OrderStatus, advance_line
from microfactory.domain.production import Batch, BatchLine, lot_code
from microfactory.engines.pooling import (
    OnFail,
    OpenLine,
    ProposalParams,
    Run,
    RunLine,
    RunOffer,
    RunProposal,
    RunState,
    RunStatus,
    SharingParams,
    SharingRule,
    propose_runs,
    share_run_cost,
)
from microfactory.engines.pooling import join_run as engine_join
from microfactory.engines.pooling import resolve_run as engine_resolve
from microfactory.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from microfactory.services.demand_routing import route_orders

JOINABLE = (OrderStatus.VALIDATED, OrderStatus.ROUTED)


@dataclass(frozen=True)
class RunRequest:
    site: str
    setup_key: str
    min_batch: int
    deadline: datetime
    fixed_cost: float
    shortfall_cost_per_unit: float = 0.0
    max_batch: int | None = None
    rule: str = "shapley"
    run_id: str | None = None


def _minutes(row: dict[str, Any], at: datetime) -> int:
    return int((at - row["created_at"]).total_seconds() // 60)


def _engine_run(row: dict[str, Any]) -> Run:
    return Run(row["id"], row["site_id"], row["setup_key"], row["min_batch"], _minutes(row, row["deadline"]),
               row["fixed_cost"], row["shortfall_cost_per_unit"], row["max_batch"])


def _state(uow: Any, row: dict[str, Any]) -> RunState:
    lines = tuple(RunLine(r["line_id"], r["brand_id"], r["quantity"], OnFail(r["on_fail"]))
                  for r in uow.demand.run_lines(row["id"]))
    return RunState(_engine_run(row), lines, RunStatus(row["status"]))


def offer_run(uow: Any, req: RunRequest, *, now: datetime, actor: str = "system") -> dict[str, Any]:
    """A site offers a run for one setup key."""
    site = uow.network.get_site(req.site)
    if site.kind is not SiteKind.MICROFACTORY:
        raise InvalidInput(f"site {req.site} is not a microfactory", field="site")
    if req.deadline <= now:
        raise InvalidInput("the deadline must be in the future", field="deadline")
    SharingRule(req.rule) if req.rule in {r.value for r in SharingRule} else _bad_rule(req.rule)
    rid = req.run_id or "RUN-" + hashlib.sha1(f"{req.site}|{req.setup_key}|{now.isoformat()}".encode()
                                              ).hexdigest()[:10].upper()
    row = {"id": rid, "site_id": req.site, "setup_key": req.setup_key, "min_batch": req.min_batch,
           "max_batch": req.max_batch, "deadline": req.deadline, "fixed_cost": req.fixed_cost,
           "shortfall_cost_per_unit": req.shortfall_cost_per_unit, "status": "open", "batch_id": None,
           "sharing": {"rule": req.rule}, "created_at": now, "resolved_at": None}
    _engine_run(row)  # validates the terms
    if any(r["id"] == rid for r in uow.demand.list_runs(site=req.site)):
        raise Conflict(f"run {rid} already exists", field="run_id")
    uow.demand.add_run(row)
    uow.audit.add(actor, "run.offer", "run", rid, {"site": req.site, "setup_key": req.setup_key}, now)
    return run_view(uow, rid)


def _bad_rule(rule: str) -> None:
    raise InvalidInput(f"rule {rule!r} is not shapley or proportional", field="rule")


def join(uow: Any, run_id: str, brand: str, line_id: str, *, on_fail: str = "reroute", now: datetime,
         actor: str = "system") -> dict[str, Any]:
    """A brand puts one of its open order lines in a run; the run resolves when it fills."""
    row = uow.demand.get_run(run_id, lock=True)
    order = uow.orders.get(uow.routing.order_of_line(line_id), brand=brand)
    line = order.line(line_id)
    if line.status not in JOINABLE:
        raise IllegalTransition(f"line {line_id} is {line.status.value}; only validated or routed lines join",
                                field="line_id")
    if line_id in uow.demand.lines_in_open_runs():
        raise Conflict(f"line {line_id} is already in an open run", field="line_id")
    try:
        choice = OnFail(on_fail)
    except ValueError:
        raise InvalidInput("on_fail is reroute or release", field="on_fail") from None
    engine_join(_state(uow, row), RunLine(line_id, brand, line.quantity, choice), _minutes(row, now))
    uow.demand.add_run_line({"run_id": run_id, "line_id": line_id, "brand_id": brand, "order_id": order.id,
                             "sku": line.sku, "quantity": line.quantity, "on_fail": choice.value, "outcome": None,
                             "joined_at": now})
    resolve(uow, run_id, now=now, actor=actor)
    return run_view(uow, run_id, brand)


def leave(uow: Any, run_id: str, brand: str, line_id: str, *, now: datetime, actor: str = "system") -> dict[str, Any]:
    row = uow.demand.get_run(run_id, lock=True, brand=brand)
    if row["status"] != "open":
        raise IllegalTransition(f"run {run_id} is {row['status']}", field="run_id")
    if not any(r["line_id"] == line_id for r in uow.demand.run_lines(run_id, brand)):
        raise NotFound(f"line {line_id} is not yours in run {run_id}", field="line_id")
    uow.demand.remove_run_line(run_id, line_id)
    uow.audit.add(actor, "run.leave", "run", run_id, {"brand": brand, "line_id": line_id}, now)
    return {"run_id": run_id, "line_id": line_id, "left": True}


def resolve(uow: Any, run_id: str, *, now: datetime, actor: str = "system",
            brand_choices: dict[str, str] | None = None) -> dict[str, Any]:
    """Schedule a filled run as one batch, fail an unfilled one past its deadline; idempotent."""
    row = uow.demand.get_run(run_id, lock=True)
    state = _state(uow, row)
    choices = {b: OnFail(c) for b, c in (brand_choices or {}).items()}
    new, events = engine_resolve(state, _minutes(row, now), choices)
    if new.status is RunStatus.SCHEDULED and events:
        _schedule(uow, row, new, now, actor)
    elif new.status is RunStatus.FAILED and events:
        _fail(uow, row, events, now, actor)
    return run_view(uow, run_id)


def resolve_due(uow: Any, *, now: datetime, actor: str = "system") -> list[dict[str, Any]]:
    """Resolve every open run whose deadline has passed."""
    return [resolve(uow, r["id"], now=now, actor=actor) for r in uow.demand.list_runs(status="open")
            if r["deadline"] <= now]


def _sharing(row: dict[str, Any], state: RunState) -> dict[str, Any]:
    rule = SharingRule(row["sharing"].get("rule", "shapley"))
    s = share_run_cost(state, SharingParams(rule=rule, seed=0))
    return {"rule": rule.value, "method": s.method,
            "inputs": {"units": s.units, "fixed_cost": row["fixed_cost"], "min_batch": row["min_batch"],
                       "shortfall_cost_per_unit": row["shortfall_cost_per_unit"]},
            "total_cost": s.total_cost, "shares": s.shares, "std_error": s.std_error, "status": s.status,
            "objective": s.objective, "bound": s.bound, "runtime_s": round(s.runtime_s, 6), "seed": s.seed}


def _free_lot(uow: Any, site: str, now: datetime) -> str:
    for seq in range(1, 1000):
        lot = lot_code(site, now, seq)
        try:
            uow.production.batch_by_lot(lot)
        except NotFound:
            return lot
    raise Conflict(f"no free lot number left at {site} today", field="lot")


def _book_at_site(uow: Any, row: dict[str, Any], lines: list[dict[str, Any]], now: datetime,
                  actor: str) -> dict[str, Any]:
    """Book the run's lines at its site through the routing service (capacity, stock, assignment).

    Lines already routed to the run's site keep their booking; lines routed elsewhere give
    theirs back (capacity and stock) and return to ``validated``; then every validated line is
    routed in one bulk run restricted to the run's site.
    """
    from microfactory.services.routing import RouteRequest, _release_stock
    from microfactory.services.routing_bulk import route_orders_bulk

    site = row["site_id"]
    orders: dict[str, Any] = {}
    for r in lines:
        orders.setdefault(r["order_id"], uow.orders.get(r["order_id"]))
    ids = [r["line_id"] for r in lines]
    moving = [r["line_id"] for r in uow.routing.line_refs(statuses=["routed"], line_ids=ids)
              if r["site_id"] not in (None, site)]
    if moving:
        uow.routing.release(moving)
        _release_stock(uow, set(moving), now)
        for r in (r for r in lines if r["line_id"] in moving):
            order, evs = advance_line(orders[r["order_id"]], r["line_id"], OrderStatus.VALIDATED, now,
                                      f"moved to collaborative run {row['id']} at {site}")
            uow.orders.save_status(order, evs, actor)
            uow.orders.set_line_site(r["line_id"], None)
            orders[r["order_id"]] = uow.orders.get(r["order_id"])
    todo = [o for o in orders.values() if any(ln.status is OrderStatus.VALIDATED for ln in o.lines if ln.id in ids)]
    if not todo:
        return {"moved": 0, "assigned": 0, "unassigned": 0}
    out = route_orders_bulk(uow, todo, now=now, actor=actor, site_ids=(site,),
                            req=RouteRequest(policy="greedy", time_limit_s=5.0))
    return {"moved": len(moving), **{k: out[k] for k in ("id", "status", "assigned", "unassigned", "late",
                                                        "runtime_s", "seed")}}


def _schedule(uow: Any, row: dict[str, Any], state: RunState, now: datetime, actor: str) -> None:
    lines = uow.demand.run_lines(row["id"])
    batch = Batch(f"BAT-{row['id']}", row["site_id"], row["setup_key"],
                  tuple(BatchLine(r["line_id"], r["order_id"], r["sku"], r["quantity"]) for r in lines),
                  _free_lot(uow, row["site_id"], now), due=row["deadline"])
    booking = _book_at_site(uow, row, lines, now, actor)
    uow.production.add_batch(batch, now)
    uow.demand.set_run_lines_outcome(row["id"], {r["line_id"]: "batched" for r in lines})
    sharing = {**_sharing(row, state), "booking": booking}
    uow.demand.resolve_run(row["id"], "scheduled", now, batch.id, sharing)
    uow.audit.add(actor, "run.schedule", "run", row["id"], {"batch": batch.id, "rule": sharing["rule"],
                                                           "shares": sharing["shares"], "booking": booking}, now)


def _fail(uow: Any, row: dict[str, Any], events: tuple[Any, ...], now: datetime, actor: str) -> None:
    by_line = {r["line_id"]: r for r in uow.demand.run_lines(row["id"])}
    reroute, outcomes = [], {}
    for e in events:
        r = by_line[e.line_id]
        order = uow.orders.get(r["order_id"])
        if e.kind == "release_line":
            order, evs = advance_line(order, e.line_id, OrderStatus.CANCELLED, now,
                                      f"released: run {row['id']} did not fill")
            uow.orders.save_status(order, evs, actor)
            outcomes[e.line_id] = "released"
        else:
            outcomes[e.line_id] = "rerouted"
            if order.line(e.line_id).status is OrderStatus.VALIDATED:
                reroute.append(order)
    uow.demand.set_run_lines_outcome(row["id"], outcomes)
    routing = route_orders(uow, reroute, now=now, actor=actor)
    uow.demand.resolve_run(row["id"], "failed", now, None, {**row["sharing"], "routing": routing})
    uow.audit.add(actor, "run.fail", "run", row["id"], {"lines": outcomes}, now)


def run_view(uow: Any, run_id: str, brand: str | None = None) -> dict[str, Any]:
    """The coordinator's view (``brand`` None) or one brand's: own lines and own share only."""
    row = uow.demand.get_run(run_id, brand=brand)
    base = {"id": row["id"], "site": row["site_id"], "setup_key": row["setup_key"], "min_batch": row["min_batch"],
            "max_batch": row["max_batch"], "deadline": row["deadline"].isoformat(), "status": row["status"],
            "batch_id": row["batch_id"], "fixed_cost": row["fixed_cost"]}
    units = uow.demand.run_units(run_id)
    if brand is None:
        return {**base, "units": units, "lines": [_line(r) for r in uow.demand.run_lines(run_id)],
                "sharing": row["sharing"]}
    own = uow.demand.run_lines(run_id, brand)
    sharing = row["sharing"] or {}
    return {**base, "brand": brand, "units_to_minimum": max(row["min_batch"] - units, 0),
            "filled": units >= row["min_batch"], "lines": [_line(r) for r in own],
            "rule": sharing.get("rule"), "share": (sharing.get("shares") or {}).get(brand),
            "share_std_error": (sharing.get("std_error") or {}).get(brand)}


def _line(r: dict[str, Any]) -> dict[str, Any]:
    return {"line_id": r["line_id"], "brand": r["brand_id"], "order_id": r["order_id"], "sku": r["sku"],
            "quantity": r["quantity"], "on_fail": r["on_fail"], "outcome": r["outcome"]}


def propose(uow: Any, offers: list[RunOffer], *, time_limit_s: float = 5.0, seed: int = 0) -> dict[str, Any]:
    """Which open routed lines of different brands, at the offers' sites, would pool into runs."""
    network = uow.network.load()
    catalog = uow.catalog.load(network)
    busy = uow.demand.lines_in_open_runs() | uow.production.batched_line_ids()
    keys = {(o.site, o.setup_key) for o in offers}
    open_lines = []
    for ref in uow.routing.line_refs(statuses=["routed"]):
        if ref["line_id"] in busy or ref.get("site_id") not in {k[0] for k in keys}:
            continue
        order = uow.orders.get(ref["order_id"])
        ln = order.line(ref["line_id"])
        key = catalog.explode(ln.product_id, dict(ln.options)).setup_key
        if (ref["site_id"], key) in keys:
            open_lines.append(OpenLine(ln.id, order.brand, ref["site_id"], key, ln.quantity))
    result = propose_runs(open_lines, offers, ProposalParams(time_limit_s=time_limit_s, seed=seed))
    return {"lines": len(open_lines), **_plain(result)}


def _plain(result: RunProposal) -> dict[str, Any]:
    return asdict(result)
