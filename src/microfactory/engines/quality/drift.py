"""Quality drift across batches: a p-chart with Western Electric rules and a tabular CUSUM.

Both work on the fraction defective of successive batches of one (site, product family).
With variable sample sizes each batch gets its own limits,
``p0 +/- 3 sqrt(p0 (1 - p0) / n_i)``, and the rules are applied to the standardised value
``z_i = (p_i - p0) / sigma_i`` (the usual treatment of variable-n attribute charts).
``p0`` is the given target, else the pooled fraction of the first ``baseline`` batches
(phase I), else of all batches.

Western Electric rules (one side at a time): 1) one point beyond 3 sigma; 2) 2 of 3
consecutive beyond 2 sigma; 3) 4 of 5 consecutive beyond 1 sigma; 4) 8 consecutive on one
side of the centre line. The CUSUM accumulates ``z_i - k`` (upper) and ``-z_i - k``
(lower), alarms above ``h`` and restarts at zero after an alarm.

False alarms are part of the method: the four WE rules together have an in-control
average run length of roughly 90 points, and binomial skew at small ``n p0`` makes the
3-sigma limit fire more often than the normal 0.27%. The defaults ``k = 0.5``, ``h = 5``
give the CUSUM an in-control run length of several hundred batches per side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from microfactory.errors import InvalidInput

#: (rule number, window length, points needed beyond, sigma threshold)
_WE_RULES: tuple[tuple[int, int, int, float], ...] = (
    (1, 1, 1, 3.0), (2, 3, 2, 2.0), (3, 5, 4, 1.0), (4, 8, 8, 0.0))


@dataclass(frozen=True, slots=True)
class BatchSample:
    """One inspected batch: how many units were inspected and how many were defective."""

    batch_id: str
    n: int
    defective: int

    def __post_init__(self) -> None:
        if not self.batch_id:
            raise InvalidInput("batch_id must not be empty", field="batch_id")
        if self.n < 1 or not 0 <= self.defective <= self.n:
            raise InvalidInput(f"batch {self.batch_id}: need n >= 1 and 0 <= defective <= n",
                               field="defective")

    @property
    def fraction(self) -> float:
        return self.defective / self.n


@dataclass(frozen=True, slots=True)
class ChartParams:
    """Centre line source and CUSUM tuning (k, h in units of sigma)."""

    target: float | None = None
    baseline: int | None = None
    k: float = 0.5
    h: float = 5.0

    def __post_init__(self) -> None:
        if self.target is not None and not 0.0 < self.target < 1.0:
            raise InvalidInput("target fraction must be in (0, 1)", field="target")
        if self.baseline is not None and self.baseline < 1:
            raise InvalidInput("baseline must be >= 1 batches", field="baseline")
        if self.k < 0 or self.h <= 0:
            raise InvalidInput("need k >= 0 and h > 0", field="h")


@dataclass(frozen=True, slots=True)
class ChartPoint:
    """One batch on the p-chart with its own limits."""

    batch_id: str
    n: int
    p: float
    center: float
    lcl: float
    ucl: float
    z: float


@dataclass(frozen=True, slots=True)
class DriftAlert:
    """A signal: which site and family, which rule, which batches, which direction."""

    site: str
    family: str
    rule: str
    batches: tuple[str, ...]
    direction: str
    message: str


def center_line(samples: tuple[BatchSample, ...], params: ChartParams) -> float:
    """The centre line p0: target, else pooled phase-I fraction, else pooled fraction."""
    if params.target is not None:
        return params.target
    base = samples[: params.baseline] if params.baseline is not None else samples
    if not base:
        raise InvalidInput("no batches to estimate the centre line", field="samples")
    return sum(s.defective for s in base) / sum(s.n for s in base)


def p_chart(samples: tuple[BatchSample, ...], params: ChartParams = ChartParams()
            ) -> tuple[ChartPoint, ...]:
    """Points of a p-chart with 3-sigma limits per batch (variable n)."""
    p0 = center_line(samples, params)
    points = []
    for s in samples:
        sigma = math.sqrt(p0 * (1.0 - p0) / s.n)
        if sigma > 0:
            z = (s.fraction - p0) / sigma
        else:
            z = 0.0 if s.fraction == p0 else math.copysign(math.inf, s.fraction - p0)
        points.append(ChartPoint(s.batch_id, s.n, s.fraction, p0, max(0.0, p0 - 3 * sigma),
                                 min(1.0, p0 + 3 * sigma), z))
    return tuple(points)


def _rule_hits(points: tuple[ChartPoint, ...], rule: tuple[int, int, int, float],
               side: int) -> list[tuple[int, int]]:
    """(start, end) index windows where one WE rule fires on one side (+1 above, -1 below)."""
    _, length, needed, limit = rule
    hits = []
    for end in range(length - 1, len(points)):
        window = points[end - length + 1: end + 1]
        beyond = [side * p.z > limit for p in window]
        if sum(beyond) >= needed and beyond[-1]:
            hits.append((end - length + 1, end))
    return hits


def _merge(hits: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(hits):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def western_electric(site: str, family: str, points: tuple[ChartPoint, ...]
                     ) -> tuple[DriftAlert, ...]:
    """Alerts for WE rules 1-4 on both sides; overlapping firings of a rule are merged."""
    alerts = []
    for rule in _WE_RULES:
        for side, direction in ((1, "up"), (-1, "down")):
            for start, end in _merge(_rule_hits(points, rule, side)):
                batches = tuple(p.batch_id for p in points[start: end + 1])
                alerts.append(DriftAlert(
                    site, family, f"WE{rule[0]}", batches, direction,
                    f"{site}/{family}: Western Electric rule {rule[0]} ({direction}) on "
                    f"batches {', '.join(batches)}"))
    return tuple(sorted(alerts, key=lambda a: (a.batches[0], a.rule)))


def cusum(site: str, family: str, points: tuple[ChartPoint, ...],
          params: ChartParams = ChartParams()) -> tuple[DriftAlert, ...]:
    """Tabular CUSUM on standardised fractions; an alert covers the run that built it up."""
    alerts = []
    for side, direction in ((1.0, "up"), (-1.0, "down")):
        total, start = 0.0, 0
        for i, point in enumerate(points):
            if total == 0.0:
                start = i
            total = max(0.0, total + side * point.z - params.k)
            if total > params.h:
                batches = tuple(p.batch_id for p in points[start: i + 1])
                alerts.append(DriftAlert(
                    site, family, "CUSUM", batches, direction,
                    f"{site}/{family}: CUSUM {direction} {total:.2f} > h={params.h} over "
                    f"batches {', '.join(batches)}"))
                total = 0.0
    return tuple(sorted(alerts, key=lambda a: (a.batches[-1], a.direction)))


def drift_alerts(site: str, family: str, samples: tuple[BatchSample, ...],
                 params: ChartParams = ChartParams()) -> tuple[DriftAlert, ...]:
    """Every alert (WE rules and CUSUM) for one (site, family) series of batches."""
    points = p_chart(samples, params)
    return western_electric(site, family, points) + cusum(site, family, points, params)
