"""The discrete-event model of a microfactory network (pure and seeded).

A heap of timed events (:mod:`.events`) drives the run, one handler per event kind:

* ``arrivals`` (00:00 each day of the demand window) draws the day's orders (:mod:`.arrivals`)
  and schedules one ``order`` event each;
* ``order`` registers it: made to order, its lines join the open pool; ``stocked``, lines are
  served from the cushion when it has them (and a refill line joins the pool); ``pre_order``,
  they wait for the end of the pre-order window;
* ``day`` (06:00) routes the open pool with the routing engine against the capacity left at
  up sites (:func:`route_batch`, or :func:`route_greedy`), then plans each up site whose routed
  lines are due to be made that day (:mod:`.planning`); each batch ends in a ``batch_done``;
* ``site_down`` / ``site_up`` (:mod:`.outages`): a down site takes no work, loses its capacity
  for those days, and its routed but unplanned lines go back to the pool (``rerouted``);
* ``batch_done`` inspects the batch (:mod:`.qc`); a rejected batch comes back as
  ``rework_done`` after the rework delay; done lines complete their order, which ships
  (:mod:`.flow`) and is ``delivered`` after the site's delivery days; deliveries draw returns.

The run stops ``drain_days`` after the last arrival day, so late orders can still finish; the
KPIs cover the orders created in ``[0, days)``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np

from microfactory.domain.catalog import Catalog
from microfactory.domain.network import Network
from microfactory.engines.cost_model import CostParams
from microfactory.engines.routing import (
    RoutingLine,
    RoutingParams,
    RoutingProblem,
    RoutingSite,
    route_batch,
    route_greedy,
)
from microfactory.simulation.arrivals import SimOrder, orders_of_day
from microfactory.simulation.clock import (
    MINUTES_PER_DAY,
    PLANNING_MINUTE,
    StepClock,
    day_of,
    day_start,
)
from microfactory.simulation.events import EventQueue, TraceRow
from microfactory.simulation.flow import FlowState, Ledger, LineState, OrderState
from microfactory.simulation.outages import Outage, machine_downtime, site_outages
from microfactory.simulation.planning import SPILL_DAYS, WorkItem, plan_day
from microfactory.simulation.results import SimResult, SolverCall
from microfactory.simulation.scenario import ScenarioSpec
from microfactory.simulation.simnet import centralise, sim_products, sim_sites

#: Default first simulated day (a Monday), so weekday factors line up.
START = date(2027, 1, 4)
Progress = Callable[[int, int], None]


class Simulator:
    """One run of a :class:`ScenarioSpec` over a network and catalog."""

    def __init__(self, spec: ScenarioSpec, network: Network, catalog: Catalog, keep_trace: bool = True,
                 start: date = START, cost: CostParams | None = None) -> None:
        self.spec, self.start, self.keep_trace = spec, start, keep_trace
        if spec.centralise is not None:
            network = centralise(network, spec.centralise)
        self.arrival_days = min(spec.days, spec.policy.preorder_days) if spec.policy.mode == "pre_order" \
            else spec.days
        self.horizon_days = spec.days + max(spec.demand.due_days) + 14
        cap_days = self.horizon_days + spec.planning.window_days + SPILL_DAYS
        delivery = spec.centralise.delivery_days if spec.centralise else 1
        self.sites = sim_sites(network, start, cap_days, spec.policy.use_secondary, delivery)
        self.products = sim_products(catalog)
        self.procs = tuple(sorted({p for s in self.sites for p in s.capacity}))
        self.free = np.array([[list(s.capacity.get(p, (0.0,) * cap_days)) for p in self.procs] for s in self.sites],
                             dtype=np.float64).reshape(len(self.sites), len(self.procs), cap_days)
        streams = np.random.SeedSequence(spec.seed).spawn(5)
        self.rng_arrivals, self.rng_outages, self.rng_quality, self.rng_returns, self.rng_machines = (
            np.random.default_rng(s) for s in streams)
        self.queue = EventQueue()
        self.trace: list[TraceRow] = []
        self.calls: list[SolverCall] = []
        given = spec.demand.anchors
        self.anchors = [(a[0], a[1]) for a in given] or [(s.location.lat, s.location.lon) for s in network.sites]
        self.anchor_weights = np.array([a[2] for a in given]) / sum(a[2] for a in given) if given else None
        cost = cost or CostParams()
        if spec.planning.lateness_penalty_per_day is not None:
            cost = dataclasses.replace(cost, lateness_penalty_per_day=spec.planning.lateness_penalty_per_day)
        self.flow = FlowState(self.sites, self.products, spec, cost)
        self.pool: list[str] = []
        self.held: list[str] = []
        self.pending: dict[str, list[str]] = {s.id: [] for s in self.sites}
        self.down: dict[str, int] = {}
        self.timing = {"routing_s": 0.0, "planning_s": 0.0}

    # -- the loop -------------------------------------------------------------------------------
    def run(self, progress: Progress | None = None) -> SimResult:
        """Run to the end of the horizon and return the KPIs, summary and trace."""
        self.progress = progress
        self.queue.push(0, "arrivals", data=0)
        self.queue.push(PLANNING_MINUTE, "day", data=0)
        self.outages = site_outages(self.rng_outages, self.sites, self.horizon_days, self.spec.outages)
        for o in self.outages:
            self.queue.push(o.start_min, "site_down", o.site, o)
            self.queue.push(o.end_min, "site_up", o.site, o)
        end = self.horizon_days * MINUTES_PER_DAY
        handlers: dict[str, Callable[[int, str, Any], None]] = {"arrivals": self._on_arrivals, "order": self._on_order, "day": self._on_day,
                    "site_down": self._on_site_down, "site_up": self._on_site_up,
                    "batch_done": self._on_batch_done, "rework_done": self._on_batch_done,
                    "delivered": self._on_delivered, "returned": self._on_returned}
        while len(self.queue) and (self.queue.peek_time() or 0) < end:
            ev = self.queue.pop()
            handlers[ev.kind](ev.at, ev.ref, ev.data)
        return self._result()

    def _log(self, at: int, kind: str, ref: str, detail: str = "") -> None:
        if self.keep_trace:
            self.trace.append(TraceRow(at, kind, ref, detail))

    # -- demand -------------------------------------------------------------------------------
    def _on_arrivals(self, at: int, ref: str, day: int) -> None:
        for order in orders_of_day(self.rng_arrivals, self.spec.demand, self.products, self.anchors, self.start, day,
                                   self.anchor_weights):
            if self.spec.policy.mode == "pre_order":
                order = self.flow.preorder_due(order)
            self.queue.push(order.created_min, "order", order.id, order)
        if day + 1 < self.arrival_days:
            self.queue.push(day_start(day + 1), "arrivals", data=day + 1)

    def _on_order(self, at: int, ref: str, order: SimOrder) -> None:
        self._log(at, "order", order.id, f"lines={len(order.lines)} items={order.items} due_day={order.due_day}")
        lines = self.flow.register(order)
        mode = self.spec.policy.mode
        if mode == "pre_order":
            self.held.extend(ln.id for ln in lines)
            return
        for ln in lines:
            if mode == "stocked" and self.flow.take_from_stock(ln, at):
                self.pool.append(self.flow.refill_line(ln, day_of(at)).id)
                self._line_done(ln, at)
            else:
                self.pool.append(ln.id)

    # -- the daily cycle ---------------------------------------------------------------------------
    def _on_day(self, at: int, ref: str, day: int) -> None:
        if self.progress is not None:
            self.progress(day, self.horizon_days)
        if self.spec.policy.mode == "pre_order" and day == self.spec.policy.preorder_days:
            self.pool.extend(self.held)
            self.held = []
        routed, missed = self._route(day)
        self._log(at, "day", f"day-{day}", f"routed={routed} unassigned={missed}")
        for site in self.sites:
            downtime = machine_downtime(self.rng_machines, site, day, self.spec.outages)
            if site.id not in self.down:
                self._plan(site.id, day, downtime)
            self.flow.ledger.available(site, day, site.id not in self.down)
        if day + 1 < self.horizon_days:
            self.queue.push(day_start(day + 1) + PLANNING_MINUTE, "day", data=day + 1)

    def _routing_site(self, s: int, day: int) -> RoutingSite:
        site, w = self.sites[s], self.spec.planning.window_days
        cap = {p: tuple(float(x) for x in self.free[s, k, day:day + w]) for k, p in enumerate(self.procs)
               if p in site.capacity}
        return RoutingSite(site.id, site.lat, site.lon, cap, status="down" if site.id in self.down else "up",
                           operator=site.operator,  # type: ignore[arg-type]
                           brands_allowed=site.brands, lead_time_days=site.lead_time_days,
                           delivery_days=site.delivery_days, delivery_mode=site.delivery_mode,
                           staff_rate_per_hour=site.staff_rate_per_hour,
                           machine_rate_per_hour=site.machine_rate_per_hour, setup_cost=site.setup_cost)

    def _routing_line(self, ln: LineState, day: int) -> RoutingLine:
        p = self.products[ln.product]
        due = max(ln.due_day, day)
        return RoutingLine(ln.id, ln.order_id, p.brand, p.product, p.sku, ln.qty, p.minutes, ln.lat, ln.lon,
                           due_day=due, created_day=min(day, due), setup_key=p.sku, weight_kg=p.weight_kg)

    def _route(self, day: int) -> tuple[int, int]:
        if not self.pool:
            return 0, 0
        lines = tuple(self._routing_line(self.flow.lines[i], day) for i in self.pool)
        problem = RoutingProblem(tuple(self._routing_site(s, day) for s in range(len(self.sites))), lines,
                                 start_day=day, cost=self.flow.cost)
        plan = self.spec.planning
        params = RoutingParams(policy=plan.routing_policy,  # type: ignore[arg-type]
                               time_limit_s=plan.routing_time_limit_s, seed=self.spec.seed,
                               exact_max_lines=plan.routing_exact_max_lines)
        clock = StepClock(plan.routing_time_limit_s / plan.routing_steps) if plan.routing_steps else None
        t0 = time.perf_counter()
        result = (route_batch if params.policy == "optimal" else route_greedy)(problem, params, clock)
        wall = time.perf_counter() - t0
        self.timing["routing_s"] += wall
        self.calls.append(SolverCall(day, "routing", "*", result.method, result.status, result.objective,
                                     result.bound, wall, result.seed))
        self._take_capacity(result.state.free, result.state.processes, day)
        for a in result.assignments:
            ln = self.flow.lines[a.line_id]
            ln.site, ln.finish_day = a.site_id, max(a.finish_day, day)
            self.pending[a.site_id].append(ln.id)
        self.pool = [u.line_id for u in result.unassigned]
        return len(result.assignments), len(result.unassigned)

    def _take_capacity(self, free: np.ndarray, processes: tuple[str, ...], day: int) -> None:
        n = min(self.spec.planning.window_days, free.shape[2])
        for k, p in enumerate(processes):
            if p in self.procs:
                self.free[:, self.procs.index(p), day:day + n] = free[:, k, :n]

    def _plan(self, site_id: str, day: int, downtime: tuple) -> None:  # type: ignore[type-arg]
        lines = self.flow.lines
        ready = [i for i in self.pending[site_id] if lines[i].finish_day <= day]
        if not ready:
            return
        self.pending[site_id] = [i for i in self.pending[site_id] if lines[i].finish_day > day]
        items = [WorkItem(i, lines[i].order_id, self.products[lines[i].product], lines[i].qty,
                          (lines[i].due_day - day + 1) * MINUTES_PER_DAY) for i in ready]
        site = self.sites[self.flow.site_index[site_id]]
        t0 = time.perf_counter()
        plan = plan_day(site, day, items, self.spec.planning, downtime, seed=self.spec.seed)
        self.timing["planning_s"] += time.perf_counter() - t0
        self.calls.append(SolverCall(day, "scheduling", site_id, plan.method, plan.status, plan.objective,
                                     plan.bound, plan.runtime_s, plan.seed))
        self.flow.ledger.planned(plan)
        for b in plan.batches:
            for part in b.parts:
                lines[part.split("#")[0]].parts_left += 1
            self.queue.push(day_start(day) + b.end_min, "batch_done", b.id, (site_id, b.parts, b.units, False))

    # -- outages ---------------------------------------------------------------------------------
    def _on_site_down(self, at: int, site_id: str, outage: Outage) -> None:
        end = outage.end_min
        self.down[site_id] = max(self.down.get(site_id, 0), end)
        s = self.flow.site_index[site_id]
        self.free[s, :, day_of(at):day_of(end - 1) + 1] = 0.0
        for line_id in self.pending[site_id]:
            self.flow.lines[line_id].site = None
            self.pool.append(line_id)
            self._log(at, "rerouted", line_id, f"from={site_id}")
        self.flow.ledger.reroutes += len(self.pending[site_id])
        self.pending[site_id] = []
        self._log(at, "site_down", site_id, f"until={end}")

    def _on_site_up(self, at: int, site_id: str, outage: Outage) -> None:
        if self.down.get(site_id, 0) <= at:
            self.down.pop(site_id, None)
            self._log(at, "site_up", site_id)

    # -- production, shipping, delivery ------------------------------------------------------------
    def _on_batch_done(self, at: int, batch_id: str, data: tuple[str, tuple[str, ...], int, bool]) -> None:
        site_id, parts, units, reworked = data
        if site_id in self.down:
            self.queue.push(self.down[site_id] + 60, "batch_done", batch_id, data)
            return
        escaped = 0
        if not reworked:
            qc = self.flow.inspect(self.rng_quality, site_id, units)
            self._log(at, "batch_done", batch_id, f"site={site_id} units={units} defective={qc.defective} "
                                                  f"sample={qc.sample_size} found={qc.found} rejected={qc.rejected}")
            if qc.rejected:
                delay = max(60, self.spec.quality.rework_days * MINUTES_PER_DAY)
                self.queue.push(at + delay, "rework_done", batch_id, (site_id, parts, units, True))
                return
            escaped = qc.escaped
        else:
            self._log(at, "rework_done", batch_id, f"site={site_id} units={units}")
        for part in parts:
            ln = self.flow.lines[part.split("#")[0]]
            take = min(escaped, ln.qty - ln.escaped)
            ln.escaped, escaped = ln.escaped + take, escaped - take
            ln.parts_left -= 1
            if ln.parts_left == 0:
                self._line_done(ln, at)

    def _line_done(self, ln: LineState, at: int) -> None:
        order = self.flow.line_done(ln, at)
        if order is not None:
            delivered = self.flow.ship(order, at)
            self._log(at, "shipped", order.order.id, f"sites={','.join(sorted(order.sites))}")
            self.queue.push(delivered, "delivered", order.order.id, order)

    def _on_delivered(self, at: int, order_id: str, order: OrderState) -> None:
        order.delivered_min = at
        late = at > order.due_min
        self._log(at, "delivered", order_id, f"late={late}")
        for back_at, reason, items in self.flow.draw_returns(self.rng_returns, order, at):
            self.queue.push(back_at, "returned", order_id, (reason, items))

    def _on_returned(self, at: int, order_id: str, data: tuple[str, int]) -> None:
        self._log(at, "returned", order_id, f"reason={data[0]} items={data[1]}")

    def _result(self) -> SimResult:
        records = self.flow.records(self.spec.days)
        summary = self.flow.summary(self.spec.days, len(self.outages), len(self.pool))
        return SimResult(self.spec.name, self.spec.seed, self.spec.days, Ledger.report(records), records,
                         summary, tuple(self.trace), tuple(self.calls), dict(self.timing))


def simulate(spec: ScenarioSpec, network: Network, catalog: Catalog, progress: Progress | None = None,
             keep_trace: bool = True) -> SimResult:
    """Run ``spec`` on ``network`` and ``catalog``; same inputs and seed, same KPIs and trace."""
    return Simulator(spec, network, catalog, keep_trace=keep_trace).run(progress)
