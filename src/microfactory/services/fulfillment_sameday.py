"""Same-day runs: select a site's same-day orders for a day, build the routing problem,
solve it with the delivery engine, check it independently, and (on the stored state)
keep the plan and one ``same_day`` shipment per served order for the local courier.

Selection: orders with delivery ``same_day``, not yet shipped, due on or after the day,
created before the day's cut-off (14:00 by default), whose producing site is the site:
on a scenario folder the nearest microfactory that serves the brand and has
the processes of its products; on the stored
state the site of the order's last-ready line (its routing assignment, else the
nearest capable microfactory). On the stored
state an order whose lines are not ready by the cut-off is left out, with the reason.

Stops: one per order, demand = units, service 3 minutes, window from the later of the
cut-off and the ready time until the courier's delivery end (20:00); vehicles leave from
the cut-off and must be back by 21:00.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from microfactory.adapters.carriers import LocalCourier, Party, ShipmentRequest
from microfactory.domain.catalog import Catalog
from microfactory.domain.network import Network, Site
from microfactory.domain.orders import Order, OrderStatus
from microfactory.engines.delivery import (
    DeliveryParams,
    DeliveryProblem,
    DeliveryRoute,
    DeliverySolution,
    DeliveryStop,
    RouteStop,
    UnservedStop,
    VehicleType,
    check_routes,
    plan_same_day,
)
from microfactory.errors import Conflict, InvalidInput
from microfactory.services.fulfillment import (
    ff,
    line_readiness,
    local_rate,
    nearest_factory,
    order_weight_kg,
    party_of,
)
from microfactory.services.ports import UnitOfWork

SERVICE_MINUTES = 3
RETURN_BY_MINUTE = 21 * 60
CLOSED = frozenset({OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CANCELLED, OrderStatus.RETURNED,
                    OrderStatus.READY_FOR_PICKUP})

#: Default vehicles by delivery mode (capacity in units; urban speeds; tariff assumptions
#: documented in docs/fulfillment.md). Emission factors come from the mode's ISO 14083 row.
DEFAULT_VEHICLES: dict[str, dict[str, Any]] = {
    "cargo_bike": {"capacity": 40, "count": 3, "speed_kmh": 14.0, "cost_per_km": 0.05, "cost_per_hour": 16.0,
                   "fixed_cost": 3.0},
    "electric_van": {"capacity": 200, "count": 2, "speed_kmh": 20.0, "cost_per_km": 0.12, "cost_per_hour": 22.0,
                     "fixed_cost": 12.0},
    "van": {"capacity": 250, "count": 2, "speed_kmh": 20.0, "cost_per_km": 0.30, "cost_per_hour": 22.0,
            "fixed_cost": 12.0},
}


def default_fleet(site: Site) -> tuple[VehicleType, ...]:
    """The site's own vehicles: its delivery mode with the defaults above, shift cut-off..21:00."""
    rate = local_rate(site)
    mode = rate.mode if rate.mode in DEFAULT_VEHICLES else "van"
    return (vehicle(mode, rate.cutoff_minute),)


def vehicle(mode: str, shift_start: int, **overrides: Any) -> VehicleType:
    """A vehicle type of ``mode`` with the defaults, any field overridden."""
    if mode not in DEFAULT_VEHICLES:
        raise InvalidInput(f"vehicle mode must be one of {', '.join(DEFAULT_VEHICLES)}", field="vehicles.mode")
    spec = {**DEFAULT_VEHICLES[mode], **{k: v for k, v in overrides.items() if v is not None}}
    return VehicleType(name=spec.pop("name", mode), mode=mode, shift_start=shift_start,
                       shift_end=RETURN_BY_MINUTE, **spec)


@dataclass(frozen=True)
class SameDayRun:
    """A planned day: the problem, the engine's solution, the checker's verdict, who was left out."""

    site: Site
    day: date
    problem: DeliveryProblem
    solution: DeliverySolution
    violations: tuple[str, ...]
    excluded: tuple[tuple[str, str], ...]   # (order id, reason)


def select_orders(orders: Sequence[Order], site_of: Callable[[Order], str], site: str, day: date,
                  cutoff: datetime) -> list[Order]:
    """The same-day orders of ``site`` for ``day`` (see the module docstring)."""
    return [o for o in orders if str(o.delivery) == "same_day" and o.status not in CLOSED and o.due >= day
            and o.created < cutoff and site_of(o) == site]


def build_run(site: Site, day: date, orders: Sequence[tuple[Order, int]], vehicles: Sequence[VehicleType],
              params: DeliveryParams, excluded: Sequence[tuple[str, str]] = ()) -> SameDayRun:
    """Solve the day for ``orders`` (each with its ready minute of the day) and check the plan."""
    rate = local_rate(site)
    stops = tuple(DeliveryStop(f"stop-{o.id}", o.id, o.customer_location,
                               sum(ln.quantity for ln in o.lines if ln.status is not OrderStatus.CANCELLED),
                               min(max(rate.cutoff_minute, ready), rate.deliver_by_minute), rate.deliver_by_minute,
                               SERVICE_MINUTES) for o, ready in orders)
    problem = DeliveryProblem(site.location, stops, tuple(vehicles or default_fleet(site)),
                              road_factor=rate.road_factor, depot_id=site.id)
    solution = plan_same_day(problem, params)
    return SameDayRun(site, day, problem, solution, tuple(check_routes(problem, solution)), tuple(excluded))


def plan_folder(network: Network, catalog: Catalog, orders: Sequence[Order], site_id: str, day: date,
                vehicles: Sequence[VehicleType] = (), params: DeliveryParams | None = None) -> SameDayRun:
    """Plan a scenario folder's same-day orders of ``site_id`` (nearest-site selection)."""
    site = network.site(site_id)
    cutoff = datetime.combine(day, datetime.min.time()) + timedelta(minutes=local_rate(site).cutoff_minute)
    chosen = select_orders(orders, lambda o: nearest_factory(network, o, catalog).id, site_id, day, cutoff)
    return build_run(site, day, [(o, 0) for o in chosen], vehicles, params or DeliveryParams(time_limit_s=2.0))


def _stored_candidates(uow: UnitOfWork, network: Network, site: Site, day: date, now: datetime
                       ) -> tuple[list[tuple[Order, int]], list[tuple[str, str]]]:
    midnight = datetime.combine(day, datetime.min.time())
    cutoff = midnight + timedelta(minutes=local_rate(site).cutoff_minute)
    orders = [uow.orders.get(o) for o in ff(uow).same_day_order_ids(day, cutoff)]
    catalog = uow.catalog.load(network)
    ready = {o.id: max(line_readiness(uow, network, [o], now, catalog), key=lambda r: (r.ready, r.line_id)) for o in orders}
    chosen, excluded = [], []
    for order in select_orders(orders, lambda o: ready[o.id].site_id, site.id, day, cutoff):
        at = ready[order.id].ready
        if at > cutoff:
            excluded.append((order.id, f"ready {at:%Y-%m-%d %H:%M} ({ready[order.id].basis}), after the cut-off"))
        else:
            chosen.append((order, max(0, int((at - midnight).total_seconds() // 60))))
    return chosen, excluded


def plan_id_for(site: str, day: date) -> str:
    return f"DP-{site}-{day:%Y%m%d}"


def courier_name(site: str, day: date) -> str:
    return f"local-{site}-{day:%Y%m%d}"


def plan_stored(uow: UnitOfWork, site_id: str, day: date, now: datetime, actor: str = "system",
                vehicles: Sequence[VehicleType] = (), params: DeliveryParams | None = None) -> SameDayRun:
    """Plan the stored same-day orders of a site and day; store the plan and its shipments.

    Planning the same site and day again replaces the plan while none of its shipments has
    left; afterwards it is a Conflict.
    """
    network = uow.network.load()
    site = network.site(site_id)
    chosen, excluded = _stored_candidates(uow, network, site, day, now)
    run = build_run(site, day, chosen, vehicles, params or DeliveryParams(time_limit_s=2.0), excluded)
    if run.violations:
        raise Conflict("the same-day plan failed its feasibility check", field="plan",
                       details={"violations": list(run.violations)})
    _replace_shipments(uow, site_id, day)
    plan_id = plan_id_for(site_id, day)
    ff(uow).save_delivery_plan(plan_id, site_id, day, {"status": run.solution.status,
                                                       "objective": run.solution.objective,
                                                       "runtime_s": run.solution.runtime_s,
                                                       "seed": run.solution.seed},
                               problem_dict(run.problem), run.solution.as_dict(), now)
    _store_shipments(uow, run, plan_id, {o.id: o for o, _ in chosen}, now)
    uow.audit.add(actor, "delivery.plan", "delivery_plan", plan_id,
                  {"stops": len(run.problem.stops), "routes": len(run.solution.routes),
                   "unserved": len(run.solution.unserved), "status": run.solution.status}, now)
    return run


def _replace_shipments(uow: UnitOfWork, site_id: str, day: date) -> None:
    old = ff(uow).shipments(carrier=courier_name(site_id, day))
    moved = [s["id"] for s in old if s["status"] != "label_created"]
    if moved:
        raise Conflict(f"the {day} plan of {site_id} has already dispatched shipments; it cannot be replaced",
                       field="date", details={"shipments": moved})
    ff(uow).delete_shipments([s["id"] for s in old])


def _store_shipments(uow: UnitOfWork, run: SameDayRun, plan_id: str, orders: dict[str, Order],
                     now: datetime) -> None:
    courier = courier_for(run, lambda: now)
    catalog: Catalog = uow.catalog.load(uow.network.load())
    sender = Party(run.site.name, run.site.location)
    for route in run.solution.routes:
        share = route.kg_co2e / max(route.load, 1)
        for stop in route.stops:
            order = orders[stop.order_id]
            request = ShipmentRequest(order.id, sender, party_of(order), order_weight_kg(order, catalog),
                                      service="same_day", reference=plan_id)
            label = courier.create_shipment(request)
            units = _units(run, stop)
            detail = {"plan_id": plan_id, "route_id": route.route_id, "sequence": stop.sequence,
                      "vehicle": route.vehicle_type, "mode": route.mode,
                      "planned_at": (courier.day_start + timedelta(minutes=stop.service_start)).isoformat(),
                      "line_ids": [ln.id for ln in order.lines if ln.status is not OrderStatus.CANCELLED],
                      "kg_co2e": round(share * units, 6), "label": label.content, "events": []}
            ff(uow).add_shipment(shipment_id(label.tracking_number), order.id, "same_day", courier.name,
                                 label.tracking_number, "label_created", run.site.id, detail, now)


def _units(run: SameDayRun, stop: RouteStop) -> int:
    return next(s.demand for s in run.problem.stops if s.id == stop.stop_id)


def shipment_id(tracking: str) -> str:
    return "SH-" + hashlib.sha1(tracking.encode()).hexdigest()[:16].upper()


def courier_for(run: SameDayRun, clock: Callable[[], datetime]) -> LocalCourier:
    day_start = datetime.combine(run.day, datetime.min.time())
    return LocalCourier(run.site.location, run.solution, day_start, local_rate(run.site), clock,
                        name=courier_name(run.site.id, run.day))


def problem_dict(problem: DeliveryProblem) -> dict[str, Any]:
    return {"depot": {"id": problem.depot_id, "lat": problem.depot.lat, "lon": problem.depot.lon},
            "road_factor": problem.road_factor,
            "stops": [{**asdict(s), "location": {"lat": s.location.lat, "lon": s.location.lon}}
                      for s in problem.stops],
            "vehicle_types": [asdict(v) for v in problem.vehicle_types]}


def solution_from_dict(body: dict[str, Any]) -> DeliverySolution:
    """The stored plan back as the engine's value (inverse of ``DeliverySolution.as_dict``)."""
    routes = tuple(DeliveryRoute(**{**r, "stops": tuple(RouteStop(**s) for s in r["stops"])})
                   for r in body["routes"])
    return DeliverySolution(body["status"], body["objective"], body["bound"], body["runtime_s"], body["seed"],
                            body["iterations"], routes, tuple(UnservedStop(**u) for u in body["unserved"]))


def stored_courier(uow: UnitOfWork, plan_id: str, clock: Callable[[], datetime]) -> LocalCourier:
    """The local courier of a stored plan, with the drivers' confirmed deliveries replayed."""
    plan = ff(uow).get_delivery_plan(plan_id)
    network = uow.network.load()
    site = network.site(plan["site"])
    solution = solution_from_dict(plan["solution"])
    day = plan["day"] if isinstance(plan["day"], date) else date.fromisoformat(plan["day"])
    courier = LocalCourier(site.location, solution, datetime.combine(day, datetime.min.time()), local_rate(site),
                           clock, name=courier_name(site.id, day))
    for s in ff(uow).shipments(carrier=courier.name):
        pod = s["detail"].get("pod")
        if pod:
            courier.confirm_delivered(s["tracking"], datetime.fromisoformat(pod["at"]), pod.get("note", ""))
    return courier


def run_view(run: SameDayRun) -> dict[str, Any]:
    """JSON-able plan: routes with stop order and clock times, totals, solver report, checks."""
    body = run.solution.as_dict()
    start = datetime.combine(run.day, datetime.min.time())

    def clock(minutes: float) -> str:
        return (start + timedelta(minutes=minutes)).strftime("%H:%M")

    for route in body["routes"]:
        route["leaves"], route["returns"] = clock(route["start"]), clock(route["end"])
        for stop in route["stops"]:
            stop["arrives"] = clock(stop["arrival"])
    return {"site": run.site.id, "date": run.day.isoformat(), "plan_id": plan_id_for(run.site.id, run.day),
            "stops": len(run.problem.stops), "fleet": [asdict(v) for v in run.problem.vehicle_types],
            **body, "violations": list(run.violations),
            "excluded": [{"order_id": o, "reason": r} for o, r in run.excluded]}


__all__ = ["DEFAULT_VEHICLES", "SameDayRun", "build_run", "courier_for", "default_fleet", "plan_folder",
           "plan_stored", "problem_dict", "run_view", "select_orders", "solution_from_dict",
           "stored_courier", "vehicle"]
