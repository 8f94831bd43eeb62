"""Pilot and network KPIs from plain records (pure; times are integer minutes of a horizon).

Definitions (see ``docs/economics.md``):

* an order belongs to a period when it was **created** in ``[start_min, end_min)``;
* lead time = delivered - created (delivered orders only), reported in days; percentiles by
  linear interpolation between closest ranks (numpy's default, Excel ``PERCENTILE.INC``);
* on-time rate = delivered with ``delivered <= due`` / delivered;
* cost per order, emissions per order and per item over all orders of the period;
* returns rate by reason = returned items with that reason / items of delivered orders
  (returns count with their order, whatever day they came back);
* utilisation = busy minutes / available minutes per (site, process) and per site, records
  filtered by their ``at_min``; changeover minutes and avoided markdown/overstock likewise.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from microfactory.errors import InvalidInput

MINUTES_PER_DAY = 1440
#: Default lead-time histogram edges in days (last bin is open-ended).
DEFAULT_BINS_DAYS: tuple[float, ...] = (0, 1, 2, 3, 5, 7, 14, 28)


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """One order: when it was created, due and delivered, where, its cost and emissions."""

    order_id: str
    brand: str
    site: str
    created_min: int
    due_min: int
    delivered_min: int | None
    cost: float
    kg_co2e: float
    items: int

    def __post_init__(self) -> None:
        if self.delivered_min is not None and self.delivered_min < self.created_min:
            raise InvalidInput(f"order {self.order_id} delivered before it was created",
                               field="delivered_min")
        if self.items < 1 or self.cost < 0 or self.kg_co2e < 0:
            raise InvalidInput(f"order {self.order_id}: items >= 1, cost and kg_co2e >= 0",
                               field="items")


@dataclass(frozen=True, slots=True)
class ReturnRecord:
    """Items of an order sent back, with the reason."""

    order_id: str
    reason: str
    items: int = 1


@dataclass(frozen=True, slots=True)
class UtilisationRecord:
    """Busy and available minutes of one process at one site over a slice starting ``at_min``."""

    site: str
    process: str
    at_min: int
    busy_minutes: float
    available_minutes: float

    def __post_init__(self) -> None:
        if self.busy_minutes < 0 or self.available_minutes < 0:
            raise InvalidInput("minutes must be >= 0", field="busy_minutes")


@dataclass(frozen=True, slots=True)
class ChangeoverRecord:
    """Minutes lost to one changeover at a site."""

    site: str
    at_min: int
    minutes: float
    process: str = ""


@dataclass(frozen=True, slots=True)
class AvoidedRecord:
    """An estimate of overstock units and markdown value avoided (e.g. from the comparison)."""

    brand: str
    site: str
    at_min: int
    overstock_units: float
    markdown_value: float


@dataclass(frozen=True, slots=True)
class KpiFilter:
    """Period ``[start_min, end_min)`` and optional brand and site."""

    start_min: int | None = None
    end_min: int | None = None
    brand: str | None = None
    site: str | None = None

    def in_period(self, at_min: int) -> bool:
        return ((self.start_min is None or at_min >= self.start_min)
                and (self.end_min is None or at_min < self.end_min))

    def keeps(self, brand: str | None, site: str | None, at_min: int) -> bool:
        return (self.in_period(at_min) and (self.brand is None or brand is None or brand == self.brand)
                and (self.site is None or site is None or site == self.site))


@dataclass(frozen=True, slots=True)
class KpiRecords:
    """Everything the KPIs are computed from."""

    orders: tuple[OrderRecord, ...]
    returns: tuple[ReturnRecord, ...] = ()
    utilisation: tuple[UtilisationRecord, ...] = ()
    changeovers: tuple[ChangeoverRecord, ...] = ()
    avoided: tuple[AvoidedRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class LeadTimeStats:
    """Lead time distribution in days."""

    count: int
    mean: float | None
    p50: float | None
    p90: float | None
    p95: float | None
    histogram: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class KpiReport:
    """The KPIs of one filter."""

    orders: int
    delivered: int
    items: int
    lead_time: LeadTimeStats
    on_time_rate: float | None
    cost_per_order: float | None
    kg_co2e_per_order: float | None
    kg_co2e_per_item: float | None
    returns_rate_by_reason: dict[str, float]
    returns_rate: float | None
    utilisation_by_site: dict[str, float]
    utilisation_by_site_process: dict[tuple[str, str], float]
    changeover_minutes_by_site: dict[str, float]
    overstock_units_avoided: float
    markdown_value_avoided: float
    filter: KpiFilter = field(default_factory=KpiFilter)


def percentile(sorted_values: list[float], q: float) -> float:
    """Percentile ``q`` (0..100) by linear interpolation between closest ranks."""
    if not sorted_values:
        raise InvalidInput("no values", field="values")
    if not 0 <= q <= 100:
        raise InvalidInput("q must be within 0..100", field="q")
    pos = (len(sorted_values) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def histogram(values: Iterable[float], edges: tuple[float, ...]) -> tuple[tuple[str, int], ...]:
    """Counts per bin ``[edge_i, edge_i+1)``; the last bin ``[edge_last, inf)``."""
    if list(edges) != sorted(edges) or len(edges) < 1:
        raise InvalidInput("bin edges must be increasing", field="edges")
    counts = [0] * len(edges)
    for v in values:
        if v < edges[0]:
            raise InvalidInput(f"value {v} is below the first bin edge", field="edges")
        idx = max(i for i, e in enumerate(edges) if v >= e)
        counts[idx] += 1
    labels = [f"{a:g}-{b:g}" for a, b in itertools.pairwise(edges)] + [f"{edges[-1]:g}+"]
    return tuple(zip(labels, counts))


def lead_time_stats(orders: list[OrderRecord],
                    edges: tuple[float, ...] = DEFAULT_BINS_DAYS) -> LeadTimeStats:
    """Distribution of lead time in days over the delivered ``orders``."""
    days = sorted((o.delivered_min - o.created_min) / MINUTES_PER_DAY
                  for o in orders if o.delivered_min is not None)
    if not days:
        return LeadTimeStats(0, None, None, None, None, histogram([], edges))
    return LeadTimeStats(count=len(days), mean=sum(days) / len(days),
                         p50=percentile(days, 50), p90=percentile(days, 90),
                         p95=percentile(days, 95), histogram=histogram(days, edges))


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def _utilisation(records: list[UtilisationRecord]) -> tuple[dict[str, float],
                                                            dict[tuple[str, str], float]]:
    busy: dict[tuple[str, str], float] = defaultdict(float)
    avail: dict[tuple[str, str], float] = defaultdict(float)
    for r in records:
        busy[(r.site, r.process)] += r.busy_minutes
        avail[(r.site, r.process)] += r.available_minutes
    by_pair = {k: busy[k] / avail[k] for k in sorted(avail) if avail[k] > 0}
    site_busy: dict[str, float] = defaultdict(float)
    site_avail: dict[str, float] = defaultdict(float)
    for (site, _), minutes in avail.items():
        site_avail[site] += minutes
        site_busy[site] += busy[(site, _)]
    by_site = {s: site_busy[s] / site_avail[s] for s in sorted(site_avail) if site_avail[s] > 0}
    return by_site, by_pair


def _returns(orders: list[OrderRecord],
             returns: tuple[ReturnRecord, ...]) -> tuple[dict[str, float], float | None]:
    delivered = {o.order_id: o.items for o in orders if o.delivered_min is not None}
    items = sum(delivered.values())
    by_reason: dict[str, int] = defaultdict(int)
    for r in returns:
        if r.order_id in delivered:
            by_reason[r.reason] += r.items
    rates = {k: by_reason[k] / items for k in sorted(by_reason)} if items else {}
    return rates, _ratio(sum(by_reason.values()), items)


def compute_kpis(records: KpiRecords, flt: KpiFilter | None = None,
                 edges: tuple[float, ...] = DEFAULT_BINS_DAYS) -> KpiReport:
    """All KPIs of ``records`` kept by ``flt`` (utilisation and changeovers ignore the brand)."""
    flt = flt or KpiFilter()
    orders = [o for o in records.orders if flt.keeps(o.brand, o.site, o.created_min)]
    delivered = [o for o in orders if o.delivered_min is not None]
    on_time = sum(1 for o in delivered if o.delivered_min is not None and o.delivered_min <= o.due_min)
    items = sum(o.items for o in orders)
    rates, rate = _returns(orders, records.returns)
    util = [u for u in records.utilisation if flt.keeps(None, u.site, u.at_min)]
    by_site, by_pair = _utilisation(util)
    changeovers: dict[str, float] = defaultdict(float)
    for c in records.changeovers:
        if flt.keeps(None, c.site, c.at_min):
            changeovers[c.site] += c.minutes
    avoided = [a for a in records.avoided if flt.keeps(a.brand, a.site, a.at_min)]
    return KpiReport(
        orders=len(orders), delivered=len(delivered), items=items,
        lead_time=lead_time_stats(orders, edges), on_time_rate=_ratio(on_time, len(delivered)),
        cost_per_order=_ratio(sum(o.cost for o in orders), len(orders)),
        kg_co2e_per_order=_ratio(sum(o.kg_co2e for o in orders), len(orders)),
        kg_co2e_per_item=_ratio(sum(o.kg_co2e for o in orders), items),
        returns_rate_by_reason=rates, returns_rate=rate,
        utilisation_by_site=by_site, utilisation_by_site_process=by_pair,
        changeover_minutes_by_site=dict(sorted(changeovers.items())),
        overstock_units_avoided=sum(a.overstock_units for a in avoided),
        markdown_value_avoided=sum(a.markdown_value for a in avoided), filter=flt)


def kpi_rows(report: KpiReport) -> list[dict[str, object]]:
    """The report as flat ``{"kpi", "key", "value"}`` rows, ready for a CSV writer."""
    rows: list[dict[str, object]] = []

    def add(kpi: str, value: object, key: str = "") -> None:
        rows.append({"kpi": kpi, "key": key, "value": value})

    add("orders", report.orders)
    add("delivered", report.delivered)
    add("items", report.items)
    lt = report.lead_time
    for name in ("mean", "p50", "p90", "p95"):
        add(f"lead_time_days_{name}", getattr(lt, name))
    for label, count in lt.histogram:
        add("lead_time_days_histogram", count, label)
    for name in ("on_time_rate", "cost_per_order", "kg_co2e_per_order", "kg_co2e_per_item",
                 "returns_rate"):
        add(name, getattr(report, name))
    for reason, value in report.returns_rate_by_reason.items():
        add("returns_rate_by_reason", value, reason)
    for site, value in report.utilisation_by_site.items():
        add("utilisation", value, site)
    for (site, process), value in report.utilisation_by_site_process.items():
        add("utilisation", value, f"{site}/{process}")
    for site, value in report.changeover_minutes_by_site.items():
        add("changeover_minutes", value, site)
    add("overstock_units_avoided", report.overstock_units_avoided)
    add("markdown_value_avoided", report.markdown_value_avoided)
    return rows


__all__ = [
    "DEFAULT_BINS_DAYS", "AvoidedRecord", "ChangeoverRecord", "KpiFilter", "KpiRecords",
    "KpiReport", "LeadTimeStats", "OrderRecord", "ReturnRecord", "UtilisationRecord",
    "compute_kpis", "histogram", "kpi_rows", "lead_time_stats", "percentile",
]
