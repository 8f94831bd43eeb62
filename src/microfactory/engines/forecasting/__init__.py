"""Test-market analysis: demand rate with uncertainty, newsvendor quantity, recommendation."""

from microfactory.engines.forecasting.demand import (
    GammaPrior,
    NegativeBinomial,
    Observation,
    gamma_cdf,
    posterior,
    predictive,
)
from microfactory.engines.forecasting.market import (
    Action,
    MarketRecommendation,
    MarketThresholds,
    recommend,
)
from microfactory.engines.forecasting.newsvendor import (
    NewsvendorResult,
    UnitEconomics,
    expected_outcome,
    newsvendor,
)

__all__ = [
    "Action",
    "GammaPrior",
    "MarketRecommendation",
    "MarketThresholds",
    "NegativeBinomial",
    "NewsvendorResult",
    "Observation",
    "UnitEconomics",
    "expected_outcome",
    "gamma_cdf",
    "newsvendor",
    "posterior",
    "predictive",
    "recommend",
]
