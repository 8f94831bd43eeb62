"""Plan many sites at once in a local process pool (the simulation issue adds a distributed engine).

Each process runs CP-SAT with ``params.workers`` threads, so ``max_workers x params.workers``
threads run at once; on a 2-core machine use ``max_workers=1`` or ``params.workers=1``.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from microfactory.engines.scheduling.problem import Schedule, ScheduleParams, SchedulingProblem
from microfactory.engines.scheduling.site import plan_site
from microfactory.errors import InvalidInput


def plan_sites(problems: Sequence[SchedulingProblem], params: ScheduleParams,
               max_workers: int = 2) -> dict[str, Schedule]:
    """Schedule of every site, keyed by site id (same result as planning each one alone)."""
    if max_workers < 1:
        raise InvalidInput("max_workers must be >= 1", field="max_workers")
    ids = [p.site_id for p in problems]
    if len(ids) != len(set(ids)):
        raise InvalidInput("duplicate site ids", field="problems")
    if max_workers == 1 or len(problems) <= 1:
        return {p.site_id: plan_site(p, params) for p in problems}
    with ProcessPoolExecutor(max_workers=min(max_workers, len(problems))) as pool:
        results = list(pool.map(plan_site, problems, [params] * len(problems)))
    return {p.site_id: s for p, s in zip(problems, results)}
