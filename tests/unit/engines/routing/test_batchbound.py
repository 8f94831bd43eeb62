"""Validity and strength of the minimum-batch bound (assignment and capacity relaxed, ``batchbound.py``)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microfactory.engines.routing import (
    RoutingLine,
    RoutingParams,
    RoutingProblem,
    RoutingSite,
    generate,
    route_batch,
)
from microfactory.engines.routing.batchbound import _Relaxation, batch_bound
from microfactory.engines.routing.lagrange import ascend
from microfactory.engines.routing.tables import build_tables

PARAMS = RoutingParams(time_limit_s=20)


def _exact_value(rel: _Relaxation, u: np.ndarray) -> float:
    """L(u) with every SUB_sk solved by enumerating all sets of lines (integer cover, no fractions)."""
    n, s_count = rel.v.shape
    total = float(u.sum() + np.minimum(0.0, rel.unassigned - u).sum()) + rel.const
    for s in range(s_count):
        for k in range(rel.k_count):
            members = [i for i in range(n) if rel.key[i] == k and np.isfinite(rel.v[i, s])]
            best = 0.0
            for size in range(1, len(members) + 1):
                for pick in itertools.combinations(members, size):
                    money = sum(rel.v[i, s] - u[i] for i in pick)
                    if rel.batched[s]:
                        money += rel.sc[s] * max(0.0, rel.mb[s] - sum(rel.qty[i] for i in pick))
                    best = min(best, money)
            total += best
    return total


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 4), st.integers(4, 9), st.floats(0.6, 1.6))
def test_batch_bound_below_exact_optimum(seed: int, n_sites: int, n_lines: int, load: float) -> None:
    """On small random networks the bound is below the exact MIP optimum and never below the
    capacity-Lagrangian bound it starts from; L(u) at the start is that bound."""
    pb = generate(n_sites, n_lines, load, seed=seed)
    exact = route_batch(pb, PARAMS)
    assert exact.status == "optimal"
    t = build_tables(pb, PARAMS)
    asc = ascend(t, 4, lambda: False, 60)
    got = batch_bound(t, asc.prices, lambda: False, max_iter=300)
    tol = 1e-6 * max(1.0, abs(exact.objective))
    if got is None:     # no site of this network charges a shortfall
        assert not any(s.min_batch > 1 and s.min_batch_shortfall_cost > 0 for s in pb.sites)
        return
    assert got.start == pytest.approx(asc.bound, rel=1e-9, abs=1e-6)
    assert asc.bound - tol <= got.bound <= exact.objective + tol


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_fractional_cover_is_below_the_integer_subproblems(seed: int, useed: int) -> None:
    """For random multipliers u, L(u) with the fractional cover is at most L(u) with every
    (site, setup key) subproblem solved by enumeration, and both are below the exact optimum."""
    pb = generate(2, 7, 1.0, seed=seed)
    t = build_tables(pb, PARAMS)
    asc = ascend(t, 4, lambda: False, 40)
    rel = _Relaxation(t, asc.prices)
    rng = np.random.default_rng(useed)
    u = rel.start() + rng.uniform(-5.0, 15.0, len(t.due))
    frac, _ = rel.value(u)
    exact_l = _exact_value(rel, u)
    assert frac <= exact_l + 1e-6
    opt = route_batch(pb, PARAMS)
    assert opt.status == "optimal"
    assert exact_l <= opt.objective + 1e-6


def _site(sid: str, lon: float, **kw: object) -> RoutingSite:
    return RoutingSite(id=sid, lat=51.5, lon=lon, capacity={"sewing": (600.0,)}, **kw)  # type: ignore[arg-type]


def _line(lid: str, lon: float, key: str = "tee", qty: int = 1) -> RoutingLine:
    return RoutingLine(id=lid, order_id=lid, brand="B", product="tee", sku="tee-M", qty=qty,
                       minutes={"sewing": 60.0}, lat=51.5, lon=lon, due_day=3, setup_key=key)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 3), st.floats(-0.3, 0.3), st.sampled_from("xy")), min_size=2, max_size=7),
       st.lists(st.tuples(st.integers(1, 6), st.floats(-0.3, 0.3)), min_size=1, max_size=2),
       st.integers(0, 10_000))
def test_cover_against_enumeration(lines: list[tuple[int, float, str]], sites: list[tuple[int, float]],
                                   useed: int) -> None:
    """Hand-built sites with minimum batches and lines of two setup keys: for random multipliers
    near each line's cheapest value, L(u) with the fractional cover is at most L(u) with every
    subproblem enumerated, and within the cover's fractional slack of it."""
    pb = RoutingProblem(tuple(_site(f"s{j}", lon, min_batch=mb, min_batch_shortfall_cost=2.0)
                              for j, (mb, lon) in enumerate(sites)),
                        tuple(_line(f"l{i}", lon, key, qty) for i, (qty, lon, key) in enumerate(lines)))
    t = build_tables(pb, PARAMS)
    rel = _Relaxation(t, np.zeros_like(t.cap))
    u = rel.start() + np.random.default_rng(useed).uniform(-3.0, 12.0, len(lines))
    frac, _ = rel.value(u)
    exact_l = _exact_value(rel, u)
    assert frac <= exact_l + 1e-6
    assert frac >= exact_l - 2.0 * 6 * len(sites) * 2 - 1e-6


def test_lone_unit_below_minimum_batch_is_priced() -> None:
    """One unit at the only site, minimum batch 5 at 2 per missing unit: 8 of shortfall in every
    plan; the capacity-Lagrangian bound misses it, this bound equals the exact optimum."""
    pb = RoutingProblem((_site("only", 0.0, min_batch=5, min_batch_shortfall_cost=2.0),), (_line("l1", 0.0),))
    exact = route_batch(pb, PARAMS)
    t = build_tables(pb, PARAMS)
    asc = ascend(t, 4, lambda: False, 50)
    got = batch_bound(t, asc.prices, lambda: False, max_iter=200)
    assert got is not None
    assert exact.costs["min_batch_shortfall"] == pytest.approx(8.0)
    assert asc.bound == pytest.approx(exact.objective - 8.0, rel=1e-6)
    assert got.bound == pytest.approx(exact.objective, abs=1e-3)


def test_two_keys_share_nothing() -> None:
    """Two lines of different setup keys at a site with minimum batch 2: each batch is one unit
    short whichever site makes it (both sites charge), so the bound adds 2 × 2 to the Lagrangian."""
    sites = (_site("a", 0.0, min_batch=2, min_batch_shortfall_cost=2.0),
             _site("b", 0.01, min_batch=2, min_batch_shortfall_cost=2.0))
    pb = RoutingProblem(sites, (_line("l1", 0.0, "x"), _line("l2", 0.0, "y")))
    exact = route_batch(pb, PARAMS)
    t = build_tables(pb, PARAMS)
    asc = ascend(t, 4, lambda: False, 50)
    got = batch_bound(t, asc.prices, lambda: False, max_iter=400)
    assert got is not None
    assert exact.costs["min_batch_shortfall"] == pytest.approx(4.0)
    assert got.bound == pytest.approx(exact.objective, abs=1e-3)
    assert got.bound >= asc.bound + 4.0 - 1e-3
