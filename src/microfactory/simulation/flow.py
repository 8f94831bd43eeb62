"""The flow of orders through a run: lines, stock cushion, QC, shipping, returns, and the ledger.

Costs of an order (what was actually done for it): for each line ``qty x (materials per unit +
sum over processes of minutes per unit x the site's rate per minute)``; for each site that
ships part of the order one delivery leg priced by the cost model (``transport_cost``: distance
x cost per km of the site's delivery mode; ISO 14083 emissions for the weight) plus the carbon
price x its kg CO2e. Delivery: ``delivery_days`` after the day the last line is done, at 14:00
(same day + 3 h when the site delivers in 0 days). An order is on time when delivered by the
end of its due day.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from microfactory.domain.geo import haversine_km_raw
from microfactory.engines.cost_model import CostParams, transport_cost
from microfactory.engines.kpis import (
    ChangeoverRecord,
    KpiRecords,
    KpiReport,
    OrderRecord,
    ReturnRecord,
    UtilisationRecord,
    compute_kpis,
)
from microfactory.simulation.arrivals import SimOrder
from microfactory.simulation.clock import MINUTES_PER_DAY, day_of, day_start
from microfactory.simulation.planning import DayPlan
from microfactory.simulation.qc import QcOutcome, inspect_batch
from microfactory.simulation.scenario import ScenarioSpec
from microfactory.simulation.simnet import SimProduct, SimSite

DELIVERY_MINUTE = 14 * 60


@dataclass(slots=True)
class LineState:
    """Mutable state of one line during the run."""

    id: str
    order_id: str
    product: int
    qty: int
    due_day: int
    lat: float
    lon: float
    site: str | None = None
    finish_day: int = 0
    parts_left: int = 0
    escaped: int = 0
    done_min: int | None = None
    refill: bool = False


@dataclass(slots=True)
class OrderState:
    """Mutable state of one customer order."""

    order: SimOrder
    lines: list[str]
    lines_left: int
    due_min: int
    sites: set[str] = field(default_factory=set)
    cost: float = 0.0
    kg: float = 0.0
    delivered_min: int | None = None


@dataclass(slots=True)
class Ledger:
    """Counters and the minutes behind the utilisation and changeover KPIs."""

    busy: dict[tuple[str, str, int], float] = field(default_factory=dict)
    avail: dict[tuple[str, str, int], float] = field(default_factory=dict)
    changeovers: list[tuple[str, int, float]] = field(default_factory=list)
    batches: int = 0
    rejected: int = 0
    reworked_units: int = 0
    escaped_units: int = 0
    reroutes: int = 0

    def available(self, site: SimSite, day: int, up: bool) -> None:
        for p, days in site.capacity.items():
            self.avail[(site.id, p, day)] = days[day] if up and day < len(days) else 0.0

    def planned(self, plan: DayPlan) -> None:
        for p, minutes in plan.busy_by_process.items():
            self.busy[(plan.site, p, plan.day)] = self.busy.get((plan.site, p, plan.day), 0.0) + minutes
        if plan.changeover_minutes:
            self.changeovers.append((plan.site, plan.day, float(plan.changeover_minutes)))
        self.batches += len(plan.batches)

    @staticmethod
    def report(records: KpiRecords) -> KpiReport:
        return compute_kpis(records)


class FlowState:
    """Lines, orders, stock and the ledger of one run."""

    def __init__(self, sites: tuple[SimSite, ...], products: tuple[SimProduct, ...], spec: ScenarioSpec,
                 cost: CostParams) -> None:
        self.sites, self.products, self.spec, self.cost = sites, products, spec, cost
        self.site_index = {s.id: i for i, s in enumerate(sites)}
        self.lines: dict[str, LineState] = {}
        self.orders: dict[str, OrderState] = {}
        self.ledger = Ledger()
        self.stock = [spec.policy.cushion_units if spec.policy.mode == "stocked" else 0] * len(products)
        self.refills = 0
        self.from_stock = 0
        self.returns: list[ReturnRecord] = []

    def preorder_due(self, order: SimOrder) -> SimOrder:
        """A pre-order is due a delivery window after the pre-order window closes."""
        return replace(order, due_day=self.spec.policy.preorder_days + max(self.spec.demand.due_days))

    def register(self, order: SimOrder) -> list[LineState]:
        lines = [LineState(ln.id, order.id, ln.product, ln.qty, order.due_day, order.lat, order.lon)
                 for ln in order.lines]
        for ln in lines:
            self.lines[ln.id] = ln
        self.orders[order.id] = OrderState(order, [ln.id for ln in lines], len(lines),
                                           (order.due_day + 1) * MINUTES_PER_DAY)
        return lines

    def take_from_stock(self, ln: LineState, at: int) -> bool:
        if self.stock[ln.product] < ln.qty:
            return False
        self.stock[ln.product] -= ln.qty
        ln.site = min(self.sites, key=lambda s: haversine_km_raw(s.lat, s.lon, ln.lat, ln.lon)).id
        ln.parts_left, self.from_stock = 0, self.from_stock + 1
        return True

    def refill_line(self, ln: LineState, day: int) -> LineState:
        self.refills += 1
        refill = LineState(f"REFILL-{self.refills:06d}", "STOCK", ln.product, ln.qty, day + 7, ln.lat, ln.lon,
                           refill=True)
        self.lines[refill.id] = refill
        return refill

    def inspect(self, rng: np.random.Generator, site_id: str, units: int) -> QcOutcome:
        qc = inspect_batch(rng, units, self.spec.quality.rate_at(site_id), self.spec.quality.aql)
        self.ledger.rejected += int(qc.rejected)
        self.ledger.reworked_units += qc.reworked
        self.ledger.escaped_units += qc.escaped
        return qc

    def _production_cost(self, ln: LineState) -> float:
        p = self.products[ln.product]
        if ln.site is None:
            return 0.0
        rates = self.sites[self.site_index[ln.site]].rate_per_minute
        return ln.qty * (p.material_cost + sum(m * rates.get(proc, 0.0) for proc, m in p.minutes.items()))

    def line_done(self, ln: LineState, at: int) -> OrderState | None:
        """Mark ``ln`` done; the order when it is now complete (None for stock refills)."""
        ln.done_min = at
        if ln.refill:
            self.stock[ln.product] += ln.qty
            return None
        order = self.orders[ln.order_id]
        order.cost += self._production_cost(ln)
        if ln.site is not None:
            order.sites.add(ln.site)
        order.lines_left -= 1
        return order if order.lines_left == 0 else None

    def ship(self, order: OrderState, at: int) -> int:
        """Price the delivery legs of ``order`` and return its delivery minute."""
        days = 0
        for site_id in sorted(order.sites):
            site = self.sites[self.site_index[site_id]]
            weight = sum(self.products[self.lines[i].product].weight_kg * self.lines[i].qty
                         for i in order.lines if self.lines[i].site == site_id)
            leg = transport_cost((site.lat, site.lon), (order.order.lat, order.order.lon), site.delivery_mode,
                                 weight, self.cost)
            order.cost += leg.cost + leg.kg_co2e * self.cost.carbon_price_per_kg
            order.kg += leg.kg_co2e
            days = max(days, site.delivery_days)
        if days == 0:
            return at + 180
        return max(at + 60, day_start(day_of(at) + days) + DELIVERY_MINUTE)

    def draw_returns(self, rng: np.random.Generator, order: OrderState, at: int) -> list[tuple[int, str, int]]:
        """Returns of a delivered order: (minute back, reason, items)."""
        params = self.spec.returns
        reasons = sorted(params.rates)
        probs = [params.rates[r] for r in reasons]
        out: list[tuple[int, str, int]] = []
        for line_id in order.lines:
            ln = self.lines[line_id]
            counts = rng.multinomial(ln.qty - ln.escaped, [*probs, max(0.0, 1.0 - sum(probs))])
            found = [(r, int(c)) for r, c in zip(reasons, counts[:-1]) if c]
            defects = int(rng.binomial(ln.escaped, params.defect_escape_return)) if ln.escaped else 0
            found += [("defect", defects)] if defects else []
            for reason, items in found:
                lo, hi = params.return_after_days
                out.append((at + int(rng.integers(lo, hi + 1)) * MINUTES_PER_DAY, reason, items))
                self.returns.append(ReturnRecord(order.order.id, reason, items))
        return out

    def records(self, days: int) -> KpiRecords:
        """KPI records of the orders created in ``[0, days)`` and of those days' work."""
        end = days * MINUTES_PER_DAY
        orders = tuple(OrderRecord(o.order.id, o.order.brand, min(o.sites) if o.sites else "", o.order.created_min,
                                   o.due_min, o.delivered_min, round(o.cost, 6), round(o.kg, 9), o.order.items)
                       for o in self.orders.values() if o.order.created_min < end)
        util = tuple(UtilisationRecord(s, p, d * MINUTES_PER_DAY, self.ledger.busy.get((s, p, d), 0.0), a)
                     for (s, p, d), a in sorted(self.ledger.avail.items()) if d < days)
        changes = tuple(ChangeoverRecord(s, d * MINUTES_PER_DAY, m) for s, d, m in self.ledger.changeovers if d < days)
        return KpiRecords(orders=orders, returns=tuple(self.returns), utilisation=util, changeovers=changes)

    def summary(self, days: int, outages: int, unassigned: int) -> dict[str, object]:
        created = [o for o in self.orders.values() if o.order.created_min < days * MINUTES_PER_DAY]
        overstock = sum(self.stock) if self.spec.policy.mode == "stocked" else 0
        value = sum(n * p.price for n, p in zip(self.stock, self.products)) if overstock else 0.0
        return {"orders": len(created), "delivered": sum(1 for o in created if o.delivered_min is not None),
                "lines": sum(len(o.lines) for o in created), "batches": self.ledger.batches,
                "rejected_batches": self.ledger.rejected, "reworked_units": self.ledger.reworked_units,
                "escaped_defects": self.ledger.escaped_units, "reroutes": self.ledger.reroutes,
                "site_outages": outages, "unassigned_at_end": unassigned, "lines_from_stock": self.from_stock,
                "refill_lines": self.refills, "overstock_units_at_end": overstock,
                "overstock_value_at_end": round(value, 2), "policy": self.spec.policy.mode,
                "sites": [s.id for s in self.sites]}
