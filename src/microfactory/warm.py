"""Build the compiled (numba) kernels once, before they are needed.

Numba compiles the routing and scheduling kernels on first use (about 10-25 s on a fresh install)
and keeps them in its on-disk cache next to the modules. Without this, the first routing or
planning call of a fresh install spends that time inside its own time limit. ``make install`` runs
``python -m microfactory.warm``; afterwards each process loads the kernels from the cache in
under a second.
"""

from __future__ import annotations

import time


def warm() -> float:
    """Run a tiny routing and scheduling problem through every compiled path; seconds taken."""
    start = time.perf_counter()
    from microfactory.engines.routing import RoutingParams, generate, route_batch
    from microfactory.engines.scheduling import (
        JobShop,
        ScheduleParams,
        SiteSpec,
        generate_site,
        solve_jobshop,
    )
    from microfactory.engines.scheduling.core import TaskSol, compile_problem
    from microfactory.engines.scheduling.jobshop import to_core
    from microfactory.engines.scheduling.shoptabu import improve_shop
    from microfactory.engines.scheduling.site import weights_of
    from microfactory.engines.scheduling.sitesearch import Decoder

    route_batch(generate(8, 600, 0.9, seed=0), RoutingParams(time_limit_s=3.0, exact_max_lines=0))
    solve_jobshop(JobShop("warm-up", 2, ((((0, 3),), ((1, 2),)), (((1, 2),), ((0, 4),)))), 1.0, tabu_share=0.5)
    improve_shop(to_core(JobShop("warm-up", 1, ((((0, 1),),),))), {0: TaskSol(0, 0, 0, 1, None)}, 0.1)
    small = compile_problem(generate_site(0, SiteSpec(lines=6, setup_keys=2)), weights_of(ScheduleParams()))
    Decoder(small).decode(list(range(len(small.jobs))))
    return time.perf_counter() - start


if __name__ == "__main__":
    print(f"compiled kernels ready in {warm():.1f} s")
