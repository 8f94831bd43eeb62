"""Changeover work of the site planner: grouping decode modes, hint-safe worker fits, the polish."""

from __future__ import annotations

import random
import time
from dataclasses import replace

import pytest
from ortools.sat.python import cp_model
from tests.unit.engines.scheduling.conftest import batch, one_machine

from microfactory.engines.scheduling import (
    ScheduleParams,
    SiteSpec,
    check_schedule,
    generate_site,
    sitepolish,
)
from microfactory.engines.scheduling.core import Weights, compile_problem, evaluate
from microfactory.engines.scheduling.cpsat import Restriction, _Model
from microfactory.engines.scheduling.dispatch import dispatch
from microfactory.engines.scheduling.site import build_schedule, changeover_lower_bound, weights_of
from microfactory.engines.scheduling.sitepolish import (
    first_merges,
    frozen,
    mergeable,
    neighbourhood,
    paid_changeovers,
    polish,
    setups_consistent,
)
from microfactory.engines.scheduling.sitesearch import (
    DecodeMode,
    Decoder,
    _fit,
    job_order,
    lex_key,
    local_search,
)


def test_grouping_mode_runs_a_warm_key_first() -> None:
    """Order x, y, x on one machine: plain decoding pays three changeovers, grouping two (x, x, y)."""
    p = one_machine(batch("a", "x", 30), batch("b", "y", 20), batch("c", "x", 10), setup=10)
    cp = compile_problem(p, Weights(changeover=1, makespan=1))
    dec = Decoder(cp)
    plain = dec.decode([0, 1, 2])
    grouped = dec.decode([0, 1, 2], DecodeMode(group=True))
    assert evaluate(cp, plain)[2] == 30
    assert evaluate(cp, grouped)[2] == 20
    assert grouped[0].end <= grouped[2].start < grouped[1].start


def test_zero_length_stay_never_sits_inside_busy_time() -> None:
    """A worker stay of length 0 is pushed past a busy interval that strictly contains it."""
    assert _fit(5, 0, [(0, 10)], [10]) == 10
    assert _fit(0, 0, [(0, 10)], [10]) == 0
    assert _fit(10, 0, [(0, 10)], [10]) == 10


def test_decoded_worker_stays_are_valid_cpsat_hints() -> None:
    """No zero-length worker stay (automated unit, no changeover) lies strictly inside another stay of
    the same worker, which CP-SAT's no-overlap would reject in the hint."""
    p = generate_site(4, SiteSpec(lines=40, setup_keys=6, days=3))
    cp = compile_problem(p, weights_of(ScheduleParams()))
    sol = Decoder(cp).decode(job_order(cp, dispatch(cp, "edd")), DecodeMode(0, True, 1))
    stays: dict[int, list[tuple[int, int]]] = {}
    for t, s in sol.items():
        m, d = cp.tasks[t].alts[s.alt]
        if s.staff is not None:
            stays.setdefault(s.staff, []).append((s.start, s.start + s.setup + (0 if cp.machines[m].automated else d)))
    points = [(w, a) for w, iv in stays.items() for a, b in iv if a == b]
    assert points
    assert not [(w, a) for w, a in points for s, e in stays[w] if s < a < e]


def test_polish_groups_keys_without_raising_tardiness() -> None:
    """From x, y, x the polish finds x, x, y (two changeovers) and keeps every batch on time."""
    p = one_machine(batch("a", "x", 30, due=500), batch("b", "y", 20, due=500), batch("c", "x", 10, due=500),
                    setup=10)
    cp = compile_problem(p, Weights(tardiness=100, changeover=10, makespan=1))
    start = Decoder(cp).decode([0, 1, 2])
    sol, iters = polish(cp, p.horizon, start, time.monotonic() + 2.0, seed=0, workers=1)
    assert iters >= 1
    assert evaluate(cp, sol)[1:3] == (0, 20)
    assert check_schedule(p, build_schedule(p, cp, sol, "polish", ("feasible", 0.0, 0.0, 0.0), 0)) == []


def test_polish_and_grouping_search_never_raise_tardiness_on_a_generated_site() -> None:
    """Local search with grouping modes, then the polish: lexicographically no worse, checked feasible."""
    p = generate_site(5, SiteSpec(lines=40, setup_keys=6, days=3))
    cp = compile_problem(p, weights_of(ScheduleParams()))
    start = dispatch(cp, "edd")
    res = local_search(cp, [job_order(cp, start)], 60.0, seed=0, max_evals=150)
    assert res.evaluations == 150
    assert lex_key(cp, res.solution) <= lex_key(cp, Decoder(cp).decode(job_order(cp, start)))
    horizon = max(p.horizon, max(s.end for s in res.solution.values()))
    sol, _iters = polish(cp, horizon, res.solution, time.monotonic() + 1.0, seed=0, workers=1)
    assert lex_key(cp, sol) <= lex_key(cp, res.solution)
    assert check_schedule(p, build_schedule(p, cp, sol, "polish", ("feasible", 0.0, 0.0, 0.0), 0)) == []


def test_changeover_lower_bound_counts_each_key_once_at_its_cheapest_unit() -> None:
    """Keys x and y on one sewing unit with 10-minute setups: bound 20, and a plan pays at least that."""
    p = one_machine(batch("a", "x", 30), batch("b", "y", 20), batch("c", "x", 10), setup=10)
    assert changeover_lower_bound(p) == {"sew": 20}
    cp = compile_problem(p, Weights(changeover=1, makespan=1))
    for order in ([0, 1, 2], [1, 0, 2], [2, 0, 1]):
        assert evaluate(cp, Decoder(cp).decode(order))[2] >= 20


def test_home_units_keep_keys_apart_on_parallel_units() -> None:
    """Two units, keys x and y: with x at home on unit 0 and y on unit 1 each unit pays one changeover."""
    p = one_machine(batch("a", "x", 30), batch("b", "y", 60), batch("c", "y", 30), batch("d", "x", 30),
                    setup=10, units=2, workers=2)
    cp = compile_problem(p, Weights(changeover=1, makespan=1))
    dec = Decoder(cp)
    assert dec.shared_keys() == [(0, "x"), (0, "y")]
    assert evaluate(cp, dec.decode([0, 1, 2, 3]))[2] == 40
    sol = dec.decode([0, 1, 2, 3], home={(0, "x"): 0, (0, "y"): 1})
    units = {cp.jobs[cp.tasks[t].job].name: cp.tasks[t].alts[s.alt][0] for t, s in sol.items()}
    assert units == {"a": 0, "d": 0, "b": 1, "c": 1}
    assert evaluate(cp, sol)[2] == 20
    assert dec.home_from(sol) == {(0, "x"): 0, (0, "y"): 1}


def test_dispatch_rules_give_valid_cpsat_hints() -> None:
    """Every dispatch rule keeps zero-length worker stays out of the worker's other stays."""
    p = generate_site(4, SiteSpec(lines=40, setup_keys=6, days=3))
    cp = compile_problem(p, weights_of(ScheduleParams()))
    seen_points = 0
    for rule in ("edd", "spt", "fifo", "group"):
        sol = dispatch(cp, rule)
        stays: dict[int, list[tuple[int, int]]] = {}
        for t, s in sol.items():
            m, d = cp.tasks[t].alts[s.alt]
            if s.staff is not None:
                stays.setdefault(s.staff, []).append(
                    (s.start, s.start + s.setup + (0 if cp.machines[m].automated else d)))
        points = [(w, a) for w, iv in stays.items() for a, b in iv if a == b]
        seen_points += len(points)
        assert not [(w, a) for w, a in points for s, e in stays[w] if s < a < e], rule
    assert seen_points


def test_full_hint_is_feasible_with_units_sharing_tasks() -> None:
    """The hint (arcs per unit, first/last arcs, tardiness, makespan) of a feasible schedule is itself
    feasible when fixed: an arc between two tasks is hinted on the unit they ran on only."""
    p = generate_site(4, SiteSpec(lines=40, setup_keys=6, days=3))
    cp = compile_problem(p, weights_of(ScheduleParams()))
    sol = dispatch(cp, "edd")
    horizon = max(p.horizon, max(s.end for s in sol.values()))
    mod = _Model(cp, horizon, Restriction())
    mod.build()
    mod.worker_constraints()
    mod.hint(sol)
    solver = cp_model.CpSolver()
    solver.parameters.fix_variables_to_their_hinted_value = True
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 5.0
    assert solver.solve(mod.m) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    assert solver.value(mod.makespan) == evaluate(cp, sol)[3]


def test_key_neighbourhood_frees_the_runs_of_one_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Order x, y, x, z of long batches: a key neighbourhood around the paid x frees both x runs and
    nothing between them (their windows are narrow), so the solver may bring them together."""
    monkeypatch.setattr(sitepolish, "KEY_SHARE", 1.0)
    p = one_machine(batch("a", "x", 600), batch("b", "y", 600), batch("c", "x", 600), batch("d", "z", 600),
                    setup=10)
    cp = compile_problem(p, Weights(tardiness=100, changeover=10, makespan=1))
    sol = Decoder(cp).decode([0, 1, 2, 3])
    name = {t: cp.jobs[cp.tasks[t].job].name for t in sol}
    rng = random.Random(3)
    seen = {frozenset(name[t] for t in neighbourhood(cp, sol, rng)) for _ in range(40)}
    assert frozenset({"a", "c"}) in seen
    keyed = [g for g in seen if g & {"a", "c"} and "b" not in g and "d" not in g]
    assert keyed and all(g == {"a", "c"} for g in keyed)


def test_frozen_fixes_far_tasks_and_setups_are_checked() -> None:
    """Tasks far from the freed ones are frozen at their place; a wrong changeover is caught."""
    p = one_machine(batch("a", "x", 30), batch("b", "y", 20), batch("c", "x", 10), batch("d", "y", 600),
                    batch("e", "x", 30), setup=10)
    cp = compile_problem(p, Weights(changeover=1, makespan=1))
    sol = Decoder(cp).decode([0, 1, 2, 3, 4])
    assert setups_consistent(cp, sol)
    first = min(sol, key=lambda t: sol[t].start)
    local = frozen(cp, sol, {first}, margin=100)
    far = {t for t, s in sol.items() if s.start > sol[first].end + 100}
    assert far and set(local.fixed) == far
    assert first not in local.fixed
    bad = dict(sol)
    bad[first] = replace(sol[first], setup=sol[first].setup + 5, end=sol[first].end + 5)
    assert not setups_consistent(cp, bad)


def test_mergeable_needs_overlapping_batch_windows() -> None:
    """Key x paid twice: its runs count as mergeable only when the batches' release-to-due windows
    overlap (a batch due before the other's release can never share its run)."""
    apart = one_machine(batch("a", "x", 30, due=100), batch("b", "y", 20, due=200),
                        batch("c", "x", 10, release=150, due=400), setup=10)
    close = one_machine(batch("a", "x", 30, due=300), batch("b", "y", 20, due=300),
                        batch("c", "x", 10, release=150, due=400), setup=10)
    for p, expect in ((apart, set()), (close, {"a", "c"})):
        cp = compile_problem(p, Weights(tardiness=100, changeover=10, makespan=1))
        sol = Decoder(cp).decode([0, 1, 2])
        got = {cp.jobs[cp.tasks[t].job].name for t in mergeable(cp, sol, paid_changeovers(cp, sol))}
        assert got == expect


def test_first_merges_takes_one_task_per_key_dearest_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys x and y each paid twice: one task per key, the dearest changeover first; capped."""
    p = one_machine(batch("a", "x", 30), batch("b", "y", 20), batch("c", "x", 10), batch("d", "y", 10),
                    setup=10)
    cp = compile_problem(p, Weights(tardiness=100, changeover=10, makespan=1))
    sol = Decoder(cp).decode([0, 1, 2, 3])
    name = {t: cp.jobs[cp.tasks[t].job].name for t in sol}
    first = first_merges(cp, sol)
    assert len(first) == 2 and {cp.tasks[t].key for t in first} == {"x", "y"}
    pricier = {t: replace(s, setup=s.setup + 5) if name[t] == "c" else s for t, s in sol.items()}
    assert next(name[t] for t in first_merges(cp, pricier)) == "c"
    monkeypatch.setattr(sitepolish, "MERGE_FIRST", 1)
    assert len(first_merges(cp, sol)) == 1
