"""Gamma-Poisson posterior, gamma CDF and negative binomial predictive."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microfactory.engines.forecasting import (
    GammaPrior,
    NegativeBinomial,
    Observation,
    gamma_cdf,
    posterior,
    predictive,
)
from microfactory.errors import InvalidInput


def test_conjugate_update_by_hand() -> None:
    """Gamma(2, 1) after 5 in 2 days and 7 in 3 days is Gamma(14, 6), mean 7/3 a day."""
    post = posterior(GammaPrior(2.0, 1.0), [Observation(5, 2.0), Observation(7, 3.0)])
    assert (post.shape, post.rate) == (14.0, 6.0)
    assert post.mean == pytest.approx(14 / 6) and post.sd == pytest.approx(math.sqrt(14) / 6)


@pytest.mark.parametrize("x", [0.3, 1.0, 2.5, 4.0, 10.0, 25.0])
def test_gamma_cdf_matches_erlang_closed_form(x: float) -> None:
    """For integer shape 3, P(3, x) = 1 - e^-x (1 + x + x^2 / 2) on both sides of a + 1."""
    assert gamma_cdf(3.0, x) == pytest.approx(1 - math.exp(-x) * (1 + x + x * x / 2), abs=1e-12)


def test_gamma_quantile_inverts_cdf() -> None:
    """The 90% quantile of Gamma(14, 6) has CDF 0.9."""
    rate = GammaPrior(14.0, 6.0)
    assert gamma_cdf(14.0, rate.quantile(0.9) * 6.0) == pytest.approx(0.9, abs=1e-9)


def test_negative_binomial_pmf_by_hand() -> None:
    """r=3, p=0.4: P(2) = C(4, 2) 0.4^3 0.6^2 = 0.13824."""
    nb = NegativeBinomial(3.0, 0.4)
    assert nb.pmf_table()[2] == pytest.approx(0.13824)
    assert nb.cdf(1) == pytest.approx(0.4 ** 3 * (1 + 3 * 0.6))


@given(st.floats(0.2, 200), st.floats(0.05, 50), st.floats(0.1, 60))
def test_predictive_moments(shape: float, rate: float, horizon: float) -> None:
    """The predictive table sums to 1 and matches the mean shape * horizon / rate."""
    nb = predictive(GammaPrior(shape, rate), horizon)
    table = nb.pmf_table()
    assert table.sum() == pytest.approx(1.0, abs=1e-9)
    mean = float((table * range(table.size)).sum())
    assert mean == pytest.approx(shape * horizon / rate, rel=1e-6, abs=1e-9)


def test_bad_observation_is_refused() -> None:
    """A negative count or zero exposure is refused."""
    with pytest.raises(InvalidInput):
        Observation(-1, 1.0)
    with pytest.raises(InvalidInput):
        Observation(1, 0.0)
