"""The simulation model: reproducible, KPIs consistent with its own trace, outages and policies."""

from __future__ import annotations

from microfactory.adapters.files.scenario import Scenario
from microfactory.simulation import simulate
from microfactory.simulation.clock import MINUTES_PER_DAY

from .conftest import tiny_spec

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
