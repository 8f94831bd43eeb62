"""Tabu search for job shops, the site local search and timely batch formation."""

from __future__ import annotations

from tests.unit.engines.scheduling.conftest import batch, one_machine
from tests.unit.engines.scheduling.test_scheduling_model import _ft06

from microfactory.engines.scheduling import (
    Batch,
    BatchRules,
    Line,
    OpSpec,
    Resource,
    Schedule,
    ScheduledOp,
    ScheduleParams,
    SchedulingProblem,
    SiteSpec,
    check_schedule,
    form_batches,
    generate_site,
)
from microfactory.engines.scheduling.core import TaskSol, Weights, compile_problem, evaluate
from microfactory.engines.scheduling.dispatch import dispatch
from microfactory.engines.scheduling.jobshop import JobShop, to_core
from microfactory.engines.scheduling.shoptabu import improve_shop
from microfactory.engines.scheduling.site import build_schedule, weights_of
from microfactory.engines.scheduling.sitesearch import Decoder, job_order, lex_key, local_search


def _as_site(shop: JobShop) -> SchedulingProblem:
    """A job shop as a site: one automated resource per machine (no setups, no workers needed)."""
    res = tuple(Resource(f"M{m}", f"M{m}", automated=True) for m in range(shop.machines))
    batches = tuple(Batch(f"J{j}", "k", (f"J{j}",), tuple(OpSpec(f"M{op[0][0]}", float(op[0][1])) for op in job),
                          0, 10**6, 1.0, 1) for j, job in enumerate(shop.jobs))
    return SchedulingProblem("jsp", res, (), batches, 10**6)


def _checked(shop: JobShop, sol: dict[int, TaskSol]) -> list[str]:
    """Checker errors of ``sol`` read as a site plan of the job shop with each operation on its chosen machine."""
    cp = to_core(shop)
    fixed = JobShop(shop.name, shop.machines, tuple(tuple((cp.tasks[t].alts[sol[t].alt],) for t in job.tasks)
                                                    for job in cp.jobs))
    ops = tuple(ScheduledOp(cp.jobs[t.job].name, t.index, f"M{m}", f"M{m}", 0, None, sol[i].start, 0, sol[i].end)
                for i, t in enumerate(cp.tasks) for m in [t.alts[sol[i].alt][0]])
    schedule = Schedule("jsp", "tabu", "feasible", 0.0, 0.0, 0.0, 1, ops, 0.0, 0, max(o.end for o in ops))
    return check_schedule(_as_site(fixed), schedule)


# Two machines; J0: (M0 3 | M1 5) then M1 2; J1: (M0 2 | M1 2) then M0 4; J2: (M0 4 | M1 3).
# The shortest work sums to 3 + 2 + 2 + 4 + 3 = 14 on 2 machines, so 7 is a lower bound, and it is met:
# M0 runs J0a 0-3, J1b 3-7; M1 runs J1a 0-2, J2a 2-5, J0b 5-7.
FLEX = JobShop("flex", 2, ((((0, 3), (1, 5)), ((1, 2),)), (((0, 2), (1, 2)), ((0, 4),)), (((0, 4), (1, 3)),)))


def test_tabu_reaches_the_ft06_optimum_from_a_dispatch_schedule() -> None:
    """Tabu search from the MWKR schedule of ft06 finds makespan 55 (and stops there, the lower bound)."""
    cp = to_core(_ft06())
    sol, res = improve_shop(cp, dispatch(cp, "mwkr"), 30.0, seed=0, lower_bound=55, max_iterations=200_000)
    assert res.makespan == 55 and res.proven
    assert max(s.end for s in sol.values()) == 55


def test_tabu_schedule_passes_the_independent_checker() -> None:
    """The tabu schedule of ft06, read as a site plan, breaks no rule of the checker."""
    cp = to_core(_ft06())
    sol, _res = improve_shop(cp, dispatch(cp, "fifo"), 30.0, seed=1, max_iterations=3000)
    assert _checked(_ft06(), sol) == []


def test_tabu_never_returns_a_worse_schedule() -> None:
    """The makespan after tabu search is at most the starting schedule's, for every seed tried."""
    cp = to_core(_ft06())
    start = dispatch(cp, "spt")
    for seed in range(3):
        _sol, res = improve_shop(cp, start, 30.0, seed=seed, max_iterations=50)
        assert res.makespan <= max(s.end for s in start.values())


def test_tabu_is_reproducible_from_the_seed() -> None:
    """With an iteration limit, two runs with one seed give the same schedule."""
    cp = to_core(_ft06())
    runs = [improve_shop(cp, dispatch(cp, "fifo"), 30.0, seed=5, max_iterations=4000)[1] for _ in range(2)]
    assert runs[0] == runs[1]


def test_two_thread_tabu_is_reproducible_from_the_seed() -> None:
    """Each thread seeds its own generator, so two-thread runs with an iteration limit repeat too."""
    cp = to_core(_ft06())
    runs = [improve_shop(cp, dispatch(cp, "spt"), 30.0, seed=2, max_iterations=3000, threads=2)[1] for _ in range(2)]
    assert runs[0] == runs[1]


def test_tabu_moves_operations_to_other_machines() -> None:
    """From the jobs one after another on their first machines (makespan 15), reassignment reaches the optimum 7."""
    cp = to_core(FLEX)
    start: dict[int, TaskSol] = {}
    clock = 0
    for job in cp.jobs:
        for t in job.tasks:
            d = cp.tasks[t].alts[0][1]
            start[t] = TaskSol(0, clock, 0, clock + d, None)
            clock += d
    assert clock == 15
    sol, res = improve_shop(cp, start, 30.0, seed=0, lower_bound=7, max_iterations=10_000)
    assert res.makespan == 7 and max(s.end for s in sol.values()) == 7
    assert _checked(FLEX, sol) == []
    assert all(cp.tasks[t].alts[sol[t].alt][0] == res.machine[t] for t in sol)


def test_two_threads_return_a_checked_schedule_no_worse_than_one() -> None:
    """Two parallel searches (seeds 0 and 1) are at least as good as the search with seed 0 alone."""
    cp = to_core(_ft06())
    one = improve_shop(cp, dispatch(cp, "fifo"), 30.0, seed=0, max_iterations=300)[1]
    sol, two = improve_shop(cp, dispatch(cp, "fifo"), 30.0, seed=0, max_iterations=300, threads=2)
    assert two.makespan <= one.makespan
    assert _checked(_ft06(), sol) == []


def test_site_local_search_never_raises_tardiness_and_stays_feasible() -> None:
    """On a small generated site the local search result is lexicographically no worse and checked feasible."""
    p = generate_site(4, SiteSpec(lines=40, setup_keys=6, days=3))
    cp = compile_problem(p, weights_of(ScheduleParams()))
    start = dispatch(cp, "edd")
    res = local_search(cp, [job_order(cp, start)], 1.0, seed=0)
    assert lex_key(cp, res.solution)[0] <= evaluate(cp, Decoder(cp).decode(job_order(cp, start)))[1]
    schedule = build_schedule(p, cp, res.solution, "ls", ("feasible", 0.0, 0.0, 1.0), 0)
    assert check_schedule(p, schedule) == []


def test_decoder_follows_the_order_on_one_machine() -> None:
    """Two batches on one machine run in the given order, each after its changeover (cold start included)."""
    p = one_machine(batch("a", "x", 30), batch("b", "y", 20), setup=10)
    cp = compile_problem(p, Weights(makespan=1))
    sol = Decoder(cp).decode([1, 0])
    assert (sol[1].start, sol[1].end, sol[0].start, sol[0].setup, sol[0].end) == (0, 30, 30, 10, 70)


def test_batches_are_never_released_after_they_are_due() -> None:
    """A line released after another line of the same key is due goes to its own batch."""
    ops = (OpSpec("sew", 1.0),)
    lines = [Line("a", "o1", "tee", 2, "k", 600, ops, 0), Line("b", "o2", "tee", 2, "k", 900, ops, 700)]
    batches = form_batches(lines, BatchRules(max_batch=50, due_window=1440)).batches
    assert len(batches) == 2
    assert all(b.release + 2 <= b.due for b in batches)
