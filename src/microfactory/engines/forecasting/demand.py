"""Demand rate from a pilot's counts: Gamma-Poisson posterior and negative binomial predictive.

Counts ``k_j`` (pledges or sales) over exposures ``t_j`` (days, or store-days) are taken
as Poisson with an unknown rate ``lambda`` per unit of exposure. With a Gamma(shape
``a``, rate ``b``) prior, the posterior is Gamma(``a + sum k``, ``b + sum t``). Demand
over a horizon ``h`` is then negative binomial with ``r = a'`` and success probability
``p = b' / (b' + h)``: mean ``r h / b'``, variance ``mean * (1 + h / b')``.
(Standard conjugate results, e.g. Gelman et al., *Bayesian Data Analysis*, 3rd ed., 2.6.)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from microfactory.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class GammaPrior:
    """Gamma(shape, rate) belief about the demand rate; mean shape/rate."""

    shape: float
    rate: float

    def __post_init__(self) -> None:
        if not (self.shape > 0 and self.rate > 0 and math.isfinite(self.shape + self.rate)):
            raise InvalidInput("prior shape and rate must be finite and > 0", field="shape")

    @property
    def mean(self) -> float:
        return self.shape / self.rate

    @property
    def sd(self) -> float:
        return math.sqrt(self.shape) / self.rate

    def quantile(self, q: float) -> float:
        """Rate below which the belief puts probability ``q`` (bisection on the gamma CDF)."""
        if not 0 < q < 1:
            raise InvalidInput("q must be within (0, 1)", field="q")
        lo, hi = 0.0, self.mean + 10 * self.sd + 1.0
        while gamma_cdf(self.shape, hi * self.rate) < q:
            hi *= 2
        for _ in range(100):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if gamma_cdf(self.shape, mid * self.rate) < q else (lo, mid)
        return (lo + hi) / 2


@dataclass(frozen=True, slots=True)
class Observation:
    """``count`` events seen over ``exposure`` units of time (or store-days)."""

    count: int
    exposure: float

    def __post_init__(self) -> None:
        if self.count < 0 or not (self.exposure > 0 and math.isfinite(self.exposure)):
            raise InvalidInput("count must be >= 0 and exposure > 0", field="exposure")


def posterior(prior: GammaPrior, observations: Iterable[Observation]) -> GammaPrior:
    """Conjugate update: shape + total count, rate + total exposure."""
    obs = list(observations)
    return GammaPrior(prior.shape + sum(o.count for o in obs), prior.rate + sum(o.exposure for o in obs))


def gamma_cdf(a: float, x: float) -> float:
    """Regularised lower incomplete gamma P(a, x) (series below a + 1, continued fraction above)."""
    if x <= 0:
        return 0.0
    log_front = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        n = a
        while abs(term) > abs(total) * 1e-15:
            n += 1
            term *= x / n
            total += term
        return min(1.0, total * math.exp(log_front))
    tiny = 1e-300
    b = x + 1 - a
    c, d = 1 / tiny, 1 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        h *= d * c
        if abs(d * c - 1) < 1e-15:
            break
    return max(0.0, 1.0 - math.exp(log_front) * h)


@dataclass(frozen=True, slots=True)
class NegativeBinomial:
    """Predictive demand over a horizon: P(k) = C(k + r - 1, k) p^r (1 - p)^k."""

    r: float
    p: float

    def __post_init__(self) -> None:
        if not (self.r > 0 and 0 < self.p < 1):
            raise InvalidInput("need r > 0 and p in (0, 1)", field="p")

    @property
    def mean(self) -> float:
        return self.r * (1 - self.p) / self.p

    @property
    def variance(self) -> float:
        return self.r * (1 - self.p) / self.p ** 2

    def pmf_table(self, tail: float = 1e-12) -> NDArray[np.float64]:
        """P(0), P(1), ... up to where the remaining tail is provably below ``tail``.

        Built in log space by the recurrence P(k+1) = P(k) (k + r) / (k + 1) (1 - p).
        """
        k_max = math.ceil(self.mean + 40 * math.sqrt(self.variance) + 50)
        while True:
            k = np.arange(k_max - 1, dtype=np.float64)
            steps = np.log((k + self.r) / (k + 1)) + math.log1p(-self.p)
            log_pmf = self.r * math.log(self.p) + np.concatenate(([0.0], np.cumsum(steps)))
            pmf = np.exp(log_pmf)
            ratio = (k_max - 1 + self.r) / k_max * (1 - self.p)  # P(k+1)/P(k), falling past the mode
            if ratio < 1 and pmf[-1] * ratio / (1 - ratio) < tail:  # geometric bound on the rest
                return np.asarray(pmf, dtype=np.float64)
            k_max *= 2

    def cdf(self, k: int) -> float:
        if k < 0:
            return 0.0
        table = self.pmf_table()
        return float(min(1.0, table[: k + 1].sum()))

    def quantile(self, q: float) -> int:
        """Smallest k with P(D <= k) >= q."""
        if not 0 <= q < 1:
            raise InvalidInput("q must be within [0, 1)", field="q")
        cum = np.cumsum(self.pmf_table())
        return int(np.searchsorted(cum, q - 1e-12, side="left"))


def predictive(rate: GammaPrior, horizon: float) -> NegativeBinomial:
    """Demand over ``horizon`` units of exposure given a Gamma belief about the rate."""
    if not (horizon > 0 and math.isfinite(horizon)):
        raise InvalidInput("horizon must be > 0", field="horizon")
    return NegativeBinomial(rate.shape, rate.rate / (rate.rate + horizon))
