"""The CP-SAT model of a core problem.

Per task: start/end; per alternative an optional interval on its machine unit whose
length is changeover + processing; per machine a ``NoOverlap`` with its blocked periods
and, when changeovers can take time, a circuit that orders the tasks and sets each
task's changeover from its predecessor's setup key. Per task needing a skill, exactly
one qualified worker, busy for the whole task on a staffed machine and for the
changeover only on an automated one. ``Restriction`` narrows the model for the
large-neighbourhood search (fixed alternatives and workers, kept machine orders).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

from ortools.sat.python import cp_model

from microfactory.engines.scheduling.core import CoreProblem, TaskSol

STATUS = {cp_model.OPTIMAL: "optimal", cp_model.FEASIBLE: "feasible", cp_model.INFEASIBLE: "infeasible",
          cp_model.MODEL_INVALID: "unknown", cp_model.UNKNOWN: "unknown"}


@dataclass(frozen=True, slots=True)
class Restriction:
    """Alternatives / workers kept per task and precedence pairs (a before b) for a neighbourhood."""

    alts: dict[int, tuple[int, ...]] = field(default_factory=dict)
    staff: dict[int, int | None] = field(default_factory=dict)
    before: tuple[tuple[int, int], ...] = ()
    window: tuple[int, int] | None = None
    starts: dict[int, int] = field(default_factory=dict)
    adjacent: frozenset[tuple[int, int]] = frozenset()


@dataclass(frozen=True, slots=True)
class SolveOutcome:
    """Status, objective, bound, runtime and the solution (None when none was found)."""

    status: str
    objective: float
    bound: float
    runtime_s: float
    solution: dict[int, TaskSol] | None


class _Model:
    def __init__(self, cp: CoreProblem, horizon: int, restrict: Restriction) -> None:
        self.cp, self.h, self.r = cp, horizon, restrict
        self.m = cp_model.CpModel()
        self.start: list[cp_model.IntVar] = []
        self.end: list[cp_model.IntVar] = []
        self.pres: dict[tuple[int, int], cp_model.IntVar] = {}
        self.setup: dict[tuple[int, int], cp_model.IntVar] = {}
        self.per_machine: list[list[tuple[int, int]]] = [[] for _ in cp.machines]
        self.staff_lit: dict[int, dict[int, cp_model.IntVar]] = {}
        self.wlen: dict[int, cp_model.IntVar] = {}
        self.wend: dict[int, cp_model.IntVar] = {}
        self.keys: set[str | None] = {t.key for t in cp.tasks}
        self.max_su: dict[tuple[int, str | None], int] = {}
        self.arcs: dict[tuple[int, int, int], cp_model.IntVar] = {}
        self.ends_of: dict[int, tuple[cp_model.IntVar, dict[int, cp_model.IntVar], dict[int, cp_model.IntVar]]] = {}
        self.tard: list[tuple[int, cp_model.IntVar]] = []
        self.tard_of: dict[int, cp_model.IntVar] = {}
        self.makespan = self.m.new_int_var(0, horizon, "makespan")
        self.succ = dict(restrict.before)
        self.locked = {t for pair in restrict.before for t in pair}

    def alts_of(self, t: int) -> tuple[int, ...]:
        fixed = self.cp.fixed.get(t)
        if fixed is not None:
            return (fixed.alt,)
        return self.r.alts.get(t, tuple(range(len(self.cp.tasks[t].alts))))

    def build(self) -> None:
        for t in range(len(self.cp.tasks)):
            self._task(t)
        for m in range(len(self.cp.machines)):
            self._machine(m)
        for t in range(len(self.cp.tasks)):
            self._worker(t)
        self._jobs()
        for a, b in self.r.before:
            self.m.add(self.start[b] >= self.end[a])
        self._objective()

    def _task(self, t: int) -> None:
        cp, task = self.cp, self.cp.tasks[t]
        fixed = cp.fixed.get(t)
        lo = fixed.start if fixed else cp.min_start
        hi = fixed.start if fixed else self.h
        s = self.m.new_int_var(lo, hi, f"s{t}")
        e = self.m.new_int_var(fixed.end if fixed else lo, fixed.end if fixed else self.h, f"e{t}")
        self.start.append(s)
        self.end.append(e)
        alts = self.alts_of(t)
        lits = []
        for a in alts:
            m, d = task.alts[a]
            lit = self.m.new_bool_var(f"x{t}_{a}")
            max_su = self._max_setup(m, task.key) if fixed is None else fixed.setup
            su = self.m.new_int_var(fixed.setup if fixed else 0, max_su, f"su{t}_{a}")
            self.m.add(su == 0).only_enforce_if(~lit)
            self.m.add(e == s + su + d).only_enforce_if(lit)
            self.pres[(t, a)] = lit
            self.setup[(t, a)] = su
            self.per_machine[m].append((t, a))
            lits.append(lit)
        self.m.add_exactly_one(lits)

    def _max_setup(self, m: int, key: str | None) -> int:
        if (m, key) not in self.max_su:
            keys = self.keys | {self.cp.machines[m].initial_key}
            self.max_su[(m, key)] = max((self.cp.setup_minutes(m, k, key) for k in keys), default=0)
        return self.max_su[(m, key)]

    def _interval(self, t: int, a: int) -> cp_model.IntervalVar:
        _m, d = self.cp.tasks[t].alts[a]
        size = self.setup[(t, a)] + d
        return self.m.new_optional_interval_var(self.start[t], size, self.end[t], self.pres[(t, a)], f"i{t}_{a}")

    def _machine(self, m: int) -> None:
        items = self.per_machine[m]
        ivs = [self._interval(t, a) for t, a in items]
        ivs += [self.m.new_fixed_size_interval_var(s, e - s, f"b{m}_{s}") for s, e in self.cp.machines[m].blocked]
        if len(ivs) > 1:
            self.m.add_no_overlap(ivs)
        keys = {self.cp.tasks[t].key for t, _a in items}
        if items and self.cp.machine_has_setups(m, keys):
            self._circuit(m, items)

    def _circuit(self, m: int, items: list[tuple[int, int]]) -> None:
        cp, model = self.cp, self.m
        init = cp.machines[m].initial_key
        empty = model.new_bool_var(f"empty{m}")
        arcs: list[tuple[int, int, cp_model.LiteralT]] = [(0, 0, empty)]
        firsts: dict[int, cp_model.IntVar] = {}
        lasts: dict[int, cp_model.IntVar] = {}
        self.ends_of[m] = (empty, firsts, lasts)
        for i, (t, a) in enumerate(items, start=1):
            key, lit, su = cp.tasks[t].key, self.pres[(t, a)], self.setup[(t, a)]
            arcs.append((i, i, ~lit))
            first, last = model.new_bool_var(""), model.new_bool_var("")
            firsts[t], lasts[t] = first, last
            arcs.append((0, i, first))
            arcs.append((i, 0, last))
            if t not in cp.fixed:
                model.add(su == cp.setup_minutes(m, init, key)).only_enforce_if(first)
            for j, (t2, a2) in enumerate(items, start=1):
                if not self._arc_possible(t, t2):
                    continue
                arc = model.new_bool_var("")
                arcs.append((i, j, arc))
                self.arcs[(m, t, t2)] = arc
                model.add(self.start[t2] >= self.end[t]).only_enforce_if(arc)
                if t2 not in cp.fixed:
                    model.add(self.setup[(t2, a2)] == cp.setup_minutes(m, key, cp.tasks[t2].key)).only_enforce_if(arc)
        model.add_circuit(arcs)

    def _arc_possible(self, t: int, t2: int) -> bool:
        """Whether t2 may directly follow t on a machine (kept orders allow only chain neighbours)."""
        task, task2 = self.cp.tasks[t], self.cp.tasks[t2]
        if t2 == t or task2.job == task.job and task2.index < task.index:
            return False
        if t in self.locked and t2 in self.locked:
            return self.succ.get(t) == t2
        win = self.r.window
        if win is not None and (t in self.locked or t2 in self.locked) and (t, t2) not in self.r.adjacent:
            kept = t if t in self.locked else t2
            return win[0] <= self.r.starts.get(kept, win[0]) <= win[1]
        if t in self.cp.fixed and t2 in self.cp.fixed:
            return self.cp.fixed[t].start <= self.cp.fixed[t2].start
        return True

    def _worker(self, t: int) -> None:
        cp, task = self.cp, self.cp.tasks[t]
        if task.skill is None:
            return
        fixed = cp.fixed.get(t)
        cands = cp.staff_for(task.skill)
        if fixed is not None or t in self.r.staff:
            keep = fixed.staff if fixed is not None else self.r.staff[t]
            cands = [keep] if keep is not None else cands
        su_total = sum(self.setup[(t, a)] for a in self.alts_of(t))
        staffed = sum(task.alts[a][1] * self.pres[(t, a)] for a in self.alts_of(t)
                      if not cp.machines[task.alts[a][0]].automated)
        wlen = self.m.new_int_var(0, self.h, f"w{t}")
        self.m.add(wlen == su_total + staffed)
        lits = {w: self.m.new_bool_var(f"y{t}_{w}") for w in cands}
        self.m.add_exactly_one(lits.values())
        self.staff_lit[t] = lits
        self.wlen[t] = wlen
        self.wend[t] = self.m.new_int_var(0, 2 * self.h, f"we{t}")
        self.m.add(self.wend[t] == self.start[t] + wlen)

    def worker_constraints(self) -> None:
        for w, staff in enumerate(self.cp.staff):
            ivs = [self.m.new_optional_interval_var(self.start[t], self.wlen[t], self.wend[t], lits[w], f"wi{t}_{w}")
                   for t, lits in self.staff_lit.items() if w in lits]
            if not ivs:
                continue
            ivs += [self.m.new_fixed_size_interval_var(s, e - s, "") for s, e in staff.blocked]
            self.m.add_no_overlap(ivs)

    def _jobs(self) -> None:
        cp = self.cp
        for job in cp.jobs:
            first = job.tasks[0]
            if first not in cp.fixed:
                self.m.add(self.start[first] >= job.release)
            for a, b in zip(job.tasks, job.tasks[1:]):
                self.m.add(self.start[b] >= self.end[a])
            last = self.end[job.tasks[-1]]
            self.m.add(self.makespan >= last)
            if job.due is not None and job.weight > 0 and cp.weights.tardiness > 0:
                tv = self.m.new_int_var(0, self.h, f"t{job.name}")
                self.m.add(tv >= last - job.due)
                self.tard.append((job.weight, tv))
                self.tard_of[job.tasks[-1]] = tv

    def _objective(self) -> None:
        w = self.cp.weights
        terms = [w.tardiness * sum(wt * tv for wt, tv in self.tard)] if self.tard else []
        if w.changeover:
            terms.append(w.changeover * sum(self.setup.values()))
        terms.append(w.makespan * self.makespan)
        if w.deviation and self.cp.previous:
            devs = []
            for t, prev in self.cp.previous.items():
                d = self.m.new_int_var(0, self.h, f"dev{t}")
                self.m.add_abs_equality(d, self.start[t] - prev)
                devs.append(d)
            terms.append(w.deviation * sum(devs))
        self.objective = sum(terms)
        self.m.minimize(self.objective)

    def hint(self, sol: dict[int, TaskSol]) -> None:
        for t, s in sol.items():
            self.m.add_hint(self.start[t], s.start)
            self.m.add_hint(self.end[t], s.end)
            for a in self.alts_of(t):
                self.m.add_hint(self.pres[(t, a)], a == s.alt)
                self.m.add_hint(self.setup[(t, a)], s.setup if a == s.alt else 0)
            for w, lit in self.staff_lit.get(t, {}).items():
                self.m.add_hint(lit, w == s.staff)
            if t in self.wlen:
                self.m.add_hint(self.wlen[t], self._hint_wlen(t, s))
        self._hint_arcs(sol)

    def _hint_wlen(self, t: int, s: TaskSol) -> int:
        m, d = self.cp.tasks[t].alts[s.alt]
        return s.setup + (0 if self.cp.machines[m].automated else d)

    def _hint_arcs(self, sol: dict[int, TaskSol]) -> None:
        seq: dict[int, list[int]] = {}
        for t, s in sol.items():
            seq.setdefault(self.cp.tasks[t].alts[s.alt][0], []).append(t)
        for ts in seq.values():
            ts.sort(key=lambda x: sol[x].start)
        pairs = {(m, *p) for m, ts in seq.items() for p in pairwise(ts)}
        for arc, lit in self.arcs.items():
            self.m.add_hint(lit, arc in pairs)
        for m, (empty, firsts, lasts) in self.ends_of.items():
            ts = seq.get(m, [])
            self.m.add_hint(empty, not ts)
            for t, lit in firsts.items():
                self.m.add_hint(lit, bool(ts) and ts[0] == t)
            for t, lit in lasts.items():
                self.m.add_hint(lit, bool(ts) and ts[-1] == t)
        due = {job.tasks[-1]: job.due for job in self.cp.jobs if job.due is not None}
        for t, tv in self.tard_of.items():
            self.m.add_hint(tv, max(0, sol[t].end - due[t]))
        self.m.add_hint(self.makespan, max((s.end for s in sol.values()), default=0))


def solve_model(cp: CoreProblem, horizon: int, time_limit_s: float, seed: int, workers: int,
                hint: dict[int, TaskSol] | None = None, restrict: Restriction | None = None,
                objective_ub: int | None = None, interleave: bool = False,
                tardiness_ub: int | None = None, presolve: bool = True) -> SolveOutcome:
    """Build and solve the model; ``horizon`` bounds every end time; optional upper bounds on the
    objective and on the weighted tardiness (to keep tardiness while the rest is minimised);
    ``presolve`` off skips CP-SAT's presolve (on a small neighbourhood of a large model it can
    take the whole step)."""
    mod = _Model(cp, horizon, restrict or Restriction())
    mod.build()
    if objective_ub is not None:
        mod.m.add(mod.objective <= objective_ub)
    if tardiness_ub is not None and mod.tard:
        mod.m.add(sum(wt * tv for wt, tv in mod.tard) <= tardiness_ub)
    mod.worker_constraints()
    if hint:
        mod.hint(hint)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.random_seed = seed
    solver.parameters.num_workers = workers
    if interleave:
        solver.parameters.interleave_search = True
    if not presolve:
        solver.parameters.cp_model_presolve = False
    code = solver.solve(mod.m)
    status = STATUS.get(code, "unknown")
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return SolveOutcome(status, float("nan"), solver.best_objective_bound, solver.wall_time, None)
    sol: dict[int, TaskSol] = {}
    for t in range(len(cp.tasks)):
        alt = next(a for a in mod.alts_of(t) if solver.boolean_value(mod.pres[(t, a)]))
        staff = next((w for w, lit in mod.staff_lit.get(t, {}).items() if solver.boolean_value(lit)), None)
        sol[t] = TaskSol(alt, solver.value(mod.start[t]), solver.value(mod.setup[(t, alt)]),
                         solver.value(mod.end[t]), staff)
    return SolveOutcome(status, solver.objective_value, solver.best_objective_bound, solver.wall_time, sol)
