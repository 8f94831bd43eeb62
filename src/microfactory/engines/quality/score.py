"""A site's measured quality per product family, as a routing penalty or a suspension.

The defective fraction is smoothed towards the network target with a prior worth
``prior_units`` inspected units, ``rate = (defective + prior_units * target) /
(inspected + prior_units)``, so a site with two lucky or unlucky batches is neither
rewarded nor punished much. The routing penalty is ``penalty_per_point`` (money per unit)
for each percentage point the smoothed rate exceeds the target. A site is suspended for a
family when the smoothed rate reaches ``suspend_rate``, or when it has at least
``suspend_rejected_lots`` rejected lots among the last ``window`` lots.
"""

from __future__ import annotations

from dataclasses import dataclass

from microfactory.engines.quality.drift import BatchSample
from microfactory.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class ScoreParams:
    """Targets and thresholds of the quality score."""

    target: float = 0.025
    prior_units: float = 200.0
    penalty_per_point: float = 0.5
    suspend_rate: float = 0.10
    suspend_rejected_lots: int = 3
    window: int = 10

    def __post_init__(self) -> None:
        if not 0.0 <= self.target < self.suspend_rate <= 1.0:
            raise InvalidInput("need 0 <= target < suspend_rate <= 1", field="suspend_rate")
        if self.prior_units < 0 or self.penalty_per_point < 0:
            raise InvalidInput("prior_units and penalty_per_point must be >= 0",
                               field="prior_units")
        if self.window < 1 or self.suspend_rejected_lots < 1:
            raise InvalidInput("window and suspend_rejected_lots must be >= 1", field="window")


@dataclass(frozen=True, slots=True)
class QualityScore:
    """The figures routing reads for one (site, product family)."""

    site: str
    family: str
    batches: int
    inspected_units: int
    defective_units: int
    rate: float
    rejected_recent: int
    penalty_per_unit: float
    suspended: bool
    reason: str


def quality_score(site: str, family: str, samples: tuple[BatchSample, ...],
                  rejected: tuple[bool, ...] = (),
                  params: ScoreParams = ScoreParams()) -> QualityScore:
    """Score a (site, family) from its inspected batches and lot decisions (oldest first)."""
    if not site or not family:
        raise InvalidInput("site and family must not be empty", field="site")
    if rejected and len(rejected) != len(samples):
        raise InvalidInput("rejected flags must match the samples one to one", field="rejected")
    inspected = sum(s.n for s in samples)
    defective = sum(s.defective for s in samples)
    rate = (defective + params.prior_units * params.target) / (inspected + params.prior_units) \
        if inspected + params.prior_units > 0 else params.target
    recent = sum(rejected[-params.window:])
    excess_points = max(0.0, rate - params.target) * 100.0
    reasons = []
    if rate >= params.suspend_rate:
        reasons.append(f"smoothed defective rate {rate:.1%} >= {params.suspend_rate:.1%}")
    if recent >= params.suspend_rejected_lots:
        reasons.append(f"{recent} of the last {min(params.window, len(rejected))} lots rejected")
    return QualityScore(
        site=site, family=family, batches=len(samples), inspected_units=inspected,
        defective_units=defective, rate=rate, rejected_recent=recent,
        penalty_per_unit=excess_points * params.penalty_per_point,
        suspended=bool(reasons), reason="; ".join(reasons) or "within limits")
