"""An SVG map of a same-day plan (a pure string builder, equirectangular projection)."""

from __future__ import annotations

import math
from collections.abc import Callable
from html import escape

from microfactory.engines.delivery.problem import DeliveryProblem
from microfactory.engines.delivery.solution import DeliverySolution

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")


def _projector(problem: DeliveryProblem, width: int, height: int, pad: int
               ) -> Callable[[float, float], tuple[float, float]]:
    lats = [problem.depot.lat, *(s.location.lat for s in problem.stops)]
    lons = [problem.depot.lon, *(s.location.lon for s in problem.stops)]
    kx = math.cos(math.radians(sum(lats) / len(lats)))
    span = max((max(lons) - min(lons)) * kx, max(lats) - min(lats), 1e-6)
    scale = min(width, height) - 2 * pad

    def project(lat: float, lon: float) -> tuple[float, float]:
        x = pad + (lon - min(lons)) * kx / span * scale
        y = pad + (max(lats) - lat) / span * scale
        return round(x, 1), round(y, 1)

    return project


def routes_svg(problem: DeliveryProblem, solution: DeliverySolution, size: int = 640) -> str:
    """An SVG document: depot square, one coloured polyline per route, unserved stops in grey."""
    project = _projector(problem, size, size, 24)
    where = {s.id: s.location for s in problem.stops}
    dx, dy = project(problem.depot.lat, problem.depot.lon)
    header = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
              f'viewBox="0 0 {size} {size}" font-family="sans-serif" font-size="10">')
    parts = [header,
             f'<rect width="{size}" height="{size}" fill="#ffffff"/>']
    for i, route in enumerate(solution.routes):
        colour = PALETTE[i % len(PALETTE)]
        pts = [(dx, dy), *(project(where[s.stop_id].lat, where[s.stop_id].lon) for s in route.stops), (dx, dy)]
        path = " ".join(f"{x},{y}" for x, y in pts)
        title = escape(f"{route.route_id} ({route.mode}): {len(route.stops)} stops, "
                       f"{route.distance_km:.1f} km, {route.kg_co2e:.2f} kg CO2e")
        parts.append(f'<g class="route"><title>{title}</title>'
                     f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts += [f'<circle cx="{x}" cy="{y}" r="3" fill="{colour}"/>' for x, y in pts[1:-1]]
        parts.append("</g>")
    for u in solution.unserved:
        x, y = project(where[u.stop_id].lat, where[u.stop_id].lon)
        parts.append(f'<circle class="unserved" cx="{x}" cy="{y}" r="3" fill="#999999">'
                     f'<title>{escape(u.stop_id + ": " + u.reason)}</title></circle>')
    parts.append(f'<rect class="depot" x="{dx - 5}" y="{dy - 5}" width="10" height="10" fill="#000000">'
                 f'<title>{escape(problem.depot_id)}</title></rect>')
    parts.append("</svg>")
    return "\n".join(parts)
