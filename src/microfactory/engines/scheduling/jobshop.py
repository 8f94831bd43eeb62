"""Makespan entry point of the scheduling model for (flexible) job-shop instances.

A job shop is the special case of a site with one unit per machine, no workers, no
calendar, no changeovers and makespan as the only objective; it runs through the same
dispatch rules, CP-SAT model and LNS as site plans (used by the public benchmarks).
"""

from __future__ import annotations

from dataclasses import dataclass

from microfactory.engines.scheduling.core import (
    CoreJob,
    CoreMachine,
    CoreProblem,
    CoreTask,
    Weights,
)
from microfactory.engines.scheduling.search import SearchParams, optimise
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
                  interleave: bool = False) -> JobShopResult:
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
    res = optimise(cp, 0, sp)
    starts = tuple(tuple(res.solution[t].start for t in job.tasks) for job in cp.jobs)
    machine = tuple(tuple(cp.tasks[t].alts[res.solution[t].alt][0] for t in job.tasks) for job in cp.jobs)
    makespan = max(s.end for s in res.solution.values())
    return JobShopResult(shop.name, res.status, makespan, res.bound, res.runtime_s, seed, starts, machine,
                         res.lns_iterations)
