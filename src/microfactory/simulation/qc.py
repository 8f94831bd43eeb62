"""QC at the end of a batch: sampling inspection (ISO 2859-1 plan from the quality engine) and rework.

Each unit of a batch made at a site is defective with the site's defect rate (binomial count).
The batch is inspected with the normal single-sampling plan for its lot size and the AQL
(:func:`microfactory.engines.quality.sampling_plan`); the defects found in the sample are
hypergeometric (a one-unit lot is checked in full). A rejected lot is sorted 100 % and every defective unit reworked (the batch is
delayed by ``rework_days``); an accepted lot has its sampled defects reworked on the spot and
the other defective units escape to customers (some come back as returns with reason
``defect``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from microfactory.engines.quality import SamplingPlan, sampling_plan


@dataclass(frozen=True, slots=True)
class QcOutcome:
    """What the inspection of one batch found and decided."""

    units: int
    defective: int
    sample_size: int
    found: int
    rejected: bool
    escaped: int
    reworked: int


@lru_cache(maxsize=512)
def _plan(units: int, aql: float) -> SamplingPlan:
    return sampling_plan(units, aql)


def inspect_batch(rng: np.random.Generator, units: int, defect_rate: float, aql: float) -> QcOutcome:
    """Draw the defects of a batch of ``units`` and inspect it."""
    defective = int(rng.binomial(units, defect_rate)) if defect_rate > 0 else 0
    if units < 2:  # a one-unit lot is checked in full: a defect is found and reworked
        return QcOutcome(units, defective, units, defective, defective > 0, 0, defective)
    plan = _plan(units, aql)
    n = min(units, plan.n)
    found = int(rng.hypergeometric(defective, units - defective, n)) if defective and n else 0
    rejected = not plan.decide(found).accepted
    if rejected:
        return QcOutcome(units, defective, n, found, True, 0, defective)
    return QcOutcome(units, defective, n, found, False, defective - found, found)
