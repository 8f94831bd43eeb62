"""A campaign's cap as a hold on capacity, per site and process (pure).

A campaign sells units of a few products; each unit is made at one site, which must do every
process the product needs. With ``worst[k]`` the most minutes any campaign variant needs per
unit on process ``k``, a site ``s`` with free minutes ``F[s][k]`` over the window can make any
mix of

    units[s] = min over the processes k the campaign needs of floor(F[s][k] / worst[k])

units (0 when the site lacks one of those processes: its bottleneck). The cap is
``sum(units[s])`` and the campaign holds ``units[s] * worst[k]`` minutes of each process at
each site, taken earliest day first, so that no one else (routing, another campaign) can sell
them. Any mix of pledges up to ``units[s]`` then fits at ``s`` on every process; it is the
largest cap with that guarantee (a bigger one would fail for the all-worst-case mix).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from microfactory.errors import InvalidInput

EPS = 1e-9


@dataclass(frozen=True, slots=True)
class SiteCap:
    """Units per site, the minutes to hold per site, process and day offset, and the figures."""

    units: int
    per_site: dict[str, int]
    bottleneck: dict[str, str | None]
    worst_minutes: dict[str, float]
    hold: dict[str, dict[str, tuple[float, ...]]]
    status: str
    objective: float
    bound: float
    runtime_s: float
    seed: int

    def __post_init__(self) -> None:
        if self.units != sum(self.per_site.values()) or any(u < 0 for u in self.per_site.values()):
            raise InvalidInput("units must be the sum of non-negative per-site units", field="units")


def worst_minutes(minutes_per_unit: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """Per process, the most minutes per unit of any product (zero-minute processes left out)."""
    worst: dict[str, float] = {}
    for product, ops in minutes_per_unit.items():
        for k, m in ops.items():
            if m < 0 or not math.isfinite(m):
                raise InvalidInput(f"{product}: minutes per unit must be finite and >= 0", field="minutes_per_unit")
            if m > 0:
                worst[k] = max(worst.get(k, 0.0), m)
    if not worst:
        raise InvalidInput("the campaign's products need some process minutes", field="minutes_per_unit")
    return worst


def _site_units(free: Mapping[str, Sequence[float]], worst: Mapping[str, float]) -> tuple[int, str | None]:
    best, limit = math.inf, None
    for k, m in sorted(worst.items()):
        n = math.floor(sum(free.get(k, ())) / m + EPS)
        if n < best:
            best, limit = n, k
    return max(int(best), 0), limit


def _take(free: Sequence[float], need: float) -> tuple[float, ...]:
    out = []
    for f in free:
        got = min(max(f, 0.0), need)
        out.append(got)
        need -= got
    return tuple(out)


def site_cap(free: Mapping[str, Mapping[str, Sequence[float]]],
             minutes_per_unit: Mapping[str, Mapping[str, float]], *, max_units: int | None = None,
             seed: int = 0) -> SiteCap:
    """Cap and hold of a campaign: ``free[site][process]`` is free minutes per day of the window.

    ``max_units`` (the brand's own limit) caps the total; sites are then filled in id order.
    """
    start = time.perf_counter()
    if max_units is not None and max_units < 0:
        raise InvalidInput("max_units must be >= 0", field="max_units")
    left = math.inf if max_units is None else max_units
    for s, per in free.items():
        for k, days in per.items():
            if any(v < 0 or not math.isfinite(v) for v in days):
                raise InvalidInput(f"{s}/{k}: free minutes must be finite and >= 0", field="free")
    worst = worst_minutes(minutes_per_unit)
    per_site: dict[str, int] = {}
    bottleneck: dict[str, str | None] = {}
    hold: dict[str, dict[str, tuple[float, ...]]] = {}
    for s in sorted(free):
        n, limit = _site_units(free[s], worst)
        n = int(min(n, left))
        left -= n
        per_site[s], bottleneck[s] = n, limit
        if n > 0:
            hold[s] = {k: _take(free[s][k], n * m) for k, m in sorted(worst.items())}
    units = sum(per_site.values())
    return SiteCap(units, per_site, bottleneck, worst, hold, "optimal", float(units), float(units),
                   time.perf_counter() - start, seed)


__all__ = ["SiteCap", "site_cap", "worst_minutes"]
