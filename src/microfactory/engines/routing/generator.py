"""Seeded synthetic routing scenarios: sites spread over a metro area, mixed processes and brands."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from microfactory.engines.routing.types import (
    MaterialNeed,
    RoutingLine,
    RoutingProblem,
    RoutingSite,
)
from microfactory.errors import InvalidInput

PROCESSES = ("cutting", "sewing", "printing", "embroidery", "knitting", "finishing")
Operator = Literal["in_house", "partner", "franchise", "on_demand"]
OPERATORS: tuple[Operator, ...] = ("in_house", "partner", "franchise", "on_demand")
MODES = ("cargo_bike", "electric_van", "van")
FABRICS = ("cotton", "linen", "wool", "denim", "jersey")


def _products(rng: np.random.Generator, count: int) -> list[tuple[str, dict[str, float], str]]:
    out = []
    for j in range(count):
        procs = {"cutting": float(rng.uniform(4, 10)), "sewing": float(rng.uniform(10, 40))}
        for extra in ("printing", "embroidery", "knitting"):
            if rng.random() < 0.3:
                procs[extra] = float(rng.uniform(3, 15))
        procs["finishing"] = float(rng.uniform(2, 6))
        out.append((f"P{j:02d}", procs, FABRICS[j % len(FABRICS)]))
    return out


def generate(n_sites: int, n_lines: int, load: float = 0.6, seed: int = 0, days: int = 10,
             center: tuple[float, float] = (51.5074, -0.1278), radius_km: float = 25.0) -> RoutingProblem:
    """A scenario where demand uses about ``load`` of the network's capacity (0.9+ is tight)."""
    if n_sites < 1 or n_lines < 0 or not 0 < load < 10 or days < 2:
        raise InvalidInput("need n_sites >= 1, n_lines >= 0, 0 < load < 10, days >= 2", field="load")
    rng = np.random.default_rng(seed)
    products = _products(rng, 24)
    brands = [f"B{j}" for j in range(6)]
    deg = radius_km / 111.0

    def spot() -> tuple[float, float]:
        r, a = deg * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        return center[0] + r * math.sin(a), center[1] + r * math.cos(a) / math.cos(math.radians(center[0]))

    lines = []
    demand = dict.fromkeys(PROCESSES, 0.0)
    for i in range(n_lines):
        name, procs, fabric = products[int(rng.integers(len(products)))]
        size = "SML"[int(rng.integers(3))]
        qty = int(rng.choice([1, 1, 1, 2, 3]))
        lat, lon = spot()
        due = int(rng.integers(2, days + 1))
        subs = tuple(f for f in FABRICS if f != fabric)[:1]
        lines.append(RoutingLine(
            id=f"L{i}", order_id=f"O{i // 2}", brand=brands[(i // 2) % len(brands)], product=name,
            sku=f"{name}-{size}-{fabric}", qty=qty, minutes=procs, lat=lat, lon=lon, due_day=due,
            materials=(MaterialNeed(fabric, 1.5, 6.0, subs),), setup_key=f"{name}-{fabric}",
            channel="web" if rng.random() < 0.8 else "store", weight_kg=0.4))
        for p, m in procs.items():
            demand[p] += m * qty
    sites = []
    has: dict[str, list[int]] = {p: [] for p in PROCESSES}
    specs = []
    for j in range(n_sites):
        kinds = {"cutting", "sewing", "finishing"} | {p for p in ("printing", "embroidery", "knitting")
                                                      if rng.random() < 0.5}
        specs.append(kinds)
        for p in kinds:
            has[p].append(j)
    for j in range(n_sites):
        lat, lon = spot()
        cap = {}
        for p in sorted(specs[j]):
            share = demand[p] / max(len(has[p]), 1) / load / days
            cap[p] = (round(share * rng.uniform(0.6, 1.4), 1),)
        allowed = None if rng.random() < 0.8 else frozenset(rng.choice(brands, 3, replace=False).tolist())
        sites.append(RoutingSite(
            id=f"S{j:03d}", lat=lat, lon=lon, capacity=cap, operator=OPERATORS[j % len(OPERATORS)],
            brands_allowed=allowed, min_batch=int(rng.integers(1, 6)), min_batch_shortfall_cost=2.0,
            setup_cost=float(rng.uniform(10, 40)), lead_time_days=int(rng.integers(0, 2)), delivery_days=1,
            delivery_mode=MODES[j % len(MODES)], staff_rate_per_hour=float(rng.uniform(18, 34)),
            machine_rate_per_hour=float(rng.uniform(3, 9))))
    return RoutingProblem(tuple(sites), tuple(lines))
