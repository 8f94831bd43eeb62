"""Shapley values of cost games: hand-computed cases, axioms, sampling."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microfactory.engines.pooling import (
    AdditiveSymmetricGame,
    AirportGame,
    RunCostGame,
    TableGame,
    airport_shapley,
    shapley,
    shapley_exact,
    shapley_sampled,
)
from microfactory.errors import InvalidInput


def test_three_brand_airport_table_by_hand() -> None:
    """Needs 6, 12, 42 split as 6/3, 6/3 + 6/2, 6/3 + 6/2 + 30 = 2, 5, 35."""
    game = TableGame((0, 6, 12, 12, 42, 42, 42, 42))
    assert shapley_exact(game).shares == pytest.approx((2.0, 5.0, 35.0))


def test_three_brand_run_game_by_hand() -> None:
    """Fixed 90, minimum 100, surcharge 1/unit, units 20/30/50, shares worked out by hand.

    c(A)=170 c(B)=160 c(C)=140 c(AB)=140 c(AC)=120 c(BC)=110 c(ABC)=90.
    phi_A = (170 + (140-160)/2... ) computed over the 6 join orders: A=45, B=30, C=15.
    """
    game = RunCostGame((20.0, 30.0, 50.0), fixed_cost=90.0, min_batch=100.0,
                       shortfall_cost_per_unit=1.0)
    # Orders ABC ACB BAC BCA CAB CBA; marginal of A: 170, 170, -20, -20, -20, -20 -> 260/6.
    # B: -30, -30, 160, 160, -30, -30 -> 200/6; C: -50, -50, -50, -50, 140, 140 -> 80/6.
    result = shapley_exact(game)
    assert result.shares == pytest.approx((260 / 6, 200 / 6, 80 / 6))
    assert result.objective == pytest.approx(90.0)
    assert result.status == "optimal" and result.std_error == (0.0, 0.0, 0.0)


def test_airport_game_matches_closed_form() -> None:
    """Exact Shapley of an airport game equals the Littlechild-Owen formula."""
    needs = (3.0, 1.0, 7.0, 7.0, 2.0, 10.0)
    assert shapley_exact(AirportGame(needs)).shares == pytest.approx(airport_shapley(needs))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 60), min_size=1, max_size=8), st.integers(0, 500),
       st.integers(1, 200), st.integers(0, 5))
def test_efficiency_axiom(units: list[int], fixed: int, minimum: int, surcharge: int) -> None:
    """Shares add up to the cost of the grand coalition."""
    game = RunCostGame(tuple(float(u) for u in units), float(fixed), float(minimum), float(surcharge))
    result = shapley_exact(game)
    assert sum(result.shares) == pytest.approx(float(game.cost(np.ones((1, len(units)), bool))[0]))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 60), min_size=2, max_size=8), st.integers(1, 200),
       st.data())
def test_symmetry_axiom(units: list[int], minimum: int, data: st.DataObject) -> None:
    """Two brands bringing the same units get the same share."""
    i = data.draw(st.integers(0, len(units) - 1))
    j = data.draw(st.integers(0, len(units) - 1).filter(lambda k: k != i))
    units[j] = units[i]
    result = shapley_exact(RunCostGame(tuple(map(float, units)), 100.0, float(minimum), 2.0))
    assert result.shares[i] == pytest.approx(result.shares[j])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0, 100), min_size=1, max_size=7))
def test_sampled_shares_are_efficient(needs: list[float]) -> None:
    """Every sampled join order splits the total exactly, so sampled shares add up too."""
    result = shapley_sampled(AirportGame(tuple(needs)), samples=50, seed=3)
    assert sum(result.shares) == pytest.approx(max(needs))


def test_sampled_within_standard_errors_of_exact() -> None:
    """Sampled shares of 10 brands fall within 4 standard errors of the exact ones."""
    game = RunCostGame(tuple(float(u) for u in range(5, 55, 5)), 300.0, 150.0, 1.5)
    exact = shapley_exact(game).shares
    sampled = shapley_sampled(game, samples=20000, seed=7)
    for e, s, se in zip(exact, sampled.shares, sampled.std_error, strict=True):
        assert abs(e - s) <= 4 * se + 1e-9
    assert sampled.status == "feasible" and sampled.seed == 7 and sampled.bound > 0


def test_sampled_additive_symmetric_within_one_percent() -> None:
    """Sampled shares of 100 brands in an additive-plus-symmetric game are within 1% of closed form."""
    own = tuple(float(10 + i % 17) for i in range(100))
    common = (0.0,) + tuple(500.0 + 3.0 * k for k in range(1, 101))
    game = AdditiveSymmetricGame(own, common)
    result = shapley_sampled(game, samples=4000, seed=11)
    exact = game.closed_form()
    assert max(abs(s - e) / e for s, e in zip(result.shares, exact, strict=True)) < 0.01


def test_sampling_is_seeded() -> None:
    """Same seed, same shares; another seed, other shares."""
    game = AirportGame(tuple(float(x) for x in range(1, 16)))
    first = shapley_sampled(game, samples=300, seed=5).shares
    assert shapley_sampled(game, samples=300, seed=5).shares == first
    assert shapley_sampled(game, samples=300, seed=6).shares != first


def test_dispatch_exact_up_to_twelve_then_sampled() -> None:
    """shapley() is exact for 12 players and sampled for 13."""
    assert shapley(AirportGame((1.0,) * 12)).method == "shapley_exact"
    assert shapley(AirportGame((1.0,) * 13), samples=100).method == "shapley_sampled"


def test_exact_twelve_brands_under_a_second() -> None:
    """Exact Shapley of a 12-brand run game takes well under a second."""
    game = RunCostGame(tuple(float(u) for u in range(3, 39, 3)), 800.0, 300.0, 2.0)
    start = time.perf_counter()
    shapley_exact(game)
    assert time.perf_counter() - start < 1.0


def test_bad_games_are_refused() -> None:
    """Negative units or a table of the wrong size raise InvalidInput."""
    with pytest.raises(InvalidInput):
        RunCostGame((-1.0,), 1.0, 1.0)
    with pytest.raises(InvalidInput):
        TableGame((0.0, 1.0, 2.0))


def test_unbalanced_sampling_also_converges() -> None:
    """Plain permutation sampling (no rotation batches) lands within 4 standard errors too."""
    game = AirportGame((4.0, 9.0, 1.0, 6.0, 6.0, 2.0, 8.0, 3.0, 5.0, 7.0, 10.0, 2.5, 4.5))
    exact = airport_shapley(game.requirements)
    sampled = shapley_sampled(game, samples=20000, seed=2, balanced=False)
    assert sampled.samples == 20000
    assert all(abs(e - s) <= 4 * se for e, s, se in
               zip(exact, sampled.shares, sampled.std_error, strict=True))
