"""Makespan entry point of the scheduling model for (flexible) job-shop instances.

A job shop is the special case of a site with one unit per machine, no workers, no
calendar, no changeovers and makespan as the only objective; it runs through the same
dispatch rules, CP-SAT model and LNS as site plans (used by the public benchmarks), with
the compiled tabu search of :mod:`shoptabu` in between.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from microfactory.engines.scheduling.core import (
    CoreJob,
    CoreMachine,
    CoreProblem,
    CoreTask,
    TaskSol,
    Weights,
)
from microfactory.engines.scheduling.cpsat import solve_model
from microfactory.engines.scheduling.search import (
    SearchParams,
    SearchResult,
    _lns,
    best_dispatch,
    optimise,
)
from microfactory.engines.scheduling.shoptabu import improve_shop
from microfactory.errors import InvalidInput

Alternative = tuple[int, int]


@dataclass(frozen=True, slots=True)
class JobShop:
    """Jobs as sequences of operations; each operation lists (machine, duration) alternatives; machines 0-based."""

    name: str
    machines: int
    jobs: tuple[tuple[tuple[Alternative, ...], ...], ...]

    def __post_init__(self) -> None:
        for j, job in enumerate(self.jobs):
            for op in job:
                if not op or any(m < 0 or m >= self.machines or d < 0 for m, d in op):
                    raise InvalidInput(f"job {j}: bad operation {op}", field="jobs")


@dataclass(frozen=True, slots=True)
class JobShopResult:
    """Makespan and the solver report; ``starts[j][k]`` and ``machine[j][k]`` per operation."""

    name: str
    status: str
    makespan: int
    bound: float
    runtime_s: float
    seed: int
    starts: tuple[tuple[int, ...], ...]
    machine: tuple[tuple[int, ...], ...]
    lns_iterations: int


def to_core(shop: JobShop) -> CoreProblem:
    """The core form of a job shop (makespan objective)."""
    machines = tuple(CoreMachine(f"M{m}", 0, True, None) for m in range(shop.machines))
    tasks: list[CoreTask] = []
    jobs: list[CoreJob] = []
    for j, job in enumerate(shop.jobs):
        idx = []
        for k, op in enumerate(job):
            idx.append(len(tasks))
            tasks.append(CoreTask(j, k, tuple(op)))
        jobs.append(CoreJob(f"J{j}", tuple(idx)))
    return CoreProblem(machines, tuple(tasks), tuple(jobs), weights=Weights(makespan=1))


def solve_jobshop(shop: JobShop, time_limit_s: float, seed: int = 0, workers: int = 2,
                  lns: bool | None = None, first_share: float = 0.2, tabu_share: float = 0.5,
                  lns_step_s: float = 1.5) -> JobShopResult:
    """Minimise the makespan of ``shop``: CP-SAT from the best dispatch rule for ``first_share`` of the
    time (easy instances end here, proven optimal), tabu search over sequences and machine assignment
    for ``tabu_share`` (``workers`` searches in parallel threads), then CP-SAT from the tabu schedule
    for the rest: the whole model on classic job shops, LNS on flexible ones (``lns`` None chooses so;
    see benchmarks/RESULTS.md). ``tabu_share`` 0 gives the former engine (CP-SAT, then LNS or CP-SAT).
    The tabu phase stops on time, so the result can vary with the machine's speed."""
    cp = to_core(shop)
    if lns is None:
        lns = any(len(op) > 1 for job in shop.jobs for op in job)
    sp = SearchParams(time_limit_s=time_limit_s, seed=seed, workers=workers, lns=lns, full_share=first_share,
                      lns_step_s=lns_step_s)
    res = optimise(cp, 0, sp) if tabu_share <= 0 else three_phases(cp, sp, tabu_share)
    starts = tuple(tuple(res.solution[t].start for t in job.tasks) for job in cp.jobs)
    machine = tuple(tuple(cp.tasks[t].alts[res.solution[t].alt][0] for t in job.tasks) for job in cp.jobs)
    makespan = max(s.end for s in res.solution.values())
    return JobShopResult(shop.name, res.status, makespan, res.bound, res.runtime_s, seed, starts, machine,
                         res.lns_iterations)


def lower_bound(cp: CoreProblem) -> int:
    """Longest job (shortest alternatives) and, for operations with one machine, the busiest machine."""
    job = max((sum(min(d for _m, d in cp.tasks[t].alts) for t in j.tasks) for j in cp.jobs), default=0)
    load = [0] * len(cp.machines)
    for task in cp.tasks:
        if len(task.alts) == 1:
            load[task.alts[0][0]] += task.alts[0][1]
    return max(job, max(load, default=0))


def _makespan(sol: dict[int, TaskSol]) -> int:
    return max(s.end for s in sol.values())


def three_phases(cp: CoreProblem, sp: SearchParams, tabu_share: float) -> SearchResult:
    """CP-SAT, tabu search, then CP-SAT (whole model, or LNS when ``sp.lns``) from the tabu schedule.

    ``lns_iterations`` of the result counts tabu iterations (all threads) plus LNS steps."""
    t0 = time.monotonic()
    limit = sp.time_limit_s
    lb = lower_bound(cp)
    rule, hint = best_dispatch(cp)
    hint_obj = _makespan(hint)
    out = solve_model(cp, hint_obj, limit * sp.full_share, sp.seed, sp.workers, hint, objective_ub=hint_obj)
    best, bound = (out.solution or hint), max(lb, out.bound)
    ms = _makespan(best)
    iters = 0
    if out.status != "optimal" and ms > bound:
        best, tres = improve_shop(cp, best, limit * tabu_share, sp.seed, int(bound), threads=sp.workers)
        ms, iters = tres.makespan, tres.iterations
        if ms > bound:
            if sp.lns:
                best, steps = _lns(cp, hint_obj, best, t0 + limit, sp)
                ms, iters = _makespan(best), iters + steps
            elif (left := limit - (time.monotonic() - t0)) > 0.2:
                out = solve_model(cp, ms, left, sp.seed + 1, sp.workers, best, objective_ub=ms)
                bound = max(bound, out.bound)
                if out.solution is not None and _makespan(out.solution) <= ms:
                    best, ms = out.solution, _makespan(out.solution)
    status = "optimal" if out.status == "optimal" or ms <= bound else "feasible"
    bound = ms if status == "optimal" else bound
    return SearchResult(status, float(ms), float(bound), time.monotonic() - t0, best, rule, hint_obj, iters)
