"""Disruption: re-route the unstarted lines of down or full sites; started work stays."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np

from microfactory.engines.routing.batch import Clock, route_batch
from microfactory.engines.routing.capacity import edf_fill
from microfactory.engines.routing.result import RoutingResult, evaluate
from microfactory.engines.routing.tables import build_tables
from microfactory.engines.routing.types import RerouteEvent, RoutingParams, RoutingProblem
from microfactory.errors import InvalidInput

#: Default preference (money per line) for secondary partners and on-demand suppliers.
DEFAULT_PREFERENCE = {"partner": 3.0, "on_demand": 3.0}


@dataclass(frozen=True, slots=True)
class RerouteResult:
    """The whole plan after the disruption and one event per moved line."""

    result: RoutingResult
    events: tuple[RerouteEvent, ...]


def reroute(problem: RoutingProblem, current: Mapping[str, str], down_sites: Collection[str] = (),
            full_sites: Collection[str] = (), started_line_ids: Collection[str] = (),
            params: RoutingParams | None = None, clock: Clock | None = None) -> RerouteResult:
    """Move unstarted lines off down/full sites into the capacity the kept lines leave free."""
    params = params or RoutingParams(operator_bonus=DEFAULT_PREFERENCE)
    ids = {s.id for s in problem.sites}
    unknown = (set(down_sites) | set(full_sites) | set(current.values())) - ids
    if unknown:
        raise InvalidInput(f"unknown sites {sorted(unknown)}", field="sites")
    hit = set(down_sites) | set(full_sites)
    started = set(started_line_ids)
    moving = [ln for ln in problem.lines if current.get(ln.id) in hit and ln.id not in started]
    move_ids = {ln.id for ln in moving}
    t = build_tables(problem, RoutingParams(max_late_days=params.max_late_days))
    index = {s.id: j for j, s in enumerate(problem.sites)}
    kept = np.array([index[current[ln.id]] if ln.id in current and ln.id not in move_ids else -1
                     for ln in problem.lines], dtype=np.int64).reshape(len(problem.lines))
    planned = np.where(kept >= 0, t.deadline(np.arange(len(kept)), np.maximum(kept, 0)) + params.max_late_days, 0)
    _, used = edf_fill(t, kept, planned)
    sites = []
    for j, s in enumerate(problem.sites):
        free = {p: tuple(np.maximum(t.cap[j, t.processes.index(p)] - used[j, t.processes.index(p)], 0.0).tolist())
                for p in s.capacity}
        if s.id in full_sites:
            free = {p: (0.0,) for p in s.capacity}
        status = "down" if s.id in down_sites else s.status
        sites.append(dataclasses.replace(s, capacity=free, status=status))
    sub = dataclasses.replace(problem, sites=tuple(sites), lines=tuple(moving))
    moved = route_batch(sub, params, clock).site_of() if moving else {}
    final = np.array([index[moved[ln.id]] if ln.id in moved else (kept[i] if ln.id not in move_ids else -1)
                      for i, ln in enumerate(problem.lines)], dtype=np.int64).reshape(len(problem.lines))
    plan = np.where(final >= 0, t.deadline(np.arange(len(final)), np.maximum(final, 0)) + params.max_late_days, 0)
    whole = evaluate(t, final, plan, "feasible", float("-inf"), 0.0, params.seed, "reroute")
    events = tuple(RerouteEvent(ln.id, current[ln.id], moved.get(ln.id),
                                "site_down" if current[ln.id] in down_sites else "site_full") for ln in moving)
    return RerouteResult(whole, events)
