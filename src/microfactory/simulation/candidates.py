"""Candidate sites for network design, and a candidate as a simulated microfactory.

The file layout (``candidates.yaml``) and its reader are in
:mod:`microfactory.adapters.files.candidates`; this module holds the validated values.

**A candidate as a simulated microfactory** (:func:`candidate_site`): open Monday to Friday
08:00-17:00 (540 minutes a day, 2,700 a week); for each of its processes one resource whose
``units = ceil(capacity_units_per_week x m_p / 2700)``, where ``m_p`` is the mean minutes per unit
of process ``p`` over the demand (so the site can make its weekly capacity of the average mix);
each resource costs ``60 x variable_cost_per_unit / sum_p m_p`` per hour (the conversion cost of
an average unit is then the candidate's variable cost), setup 10 minutes, no worker list (one
operator per machine), minimum batch 1, lead time 1 day.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from microfactory.domain.geo import Location
from microfactory.domain.network import Calendar, Operator, Resource, Site, SiteKind

WEEK_MINUTES = 5 * 540
SETUP_MINUTES = 10.0


@dataclass(frozen=True, slots=True)
class Candidate:
    """A place where a microfactory could open or a partner could be signed."""

    id: str
    name: str
    lat: float
    lon: float
    fixed_cost_per_week: float
    variable_cost_per_unit: float
    capacity_units_per_week: float
    processes: frozenset[str]
    operator: str = "partner"
    delivery_mode: str = "van"
    uptime: float = 0.97


@dataclass(frozen=True, slots=True)
class DesignSettings:
    """How demand, cost, carbon, the promise and the simulation check are set up."""

    promise_days: float | None = 3.0
    production_days: float = 1.0
    speed_km_per_day: float = 150.0
    transport_cost_per_unit_km: float = 0.02
    carbon_price_per_kg: float = 0.0
    delivery_mode: str = "van"
    include_existing: bool = True
    grid_deg: float = 0.05
    time_limit_s: float = 10.0
    seed: int = 0
    sim_days: int = 28
    sim_routing: str = "optimal"
    road_factor: float = 1.3
    sim_radius_km: float = 3.0


@dataclass(frozen=True, slots=True)
class CandidateFile:
    """A parsed candidates file."""

    candidates: tuple[Candidate, ...]
    settings: DesignSettings = field(default_factory=DesignSettings)


def candidate_site(c: Candidate, minutes_per_unit: Mapping[str, float]) -> Site:
    """The candidate as a simulated microfactory (the mapping in the module docstring)."""
    m = {p: minutes_per_unit.get(p, 0.0) for p in sorted(c.processes)}
    total = sum(m.values())
    rate = 60.0 * c.variable_cost_per_unit / total if total > 0 else 0.0
    resources = tuple(Resource(f"{c.id}-{p}", p, max(1, math.ceil(c.capacity_units_per_week * m[p] / WEEK_MINUTES)),
                               cost_per_hour=round(rate, 6), setup_minutes=SETUP_MINUTES) for p in m)
    return Site(id=c.id, name=c.name, kind=SiteKind.MICROFACTORY, operator=Operator(c.operator),
                location=Location(c.lat, c.lon), calendar=Calendar(), resources=resources, uptime=c.uptime,
                lead_time_days=1, delivery_mode=c.delivery_mode)


__all__ = ["WEEK_MINUTES", "Candidate", "CandidateFile", "DesignSettings", "candidate_site"]
