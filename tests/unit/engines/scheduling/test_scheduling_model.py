"""The CP-SAT model, LNS and dispatch rules on tiny instances with a known optimum."""

from __future__ import annotations

import dataclasses

import pytest
from tests.unit.engines.scheduling.conftest import FAST, batch, one_machine

from microfactory.engines.scheduling import (
    JobShop,
    Resource,
    SchedulingProblem,
    SiteSpec,
    Worker,
    check_schedule,
    dispatch_schedule,
    generate_site,
    plan_site,
    solve_jobshop,
)

# ft06 (Fisher & Thompson 1963, OR-Library format, machines from 0); optimum 55.
FT06 = """6 6
2 1 0 3 1 6 3 7 5 3 4 6
1 8 2 5 4 10 5 10 0 10 3 4
2 5 3 4 5 8 0 9 1 1 4 7
1 5 0 5 2 5 3 3 4 8 5 9
2 9 1 3 4 5 5 4 0 3 3 1
1 3 3 3 5 9 0 10 4 4 2 1
"""


def _ft06() -> JobShop:
    vals = [int(v) for v in FT06.split()]
    jobs = tuple(tuple(((vals[2 + 12 * j + 2 * i], vals[3 + 12 * j + 2 * i]),) for i in range(6)) for j in range(6))
    return JobShop("ft06", 6, jobs)


def test_two_job_shop_reaches_its_hand_computed_optimum() -> None:
    """Two jobs crossing two machines have optimum 7 (machine 0 carries 3 + 4)."""
    shop = JobShop("x", 2, (((((0, 3),), ((1, 2),))), (((1, 2),), ((0, 4),))))
    res = solve_jobshop(shop, 2.0, seed=0)
    assert (res.makespan, res.status) == (7, "optimal")
    assert res.bound == 7


def test_ft06_is_solved_to_its_known_optimum() -> None:
    """ft06 is solved to makespan 55 and proven optimal."""
    res = solve_jobshop(_ft06(), 5.0, seed=3)
    assert res.makespan == 55 and res.status == "optimal"


def test_flexible_job_picks_the_faster_machine() -> None:
    """An operation with alternatives (M0: 5, M1: 3) lands on M1 when nothing else competes."""
    shop = JobShop("f", 2, ((((0, 5), (1, 3)),),))
    res = solve_jobshop(shop, 1.0)
    assert res.makespan == 3 and res.machine == ((1,),)


def test_changeovers_are_grouped_by_setup_key() -> None:
    """Batches A, B, A on one machine run as A, A, B: cold start 10 plus one change of 10."""
    p = one_machine(batch("b1", "A", 30), batch("b2", "B", 30), batch("b3", "A", 30))
    s = plan_site(p, FAST)
    assert check_schedule(p, s) == []
    assert s.changeover_minutes == 20 and s.makespan == 110
    assert s.status == "optimal"


def test_one_worker_serialises_two_staffed_units() -> None:
    """Two staffed units but one sewer: two 60-minute batches of one key end at 10 + 60 + 60."""
    p = one_machine(batch("b1", "A", 60), batch("b2", "A", 60), units=2)
    s = plan_site(p, FAST)
    assert check_schedule(p, s) == [] and s.makespan == 130


def test_automated_units_need_the_worker_only_for_setup() -> None:
    """Two automated units, one worker: setups [0,10) and [10,20), runs end at 70 and 80."""
    p = one_machine(batch("b1", "A", 60), batch("b2", "B", 60), units=2, automated=True)
    s = plan_site(p, FAST)
    assert check_schedule(p, s) == [] and s.makespan == 80
    assert {op.worker_id for op in s.ops} == {"W0"}


def test_operations_do_not_cross_closed_periods() -> None:
    """A 100-minute batch (plus a 10-minute setup) skips the 60-minute opening and starts at 120."""
    p = one_machine(batch("b1", "A", 100), calendar=((0, 60), (120, 400)))
    s = plan_site(p, FAST)
    assert check_schedule(p, s) == [] and (s.ops[0].start, s.ops[0].end) == (120, 230)


def test_due_dates_order_the_batches() -> None:
    """With a tight due date on the second batch the solver runs it first and nothing is late."""
    p = one_machine(batch("b1", "A", 50, due=500), batch("b2", "A", 50, due=60), setup=0)
    s = plan_site(p, FAST)
    assert s.weighted_tardiness == 0 and s.ops[0].batch_id == "b2"


def test_release_time_is_respected() -> None:
    """A batch released at 200 does not start before 200."""
    p = one_machine(batch("b1", "A", 50, release=200))
    s = plan_site(p, FAST)
    assert check_schedule(p, s) == [] and s.ops[0].start == 200


def test_result_reports_solver_fields() -> None:
    """The schedule carries status, objective, bound, runtime and seed."""
    s = plan_site(one_machine(batch("b1", "A", 20)), FAST)
    assert s.status == "optimal" and s.objective == s.bound and s.runtime_s >= 0 and s.seed == 1


@pytest.mark.parametrize("rule", ["edd", "spt", "fifo", "mwkr", "group", "keep"])
def test_dispatch_rules_give_feasible_schedules(rule: str) -> None:
    """Every dispatch rule's schedule of a generated site passes the checker."""
    p = generate_site(7, SiteSpec(lines=40, setup_keys=8, days=3))
    s = dispatch_schedule(p, rule)
    assert check_schedule(p, s) == []
    assert len(s.ops) == sum(len(b.ops) for b in p.batches)


def test_optimised_site_beats_or_matches_the_best_rule() -> None:
    """On a small generated site the optimised plan is feasible and no worse than every dispatch rule."""
    p = generate_site(3, SiteSpec(lines=30, setup_keys=6, days=3))
    s = plan_site(p, dataclasses.replace(FAST, time_limit_s=4.0))
    assert check_schedule(p, s) == []
    rules = [dispatch_schedule(p, r, FAST).objective for r in ("edd", "spt", "fifo", "mwkr")]
    assert s.objective <= min(rules)


def test_missing_skill_is_reported_as_infeasible() -> None:
    """A process nobody is trained for raises Infeasible naming the skill."""
    from microfactory.errors import Infeasible

    p = SchedulingProblem("s", (Resource("R", "sew"),), (Worker("W", frozenset({"cut"})),),
                          (batch("b", "A", 10),), 100)
    with pytest.raises(Infeasible, match="sew"):
        plan_site(p, FAST)


def test_group_rule_runs_same_key_batches_back_to_back() -> None:
    """The grouping rule runs A, A, B (two changeovers) where FIFO runs A, B, A (three)."""
    p = one_machine(batch("b1", "A", 30, due=500), batch("b2", "B", 30, due=510), batch("b3", "A", 30, due=520))
    assert dispatch_schedule(p, "fifo").changeover_minutes == 30
    assert dispatch_schedule(p, "group").changeover_minutes == 20


def test_unknown_rule_is_rejected() -> None:
    """An unknown dispatch rule name raises InvalidInput."""
    from microfactory.errors import InvalidInput

    with pytest.raises(InvalidInput):
        dispatch_schedule(one_machine(batch("b1", "A", 10)), "lifo")
