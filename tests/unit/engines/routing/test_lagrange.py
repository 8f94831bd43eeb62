"""Tests of the Lagrangian large path: ascent bound, priced construction, and the problem hooks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microfactory.engines.routing import (
    RoutingLine,
    RoutingParams,
    RoutingProblem,
    RoutingSite,
    explain,
    generate,
    route_batch,
)
from microfactory.engines.routing.batch import group_ids
from microfactory.engines.routing.capacity import cumulative_capacity
from microfactory.engines.routing.classes import make_rows
from microfactory.engines.routing.lagrange import ascend
from microfactory.engines.routing.primal import plan_from_prices
from microfactory.engines.routing.tables import build_tables

LARGE = RoutingParams(exact_max_lines=0, time_limit_s=2, iterations=400)


def _site(sid: str, lon: float, minutes: float = 600.0, **kw: object) -> RoutingSite:
    return RoutingSite(id=sid, lat=51.5, lon=lon, capacity={"sewing": (minutes,)}, **kw)  # type: ignore[arg-type]


def _line(lid: str, lon: float, due: int = 3, **kw: object) -> RoutingLine:
    return RoutingLine(id=lid, order_id=lid, brand="B", product="tee", sku="tee-M", qty=1,
                       minutes={"sewing": 60.0}, lat=51.5, lon=lon, due_day=due, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(3))
def test_ascent_bound_below_exact_optimum(seed: int) -> None:
    """On small generated networks the dual-ascent bound is below the exact MIP optimum."""
    pb = generate(4, 14, 0.9, seed=seed)
    exact = route_batch(pb, RoutingParams(time_limit_s=20))
    large = route_batch(pb, LARGE)
    assert exact.status == "optimal"
    assert large.bound <= exact.objective + 1e-6
    assert large.bound <= large.objective + 1e-6


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 6), st.integers(5, 60), st.floats(0.5, 1.6))
def test_priced_construction_never_exceeds_capacity(seed: int, n_sites: int, n_lines: int, load: float) -> None:
    """The plan built from ascent prices, recounted from scratch, fits every cumulative calendar."""
    pb = generate(n_sites, n_lines, load, seed=seed)
    t = build_tables(pb, LARGE)
    rows = make_rows(t, group_ids(pb, LARGE))
    asc = ascend(t, 4, lambda: False, 30)
    plan = plan_from_prices(t, rows, asc.prices, np.arange(8), lambda: False)
    use = np.zeros_like(t.cap)
    for r in np.nonzero(plan.site >= 0)[0]:
        s = plan.site[r]
        assert np.isfinite(rows.cost[r, s]) and plan.deadline[r] >= rows.first_day(t, r, s)
        use[s, :, plan.deadline[r]] += rows.minutes[r]
    assert (np.cumsum(use, axis=2) <= cumulative_capacity(t) + 1e-6).all()


@pytest.mark.parametrize("seed", range(4))
def test_lagrange_beats_greedy_on_tight_fixed_seeds(seed: int) -> None:
    """On tight fixed-seed networks the large path costs less than greedy and its bound is below both."""
    pb = generate(10, 400, 0.95, seed=seed)
    opt = route_batch(pb, LARGE)
    greedy = route_batch(pb, RoutingParams(policy="greedy"))
    assert opt.method == "lagrange"
    assert opt.objective < greedy.objective
    assert opt.bound <= opt.objective + 1e-6


@pytest.mark.parametrize("params", [LARGE, RoutingParams(time_limit_s=5), RoutingParams(policy="greedy")])
def test_line_release_day_is_honoured(params: RoutingParams) -> None:
    """A line created on day 4 at a site with one lead day finishes no earlier than day 5."""
    lines = (_line("l1", 0.0, due=8, created_day=4), _line("l2", 0.0, due=8))
    res = route_batch(RoutingProblem((_site("A", 0.0, lead_time_days=1),), lines), params)
    done = {a.line_id: a.finish_day for a in res.assignments}
    assert done["l1"] >= 5 and done["l2"] >= 1


@pytest.mark.parametrize("params", [LARGE, RoutingParams(time_limit_s=5), RoutingParams(policy="greedy")])
def test_site_penalty_shifts_a_line_away(params: RoutingParams) -> None:
    """A quality penalty on (line, nearest site) sends the line to the other site (greedy ignores money)."""
    sites = (_site("A", 0.0), _site("B", 0.05))
    pb = RoutingProblem(sites, (_line("l1", 0.0),), site_penalty={("l1", "A"): 50.0})
    got = route_batch(pb, params).site_of()
    assert got == ({"l1": "A"} if params.policy == "greedy" else {"l1": "B"})


def test_family_penalty_shifts_a_family_and_is_explained() -> None:
    """A per-(site, family) penalty moves that family's lines and shows in the explanation."""
    sites = (_site("A", 0.0), _site("B", 0.05))
    lines = (_line("l1", 0.0, family="knit"), _line("l2", 0.0, family="woven"))
    pb = RoutingProblem(sites, lines, family_penalty={("A", "knit"): 50.0})
    res = route_batch(pb, RoutingParams(time_limit_s=5))
    assert res.site_of() == {"l1": "B", "l2": "A"}
    why = explain(pb, res, "l1", RoutingParams())
    alt = why["alternatives"][0]  # type: ignore[index]
    assert alt["site_id"] == "A" and alt["cost"]["adjustments"] == {"family_penalty": 50.0}


def test_delivery_override_makes_a_line_late() -> None:
    """Four delivery days from A for a line due on day 3 leave no on-time slot: it ends late."""
    pb = RoutingProblem((_site("A", 0.0, 60.0),), (_line("l1", 0.0, due=3),), delivery_days={("l1", "A"): 4})
    for params in (LARGE, RoutingParams(time_limit_s=5), RoutingParams(policy="greedy")):
        res = route_batch(pb, params)
        assert [a.days_late for a in res.assignments] == [1]


def test_mip_time_limit_covers_building() -> None:
    """A 300-line exact run with a 2 s limit returns within a few seconds, with a bound below its cost."""
    pb = generate(12, 300, 0.9, seed=3)
    res = route_batch(pb, RoutingParams(time_limit_s=2))
    assert res.runtime_s < 8 and res.bound <= res.objective + 1e-6


@pytest.mark.parametrize("seed", range(3))
def test_compiled_ascent_kernels_match_numpy_reference(seed: int) -> None:
    """The compiled day tables, candidate step and full bound (with the candidate refresh) give the
    numpy reference's values, usage and candidate sets at random prices."""
    from microfactory.engines.routing import lagrange as lg
    from microfactory.engines.routing.kernels import (
        day_tables_c,
        day_tables_p,
        full_c,
        full_p,
        step_c,
        step_p,
    )

    pb = generate(12, 300, 0.9, seed=seed)
    t = build_tables(pb, LARGE)
    rng = np.random.default_rng(seed)
    prices = lg.tail(rng.random(t.cap.shape) * rng.choice([0.0, 0.05], t.cap.shape))
    type_of, minutes, late = lg.work_types(t.minutes, np.full(len(t.due), t.late_cost))
    w, wd = lg.day_tables(prices, minutes, late)
    w_c, wd_c = day_tables_c(np.ascontiguousarray(prices), minutes, late)
    assert np.allclose(w, w_c) and (wd == wd_c).all()
    w_p, wd_p = day_tables_p(np.ascontiguousarray(prices), minutes, late)
    assert np.allclose(w, w_p) and (wd == wd_p).all()
    static = lg.static_options(t, type_of)
    assert static is not None
    cand = lg._candidates(t, 4)
    o = lg._subset(t, type_of, cand, static)
    site, day, val = lg.choose(o, w, wd, t.unassigned_cost)
    use = np.zeros_like(t.cap)
    total = step_c(o.site, o.fixed, o.flat, w, wd, t.minutes, t.unassigned_cost, use)
    assert total == pytest.approx(float(val.sum()), rel=1e-12)
    assert np.allclose(np.cumsum(use, axis=2), lg.usage(t, site, day))
    use_p = np.zeros_like(t.cap)
    assert step_p(o.site, o.fixed, o.flat, w, wd, t.minutes, t.unassigned_cost, use_p) == pytest.approx(total)
    assert np.allclose(use_p, use)
    stale = np.argsort(np.where(np.isfinite(t.cost), -t.cost, -1e18), axis=1)[:, :4]  # dearest sites first
    stale[::2] = cand[::2]
    bound, best = lg.full_bound(t, prices, type_of, w, 4, static, stale)
    o = lg._subset(t, type_of, stale, static)
    cand_c, fixed_c, flat_c = stale.copy(), o.fixed.copy(), o.flat.copy()
    cand_p, fixed_p, flat_p = stale.copy(), o.fixed.copy(), o.flat.copy()
    lines = full_c(static.fixed, static.flat, w, t.unassigned_cost, cand_c, fixed_c, flat_c, True)
    assert full_p(static.fixed, static.flat, w, t.unassigned_cost, cand_p, fixed_p, flat_p, True) == pytest.approx(lines)
    assert (cand_p == cand_c).all() and (fixed_p == fixed_c).all() and (flat_p == flat_c).all()
    inc = np.diff(cumulative_capacity(t), axis=2, prepend=0.0)
    assert lines - float((prices * inc).sum()) == pytest.approx(bound, rel=1e-12)
    wr = w.ravel()
    val_all = static.fixed + wr[static.flat]
    # the same candidate values (sets equal up to ties), and their static parts gathered alongside
    assert not (cand_c == stale).all()
    assert np.allclose(np.sort(np.take_along_axis(val_all, cand_c, axis=1), axis=1),
                       np.sort(np.take_along_axis(val_all, best, axis=1), axis=1))
    assert (np.take_along_axis(static.fixed, cand_c, axis=1) == fixed_c).all()
    assert (np.take_along_axis(static.flat, cand_c, axis=1) == flat_c).all()
