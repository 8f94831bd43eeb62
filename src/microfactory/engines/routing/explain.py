"""Explanations: the chosen site, the next best candidates with breakdowns, and why others lost."""

from __future__ import annotations

import dataclasses

import numpy as np

from microfactory.engines.routing.capacity import reserve
from microfactory.engines.routing.result import RoutingResult
from microfactory.engines.routing.tables import OK, breakdown, build_tables
from microfactory.engines.routing.types import REASONS, RoutingLine, RoutingParams, RoutingProblem, RoutingSite
from microfactory.errors import NotFound


def explain(problem: RoutingProblem, result: RoutingResult, line_id: str, params: RoutingParams,
            top: int = 3) -> dict[str, object]:
    """Why ``line_id`` went where it did: chosen site, ``top`` alternatives, rejected sites."""
    index = {ln.id: i for i, ln in enumerate(problem.lines)}
    if line_id not in index:
        raise NotFound(f"no line {line_id!r} in the problem", field="line_id")
    i = index[line_id]
    line = problem.lines[i]
    sub = dataclasses.replace(problem, lines=(line,))
    t = build_tables(sub, params)
    chosen = result.site_of().get(line_id)
    free = result.state.free
    rejected: dict[str, str] = {}
    alternatives: list[dict[str, object]] = []
    for s in np.argsort(t.cost[0], kind="stable").tolist():
        site = problem.sites[s]
        if t.reason[0, s] != OK:
            rejected[site.id] = REASONS[int(t.reason[0, s]) - 1]
            continue
        if site.id == chosen:
            continue
        mins = np.zeros(free.shape[1])
        for k, p in enumerate(t.processes):
            if p in result.state.processes:
                mins[result.state.processes.index(p)] = t.minutes[0, k]
        if reserve(free, s, mins, int(t.first(0, s)), int(t.deadline(0, s))) is None:
            rejected[site.id] = "no_capacity_before_due"
        elif len(alternatives) < top:
            alternatives.append({"site_id": site.id,
                                 "cost": breakdown(problem, line, site, 0, adjustments=_adjust(problem, line, site)).as_dict()})
    out: dict[str, object] = {"line_id": line_id, "site_id": chosen, "alternatives": alternatives,
                              "rejected": rejected}
    if chosen is not None:
        a = next(x for x in result.assignments if x.line_id == line_id)
        site = next(s for s in problem.sites if s.id == chosen)
        out["cost"] = breakdown(problem, line, site, a.days_late, adjustments=_adjust(problem, line, site)).as_dict()
    else:
        out["reason"] = next(u.reason for u in result.unassigned if u.line_id == line_id)
    return out


def _adjust(problem: RoutingProblem, line: RoutingLine, site: RoutingSite) -> tuple[tuple[str, float], ...]:
    """The problem's money adjustments of this (line, site) pair, named for the breakdown."""
    out = []
    if (line.id, site.id) in problem.site_penalty:
        out.append(("site_penalty", problem.site_penalty[(line.id, site.id)]))
    if (site.id, line.family) in problem.family_penalty:
        out.append(("family_penalty", problem.family_penalty[(site.id, line.family)]))
    return tuple(out)
