"""The simulation model: reproducible, KPIs consistent with its own trace, outages and policies."""

from __future__ import annotations

from microfactory.adapters.files.scenario import Scenario
from microfactory.simulation import simulate, spec_from_dict
from microfactory.simulation.clock import MINUTES_PER_DAY

from .conftest import BERLIN, tiny_spec

#: The greedy routing engine: fast, for the tests that are about the flow rather than routing.
GREEDY = {"routing_policy": "greedy"}


def test_same_seed_gives_identical_kpis_and_trace(berlin: Scenario) -> None:
    """Two runs with the same seed agree on every KPI, the summary and the whole trace."""
    a = simulate(tiny_spec(), berlin.network, berlin.catalog)
    b = simulate(tiny_spec(), berlin.network, berlin.catalog)
    assert a.kpis == b.kpis
    assert a.summary == b.summary
    assert a.trace == b.trace and len(a.trace) > 20


def test_another_seed_gives_another_run(berlin: Scenario) -> None:
    """A different seed draws different orders."""
    a = simulate(tiny_spec(), berlin.network, berlin.catalog)
    b = simulate(tiny_spec(seed=4), berlin.network, berlin.catalog)
    assert a.trace != b.trace


def test_kpis_of_a_small_week_match_a_hand_count_from_the_trace(berlin: Scenario) -> None:
    """Orders, delivered, mean lead time and on-time rate recomputed from the trace rows equal the KPIs."""
    r = simulate(tiny_spec(days=7), berlin.network, berlin.catalog)
    created = {t.ref: t.at for t in r.trace if t.kind == "order" and t.at < 7 * MINUTES_PER_DAY}
    due = {t.ref: int(t.detail.split("due_day=")[1]) for t in r.trace if t.kind == "order"}
    delivered = {t.ref: t.at for t in r.trace if t.kind == "delivered" and t.ref in created}
    leads = [(delivered[o] - created[o]) / MINUTES_PER_DAY for o in delivered]
    on_time = sum(1 for o in delivered if delivered[o] <= (due[o] + 1) * MINUTES_PER_DAY)
    assert r.kpis.orders == len(created) > 10
    assert r.kpis.delivered == len(delivered)
    assert abs(r.kpis.lead_time.mean - sum(leads) / len(leads)) < 1e-9
    assert r.kpis.on_time_rate == on_time / len(delivered)


def test_every_order_is_delivered_once_after_it_is_created(berlin: Scenario) -> None:
    """Each delivered order appears once in the trace, after its arrival, and was shipped first."""
    r = simulate(tiny_spec(), berlin.network, berlin.catalog)
    delivered = [t.ref for t in r.trace if t.kind == "delivered"]
    assert len(delivered) == len(set(delivered))
    arrival = {t.ref: t.at for t in r.trace if t.kind == "order"}
    shipped = {t.ref: t.at for t in r.trace if t.kind == "shipped"}
    for t in r.trace:
        if t.kind == "delivered":
            assert arrival[t.ref] <= shipped[t.ref] <= t.at


def test_forced_outage_reroutes_and_plans_nothing_at_the_down_site(berlin: Scenario) -> None:
    """While Kreuzberg is down no batch of it finishes its QC, and its unplanned lines are re-routed."""
    spec = tiny_spec(days=8, demand={"orders_per_day": 15, "due_days": [5, 7]}, planning=GREEDY,
                     outages={"random_site_outages": False, "forced": [{"site": "mf-kreuzberg", "start_day": 2, "days": 3}]})
    r = simulate(spec, berlin.network, berlin.catalog)
    lo, hi = 2 * MINUTES_PER_DAY, 5 * MINUTES_PER_DAY
    assert any(t.kind == "site_down" and t.ref == "mf-kreuzberg" for t in r.trace)
    assert not [t for t in r.trace if t.kind == "batch_done" and "site=mf-kreuzberg" in t.detail and lo <= t.at < hi]
    assert r.summary["site_outages"] == 1


def test_without_secondary_the_partner_is_not_simulated(berlin: Scenario) -> None:
    """use_secondary false drops the on-demand partner from the producing sites."""
    r = simulate(tiny_spec(policy={"use_secondary": False}, planning=GREEDY), berlin.network, berlin.catalog, keep_trace=False)
    assert "mf-spandau-ondemand" not in r.summary["sites"]
    assert r.trace == ()


def test_centralised_plant_is_one_site_far_away_and_slower(berlin: Scenario) -> None:
    """Centralising merges the microfactories into one plant whose deliveries take its delivery days."""
    spec = tiny_spec(network_transform={"centralise": {"lat": 51.76, "lon": 19.46, "delivery_days": 3}}, planning=GREEDY)
    r = simulate(spec, berlin.network, berlin.catalog)
    assert r.summary["sites"] == ["central-plant"]
    assert r.kpis.lead_time.count > 0 and r.kpis.lead_time.p50 is not None and r.kpis.lead_time.p50 >= 3


def test_stocked_policy_serves_from_the_cushion_and_refills(berlin: Scenario) -> None:
    """With a cushion, lines ship from stock and a refill line is made for each."""
    r = simulate(tiny_spec(policy={"mode": "stocked", "cushion_units": 5}, planning=GREEDY), berlin.network, berlin.catalog)
    assert r.summary["lines_from_stock"] > 0
    assert r.summary["refill_lines"] == r.summary["lines_from_stock"]


def test_preorder_capsule_is_made_after_the_window(berlin: Scenario) -> None:
    """Pre-orders only arrive in the window and nothing finishes QC before it closes."""
    r = simulate(tiny_spec(days=6, policy={"mode": "pre_order", "preorder_days": 3}, planning=GREEDY), berlin.network, berlin.catalog)
    assert all(t.at < 3 * MINUTES_PER_DAY for t in r.trace if t.kind == "order")
    assert all(t.at >= 3 * MINUTES_PER_DAY for t in r.trace if t.kind == "batch_done")


_RUN_IN_CHILD = """
import json, sys
from microfactory.adapters.files.scenario import load_scenario
from microfactory.simulation import simulate, spec_from_dict
from microfactory.simulation.results import kpi_view
spec = spec_from_dict(json.loads(sys.argv[1]))
sc = load_scenario(spec.network)
r = simulate(spec, sc.network, sc.catalog)
print(json.dumps({"kpis": kpi_view(r.kpis), "trace": len(r.trace), "summary": r.summary}, sort_keys=True))
"""


def test_a_run_is_reproducible_in_another_process_with_another_hash_seed(berlin: Scenario) -> None:
    """The same scenario run in two subprocesses with PYTHONHASHSEED 0 and 123 gives identical KPIs and summary.

    Routing is forced onto the time-limited Lagrangian path (no exact MIP, a 0.05 s limit), which
    the step clock turns into a fixed amount of work.
    """
    import json
    import os
    import subprocess
    import sys

    data = {"network": str(BERLIN), "days": 4, "seed": 5, "demand": {"orders_per_day": 8, "due_days": [2, 4]},
            "planning": {"routing_exact_max_lines": 0, "routing_time_limit_s": 0.05}}
    out = []
    for hash_seed in ("0", "123"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run([sys.executable, "-c", _RUN_IN_CHILD, json.dumps(data)], env=env, capture_output=True,
                              text=True, timeout=120, check=True)
        out.append(json.loads(done.stdout.strip().splitlines()[-1]))
    assert out[0] == out[1]
    assert out[0]["kpis"]["orders"] > 10 and out[0]["trace"] > 20
    here = simulate(spec_from_dict(data), berlin.network, berlin.catalog)
    assert here.summary["orders"] == out[0]["summary"]["orders"]
    assert {c.method for c in here.solver_calls if c.engine == "routing"} == {"lagrange"}


def test_customers_are_drawn_around_weighted_anchors(berlin: Scenario) -> None:
    """With anchors weighted 1 and 0 every customer lies within the radius of the first anchor."""
    import numpy as np

    from microfactory.domain.geo import haversine_km_raw
    from microfactory.simulation import DemandParams, orders_of_day, sim_products
    from microfactory.simulation.model import START

    demand = DemandParams(orders_per_day=40, radius_km=1.0, anchors=((52.60, 13.50, 1.0), (52.40, 13.20, 0.0)))
    orders = orders_of_day(np.random.default_rng(1), demand, sim_products(berlin.catalog),
                           [(52.60, 13.50), (52.40, 13.20)], START, 0, np.array([1.0, 0.0]))
    assert len(orders) > 10
    assert all(haversine_km_raw(o.lat, o.lon, 52.60, 13.50) <= 1.01 for o in orders)
