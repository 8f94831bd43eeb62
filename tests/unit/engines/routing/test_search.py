"""Tests of the local search: ejection chains lower the money and keep every calendar feasible."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from microfactory.engines.routing import (
    RoutingLine,
    RoutingParams,
    RoutingProblem,
    RoutingSite,
    generate,
)
from microfactory.engines.routing.batch import group_ids
from microfactory.engines.routing.capacity import cumulative_capacity
from microfactory.engines.routing.classes import make_rows
from microfactory.engines.routing.primal import plan_cost
from microfactory.engines.routing.rounding import Ledger, Plan
from microfactory.engines.routing.search import consolidate_late, local_search
from microfactory.engines.routing.tables import build_tables

LARGE = RoutingParams(exact_max_lines=0, time_limit_s=5, iterations=400)


def _site(sid: str, lon: float) -> RoutingSite:
    return RoutingSite(id=sid, lat=51.5, lon=lon, capacity={"sewing": (60.0,)})


def _line(lid: str, lon: float) -> RoutingLine:
    return RoutingLine(id=lid, order_id=lid, brand="B", product="tee", sku="tee-M", qty=1,
                       minutes={"sewing": 60.0}, lat=51.5, lon=lon, due_day=1)


def _plan(t, rows, site: list[int]) -> tuple[Plan, Ledger]:  # type: ignore[no-untyped-def]
    s = np.array(site, dtype=np.int64)
    dl = np.where(s >= 0, rows.base(t, np.arange(len(s)), np.maximum(s, 0)), 0).astype(np.int64)
    plan = Plan(np.full(len(s), -1, dtype=np.int64), np.zeros(len(s), dtype=np.int64),
                np.zeros_like(t.cap), cumulative_capacity(t))
    for r, (a, d) in enumerate(zip(s.tolist(), dl.tolist())):
        if a >= 0:
            plan.site[r], plan.deadline[r] = a, d
            plan.book(a, d, rows.minutes[r], 1.0)
    return plan, Ledger(t, rows)


def test_ejection_chain_frees_the_near_site() -> None:
    """X sits far away because A is full with Y; the chain puts X at A and Y at its other near site C."""
    # X at lon -0.25: A 0.25 away, F 0.35, C 0.37; Y at 0.04: A 0.04, C 0.08. One line per site.
    pb = RoutingProblem((_site("A", 0.0), _site("F", -0.6), _site("C", 0.12)),
                        (_line("X", -0.25), _line("Y", 0.04)))
    t = build_tables(pb, LARGE)
    rows = make_rows(t, group_ids(pb, LARGE))
    plan, ledger = _plan(t, rows, [1, 0])          # X at F, Y at A: A and F full, C empty
    before = plan_cost(t, rows, plan)
    moves, chains = local_search(t, rows, plan, ledger, np.arange(1), lambda: False)
    assert plan.site.tolist() == [0, 2] and chains == 1 and moves == 0
    assert plan_cost(t, rows, plan) < before


def test_swap_between_two_full_sites() -> None:
    """Two lines each at the other's near site swap (a chain that uses the freed site)."""
    pb = RoutingProblem((_site("A", 0.0), _site("B", 0.5)), (_line("X", 0.49), _line("Y", 0.01)))
    t = build_tables(pb, LARGE)
    rows = make_rows(t, group_ids(pb, LARGE))
    plan, ledger = _plan(t, rows, [0, 1])
    before = plan_cost(t, rows, plan)
    local_search(t, rows, plan, ledger, np.arange(1), lambda: False)
    assert plan.site.tolist() == [1, 0]
    assert plan_cost(t, rows, plan) < before


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 6), st.integers(5, 50), st.floats(0.6, 1.5))
def test_local_search_never_raises_money_or_overbooks(seed: int, n_sites: int, n_lines: int, load: float) -> None:
    """From the cheapest-site plan trimmed to fit, local search only lowers money and every calendar fits."""
    pb = generate(n_sites, n_lines, load, seed=seed)
    t = build_tables(pb, LARGE)
    rows = make_rows(t, group_ids(pb, LARGE))
    plan, ledger = _plan(t, rows, [-1] * len(rows.qty))
    before = plan_cost(t, rows, plan)
    local_search(t, rows, plan, ledger, np.arange(6), lambda: False)
    assert plan_cost(t, rows, plan) <= before + 1e-6
    use = np.zeros_like(t.cap)
    for r in np.nonzero(plan.site >= 0)[0]:
        s = plan.site[r]
        assert np.isfinite(rows.cost[r, s]) and plan.deadline[r] >= rows.first_day(t, r, s)
        use[s, :, plan.deadline[r]] += rows.minutes[r]
    assert (np.cumsum(use, axis=2) <= cumulative_capacity(t) + 1e-6).all()


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 6), st.integers(5, 60), st.floats(0.6, 1.5), st.booleans())
def test_compiled_search_matches_the_reference_neighbourhood(seed: int, n_sites: int, n_lines: int, load: float,
                                                            start_empty: bool) -> None:
    """The compiled moves and chains keep every calendar, never raise the money with the shortfall,
    and leave no plain move the Python reference (``_move``) would still make, nor (with both at
    their widest) a plan the reference search improves much."""
    from microfactory.engines.routing.search import Batches, _move, current_costs

    pb = generate(n_sites, n_lines, load, seed=seed)
    t = build_tables(pb, LARGE)
    rows = make_rows(t, group_ids(pb, LARGE))
    cheapest = np.where(np.isfinite(rows.cost).any(axis=1), rows.cost.argmin(axis=1), -1)
    start = [-1] * len(rows.qty) if start_empty else cheapest.tolist()
    plan, ledger = _plan(t, rows, start)
    if not start_empty:     # trim the cheapest-site plan to fit: drop rows from the end while overbooked
        for r in range(len(rows.qty) - 1, -1, -1):
            if (plan.slack >= -1e-7).all():
                break
            if plan.site[r] < 0:
                continue
            plan.book(int(plan.site[r]), int(plan.deadline[r]), rows.minutes[r], -1.0)
            plan.site[r] = -1
    before = plan_cost(t, rows, plan) + Batches(t, rows, plan).total()
    local_search(t, rows, plan, ledger, np.arange(6), lambda: False)
    bt = Batches(t, rows, plan)
    after = plan_cost(t, rows, plan) + bt.total()
    assert after <= before + 1e-6
    use = np.zeros_like(t.cap)
    for r in np.nonzero(plan.site >= 0)[0]:
        s = plan.site[r]
        assert np.isfinite(rows.cost[r, s]) and plan.deadline[r] >= rows.first_day(t, r, s)
        use[s, :, plan.deadline[r]] += rows.minutes[r]
    assert (np.cumsum(use, axis=2) <= cumulative_capacity(t) + 1e-6).all()
    assert np.allclose(np.cumsum(use, axis=2), plan.ucum)
    cur = current_costs(t, rows, plan)
    potential = cur - rows.cost.min(axis=1, initial=np.inf) + bt.leaving(plan.site)
    assert not any(_move(t, rows, plan, ledger, bt, r, np.arange(6), cur) for r in np.nonzero(potential > 1e-6)[0])
    local_search(t, rows, plan, ledger, np.arange(6), lambda: False, compiled=False)
    assert plan_cost(t, rows, plan) + Batches(t, rows, plan).total() >= 0.98 * after


def test_move_dissolves_a_small_batch_when_the_shortfall_outweighs_transport() -> None:
    """A lone unit below site B's minimum batch moves to A (a bit farther) when the shortfall costs more."""
    a = RoutingSite(id="A", lat=51.5, lon=0.0, capacity={"sewing": (600.0,)})
    b = RoutingSite(id="B", lat=51.5, lon=0.02, capacity={"sewing": (600.0,)}, min_batch=5,
                    min_batch_shortfall_cost=50.0)
    pb = RoutingProblem((a, b), (_line("X", 0.015),))
    t = build_tables(pb, LARGE)
    rows = make_rows(t, group_ids(pb, LARGE))
    plan, ledger = _plan(t, rows, [1])
    assert rows.cost[0, 1] < rows.cost[0, 0]          # B is cheaper on line money alone
    local_search(t, rows, plan, ledger, np.arange(1), lambda: False)
    assert plan.site.tolist() == [0]


def _planned(t, rows, site: list[int], day: list[int]) -> tuple[Plan, Ledger]:  # type: ignore[no-untyped-def]
    plan = Plan(np.full(len(site), -1, dtype=np.int64), np.zeros(len(site), dtype=np.int64),
                np.zeros_like(t.cap), cumulative_capacity(t))
    for r, (a, d) in enumerate(zip(site, day)):
        plan.site[r], plan.deadline[r] = a, d
        plan.book(a, d, rows.minutes[r], 1.0)
    assert (plan.slack >= -1e-9).all()
    return plan, Ledger(t, rows)


def _late_rows(t, rows, plan: Plan) -> int:  # type: ignore[no-untyped-def]
    idx = np.nonzero(plan.site >= 0)[0]
    return int((plan.deadline[idx] > rows.base(t, idx, plan.site[idx])).sum())


def _sewing_line(lid: str, minutes: float, due: int) -> RoutingLine:
    return RoutingLine(id=lid, order_id=lid, brand="B", product="tee", sku="tee-M", qty=1,
                       minutes={"sewing": minutes}, lat=51.5, lon=0.0, due_day=due)


def test_consolidate_puts_a_late_line_on_time_when_its_own_room_appears() -> None:
    """X and Y (due by day 1) both planned a day late behind Z: X fits on time once it leaves day 2."""
    pb = RoutingProblem((_site("A", 0.0),), (_sewing_line("X", 60, 2), _sewing_line("Y", 60, 2),
                                             _sewing_line("Z", 60, 2)))
    t = build_tables(pb, LARGE)
    rows = make_rows(t, group_ids(pb, LARGE))
    plan, ledger = _planned(t, rows, [0, 0, 0], [2, 2, 1])
    before = plan_cost(t, rows, plan)
    assert consolidate_late(t, rows, plan, ledger, np.arange(8), lambda: False) == 1
    assert _late_rows(t, rows, plan) == 1 and plan_cost(t, rows, plan) == before - t.late_cost
    assert (plan.slack >= -1e-9).all()


def test_consolidate_lets_another_late_line_give_way() -> None:
    """R (two days of work, due by day 1) is 2 days late; B (due by day 0) is 1 day late. B giving way
    (2 days late) puts R on time: one late line instead of two, and 10 money of lateness instead of 15."""
    pb = RoutingProblem((_site("A", 0.0),), (_sewing_line("R", 120, 2), _sewing_line("B", 60, 1)))
    t = build_tables(pb, LARGE)
    rows = make_rows(t, group_ids(pb, LARGE))
    plan, ledger = _planned(t, rows, [0, 0], [3, 1])
    assert _late_rows(t, rows, plan) == 2
    before = plan_cost(t, rows, plan)
    assert consolidate_late(t, rows, plan, ledger, np.arange(8), lambda: False) == 1
    assert plan.deadline.tolist() == [1, 2]
    assert _late_rows(t, rows, plan) == 1 and plan_cost(t, rows, plan) == before - t.late_cost
    assert (plan.slack >= -1e-9).all()


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 6), st.integers(5, 60), st.floats(0.8, 2.0))
def test_consolidate_never_raises_money_late_lines_or_use(seed: int, n_sites: int, n_lines: int,
                                                         load: float) -> None:
    """After the local search, consolidation keeps money and late lines from rising and every calendar fits."""
    pb = generate(n_sites, n_lines, load, seed=seed)
    t = build_tables(pb, LARGE)
    rows = make_rows(t, group_ids(pb, LARGE))
    plan, ledger = _plan(t, rows, [-1] * len(rows.qty))
    local_search(t, rows, plan, ledger, np.arange(8), lambda: False)
    before, late = plan_cost(t, rows, plan), _late_rows(t, rows, plan)
    sites = plan.site.copy()
    fixed = consolidate_late(t, rows, plan, ledger, np.arange(8), lambda: False)
    assert plan_cost(t, rows, plan) <= before + 1e-6
    assert _late_rows(t, rows, plan) <= late - fixed
    assert (plan.site == sites).all()
    use = np.zeros_like(t.cap)
    for r in np.nonzero(plan.site >= 0)[0]:
        s = plan.site[r]
        assert plan.deadline[r] >= rows.first_day(t, r, s)
        use[s, :, plan.deadline[r]] += rows.minutes[r]
    assert (np.cumsum(use, axis=2) <= cumulative_capacity(t) + 1e-6).all()
