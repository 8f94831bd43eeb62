"""Tests of the routing engine on small hand-checkable and random networks."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from microfactory.engines.routing import (
    RoutingLine, RoutingParams, RoutingProblem, RoutingSite, explain, generate, initial_state,
    place_order, reroute, route_batch,
)
from microfactory.engines.routing.capacity import cumulative_capacity
from microfactory.engines.routing.tables import breakdown, build_tables


def _site(sid: str, lon: float, minutes: float = 600.0, **kw: object) -> RoutingSite:
    return RoutingSite(id=sid, lat=51.5, lon=lon, capacity={"sewing": (minutes,)}, **kw)  # type: ignore[arg-type]


def _line(lid: str, lon: float, qty: int = 1, due: int = 3, **kw: object) -> RoutingLine:
    return RoutingLine(id=lid, order_id=kw.pop("order_id", lid), brand=kw.pop("brand", "B"),  # type: ignore[arg-type]
                       product="tee", sku="tee-M", qty=qty, minutes=kw.pop("minutes", {"sewing": 60.0}),  # type: ignore[arg-type]
                       lat=51.5, lon=lon, due_day=due, **kw)  # type: ignore[arg-type]


def test_cost_table_matches_cost_model() -> None:
    """The vectorised cost of a (line, site) pair equals the cost model's breakdown total."""
    pb = generate(4, 6, seed=3)
    t = build_tables(pb, RoutingParams())
    for i, s in itertools.product(range(6), range(4)):
        if np.isfinite(t.cost[i, s]):
            assert t.cost[i, s] == pytest.approx(breakdown(pb, pb.lines[i], pb.sites[s], 0).total, rel=1e-9)


def _brute(pb: RoutingProblem, late_max: int) -> float:
    t = build_tables(pb, RoutingParams(max_late_days=late_max))
    ccum = cumulative_capacity(t)
    n, s_count = t.cost.shape
    options = [[None] + [(s, d) for s in range(s_count) for d in range(late_max + 1) if np.isfinite(t.cost[i, s])]
               for i in range(n)]
    best = np.inf
    for combo in itertools.product(*options):
        use = np.zeros_like(t.cap)
        money = 0.0
        for i, o in enumerate(combo):
            if o is None:
                money += t.unassigned_cost
                continue
            s, late = o
            dl = int(t.due[i] - t.delivery[s] + late)
            if dl < t.earliest[s] or dl >= t.horizon:
                money = np.inf
                break
            use[s, :, dl] += t.minutes[i]
            money += t.cost[i, s] + late * t.late_cost
        if not np.isfinite(money) or (np.cumsum(use, axis=2) > ccum + 1e-9).any():
            continue
        for s, site in enumerate(pb.sites):
            units = sum(t.qty[i] for i, o in enumerate(combo) if o is not None and o[0] == s)
            if units:
                money += site.min_batch_shortfall_cost * max(0, site.min_batch - units)
        best = min(best, money)
    return best


def test_optimal_equals_brute_force_on_tiny_instance() -> None:
    """With setup spread over the minimum batch, a batch shortfall and tight capacity, the MIP finds the brute-force optimum."""
    sites = (_site("A", 0.0, 120.0, setup_cost=20.0, min_batch=3, min_batch_shortfall_cost=4.0),
             _site("B", 0.3, 90.0, setup_cost=5.0))
    lines = (_line("l1", 0.01, due=2), _line("l2", 0.02, qty=2, due=2), _line("l3", 0.25, due=3))
    pb = RoutingProblem(sites, lines)
    res = route_batch(pb, RoutingParams(max_late_days=2, time_limit_s=10))
    assert res.method == "mip" and res.status == "optimal"
    assert res.objective == pytest.approx(_brute(pb, 2), rel=1e-6)


def test_unassigned_lines_get_reasons() -> None:
    """A line no up site can knit is unassigned with no_capability (a down site is not the reason)."""
    pb = RoutingProblem((_site("A", 0.0), _site("B", 0.1, status="down")),
                        (_line("l1", 0.0, minutes={"knitting": 5.0}), _line("l2", 0.0)))
    res = route_batch(pb, RoutingParams(time_limit_s=5))
    assert {u.line_id: u.reason for u in res.unassigned} == {"l1": "no_capability"}
    assert res.site_of() == {"l2": "A"}


def test_keep_together_shares_one_site() -> None:
    """Two lines of one keep-together order go to the same site although each has a nearer one."""
    lines = (_line("l1", 0.0, keep_together="o"), _line("l2", 0.3, keep_together="o"))
    pb = RoutingProblem((_site("A", 0.0), _site("B", 0.3)), lines)
    assert len(set(route_batch(pb, RoutingParams(time_limit_s=5)).site_of().values())) == 1
    split = route_batch(RoutingProblem(pb.sites, (_line("l1", 0.0), _line("l2", 0.3))), RoutingParams())
    assert split.site_of() == {"l1": "A", "l2": "B"}


def _check_invariants(pb: RoutingProblem, res: object, params: RoutingParams) -> None:
    t = build_tables(pb, params)
    index = {s.id: j for j, s in enumerate(pb.sites)}
    got = res.site_of()  # type: ignore[attr-defined]
    for i, ln in enumerate(pb.lines):
        if ln.id in got:
            assert t.reason[i, index[got[ln.id]]] == 0
    assert {a.line_id for a in res.assignments} | {u.line_id for u in res.unassigned} == {  # type: ignore[attr-defined]
        ln.id for ln in pb.lines}
    used = t.cap - res.state.free  # type: ignore[attr-defined]
    assert (res.state.free >= -1e-6).all() and (used >= -1e-6).all()  # type: ignore[attr-defined]
    demand = np.zeros_like(t.cap[:, :, 0])
    for i, ln in enumerate(pb.lines):
        if ln.id in got:
            demand[index[got[ln.id]]] += t.minutes[i]
    assert np.allclose(used.sum(axis=2), demand, atol=1e-4)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 6), st.integers(5, 40), st.floats(0.4, 1.5))
def test_batch_invariants_on_random_networks(seed: int, n_sites: int, n_lines: int, load: float) -> None:
    """Large-path and greedy plans never exceed capacity, break no rule, account for every line, bound <= cost."""
    pb = generate(n_sites, n_lines, load, seed=seed)
    for params in (RoutingParams(exact_max_lines=0, time_limit_s=10, iterations=300), RoutingParams(policy="greedy")):
        res = route_batch(pb, params)
        _check_invariants(pb, res, params)
        assert res.bound <= res.objective + 1e-6


def test_reroute_keeps_started_work_and_moves_the_rest() -> None:
    """When A goes down its started line stays, the others move to B, each with an event."""
    pb = RoutingProblem((_site("A", 0.0), _site("B", 0.1, operator="partner")),
                        tuple(_line(f"l{k}", 0.0) for k in range(3)))
    out = reroute(pb, {"l0": "A", "l1": "A", "l2": "A"}, down_sites={"A"}, started_line_ids={"l0"})
    assert out.result.site_of() == {"l0": "A", "l1": "B", "l2": "B"}
    assert [(e.line_id, e.from_site, e.to_site, e.reason) for e in out.events] == [
        ("l1", "A", "B", "site_down"), ("l2", "A", "B", "site_down")]


def test_online_placement_respects_reserved_capacity() -> None:
    """Once the near site's minutes are reserved, the next order goes to the far site."""
    sites = (_site("A", 0.0, 60.0), _site("B", 0.2, 600.0))
    state = initial_state(sites, RoutingProblem(sites, ()).cost, horizon_days=3)
    params = RoutingParams(max_late_days=0)
    s1, a1, _ = place_order(state, (_line("l1", 0.0, due=1, minutes={"sewing": 60.0}),), params)
    s2, a2, _ = place_order(s1, (_line("l2", 0.0, due=1, minutes={"sewing": 60.0}),), params)
    assert [a.site_id for a in a1] == ["A"] and [a.site_id for a in a2] == ["B"]
    assert state.capacity.free_minutes("A", "sewing", 0) == 60.0
    assert s1.capacity.free_minutes("A", "sewing", 0) == 0.0


def test_explanation_gives_reasons_per_site() -> None:
    """Each non-chosen site is explained: down, brand not allowed, or an alternative with its cost."""
    sites = (_site("A", 0.0), _site("B", 0.1, status="down"), _site("C", 0.2, brands_allowed=frozenset({"X"})),
             _site("D", 0.3))
    pb = RoutingProblem(sites, (_line("l1", 0.0),))
    res = route_batch(pb, RoutingParams())
    why = explain(pb, res, "l1", RoutingParams())
    assert why["site_id"] == "A"
    assert why["rejected"] == {"B": "site_down", "C": "brand_not_allowed"}
    assert [a["site_id"] for a in why["alternatives"]] == ["D"]  # type: ignore[index]


def test_optimal_beats_greedy_on_a_tight_network() -> None:
    """On a tight generated network the optimal policy costs less than greedy."""
    pb = generate(8, 300, 0.95, seed=5)
    opt = route_batch(pb, RoutingParams(exact_max_lines=0, iterations=400))
    greedy = route_batch(pb, RoutingParams(policy="greedy"))
    assert opt.objective < greedy.objective
    assert opt.bound <= opt.objective + 1e-6
