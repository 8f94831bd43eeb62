"""Makespan entry point of the scheduling model for (flexible) job-shop instances.

A job shop is the special case of a site with one unit per machine, no workers, no
calendar, no changeovers and makespan as the only objective; it runs through the same
dispatch rules, CP-SAT model and LNS as site plans (used by the public benchmarks).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from microfactory.engines.scheduling.core import (
    CoreJob,
    CoreMachine,
    CoreProblem,
    CoreTask,
    Weights,
)
from microfactory.engines.scheduling.cpsat import solve_model
from microfactory.engines.scheduling.search import (
    SearchParams,
    SearchResult,
    best_dispatch,
    optimise,
)
from microfactory.engines.scheduling.tabu import improve_core
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
                  lns: bool | None = None, full_share: float = 0.4, lns_step_s: float = 1.5,
                  interleave: bool = False, tabu_share: float = 0.4) -> JobShopResult:
    """Minimise the makespan of ``shop`` with our model (dispatch hint, CP-SAT, LNS).

    ``lns`` None chooses by measurement (benchmarks/RESULTS.md): LNS after 40% of the time on
    flexible shops (it cut the MK gaps), plain CP-SAT with the hint for the whole time on
    classic job shops (where our LNS did worse than CP-SAT's own search on 15x15 instances).
    """
    cp = to_core(shop)
    if lns is None:
        lns = any(len(op) > 1 for job in shop.jobs for op in job)
    sp = SearchParams(time_limit_s=time_limit_s, seed=seed, workers=workers, lns=lns, full_share=full_share,
                      lns_step_s=lns_step_s, interleave=interleave)
    res = optimise(cp, 0, sp) if lns else tabu_then_cpsat(cp, time_limit_s, seed, workers, tabu_share)
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


def tabu_then_cpsat(cp: CoreProblem, time_limit_s: float, seed: int, workers: int,
                    tabu_share: float, first_share: float = 0.25) -> SearchResult:
    """Classic job shop in three phases: CP-SAT from the best dispatch rule for ``first_share`` of the
    time (most instances end here, proven optimal); tabu search (N5) from CP-SAT's schedule for
    ``tabu_share``; CP-SAT again with the tabu schedule as hint and upper bound for the rest."""
    t0 = time.monotonic()
    lb = lower_bound(cp)
    rule, hint = best_dispatch(cp)
    hint_obj = max(s.end for s in hint.values())
    out = solve_model(cp, hint_obj, time_limit_s * first_share, seed, workers, hint, objective_ub=hint_obj)
    best, bound = (out.solution or hint), max(lb, out.bound)
    ms = max(s.end for s in best.values())
    iters = 0
    if out.status != "optimal" and ms > bound:
        best, tres = improve_core(cp, best, time_limit_s * tabu_share, seed, int(bound))
        ms, iters = tres.makespan, tres.iterations
        left = time_limit_s - (time.monotonic() - t0)
        if ms > bound and left > 0.2:
            out = solve_model(cp, ms, left, seed + 1, workers, best, objective_ub=ms)
            bound = max(bound, out.bound)
            if out.solution is not None and max(s.end for s in out.solution.values()) <= ms:
                best = out.solution
                ms = max(s.end for s in best.values())
    status = "optimal" if out.status == "optimal" or ms <= bound else "feasible"
    bound = ms if status == "optimal" else bound
    return SearchResult(status, float(ms), float(bound), time.monotonic() - t0, best, rule, hint_obj, iters)
