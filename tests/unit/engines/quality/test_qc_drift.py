"""p-chart, Western Electric rules, CUSUM and the site quality score."""

from __future__ import annotations

import math

import numpy as np
import pytest

from microfactory.engines.quality import (
    BatchSample,
    ChartParams,
    ScoreParams,
    cusum,
    drift_alerts,
    p_chart,
    quality_score,
    western_electric,
)


def _series(p_before: float, p_after: float, shift_at: int, count: int,
            seed: int) -> tuple[BatchSample, ...]:
    """Batches of varying size with a defective fraction that shifts at ``shift_at``."""
    rng = np.random.default_rng(seed)
    samples = []
    for i in range(count):
        n = int(rng.integers(100, 201))
        p = p_before if i < shift_at else p_after
        samples.append(BatchSample(f"b{i:02d}", n, int(rng.binomial(n, p))))
    return tuple(samples)


def test_limits_vary_with_sample_size() -> None:
    """With p0 = 0.05 the UCL is 0.05 + 3 sqrt(0.0475/n): 0.1425 at n=50, 0.1154 at n=100."""
    pts = p_chart((BatchSample("a", 50, 2), BatchSample("b", 100, 5)), ChartParams(target=0.05))
    assert pts[0].ucl == pytest.approx(0.05 + 3 * math.sqrt(0.0475 / 50))
    assert pts[1].ucl == pytest.approx(0.05 + 3 * math.sqrt(0.0475 / 100))
    assert pts[0].lcl == 0.0


def test_we_rule_1_names_the_batch() -> None:
    """One batch with 12 of 50 defective at p0 = 0.05 is beyond 3 sigma (rule 1)."""
    samples = tuple(BatchSample(f"b{i}", 50, 2) for i in range(5)) + (BatchSample("bad", 50, 12),)
    alerts = western_electric("site-a", "denim", p_chart(samples, ChartParams(target=0.05)))
    rule1 = [a for a in alerts if a.rule == "WE1"]
    assert len(rule1) == 1 and rule1[0].batches == ("bad",) and rule1[0].direction == "up"
    assert "site-a" in rule1[0].message and "bad" in rule1[0].message


def test_we_rule_4_eight_above_center() -> None:
    """Eight batches slightly above the centre line fire rule 4 but not rule 1."""
    samples = tuple(BatchSample(f"b{i}", 100, 6) for i in range(8))
    alerts = western_electric("s", "f", p_chart(samples, ChartParams(target=0.05)))
    assert [a.rule for a in alerts] == ["WE4"] and len(alerts[0].batches) == 8


def test_we_rule_2_two_of_three_beyond_two_sigma() -> None:
    """Two of three batches beyond 2 sigma (but within 3) fire rule 2."""
    # p0 = 0.05, n = 100: sigma = 0.0218, 2 sigma above = 0.0936, 3 sigma = 0.1154
    samples = (BatchSample("x", 100, 10), BatchSample("y", 100, 5), BatchSample("z", 100, 10))
    alerts = western_electric("s", "f", p_chart(samples, ChartParams(target=0.05)))
    assert [(a.rule, a.batches) for a in alerts] == [("WE2", ("x", "y", "z"))]


def test_we_rule_3_four_of_five_beyond_one_sigma() -> None:
    """Four of five batches beyond 1 sigma (8 of 100 at p0 0.05) fire rule 3."""
    samples = tuple(BatchSample(f"b{i}", 100, d) for i, d in enumerate([8, 8, 5, 8, 8]))
    rules = {a.rule for a in western_electric("s", "f", p_chart(samples,
                                                                ChartParams(target=0.05)))}
    assert rules == {"WE3"}


def test_planted_shift_is_detected_by_cusum_and_we_rules() -> None:
    """A shift from 3% to 6% defective at batch 20 is flagged within 5 batches, never before."""
    samples = _series(0.03, 0.06, 20, 40, seed=3)
    alerts = drift_alerts("site-b", "tees", samples, ChartParams(baseline=20))
    shifted = {f"b{i:02d}" for i in range(20, 40)}
    assert all(a.batches[-1] in shifted for a in alerts)
    cus = [a for a in alerts if a.rule == "CUSUM" and a.direction == "up"]
    assert cus and cus[0].batches[-1] <= "b24"
    assert {a.rule for a in alerts} >= {"WE1", "WE2", "WE3", "WE4", "CUSUM"}


def test_stable_process_raises_no_alarm() -> None:
    """A stable 4% process over 30 batches (seed 1) raises no alert at the known p0."""
    samples = _series(0.04, 0.04, 30, 30, seed=1)
    assert drift_alerts("site-c", "tees", samples, ChartParams(target=0.04)) == ()


def test_false_alarm_rates_stay_near_theory() -> None:
    """Over 200 stable 25-batch series the CUSUM (h=5) alarms in under 10%, WE rules in under 40%."""
    cusum_runs = we_runs = 0
    for seed in range(200):
        alerts = drift_alerts("s", "f", _series(0.05, 0.05, 25, 25, seed), ChartParams(target=0.05))
        cusum_runs += any(a.rule == "CUSUM" for a in alerts)
        we_runs += any(a.rule.startswith("WE") for a in alerts)
    assert cusum_runs < 20 and we_runs < 80


def test_cusum_catches_a_small_shift_the_3_sigma_rule_misses() -> None:
    """A one-sigma shift over 15 batches trips the CUSUM but no single point passes 3 sigma."""
    sigma = math.sqrt(0.05 * 0.95 / 400)
    d = round((0.05 + sigma) * 400)
    samples = tuple(BatchSample(f"b{i}", 400, d) for i in range(15))
    points = p_chart(samples, ChartParams(target=0.05))
    assert all(p.z < 3 for p in points)
    alerts = cusum("s", "f", points, ChartParams(target=0.05))
    assert alerts and alerts[0].batches[0] == "b0" and alerts[0].direction == "up"


def test_score_penalises_and_suspends_a_bad_site() -> None:
    """A site at 15% defective is penalised and suspended; one at 2% is neither."""
    good = tuple(BatchSample(f"g{i}", 100, 2) for i in range(10))
    bad = tuple(BatchSample(f"b{i}", 100, 15) for i in range(10))
    params = ScoreParams(target=0.025, prior_units=200, penalty_per_point=0.5)
    g = quality_score("good", "denim", good, params=params)
    b = quality_score("bad", "denim", bad, (True,) * 3 + (False,) * 7, params)
    assert g.penalty_per_unit == 0.0 and not g.suspended
    rate = (150 + 5) / 1200
    assert b.rate == pytest.approx(rate) and b.suspended
    assert b.penalty_per_unit == pytest.approx((rate - 0.025) * 100 * 0.5)
    assert "3 of the last 10 lots rejected" in b.reason


def test_score_suspends_on_rejected_lots_alone() -> None:
    """Three rejected lots among the last ten suspend a site even at a modest rate."""
    samples = tuple(BatchSample(f"b{i}", 50, 2) for i in range(10))
    flags = (False,) * 7 + (True,) * 3
    score = quality_score("s", "f", samples, flags)
    assert score.suspended and score.rate < 0.10
