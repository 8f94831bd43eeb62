"""Routing results: evaluation of a site choice per line into assignments, costs and reasons."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from microfactory.engines.routing.capacity import CapacityState, edf_fill, state_from
from microfactory.engines.routing.tables import CODE, OK, Tables
from microfactory.engines.routing.types import REASONS, Assignment, Unassigned


@dataclass(frozen=True, slots=True)
class RoutingResult:
    """Every solver result: status, objective, bound, gap, runtime and seed, plus the plan."""

    status: str
    objective: float
    bound: float
    runtime_s: float
    seed: int
    method: str
    assignments: tuple[Assignment, ...]
    unassigned: tuple[Unassigned, ...]
    costs: dict[str, float]
    state: CapacityState
    lp_status: str = ""
    lp_columns: int = 0
    classes: int = 0

    @property
    def gap(self) -> float:
        """Relative gap between objective and bound (0 when proven optimal)."""
        if not np.isfinite(self.bound) or self.objective <= 0:
            return float("inf") if self.objective > 0 else 0.0
        return max(0.0, (self.objective - self.bound) / max(abs(self.objective), 1e-9))

    @property
    def late_lines(self) -> int:
        return sum(1 for a in self.assignments if a.days_late > 0)

    def site_of(self) -> dict[str, str]:
        """Line id → site id of the assigned lines."""
        return {a.line_id: a.site_id for a in self.assignments}

    def as_dict(self) -> dict[str, object]:
        return {"status": self.status, "objective": round(self.objective, 4), "bound": round(self.bound, 4),
                "gap": round(self.gap, 6), "runtime_s": round(self.runtime_s, 4), "seed": self.seed,
                "method": self.method, "late_lines": self.late_lines,
                "costs": {k: round(v, 4) for k, v in self.costs.items()},
                "assignments": [{"line_id": a.line_id, "site_id": a.site_id, "finish_day": a.finish_day,
                                 "days_late": a.days_late, "cost": round(a.cost, 4)} for a in self.assignments],
                "unassigned": [{"line_id": u.line_id, "reason": u.reason} for u in self.unassigned]}


def static_reason(t: Tables, i: int) -> str:
    """Why no site may make line i ('no_capacity_before_due' when some site is allowed)."""
    codes = t.reason[i]
    if (codes == OK).any():
        return "no_capacity_before_due"
    up = codes[codes != CODE["site_down"]]
    counts = np.bincount(up if len(up) else codes, minlength=len(REASONS) + 1)
    return REASONS[int(counts[1:].argmax())]


def batch_charges(t: Tables, site_of: NDArray[np.int64]) -> tuple[float, float]:
    """(setup per batch, minimum-batch shortfall) money for the chosen sites."""
    on = site_of >= 0
    units = np.zeros((len(t.problem.sites), len(t.setup_keys)))
    np.add.at(units, (site_of[on], t.setup_key[on]), t.qty[on])
    min_batch = np.array([s.min_batch for s in t.problem.sites], dtype=float)
    short_cost = np.array([s.min_batch_shortfall_cost for s in t.problem.sites])
    used = units > 0
    shortfall = float((np.where(used, np.maximum(min_batch[:, None] - units, 0.0), 0.0) * short_cost[:, None]).sum())
    setup = 0.0
    if t.setup_counted_per_batch:
        setup = float((used * np.array([s.setup_cost for s in t.problem.sites])[:, None]).sum())
    return setup, shortfall


def evaluate(t: Tables, site_of: NDArray[np.int64], planned: NDArray[np.int64], status: str,
             bound: float, runtime_s: float, seed: int, method: str) -> RoutingResult:
    """Book the chosen lines earliest-deadline-first and price the outcome."""
    finish, used = edf_fill(t, site_of, planned)
    lines, sites = t.problem.lines, t.problem.sites
    on = np.nonzero(site_of >= 0)[0]
    late = np.zeros(len(site_of), dtype=np.int64)
    late[on] = np.maximum(0, finish[on] - t.deadline(on, site_of[on]))
    base = np.zeros(len(site_of))
    base[on] = t.cost[on, site_of[on]]
    setup, shortfall = batch_charges(t, site_of)
    off = np.nonzero(site_of < 0)[0]
    costs = {"lines": float(base[on].sum()), "lateness": float(late.sum() * t.late_cost),
             "setup_batches": setup, "min_batch_shortfall": shortfall,
             "unassigned": float(len(off) * t.unassigned_cost)}
    assignments = tuple(
        Assignment(lines[i].id, sites[site_of[i]].id, int(finish[i]) + t.problem.start_day, int(late[i]),
                   float(base[i] + late[i] * t.late_cost)) for i in on.tolist())
    unassigned = tuple(Unassigned(lines[i].id, static_reason(t, i)) for i in off.tolist())
    return RoutingResult(status, sum(costs.values()), bound, runtime_s, seed, method, assignments,
                         unassigned, costs, state_from(t, used))


__all__ = ["CODE", "RoutingResult", "batch_charges", "evaluate", "static_reason"]
