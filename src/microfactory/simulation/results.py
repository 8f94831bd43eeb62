"""What a simulation run returns: the KPIs (``engines.kpis``), a summary and the trace."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from microfactory.engines.kpis import KpiRecords, KpiReport, kpi_rows
from microfactory.simulation.events import TraceRow


@dataclass(frozen=True, slots=True)
class SolverCall:
    """One call of a real engine inside the run, with its report."""

    day: int
    engine: str
    site: str
    method: str
    status: str
    objective: float
    bound: float
    runtime_s: float
    seed: int


@dataclass(frozen=True, slots=True)
class SimResult:
    """A finished run: KPIs over the orders created in the run, a summary, the trace."""

    name: str
    seed: int
    days: int
    kpis: KpiReport
    records: KpiRecords
    summary: dict[str, Any]
    trace: tuple[TraceRow, ...]
    solver_calls: tuple[SolverCall, ...]
    timing: dict[str, float]

    def as_dict(self, with_trace: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "seed": self.seed, "days": self.days,
                               "summary": self.summary, "kpis": kpi_view(self.kpis),
                               "timing_s": {k: round(v, 3) for k, v in self.timing.items()}}
        if with_trace:
            out["trace"] = [r.as_dict() for r in self.trace]
        return out


def _num(v: object) -> object:
    return round(v, 6) if isinstance(v, float) else v


def kpi_view(report: KpiReport) -> dict[str, Any]:
    """The KPI report as a JSON-able dict."""
    lt = report.lead_time
    return {
        "orders": report.orders, "delivered": report.delivered, "items": report.items,
        "lead_time_days": {"count": lt.count, "mean": _num(lt.mean), "p50": _num(lt.p50), "p90": _num(lt.p90),
                           "p95": _num(lt.p95), "histogram": {k: v for k, v in lt.histogram}},
        "on_time_rate": _num(report.on_time_rate), "cost_per_order": _num(report.cost_per_order),
        "kg_co2e_per_order": _num(report.kg_co2e_per_order), "kg_co2e_per_item": _num(report.kg_co2e_per_item),
        "returns_rate": _num(report.returns_rate),
        "returns_rate_by_reason": {k: _num(v) for k, v in report.returns_rate_by_reason.items()},
        "utilisation_by_site": {k: _num(v) for k, v in report.utilisation_by_site.items()},
        "utilisation_by_site_process": {f"{s}/{p}": _num(v)
                                        for (s, p), v in report.utilisation_by_site_process.items()},
        "changeover_minutes_by_site": {k: _num(v) for k, v in report.changeover_minutes_by_site.items()},
        "overstock_units_avoided": _num(report.overstock_units_avoided),
        "markdown_value_avoided": _num(report.markdown_value_avoided),
    }


def kpi_csv(report: KpiReport) -> str:
    """The KPI report as CSV text (``kpi,key,value``)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["kpi", "key", "value"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(kpi_rows(report))
    return buf.getvalue()


def write_trace_csv(trace: tuple[TraceRow, ...] | list[TraceRow], path: str | Path) -> Path:
    """Write the trace as CSV (``at_min,kind,ref,detail``); returns the path."""
    out = Path(path)
    with out.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["at_min", "kind", "ref", "detail"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(r.as_dict() for r in trace)
    return out
