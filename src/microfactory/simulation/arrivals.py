"""Order arrivals: Poisson counts per day with weekly seasonality and campaign bursts.

On day ``d`` the number of orders is Poisson with mean
``orders_per_day x weekday_factors[weekday(d)] x (1 + sum of (factor - 1) of active campaigns)``;
a campaign for one brand adds its extra orders to that brand only. Arrival minutes are uniform
within the day; each order has one line, or 2-3 lines with probability ``multi_line_share``, of
the same brand; quantities 1 (4 in 6), 2 or 3; customers lie within ``radius_km`` of a random
anchor (the network's sites, or the scenario's ``demand.anchors`` picked in proportion to
their weights, e.g. demand points from order history); the due day is the arrival day plus one of ``due_days``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np

from microfactory.simulation.clock import MINUTES_PER_DAY, weekday
from microfactory.simulation.scenario import DemandParams
from microfactory.simulation.simnet import SimProduct

_QTY = np.array([1, 1, 1, 1, 2, 3])


@dataclass(frozen=True, slots=True)
class SimLine:
    """One order line: which variant (index into the products) and how many."""

    id: str
    order_id: str
    product: int
    qty: int


@dataclass(frozen=True, slots=True)
class SimOrder:
    """An arriving order: brand, arrival minute, due day, customer location and lines."""

    id: str
    brand: str
    created_min: int
    due_day: int
    lat: float
    lon: float
    lines: tuple[SimLine, ...]

    @property
    def items(self) -> int:
        return sum(ln.qty for ln in self.lines)


def day_rates(demand: DemandParams, start: date, day: int, brands: list[str]) -> dict[str | None, float]:
    """Mean orders on ``day``: key None for the whole catalogue, a brand for its campaign extra."""
    base = demand.orders_per_day * demand.weekday_factors[weekday(start, day)]
    rates: dict[str | None, float] = {None: base}
    for c in demand.campaigns:
        if c.start_day <= day < c.start_day + c.days:
            extra = base * (c.factor - 1.0)
            if c.brand is None:
                rates[None] += extra
            elif c.brand in brands:
                rates[c.brand] = rates.get(c.brand, 0.0) + extra / max(1, len(brands))
    return {k: max(0.0, v) for k, v in rates.items()}


def _offset(rng: np.random.Generator, lat: float, radius_km: float) -> tuple[float, float]:
    r = radius_km * math.sqrt(float(rng.random()))
    a = float(rng.uniform(0, 2 * math.pi))
    return r * math.cos(a) / 111.32, r * math.sin(a) / (111.32 * max(0.1, math.cos(math.radians(lat))))


def _anchor(rng: np.random.Generator, anchors: list[tuple[float, float]], weights: np.ndarray | None) -> int:
    if weights is None:
        return int(rng.integers(len(anchors)))
    return int(rng.choice(len(anchors), p=weights))


def _order(rng: np.random.Generator, oid: str, pool: list[int], products: tuple[SimProduct, ...],
           minute: int, anchors: list[tuple[float, float]], demand: DemandParams,
           weights: np.ndarray | None = None) -> SimOrder:
    first = pool[int(rng.integers(len(pool)))]
    brand = products[first].brand
    same = [i for i in pool if products[i].brand == brand]
    count = 1 if rng.random() >= demand.multi_line_share else int(rng.integers(2, 4))
    picks = [first] + [same[int(rng.integers(len(same)))] for _ in range(count - 1)]
    lines = tuple(SimLine(f"{oid}-{k + 1}", oid, p, int(_QTY[int(rng.integers(len(_QTY)))]))
                  for k, p in enumerate(picks))
    lat, lon = anchors[_anchor(rng, anchors, weights)]
    dlat, dlon = _offset(rng, lat, demand.radius_km)
    due = minute // MINUTES_PER_DAY + int(demand.due_days[int(rng.integers(len(demand.due_days)))])
    return SimOrder(oid, brand, minute, due, round(lat + dlat, 5), round(lon + dlon, 5), lines)


def orders_of_day(rng: np.random.Generator, demand: DemandParams, products: tuple[SimProduct, ...],
                  anchors: list[tuple[float, float]], start: date, day: int,
                  weights: np.ndarray | None = None) -> list[SimOrder]:
    """Every order arriving on ``day``, in arrival order (anchors drawn by ``weights`` when given)."""
    brands = sorted({p.brand for p in products})
    everything = list(range(len(products)))
    drawn: list[tuple[int, list[int]]] = []
    for key, rate in sorted(day_rates(demand, start, day, brands).items(), key=lambda kv: kv[0] or ""):
        pool = everything if key is None else [i for i in everything if products[i].brand == key]
        n = int(rng.poisson(rate)) if pool else 0
        minutes = np.sort(rng.integers(0, MINUTES_PER_DAY, size=n)) + day * MINUTES_PER_DAY
        drawn.extend((int(m), pool) for m in minutes)
    drawn.sort(key=lambda mp: mp[0])
    return [_order(rng, f"D{day:03d}-{k + 1:05d}", pool, products, m, anchors, demand, weights)
            for k, (m, pool) in enumerate(drawn)]
