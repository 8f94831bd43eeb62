"""A plain CP-SAT model of the (flexible) job shop: the reference our engine must beat.

One optional interval per (operation, machine) alternative, exactly one alternative per
operation, ``AddNoOverlap`` per machine, precedence inside each job, minimise makespan;
no hint, no horizon tightening beyond the sum of longest durations, default search.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ortools.sat.python import cp_model

from microfactory.engines.scheduling import JobShop


@dataclass(frozen=True, slots=True)
class PlainResult:
    """Makespan and solver report of the plain model."""

    name: str
    status: str
    makespan: int
    bound: float
    runtime_s: float
    seed: int


def solve_plain(shop: JobShop, time_limit_s: float, seed: int = 0, workers: int = 2) -> PlainResult:
    """Solve ``shop`` with the plain model."""
    t0 = time.monotonic()
    horizon = sum(max(d for _m, d in op) for job in shop.jobs for op in job)
    model = cp_model.CpModel()
    per_machine: list[list[cp_model.IntervalVar]] = [[] for _ in range(shop.machines)]
    ends = []
    for j, job in enumerate(shop.jobs):
        prev_end = None
        for k, op in enumerate(job):
            s = model.new_int_var(0, horizon, f"s{j}_{k}")
            e = model.new_int_var(0, horizon, f"e{j}_{k}")
            lits = []
            for m, d in op:
                lit = model.new_bool_var(f"x{j}_{k}_{m}")
                per_machine[m].append(model.new_optional_interval_var(s, d, e, lit, f"i{j}_{k}_{m}"))
                lits.append(lit)
            model.add_exactly_one(lits)
            if prev_end is not None:
                model.add(s >= prev_end)
            prev_end = e
        ends.append(prev_end)
    for ivs in per_machine:
        model.add_no_overlap(ivs)
    makespan = model.new_int_var(0, horizon, "makespan")
    model.add_max_equality(makespan, ends)
    model.minimize(makespan)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    code = solver.solve(model)
    status = {cp_model.OPTIMAL: "optimal", cp_model.FEASIBLE: "feasible"}.get(code, "unknown")
    value = int(solver.objective_value) if code in (cp_model.OPTIMAL, cp_model.FEASIBLE) else -1
    return PlainResult(shop.name, status, value, solver.best_objective_bound, time.monotonic() - t0, seed)
