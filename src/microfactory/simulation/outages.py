"""Site and machine outages drawn from uptime.

**Sites.** A site with uptime ``u < 1`` alternates up and down periods: repair times are
exponential with mean ``MTTR = site_mttr_days``; failure-free times exponential with mean
``MTBF = MTTR x u / (1 - u)``, so the long-run share of time up is ``u``. Forced outages (a
what-if) are added as given. While a site is down it takes no new work and its unstarted work
is re-routed.

**Machines.** Each resource fails a Poisson number of times a day (rate
``machine_failures_per_week / 7``) at a uniform minute of the open shift, and stays down an
exponential time with mean ``machine_repair_minutes``; the day's plan sees these as downtime.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from microfactory.engines.scheduling import Downtime
from microfactory.simulation.clock import MINUTES_PER_DAY
from microfactory.simulation.scenario import OutageParams
from microfactory.simulation.simnet import SimSite


@dataclass(frozen=True, slots=True)
class Outage:
    """Site ``site`` is down over ``[start_min, end_min)``."""

    site: str
    start_min: int
    end_min: int
    forced: bool = False


def site_outages(rng: np.random.Generator, sites: tuple[SimSite, ...], days: int,
                 params: OutageParams) -> list[Outage]:
    """Every site outage over ``days`` days, sorted by start."""
    horizon = days * MINUTES_PER_DAY
    mttr = params.site_mttr_days * MINUTES_PER_DAY
    out: list[Outage] = []
    for site in sites:
        if not params.random_site_outages or site.uptime >= 1.0 or mttr <= 0:
            continue
        mtbf = mttr * site.uptime / (1.0 - site.uptime)
        t = float(rng.exponential(mtbf))
        while t < horizon:
            repair = max(1.0, float(rng.exponential(mttr)))
            out.append(Outage(site.id, int(t), int(min(horizon, t + repair))))
            t += repair + float(rng.exponential(mtbf))
    known = {s.id for s in sites}
    for f in params.forced:
        if f.site in known:
            start = f.start_day * MINUTES_PER_DAY
            out.append(Outage(f.site, start, start + f.days * MINUTES_PER_DAY, forced=True))
    return sorted(out, key=lambda o: (o.start_min, o.site))


def machine_downtime(rng: np.random.Generator, site: SimSite, day: int, params: OutageParams) -> tuple[Downtime, ...]:
    """Breakdowns of ``site``'s resources on ``day``, in minutes from the start of that day."""
    window = site.open_minutes[day] if day < len(site.open_minutes) else None
    if params.machine_failures_per_week <= 0 or window is None:
        return ()
    rate = params.machine_failures_per_week / 7.0
    out: list[Downtime] = []
    for res in site.resources:
        for _ in range(int(rng.poisson(rate))):
            start = int(rng.integers(window[0], window[1]))
            length = max(1, int(rng.exponential(params.machine_repair_minutes)))
            out.append(Downtime(res.id, start, min(start + length, MINUTES_PER_DAY)))
    return tuple(out)


def down_minutes_by_day(outages: list[Outage], site: str, days: int) -> list[int]:
    """Minutes ``site`` is down on each day (for capacity and utilisation)."""
    minutes = [0] * days
    for o in outages:
        if o.site != site:
            continue
        for d in range(o.start_min // MINUTES_PER_DAY, min(days, (o.end_min - 1) // MINUTES_PER_DAY + 1)):
            lo, hi = max(o.start_min, d * MINUTES_PER_DAY), min(o.end_min, (d + 1) * MINUTES_PER_DAY)
            minutes[d] += max(0, hi - lo)
    return minutes
