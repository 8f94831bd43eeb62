"""Test-market recommendation: keep making locally, scale up, or stop, with the numbers.

Given the posterior demand rate and a horizon, with thresholds stated as parameters:

* ``scale_up`` when ``P(D_h >= scale_units) >= confidence``: demand likely outgrows what
  the local pilot can make (``scale_units`` is typically the pilot's capacity over h);
* ``stop`` when ``P(D_h < stop_units) >= confidence`` (``stop_units`` is typically the
  break-even volume over h) or the newsvendor plan's expected profit is not positive;
* ``keep`` otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from microfactory.engines.forecasting.demand import GammaPrior, Observation, posterior, predictive
from microfactory.engines.forecasting.newsvendor import NewsvendorResult, UnitEconomics, newsvendor
from microfactory.errors import InvalidInput


class Action(str, Enum):
    KEEP = "keep"
    SCALE_UP = "scale_up"
    STOP = "stop"


@dataclass(frozen=True, slots=True)
class MarketThresholds:
    horizon: float
    scale_units: int
    stop_units: int
    confidence: float = 0.8
    interval: float = 0.8

    def __post_init__(self) -> None:
        if self.horizon <= 0:
            raise InvalidInput("horizon must be > 0", field="horizon")
        if not 0 <= self.stop_units < self.scale_units:
            raise InvalidInput("need 0 <= stop_units < scale_units", field="scale_units")
        if not (0.5 <= self.confidence < 1 and 0 < self.interval < 1):
            raise InvalidInput("confidence within [0.5, 1), interval within (0, 1)", field="confidence")


@dataclass(frozen=True, slots=True)
class MarketRecommendation:
    """The action and every figure it rests on."""

    action: Action
    reason: str
    rate: GammaPrior
    rate_mean: float
    rate_interval: tuple[float, float]
    demand_mean: float
    demand_interval: tuple[int, int]
    p_at_least_scale: float
    p_below_stop: float
    plan: NewsvendorResult


def recommend(prior: GammaPrior, observations: Iterable[Observation], economics: UnitEconomics,
              thresholds: MarketThresholds) -> MarketRecommendation:
    """Posterior, predictive, newsvendor plan and the keep / scale-up / stop decision."""
    rate = posterior(prior, observations)
    demand = predictive(rate, thresholds.horizon)
    tail = (1 - thresholds.interval) / 2
    p_scale = 1.0 - demand.cdf(thresholds.scale_units - 1)
    p_stop = demand.cdf(thresholds.stop_units - 1)
    plan = newsvendor(demand, economics)
    conf = thresholds.confidence
    if p_scale >= conf:
        action, reason = Action.SCALE_UP, f"P(demand >= {thresholds.scale_units}) = {p_scale:.2f} >= {conf}"
    elif p_stop >= conf:
        action, reason = Action.STOP, f"P(demand < {thresholds.stop_units}) = {p_stop:.2f} >= {conf}"
    elif plan.expected_profit <= 0:
        action, reason = Action.STOP, f"expected profit {plan.expected_profit:.2f} at best quantity"
    else:
        action, reason = Action.KEEP, (f"P(demand >= {thresholds.scale_units}) = {p_scale:.2f} and "
                                       f"P(demand < {thresholds.stop_units}) = {p_stop:.2f} below {conf}")
    return MarketRecommendation(
        action, reason, rate, rate.mean, (rate.quantile(tail), rate.quantile(1 - tail)), demand.mean,
        (demand.quantile(tail), demand.quantile(1 - tail)), p_scale, p_stop, plan)
