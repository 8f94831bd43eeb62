"""Bottlenecks of a plan and cross-training / extra-shift candidates, each re-solved.

Utilisation = busy minutes / available minutes within the horizon, for each resource
(all units), process (all its resources) and skill (worker-minutes the plan needs of
it over the minutes its workers are available). The limiting one is the highest.
Candidates: "add skill S to worker W" for the most loaded skills and the least loaded
workers lacking them, and "extra shift" opening the first hours of a closed period;
each is planned again (``params`` time limit) and ranked by tardiness reduction.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from microfactory.engines.scheduling.problem import (
    Interval,
    Schedule,
    ScheduleParams,
    SchedulingProblem,
)
from microfactory.engines.scheduling.site import plan_site


@dataclass(frozen=True, slots=True)
class Utilisation:
    """Load of one resource, process or skill."""

    kind: str
    name: str
    busy_minutes: int
    available_minutes: int

    @property
    def utilisation(self) -> float:
        """Busy share of the available time (0 when nothing is available)."""
        return self.busy_minutes / self.available_minutes if self.available_minutes else 0.0


@dataclass(frozen=True, slots=True)
class Candidate:
    """A change tried, and the plan it gave."""

    kind: str
    description: str
    weighted_tardiness: float
    reduction: float
    changeover_minutes: int
    makespan: int
    status: str


@dataclass(frozen=True, slots=True)
class BottleneckReport:
    """Loads, the limiting one, and the candidates ranked by tardiness reduction."""

    loads: tuple[Utilisation, ...]
    limiting: Utilisation
    baseline_tardiness: float
    candidates: tuple[Candidate, ...]


def _overlap(a: Interval, spans: list[Interval]) -> int:
    return sum(max(0, min(a[1], e) - max(a[0], s)) for s, e in spans)


def _open(problem: SchedulingProblem) -> list[Interval]:
    return list(problem.calendar) if problem.calendar is not None else [(0, problem.horizon)]


def _resource_available(problem: SchedulingProblem, rid: str, units: int) -> int:
    total = sum(min(e, problem.horizon) - s for s, e in _open(problem) if s < problem.horizon)
    down = sum(_overlap((d.start, d.end), _open(problem)) for d in problem.downtime if d.resource_id == rid)
    return total * units - down


def utilisation(problem: SchedulingProblem, schedule: Schedule) -> tuple[Utilisation, ...]:
    """Utilisation of every resource, process and skill in ``schedule``."""
    busy_r: dict[str, int] = {r.id: 0 for r in problem.resources}
    busy_s: dict[str, int] = {}
    for op in schedule.ops:
        busy_r[op.resource_id] += op.end - op.start
        staffed = op.setup if problem.resource(op.resource_id).automated else op.end - op.start
        busy_s[op.process] = busy_s.get(op.process, 0) + staffed
    out = [Utilisation("resource", r.id, busy_r[r.id], _resource_available(problem, r.id, r.units))
           for r in problem.resources]
    for proc in sorted({r.process for r in problem.resources}):
        rs = [u for u, r in zip(out, problem.resources) if r.process == proc]
        out.append(Utilisation("process", proc, sum(u.busy_minutes for u in rs), sum(u.available_minutes for u in rs)))
    for skill in sorted(busy_s):
        avail = sum(_worker_minutes(problem, w.available) for w in problem.workers if skill in w.skills)
        out.append(Utilisation("skill", skill, busy_s[skill], avail))
    return tuple(out)


def _worker_minutes(problem: SchedulingProblem, available: tuple[Interval, ...] | None) -> int:
    spans = list(available) if available is not None else [(0, problem.horizon)]
    return sum(_overlap((s, min(e, problem.horizon)), spans) for s, e in _open(problem) if s < problem.horizon)


def _skill_variants(problem: SchedulingProblem, schedule: Schedule, loads: tuple[Utilisation, ...],
                    top: int) -> list[tuple[str, SchedulingProblem]]:
    skills = sorted((u for u in loads if u.kind == "skill"), key=lambda u: -u.utilisation)[:2]
    per_worker: dict[str, int] = {w.id: 0 for w in problem.workers}
    for op in schedule.ops:
        if op.worker_id is not None:
            per_worker[op.worker_id] += op.end - op.start
    out = []
    for s in skills:
        lacking = sorted((w for w in problem.workers if s.name not in w.skills), key=lambda w: (per_worker[w.id], w.id))
        for w in lacking[:top]:
            trained = dataclasses.replace(w, skills=w.skills | {s.name})
            workers = tuple(trained if x.id == w.id else x for x in problem.workers)
            out.append((f"add skill {s.name} to worker {w.id}", dataclasses.replace(problem, workers=workers)))
    return out


def _shift_variants(problem: SchedulingProblem, hours: int, top: int) -> list[tuple[str, SchedulingProblem]]:
    if problem.calendar is None:
        return []
    out = []
    cal = list(problem.calendar)
    for i, (_s, e) in enumerate(cal[:top]):
        nxt = cal[i + 1][0] if i + 1 < len(cal) else problem.horizon
        if nxt <= e:
            continue
        extra = min(nxt, e + hours * 60)
        new = tuple(cal[:i] + [(cal[i][0], extra)] + cal[i + 1:])
        out.append((f"extra shift {e}-{extra} (after opening {i + 1})", dataclasses.replace(problem, calendar=new)))
    return out


def bottlenecks(problem: SchedulingProblem, schedule: Schedule, params: ScheduleParams,
                top: int = 3, shift_hours: int = 4) -> BottleneckReport:
    """Loads of ``schedule`` and the candidate changes ranked by tardiness reduction (re-solved with ``params``)."""
    loads = utilisation(problem, schedule)
    limiting = max(loads, key=lambda u: (u.utilisation, u.kind, u.name))
    variants = _skill_variants(problem, schedule, loads, top) + _shift_variants(problem, shift_hours, top)
    cands = []
    for text, variant in variants:
        s = plan_site(variant, params)
        kind = "skill" if text.startswith("add skill") else "shift"
        cands.append(Candidate(kind, text, s.weighted_tardiness, round(schedule.weighted_tardiness - s.weighted_tardiness, 6),
                               s.changeover_minutes, s.makespan, s.status))
    cands.sort(key=lambda c: (-c.reduction, c.description))
    return BottleneckReport(loads, limiting, schedule.weighted_tardiness, tuple(cands))
