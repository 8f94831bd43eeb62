"""Network design: where to open a microfactory or sign a partner next, checked in the simulator.

1. **Demand** from the order history (stored orders or a scenario folder's ``orders.csv``): every
   order line is exploded to its processes and minutes; lines needing the same set of processes
   are pooled on a ``grid_deg`` lat/lon grid (:func:`demand_points_from_orders`), one demand
   point per (cell, process set); volumes are units **per week** of history.
2. **Sites**: the candidates of the file plus, with ``include_existing``, the network's
   microfactories fixed open at no fixed cost. An existing site's variable cost per unit is
   ``sum_p m_p x rate_per_minute(p)`` over its processes (``m_p`` the demand's mean minutes per
   unit of process ``p``); its capacity per week is ``min_p (process minutes in a week / m_p)``.
3. **Model**: :func:`design_network` minimises fixed + variable + transport + carbon price x kg
   CO2e per week, each demand point served only from sites within the lead-time promise:
   ``road km <= (promise_days - production_days) x speed_km_per_day``.
4. **Check**: the network is simulated for ``sim_days`` with customers drawn around the demand
   points (weighted by volume) at the history's orders per day, once as it is and once with the
   opened candidates added (:func:`candidate_site`); same seed, same orders. The recommendation
   is **confirmed** when the on-time rate with the new sites is no more than 2 points lower and
   either the cost per order including the new sites' fixed cost is not higher, or the on-time
   rate is at least 2 points higher (better service bought at a cost).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from microfactory.domain.catalog import Catalog
from microfactory.domain.network import Network, Site, SiteKind
from microfactory.domain.orders import Order
from microfactory.engines.network_design import (
    CandidateSite,
    DemandPoint,
    NetworkDesign,
    NetworkDesignParams,
    demand_points_from_orders,
    design_network,
    distance_for_promise,
    kg_co2e_per_unit_km,
)
from microfactory.errors import InvalidInput
from microfactory.simulation.candidates import (
    Candidate,
    CandidateFile,
    DesignSettings,
    candidate_site,
)

REFERENCE_WEEK = date(2027, 1, 4)  # a Monday: existing sites' weekly minutes are read from this week
ON_TIME_TOLERANCE = 0.02


@dataclass(frozen=True, slots=True)
class DemandLine:
    """One order line as demand: where, how many units, which processes and minutes per unit."""

    lat: float
    lon: float
    units: int
    minutes: tuple[tuple[str, float], ...]
    weight_kg: float

    @property
    def processes(self) -> frozenset[str]:
        return frozenset(p for p, _ in self.minutes)


def demand_lines(orders: Iterable[Order], catalog: Catalog) -> list[DemandLine]:
    """Every order line with its processes (from the exploded BOM), units and weight."""
    out: list[DemandLine] = []
    for order in orders:
        for ln in order.lines:
            bom = catalog.explode(ln.product_id, dict(ln.options))
            mins: dict[str, float] = defaultdict(float)
            for op in bom.operations:
                mins[op.process] += op.minutes_per_unit
            out.append(DemandLine(order.customer_location.lat, order.customer_location.lon, ln.quantity,
                                  tuple(sorted(mins.items())), catalog.product(ln.product_id).weight_kg))
    return out


def history_days(orders: list[Order]) -> int:
    """Days the history spans (first to last order, both counted)."""
    if not orders:
        raise InvalidInput("network design needs order history; there is no order", field="orders")
    created = [o.created.date() for o in orders]
    return (max(created) - min(created)).days + 1


def mean_minutes(lines: list[DemandLine]) -> dict[str, float]:
    """Units-weighted mean minutes per unit of each process over the lines that need it."""
    minutes: dict[str, float] = defaultdict(float)
    units: dict[str, float] = defaultdict(float)
    for ln in lines:
        for p, m in ln.minutes:
            minutes[p] += m * ln.units
            units[p] += ln.units
    return {p: minutes[p] / units[p] for p in sorted(minutes) if units[p] > 0}


def demand_points(lines: list[DemandLine], weeks: float, grid_deg: float) -> list[DemandPoint]:
    """Demand points in units per week: one per grid cell and set of processes."""
    groups: dict[frozenset[str], list[DemandLine]] = defaultdict(list)
    for ln in lines:
        groups[ln.processes].append(ln)
    points: list[DemandPoint] = []
    for procs in sorted(groups, key=lambda s: sorted(s)):
        rows = [(ln.lat, ln.lon, ln.units / weeks, procs) for ln in groups[procs]]
        for p in demand_points_from_orders(rows, grid_deg):
            points.append(replace(p, demand_id=f"{p.demand_id}/{'+'.join(sorted(procs))}"))
    return points


def _week_minutes(site: Site, process: str) -> float:
    return sum(site.process_minutes(process, REFERENCE_WEEK + timedelta(d)) for d in range(7))


def existing_sites(network: Network, m: Mapping[str, float]) -> list[CandidateSite]:
    """The network's microfactories as fixed-open sites (cost and capacity as in the docstring)."""
    out: list[CandidateSite] = []
    for s in network.sites:
        used = [p for p in sorted(s.processes) if m.get(p, 0.0) > 0]
        if s.kind is not SiteKind.MICROFACTORY or not used:
            continue
        capacity = min(_week_minutes(s, p) / m[p] for p in used)
        variable = sum(m[p] * s.rate_per_minute(p) for p in used)
        out.append(CandidateSite(s.id, s.location.lat, s.location.lon, 0.0, variable, capacity, s.processes,
                                 existing=True))
    return out


def _candidate_sites(cands: tuple[Candidate, ...], network: Network) -> list[CandidateSite]:
    taken = {s.id for s in network.sites}
    clash = sorted(c.id for c in cands if c.id in taken)
    if clash:
        raise InvalidInput(f"candidate ids already in the network: {', '.join(clash)}", field="candidates")
    return [CandidateSite(c.id, c.lat, c.lon, c.fixed_cost_per_week, c.variable_cost_per_unit,
                          c.capacity_units_per_week, c.processes) for c in cands]


def design_params(settings: DesignSettings, lines: list[DemandLine]) -> NetworkDesignParams:
    """Solver parameters: transport, emissions of the mean unit, carbon price, promise, limits."""
    units = sum(ln.units for ln in lines)
    weight = sum(ln.weight_kg * ln.units for ln in lines) / units if units else 0.0
    promise = None if settings.promise_days is None else distance_for_promise(
        settings.promise_days, settings.production_days, settings.speed_km_per_day)
    return NetworkDesignParams(transport_cost_per_unit_km=settings.transport_cost_per_unit_km,
                               kg_co2e_per_unit_km=kg_co2e_per_unit_km(settings.delivery_mode, weight),
                               carbon_price_per_kg=settings.carbon_price_per_kg, max_distance_km=promise,
                               road_factor=settings.road_factor, time_limit_s=settings.time_limit_s,
                               seed=settings.seed)


def _promise_view(design: NetworkDesign, sites: list[CandidateSite], points: list[DemandPoint],
                  settings: DesignSettings, params: NetworkDesignParams) -> dict[str, Any]:
    from microfactory.domain.geo import haversine_km_raw

    where = {s.site_id: s for s in sites}
    at = {p.demand_id: p for p in points}
    worst = max((haversine_km_raw(at[d].lat, at[d].lon, where[s].lat, where[s].lon) * params.road_factor
                 for d, shares in design.assignment.items() for s, _ in shares), default=0.0)
    return {"promise_days": settings.promise_days, "max_road_km": params.max_distance_km,
            "worst_assigned_road_km": round(worst, 3),
            "worst_lead_time_days": round(settings.production_days + worst / settings.speed_km_per_day, 3),
            "kept": settings.promise_days is None or worst <= (params.max_distance_km or 0.0) + 1e-6}


def _kpi_row(result: Any, fixed_per_week: float, days: int) -> dict[str, Any]:
    k = result.kpis
    fixed = fixed_per_week * days / 7.0 / k.orders if k.orders else 0.0
    cost = k.cost_per_order
    util = list(k.utilisation_by_site.values())
    return {"orders": k.orders, "delivered": k.delivered, "lead_time_p50_days": k.lead_time.p50,
            "lead_time_p90_days": k.lead_time.p90, "on_time_rate": k.on_time_rate, "cost_per_order": cost,
            "fixed_cost_per_order": round(fixed, 6),
            "total_cost_per_order": None if cost is None else round(cost + fixed, 6),
            "kg_co2e_per_order": k.kg_co2e_per_order,
            "mean_utilisation": round(sum(util) / len(util), 6) if util else None}


def verdict(without: Mapping[str, Any], with_: Mapping[str, Any]) -> tuple[bool, str]:
    """Does the simulation confirm the design? (the rule in the module docstring)."""
    on0, on1 = without["on_time_rate"] or 0.0, with_["on_time_rate"] or 0.0
    c0, c1 = without["total_cost_per_order"], with_["total_cost_per_order"]
    if on1 < on0 - ON_TIME_TOLERANCE:
        return False, f"not confirmed: on-time rate falls from {on0:.1%} to {on1:.1%}"
    if c0 is not None and c1 is not None and c1 <= c0:
        return True, f"confirmed: cost per order {c0:.2f} -> {c1:.2f} with on-time {on0:.1%} -> {on1:.1%}"
    if on1 >= on0 + ON_TIME_TOLERANCE:
        return True, f"confirmed: on-time {on0:.1%} -> {on1:.1%} for cost per order {c0} -> {c1}"
    return False, f"not confirmed: cost per order rises ({c0} -> {c1}) without better on-time ({on0:.1%} -> {on1:.1%})"


Progress = Callable[[str], None]


def simulation_check(network: Network, catalog: Catalog, new_sites: list[Site], points: list[DemandPoint],
                     orders_per_day: float, settings: DesignSettings, fixed_per_week: float,
                     progress: Progress | None = None) -> dict[str, Any]:
    """Simulate the network as it is and with ``new_sites``; KPIs side by side and the verdict."""
    from microfactory.simulation import DemandParams, PlanningParams, ScenarioSpec, simulate

    anchors = tuple((p.lat, p.lon, p.volume_units) for p in points if p.volume_units > 0)
    spec = ScenarioSpec(network="(network design)", days=settings.sim_days, seed=settings.seed,
                        name="network-design-check",
                        demand=DemandParams(orders_per_day=orders_per_day, anchors=anchors,
                                            radius_km=settings.sim_radius_km),
                        planning=PlanningParams(routing_policy=settings.sim_routing))
    if progress:
        progress("simulating the network as it is")
    base = _kpi_row(simulate(spec, network, catalog, keep_trace=False), 0.0, settings.sim_days)
    if progress:
        progress("simulating the network with the new sites")
    grown = replace(network, sites=(*network.sites, *new_sites))
    more = _kpi_row(simulate(spec, grown, catalog, keep_trace=False), fixed_per_week, settings.sim_days)
    ok, why = verdict(base, more)
    return {"days": settings.sim_days, "seed": settings.seed, "orders_per_day": round(orders_per_day, 3),
            "routing": settings.sim_routing, "without": base, "with": more,
            "side_by_side": [{"kpi": k, "without": base[k], "with": more[k]} for k in base],
            "confirmed": ok, "verdict": why}


def _sites_view(sites: list[CandidateSite]) -> list[dict[str, Any]]:
    return [{"site": x.site_id, "existing": x.existing, "fixed_cost": x.fixed_cost,
             "variable_cost_per_unit": round(x.variable_cost_per_unit, 4),
             "capacity_units": round(x.capacity_units, 3)} for x in sites]


def design_view(network: Network, catalog: Catalog, orders: list[Order], cf: CandidateFile, *,
                check: bool = True, progress: Progress | None = None) -> dict[str, Any]:
    """Solve the design from the order history and check it in the simulator (see the docstring)."""
    s = cf.settings
    lines = demand_lines(orders, catalog)
    days = history_days(orders)
    m = mean_minutes(lines)
    points = demand_points(lines, days / 7.0, s.grid_deg)
    cands = _candidate_sites(cf.candidates, network)
    sites = (existing_sites(network, m) if s.include_existing else []) + cands
    params = design_params(s, lines)
    if progress:
        progress(f"solving the design: {len(sites)} sites, {len(points)} demand points")
    design = design_network(sites, points, params)
    opened_new = [c for c in cf.candidates if c.id in design.opened]
    out: dict[str, Any] = {
        "demand": {"orders": len(orders), "history_days": days, "units_per_week": round(
            sum(p.volume_units for p in points), 3), "points": len(points),
            "mean_minutes_per_unit": {p: round(v, 4) for p, v in m.items()}},
        "period": "week", "sites_considered": _sites_view(sites),
        "design": design.as_dict(), "new_sites": [c.id for c in opened_new],
        "lead_time_promise": _promise_view(design, sites, points, s, params) if design.opened else None,
        "simulation": None}
    if design.status not in ("optimal", "feasible"):
        out["recommendation"] = f"no design: the model is {design.status}" + (
            f" (unreachable within the promise: {', '.join(design.unreachable)})" if design.unreachable else "")
        return out
    if not opened_new:
        out["recommendation"] = "open nothing new: the existing network serves the demand at least cost"
        return out
    if check:
        new_sites = [candidate_site(c, m) for c in opened_new]
        fixed = sum(c.fixed_cost_per_week for c in opened_new)
        out["simulation"] = simulation_check(network, catalog, new_sites, points, len(orders) / days, s, fixed,
                                             progress)
        sim = out["simulation"]
        out["recommendation"] = (f"open {', '.join(out['new_sites'])}" if sim["confirmed"] else
                                 f"do not open {', '.join(out['new_sites'])} yet") + f" ({sim['verdict']})"
    else:
        out["recommendation"] = f"open {', '.join(out['new_sites'])} (not checked in the simulator)"
    return out


def stored_orders(uow: Any, brand: str | None = None, page: int = 500) -> list[Order]:
    """Every stored order (optionally of one brand), page by page."""
    orders: list[Order] = []
    cursor: int | None = None
    while True:
        batch, cursor = uow.orders.list(brand=brand, after=cursor, limit=page)
        orders.extend(batch)
        if cursor is None:
            return orders


def design_from_store(uow: Any, cf: CandidateFile, *, check: bool = True,
                      progress: Progress | None = None) -> dict[str, Any]:
    """:func:`design_view` on the stored network, catalog and order history."""
    network = uow.network.load()
    catalog = uow.catalog.load(network)
    return design_view(network, catalog, stored_orders(uow), cf, check=check, progress=progress)


__all__ = ["DemandLine", "demand_lines", "demand_points", "design_from_store", "design_params", "design_view",
           "existing_sites", "history_days", "mean_minutes", "simulation_check", "stored_orders", "verdict"]
