"""Tests of the large-scale path: class LP prices, the line-level bound and the rounding."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microfactory.engines.routing import (
    MaterialNeed,
    RoutingLine,
    RoutingParams,
    RoutingProblem,
    RoutingSite,
    generate,
    route_batch,
)
from microfactory.engines.routing.batch import group_ids
from microfactory.engines.routing.bound import lagrangian_bound
from microfactory.engines.routing.capacity import cumulative_capacity
from microfactory.engines.routing.classes import make_classes, make_rows
from microfactory.engines.routing.classlp import levels, solve_class_lp
from microfactory.engines.routing.rounding import build_plan
from microfactory.engines.routing.tables import build_tables

LARGE = RoutingParams(exact_max_lines=0, time_limit_s=10, iterations=400)


def _site(sid: str, lon: float, minutes: float = 600.0, **kw: object) -> RoutingSite:
    return RoutingSite(id=sid, lat=51.5, lon=lon, capacity={"sewing": (minutes,)}, **kw)  # type: ignore[arg-type]


def _line(lid: str, lon: float, **kw: object) -> RoutingLine:
    return RoutingLine(id=lid, order_id=str(kw.pop("order_id", lid)), brand="B", product="tee", sku="tee-M",
                       qty=1, minutes={"sewing": 60.0}, lat=51.5, lon=lon, due_day=int(kw.pop("due", 2)),
                       **kw)  # type: ignore[arg-type]


def _brute_relaxed(pb: RoutingProblem, params: RoutingParams) -> float:
    """Cheapest plan of the large path's objective without the (non-negative) batch shortfall."""
    t = build_tables(pb, params)
    ccum = cumulative_capacity(t)
    n, s_count = t.cost.shape
    opts = [[None] + [(s, d) for s in range(s_count) for d in range(t.horizon)
                      if np.isfinite(t.cost[i, s]) and d >= t.earliest[s]] for i in range(n)]
    best = np.inf
    for combo in itertools.product(*opts):
        use, money = np.zeros_like(t.cap), 0.0
        for i, o in enumerate(combo):
            if o is None:
                money += t.unassigned_cost
                continue
            s, d = o
            use[s, :, d] += t.minutes[i]
            money += t.cost[i, s] + t.late_cost * max(0, d - int(t.due[i] - t.delivery[s]))
        if money < best and not (np.cumsum(use, axis=2) > ccum + 1e-9).any():
            best = money
    return float(best)


def _tiny(seed: int) -> RoutingProblem:
    rng = np.random.default_rng(seed)
    sites = tuple(_site(f"S{j}", float(rng.uniform(0, 0.3)), float(rng.choice([60.0, 120.0])),
                        staff_rate_per_hour=float(rng.uniform(18, 34))) for j in range(2))
    lines = tuple(_line(f"l{i}", float(rng.uniform(0, 0.3)), due=int(rng.integers(1, 3))) for i in range(3))
    return RoutingProblem(sites, lines)


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 1000), st.floats(0.0, 2.0))
def test_bound_never_exceeds_brute_force_optimum(seed: int, scale: float) -> None:
    """For the class-LP prices and for arbitrary prices the line-level bound is below the true optimum."""
    pb = _tiny(seed)
    params = RoutingParams(max_late_days=2)
    t = build_tables(pb, params)
    rows = make_rows(t, group_ids(pb, params))
    lp = solve_class_lp(t, make_classes(t, rows, 100), 8, 2, 5.0)
    optimum = _brute_relaxed(pb, params)
    assert lagrangian_bound(t, lp.mu) <= optimum + 1e-6
    rng = np.random.default_rng(seed)
    assert lagrangian_bound(t, rng.uniform(0, scale, t.cap.shape)) <= optimum + 1e-6


def test_class_lp_bound_below_exact_mip_on_small_instance() -> None:
    """On a small generated network the large path's bound is below the exact MIP optimum."""
    pb = generate(4, 12, 0.9, seed=7)
    exact = route_batch(pb, RoutingParams(time_limit_s=20))
    large = route_batch(pb, LARGE)
    assert exact.status == "optimal"
    assert large.bound <= exact.objective + 1e-6
    assert large.bound <= large.objective + 1e-6


@pytest.mark.parametrize("seed", range(6))
def test_optimal_not_worse_than_greedy_on_tight_networks(seed: int) -> None:
    """On these tight small networks the large path costs no more than greedy on the same total cost.

    Not a universal property: hypothesis found seed 8190 where the large path's repair is 0.9 %
    worse than greedy (see docs/routing.md, known gaps).
    """
    pb = generate(6, 80, 0.95, seed=seed)
    opt = route_batch(pb, LARGE)
    greedy = route_batch(pb, RoutingParams(policy="greedy"))
    assert opt.objective <= greedy.objective + 1e-6
    assert opt.bound <= opt.objective + 1e-6


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 6), st.integers(5, 60), st.floats(0.5, 1.6))
def test_rounding_never_exceeds_capacity(seed: int, n_sites: int, n_lines: int, load: float) -> None:
    """The rounded plan's own bookings, recounted from scratch, fit every cumulative calendar."""
    pb = generate(n_sites, n_lines, load, seed=seed)
    t = build_tables(pb, LARGE)
    rows = make_rows(t, group_ids(pb, LARGE))
    classes = make_classes(t, rows, 50)
    lp = solve_class_lp(t, classes, 4, 7, 5.0)
    plan = build_plan(t, rows, lp.mu, levels(7), lambda: False, (classes, lp))
    use = np.zeros_like(t.cap)
    for r in np.nonzero(plan.site >= 0)[0]:
        assert np.isfinite(rows.cost[r, plan.site[r]])
        assert plan.deadline[r] >= t.earliest[plan.site[r]]
        use[plan.site[r], :, plan.deadline[r]] += rows.minutes[r]
    assert (np.cumsum(use, axis=2) <= cumulative_capacity(t) + 1e-6).all()


def test_large_path_pools_materials_with_substitutes() -> None:
    """Three lines needing 2 m each share A's 3 m cotton + 2 m linen: only two are made at A."""
    need = (MaterialNeed("cotton", 2.0, 1.0, ("linen",)),)
    sites = (_site("A", 0.0, materials={"cotton": 3.0, "linen": 2.0}), _site("B", 0.3))
    pb = RoutingProblem(sites, tuple(_line(f"l{i}", 0.0, materials=need) for i in range(3)))
    res = route_batch(pb, LARGE)
    assert sorted(res.site_of().values()) == ["A", "A", "B"]


def test_large_path_keeps_orders_together() -> None:
    """Keep-together lines share one site in the large path as in the exact one."""
    lines = (_line("l1", 0.0, keep_together="o"), _line("l2", 0.3, keep_together="o"), _line("l3", 0.3))
    res = route_batch(RoutingProblem((_site("A", 0.0), _site("B", 0.3)), lines), LARGE)
    got = res.site_of()
    assert got["l1"] == got["l2"] and got["l3"] == "B"
    assert res.method == "lagrange" and res.bound <= res.objective + 1e-6


def test_large_path_reports_solver_fields() -> None:
    """A large-path result reports status, objective, bound, gap, runtime, seed, classes and LP status."""
    res = route_batch(generate(5, 50, 0.7, seed=2), RoutingParams(exact_max_lines=0, seed=9, large_method="class-lp", iterations=400))
    assert res.status in ("optimal", "feasible") and res.lp_status == "optimal"
    assert res.seed == 9 and res.runtime_s > 0 and res.classes >= 1 and res.lp_columns > 0
    assert 0.0 <= res.gap < 1.0 and res.objective == pytest.approx(sum(res.costs.values()))
