"""Routing use cases: route open lines (batch), place a new order (online), re-route on disruption.

Each use case takes a unit of work, ``now`` and an actor, calls the pure routing engine on a
problem built by :mod:`microfactory.services.routing_problem`, and stores the decision with
:func:`microfactory.services.routing_commit.commit` (capacity, stock, assignments, events in
one transaction). The caller commits. ``route_scenario`` works on a scenario folder, no store.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from microfactory.adapters.files.scenario import Scenario
from microfactory.domain.catalog import Catalog
from microfactory.domain.inventory import Inventory, Movement
from microfactory.domain.network import Network, SiteStatus
from microfactory.domain.orders import Order
from microfactory.engines.routing import (
    RoutingParams,
    RoutingResult,
    reroute,
    route_batch,
    route_greedy,
)
from microfactory.errors import InvalidInput
from microfactory.services.routing_booking import available_stock
from microfactory.services.routing_commit import Decision, commit, lock_capacity
from microfactory.services.routing_problem import (
    BuildParams,
    BuiltProblem,
    OpenLine,
    QualityFlag,
    build_problem,
    production_sites,
)
from microfactory.services.routing_rules import RuleSet, engine_rules

POLICIES = ("optimal", "greedy", "rules")
UNSTARTED = ("routed", "scheduled")
#: Money per line off partner and on-demand sites when re-routing (secondary capacity first).
REROUTE_PREFERENCE: Mapping[str, float] = {"partner": 3.0, "on_demand": 3.0}
Progress = Callable[[str], None]


@dataclass(frozen=True)
class RouteRequest:
    """What to route and how: policy, brand filter, solver time limit, rules, quality flags."""

    policy: str = "optimal"
    brand: str | None = None
    time_limit_s: float = 30.0
    seed: int = 0
    max_late_days: int = 7
    rules: RuleSet = field(default_factory=RuleSet)
    quality: Mapping[tuple[str, str], QualityFlag] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise InvalidInput(f"policy {self.policy!r} is not one of {', '.join(POLICIES)}", field="policy")
        if not 0 < self.time_limit_s <= 3600:
            raise InvalidInput("time_limit_s must be in (0, 3600]", field="time_limit_s")


def engine_params(req: RouteRequest, built: BuiltProblem, **extra: Any) -> RoutingParams:
    """The engine's parameters for a request (rules converted against the problem's lines)."""
    rules = engine_rules(req.rules, built.problem.lines) if req.policy != "greedy" else ()
    return RoutingParams(policy=req.policy, time_limit_s=req.time_limit_s, seed=req.seed, rules=rules,  # type: ignore[arg-type]
                         rules_as_hard=req.rules.hard, rule_bonus=req.rules.bonus, max_late_days=req.max_late_days,
                         **extra)


def _horizon(orders: Mapping[str, Order] | list[Order], start: date, max_late: int) -> int:
    values = orders.values() if isinstance(orders, Mapping) else orders
    return max([(o.due - start).days for o in values] + [0]) + max_late + 8


def solve(built: BuiltProblem, params: RoutingParams) -> RoutingResult:
    """Run the engine under the request's policy."""
    return route_batch(built.problem, params)


# -- scenario folder (no store) ----------------------------------------------------------------
def route_scenario(scenario: Scenario, req: RouteRequest, *, start: date | None = None,
                   compare: bool = True) -> dict[str, Any]:
    """Route every line of a scenario folder; per line site, cost, lateness; totals; greedy comparison."""
    lines = [OpenLine(o, ln) for o in scenario.orders for ln in o.lines]
    if not lines:
        raise InvalidInput("the scenario has no order lines to route", field="orders")
    start = start or min(o.created for o in scenario.orders).date()
    stock: dict[tuple[str, str], float] = {}
    for r in scenario.stock:
        stock[(r.site, r.item)] = stock.get((r.site, r.item), 0.0) + r.quantity
    params = BuildParams(max_late_days=req.max_late_days,
                         horizon_days=_horizon(list(scenario.orders), start, req.max_late_days))
    built = build_problem(scenario.network, scenario.catalog, lines, start, stock=stock, quality=req.quality,
                          params=params)
    ep = engine_params(req, built)
    result = solve(built, ep)
    out = result_view(built, result)
    if compare and req.policy == "optimal":
        greedy = route_greedy(built.problem, engine_params(RouteRequest("greedy", max_late_days=req.max_late_days),
                                                           built))
        out["greedy"] = {"objective": round(greedy.objective, 4), "assigned": len(greedy.assignments),
                         "unassigned": len(greedy.unassigned), "late": greedy.late_lines,
                         "saving": round(greedy.objective - result.objective, 4),
                         "saving_pct": round(100 * (greedy.objective - result.objective) / greedy.objective, 2)
                         if greedy.objective > 0 else 0.0}
    return out


def result_view(built: BuiltProblem, result: RoutingResult) -> dict[str, Any]:
    """Totals and per-line decisions of an engine result (dates, not day offsets)."""
    lines = {ln.id: ln for ln in built.problem.lines}
    rows = [{"line_id": a.line_id, "order_id": lines[a.line_id].order_id, "site_id": a.site_id,
             "finish": built.day(a.finish_day).isoformat(), "days_late": a.days_late, "cost": round(a.cost, 4)}
            for a in result.assignments]
    rows += [{"line_id": u.line_id, "order_id": lines[u.line_id].order_id, "site_id": None, "reason": u.reason}
             for u in result.unassigned]
    rows.sort(key=lambda r: str(r["line_id"]))
    return {"status": result.status, "objective": round(result.objective, 4),
            "bound": round(result.bound, 4) if result.bound > float("-inf") else None,
            "gap": round(result.gap, 6) if result.gap != float("inf") else None, "runtime_s": round(result.runtime_s, 4),
            "seed": result.seed, "method": result.method, "start": built.start.isoformat(),
            "lines": len(lines), "assigned": len(result.assignments), "unassigned": len(result.unassigned),
            "late": result.late_lines, "costs": {k: round(v, 4) for k, v in result.costs.items()}, "items": rows}


# -- the store -----------------------------------------------------------------------------------
def _open_lines(uow: Any, refs: list[dict[str, Any]]) -> tuple[dict[str, Order], list[OpenLine]]:
    orders: dict[str, Order] = {}
    for r in refs:
        if r["order_id"] not in orders:
            orders[r["order_id"]] = uow.orders.get(r["order_id"])
    wanted = {r["line_id"] for r in refs}
    return orders, [OpenLine(o, ln) for o in orders.values() for ln in o.lines if ln.id in wanted]


def _prepare(uow: Any, network: Network, catalog: Catalog, orders: Mapping[str, Order], lines: list[OpenLine],
             now: datetime, req: RouteRequest, exclude: list[str] = ()) -> BuiltProblem:  # type: ignore[assignment]
    start = now.date()
    horizon = _horizon(orders, start, req.max_late_days)
    sites = [s.id for s in production_sites(network)]
    reserved = uow.routing.reserved(sites, start, start + timedelta(days=horizon), exclude)
    inv = uow.inventory.load()
    stock = available_stock(inv)
    for (s, item, ref), q in inv.reservations.items():
        if ref in exclude:
            stock[(s, item)] = stock.get((s, item), 0.0) + q
    params = BuildParams(max_late_days=req.max_late_days, horizon_days=horizon)
    return build_problem(network, catalog, lines, start, stock=stock, reserved=reserved,
                         quality=req.quality or _stored_quality(uow), params=params)


def _stored_quality(uow: Any) -> Mapping[tuple[str, str], Any]:
    """The sites' measured quality per product family (penalty per unit, or suspended)."""
    from microfactory.services.quality import quality_penalties

    return quality_penalties(uow)


def _run_id(uow: Any, now: datetime) -> str:
    return f"RUN-{now:%Y%m%d%H%M%S}-{uow.routing.run_count() + 1:04d}"


def route_stored(uow: Any, req: RouteRequest, *, now: datetime, actor: str = "system",
                 progress: Progress | None = None) -> dict[str, Any]:
    """Route every validated line (of ``req.brand``) and store assignments, reservations and events."""
    say = progress or (lambda _msg: None)
    say("loading open lines")
    network = uow.network.load()
    catalog = uow.catalog.load(network)
    orders, lines = _open_lines(uow, uow.routing.line_refs(statuses=["validated"], brand=req.brand))
    run_id = _run_id(uow, now)
    summary: dict[str, Any] = {"id": run_id, "policy": req.policy, "brand": req.brand, "lines": len(lines)}
    if not lines:
        summary.update(status="optimal", objective=0.0, bound=0.0, gap=0.0, runtime_s=0.0, seed=req.seed,
                       method="none", assigned=0, unassigned=0, late=0, replaced=0, skipped=0, costs={}, cost=0.0)
    else:
        built = _prepare(uow, network, catalog, orders, lines, now, req)
        params = engine_params(req, built)
        say(f"solving {len(lines)} lines ({req.policy})")
        result = solve(built, params)
        say("reserving capacity and stock")
        free = lock_capacity(uow, network, built)
        decision = Decision(built, params, result, orders, run_id, frozenset({"validated"}),
                            {ln.line.id: None for ln in lines},
                            lambda _i, _old, new, why: f"routed to {new} ({run_id}, {req.policy})" if new
                            else f"not routed: {why}")
        stored = commit(uow, decision, network, free, now, actor)
        view = result_view(built, result)
        summary.update({k: view[k] for k in ("status", "objective", "bound", "gap", "runtime_s", "seed", "method",
                                             "costs")})
        summary.update(stored)
    uow.routing.save_run(run_id, req.policy, str(summary["status"]), _plain(summary), now)
    uow.audit.add(actor, "routing.run", "routing_run", run_id,
                  {k: summary[k] for k in ("policy", "lines", "assigned", "unassigned", "late")}, now)
    say("done")
    return summary


def _plain(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k not in ("id",)}


def place_new_order(uow: Any, order_id: str, *, now: datetime, actor: str = "system",
                    req: RouteRequest | None = None) -> dict[str, Any]:
    """Place one order's validated lines online against the reserved state (no re-solve of the world)."""
    req = req or RouteRequest()
    order = uow.orders.get(order_id)
    lines = [OpenLine(order, ln) for ln in order.lines if ln.status.value == "validated"]
    if not lines:
        raise InvalidInput(f"order {order_id} has no validated line to route", field="order_id")
    network = uow.network.load()
    catalog = uow.catalog.load(network)
    orders = {order.id: order}
    built = _prepare(uow, network, catalog, orders, lines, now, req)
    params = engine_params(req, built)
    free = lock_capacity(uow, network, built)
    decision = Decision(built, params, None, orders, None, frozenset({"validated"}),
                        {ln.line.id: None for ln in lines},
                        lambda _i, _old, new, why: f"routed online to {new}" if new else f"not routed: {why}")
    stored = commit(uow, decision, network, free, now, actor)
    uow.audit.add(actor, "routing.place", "order", order_id, stored, now)
    return {"order_id": order_id, **stored}


def set_site_status(uow: Any, site_id: str, status: str, *, now: datetime, reason: str = "",
                    actor: str = "system", req: RouteRequest | None = None) -> dict[str, Any]:
    """Set a site up or down; when down, re-route its unstarted lines (started work stays)."""
    try:
        new = SiteStatus(status)
    except ValueError:
        raise InvalidInput(f"status {status!r} is not up or down", field="status") from None
    changed = uow.network.set_status(site_id, new)
    uow.audit.add(actor, "site.status", "site", site_id, {"status": new.value, "reason": reason}, now)
    out: dict[str, Any] = {"site_id": site_id, "status": new.value, "changed": changed, "moved": 0,
                           "unassigned": 0, "kept_started": 0}
    out["kept_started"] = len(uow.routing.line_refs(statuses=["in_production"], site_id=site_id))
    if new is SiteStatus.DOWN:
        out.update(_reroute(uow, site_id, "down", now=now, actor=actor, req=req or RouteRequest(), note=reason))
    return out


def _reroute(uow: Any, site_id: str, why: str, *, now: datetime, actor: str, req: RouteRequest,
             note: str = "") -> dict[str, Any]:
    refs = uow.routing.line_refs(statuses=list(UNSTARTED), site_id=site_id)
    if not refs:
        return {"moved": 0, "unassigned": 0}
    network = uow.network.load()
    catalog = uow.catalog.load(network)
    orders, lines = _open_lines(uow, refs)
    moving = [r["line_id"] for r in refs]
    built = _prepare(uow, network, catalog, orders, lines, now, req, exclude=moving)
    params = engine_params(req, built, operator_bonus=REROUTE_PREFERENCE)
    down = [site_id] if why == "down" else []
    full = [site_id] if why == "full" else []
    moved = reroute(built.problem, {i: site_id for i in moving}, down, full, (), params).result
    spans = [r["day"] for i in moving for r in uow.routing.line_reservations(i)]
    first = min((date.fromisoformat(d) for d in spans), default=None)
    lock_capacity(uow, network, built, first=first)
    uow.routing.release(moving)
    free = lock_capacity(uow, network, built, first=first)
    _release_stock(uow, set(moving), now)
    text = f"; {note}" if note else ""
    decision = Decision(built, params, moved, orders, None, frozenset(UNSTARTED), {i: site_id for i in moving},
                        lambda _i, old, new, w: f"rerouted: site {old} {why} → {new or 'none'}"
                        + (f" ({w})" if not new and w else "") + text)
    stored = commit(uow, decision, network, free, now, actor)
    return {"moved": stored["assigned"], "unassigned": stored["unassigned"], "late": stored["late"]}


def _release_stock(uow: Any, refs: set[str], now: datetime) -> None:
    """Release the stock reserved for these lines (one locked change over every pair they hold)."""
    held = sorted(k for k in uow.inventory.load().reservations if k[2] in refs)
    if not held:
        return

    def change(inv: Inventory) -> tuple[Inventory, list[Movement]]:
        moves: list[Movement] = []
        for s, item, ref in held:
            inv, mv = inv.release(s, item, ref, now)
            moves.extend(mv)
        return inv, moves

    uow.inventory.apply(sorted({(s, item) for s, item, _ in held}), change)


__all__ = ["POLICIES", "REROUTE_PREFERENCE", "RouteRequest", "engine_params", "place_new_order", "result_view",
           "route_scenario", "route_stored", "set_site_status", "solve"]
