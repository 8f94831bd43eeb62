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
from microfactory.engines.scheduling.core import Weights, compile_problem, evaluate
from microfactory.engines.scheduling.dispatch import dispatch
from microfactory.engines.scheduling.jobshop import JobShop, to_core
from microfactory.engines.scheduling.site import build_schedule, weights_of
from microfactory.engines.scheduling.sitesearch import Decoder, job_order, lex_key, local_search
from microfactory.engines.scheduling.tabu import improve_core, n5_moves


def _as_site(shop: JobShop) -> SchedulingProblem:
    """A job shop as a site: one automated resource per machine (no setups, no workers needed)."""
    res = tuple(Resource(f"M{m}", f"M{m}", automated=True) for m in range(shop.machines))
    batches = tuple(Batch(f"J{j}", "k", (f"J{j}",), tuple(OpSpec(f"M{op[0][0]}", float(op[0][1])) for op in job),
                          0, 10**6, 1.0, 1) for j, job in enumerate(shop.jobs))
    return SchedulingProblem("jsp", res, (), batches, 10**6)


def test_tabu_reaches_the_ft06_optimum_from_a_dispatch_schedule() -> None:
    """Tabu search from the MWKR schedule of ft06 finds makespan 55 within a few seconds."""
    cp = to_core(_ft06())
    sol, res = improve_core(cp, dispatch(cp, "mwkr"), 5.0, seed=0, lower_bound=55)
    assert res.makespan == 55
    assert max(s.end for s in sol.values()) == 55


def test_tabu_schedule_passes_the_independent_checker() -> None:
    """The tabu schedule of ft06, read as a site plan, breaks no rule of the checker."""
    shop = _ft06()
    cp = to_core(shop)
    sol, _res = improve_core(cp, dispatch(cp, "fifo"), 0.5, seed=1)
    ops = tuple(ScheduledOp(cp.jobs[t.job].name, t.index, f"M{t.alts[0][0]}", f"M{t.alts[0][0]}", 0, None,
                            sol[i].start, 0, sol[i].end) for i, t in enumerate(cp.tasks))
    schedule = Schedule("jsp", "tabu", "feasible", 0.0, 0.0, 0.0, 1, ops, 0.0, 0, max(o.end for o in ops))
    assert check_schedule(_as_site(shop), schedule) == []


def test_tabu_never_returns_a_worse_schedule() -> None:
    """The makespan after tabu search is at most the starting schedule's."""
    cp = to_core(_ft06())
    start = dispatch(cp, "spt")
    _sol, res = improve_core(cp, start, 0.2, seed=2)
    assert res.makespan <= max(s.end for s in start.values())


def test_n5_moves_skip_the_outer_borders_of_the_path() -> None:
    """N5 swaps only the last pair of the first block and the first pair of the last block."""
    assert n5_moves([[1, 2, 3], [4], [5, 6, 7]]) == [(2, 3), (5, 6)]
    assert n5_moves([[1, 2, 3]]) == []


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
