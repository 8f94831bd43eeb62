"""Validity and strength of the routing lower bounds (capacity Lagrangian, site decomposition)."""

from __future__ import annotations

import time

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
from microfactory.engines.routing.lagrange import ascend, line_values, site_shares
from microfactory.engines.routing.mip import solve_mip
from microfactory.engines.routing.sitebound import decomposition_bound
from microfactory.engines.routing.tables import build_tables

PARAMS = RoutingParams(time_limit_s=20)


def _bounds(pb: RoutingProblem, steps: int = 60) -> tuple[float, float]:
    """(capacity-Lagrangian bound, site-decomposition bound from the same prices)."""
    t = build_tables(pb, PARAMS)
    asc = ascend(t, 4, lambda: False, steps)
    dec = decomposition_bound(t, asc.prices, time.perf_counter() + 5.0, time.perf_counter, per_site_s=2.0,
                                max_rounds=15)
    return asc.bound, dec.bound


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 4), st.integers(4, 10), st.floats(0.6, 1.6))
def test_bounds_below_exact_optimum(seed: int, n_sites: int, n_lines: int, load: float) -> None:
    """On small random networks both bounds are below the exact MIP optimum, and the
    decomposition never falls below the Lagrangian bound it starts from."""
    pb = generate(n_sites, n_lines, load, seed=seed)
    exact = route_batch(pb, PARAMS)
    assert exact.status == "optimal"
    lag, dec = _bounds(pb)
    tol = 1e-6 * max(1.0, abs(exact.objective))
    assert lag <= exact.objective + tol
    assert dec <= exact.objective + tol
    assert dec >= lag - tol


@pytest.mark.parametrize("seed", range(3))
def test_lagrangian_bound_below_lp_relaxation(seed: int) -> None:
    """Weak duality: the ascent bound is at most the LP relaxation over the same options
    (every site, every day of the horizon), here without batch shortfall so both drop it."""
    pb = generate(3, 12, 1.1, seed=seed)
    pb = RoutingProblem(tuple(_no_shortfall(s) for s in pb.sites), pb.lines)
    t = build_tables(pb, PARAMS)
    status, lp, _, _, _ = solve_mip(t, np.full(len(pb.lines), -1), t.horizon, 20.0, 0.0, integer=False)
    assert status == "optimal"
    asc = ascend(t, 3, lambda: False, 300)
    assert asc.bound <= lp + 1e-6 * max(1.0, abs(lp))
    t0 = time.perf_counter()
    dec = decomposition_bound(t, asc.prices, t0 + 5.0, time.perf_counter, per_site_s=2.0,
                                max_rounds=5)
    assert dec.bound >= asc.bound - 1e-6 * max(1.0, abs(lp))


def _no_shortfall(s: RoutingSite) -> RoutingSite:
    return RoutingSite(id=s.id, lat=s.lat, lon=s.lon, capacity=s.capacity, brands_allowed=s.brands_allowed,
                       min_batch=1, setup_cost=s.setup_cost, lead_time_days=s.lead_time_days,
                       delivery_mode=s.delivery_mode, staff_rate_per_hour=s.staff_rate_per_hour,
                       machine_rate_per_hour=s.machine_rate_per_hour)


def _site(sid: str, lon: float, minutes: float, **kw: object) -> RoutingSite:
    return RoutingSite(id=sid, lat=51.5, lon=lon, capacity={"sewing": (minutes,)}, **kw)  # type: ignore[arg-type]


def _line(lid: str, lon: float, qty: int = 1, due: int = 2) -> RoutingLine:
    return RoutingLine(id=lid, order_id=lid, brand="B", product="tee", sku="tee-M", qty=qty,
                       minutes={"sewing": 60.0}, lat=51.5, lon=lon, due_day=due)


def test_decomposition_closes_an_integrality_gap() -> None:
    """A 60-minute line, a cheap site with 40 minutes before its deadline and a dear one with
    plenty: the LP (and the Lagrangian bound) makes 2/3 of the line on time and 1/3 a day late;
    the decomposition bound knows a line is whole (a day late), and equals the exact optimum."""
    sites = (_site("cheap", 0.0, 20.0, staff_rate_per_hour=10.0), _site("dear", 0.0, 600.0,
                                                                       staff_rate_per_hour=90.0))
    pb = RoutingProblem(sites, (_line("l1", 0.0, due=2),))
    exact = route_batch(pb, PARAMS)
    lag, dec = _bounds(pb, 400)
    assert exact.status == "optimal"
    assert lag < exact.objective - 1.0
    assert dec == pytest.approx(exact.objective, abs=1e-3)


def test_decomposition_counts_minimum_batch_shortfall() -> None:
    """One unit at the only site, whose minimum batch is 5 at 2 per missing unit: 8 of shortfall
    is unavoidable; the decomposition bound includes it, the Lagrangian bound cannot."""
    site = _site("only", 0.0, 600.0, min_batch=5, min_batch_shortfall_cost=2.0)
    pb = RoutingProblem((site,), (_line("l1", 0.0, qty=1, due=3),))
    exact = route_batch(pb, PARAMS)
    lag, dec = _bounds(pb)
    assert exact.costs["min_batch_shortfall"] == pytest.approx(8.0)
    assert dec == pytest.approx(exact.objective, abs=1e-3)
    assert lag == pytest.approx(exact.objective - 8.0, rel=1e-6)


def test_line_values_and_shares_rebuild_the_lagrangian_bound() -> None:
    """L(λ) = Σ_i line value + Σ_s site share, the split the decomposition starts from."""
    pb = generate(4, 40, 1.2, seed=3)
    t = build_tables(pb, PARAMS)
    asc = ascend(t, 4, lambda: False, 50)
    assert line_values(t, asc.prices).sum() + site_shares(t, asc.prices).sum() == pytest.approx(asc.bound, rel=1e-9)
