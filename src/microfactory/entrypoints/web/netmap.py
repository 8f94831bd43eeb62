"""The network map: sites, stores, customers and flows as SVG, projected from coordinates.

An equirectangular projection of the bounding box of everything drawn (longitudes scaled by
the cosine of the middle latitude), which is true enough at city and country scale.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from microfactory.entrypoints.web.charts import empty

KIND_COLOURS = {"microfactory": "#2b6cb0", "store": "#2f855a", "warehouse": "#975a16", "supplier": "#6b46c1"}
FLOW_COLOURS = {"ship": "#2b6cb0", "same_day": "#c05621", "pickup": "#2f855a", "transfer": "#6b46c1"}


@dataclass(frozen=True)
class Place:
    id: str
    name: str
    kind: str
    lat: float
    lon: float
    down: bool = False


@dataclass(frozen=True)
class Flow:
    """A line of work from a site to a customer point, a store, or another site."""

    site: str
    lat: float
    lon: float
    kind: str  # ship | same_day | pickup | transfer
    today: bool = False
    label: str = ""


class Projection:
    """Maps (lat, lon) into a width x height box with a margin, keeping the aspect ratio."""

    def __init__(self, points: Sequence[tuple[float, float]], width: int, height: int, margin: int = 30) -> None:
        lats = [p[0] for p in points]
        lons = [p[1] for p in points]
        self.lat0, self.lat1 = min(lats), max(lats)
        self.lon0, self.lon1 = min(lons), max(lons)
        self.k = math.cos(math.radians((self.lat0 + self.lat1) / 2))
        span_x = max((self.lon1 - self.lon0) * self.k, 1e-6)
        span_y = max(self.lat1 - self.lat0, 1e-6)
        self.scale = min((width - 2 * margin) / span_x, (height - 2 * margin) / span_y)
        self.ox = margin + ((width - 2 * margin) - span_x * self.scale) / 2
        self.oy = margin + ((height - 2 * margin) - span_y * self.scale) / 2

    def __call__(self, lat: float, lon: float) -> tuple[float, float]:
        return (self.ox + (lon - self.lon0) * self.k * self.scale, self.oy + (self.lat1 - lat) * self.scale)


def _legend(x: float, y: float) -> str:
    rows = [("circle", KIND_COLOURS["microfactory"], "microfactory"), ("rect", KIND_COLOURS["store"], "store"),
            ("circle", "#c53030", "site down"), ("line", FLOW_COLOURS["ship"], "shipped to customer"),
            ("line", FLOW_COLOURS["same_day"], "same day"), ("line", FLOW_COLOURS["pickup"], "pickup at store"),
            ("line", FLOW_COLOURS["transfer"], "material transfer"), ("bold", "#1a202c", "finishing today")]
    out = [(f'<g class="legend" font-size="11"><rect x="{x - 6}" y="{y - 14}" width="160" '
            f'height="{len(rows) * 16 + 10}" fill="white" fill-opacity="0.9" stroke="#cbd5e0"/>')]
    for i, (shape, colour, text) in enumerate(rows):
        yy = y + i * 16
        if shape == "circle":
            out.append(f'<circle cx="{x + 6}" cy="{yy - 4}" r="5" fill="{colour}"/>')
        elif shape == "rect":
            out.append(f'<rect x="{x + 1}" y="{yy - 9}" width="10" height="10" fill="{colour}"/>')
        else:
            w = 3 if shape == "bold" else 1.5
            out.append(f'<line x1="{x}" y1="{yy - 4}" x2="{x + 14}" y2="{yy - 4}" stroke="{colour}" stroke-width="{w}"/>')
        out.append(f'<text x="{x + 20}" y="{yy}">{escape(text)}</text>')
    return "".join(out) + "</g>"


def network_svg(places: Sequence[Place], flows: Sequence[Flow], width: int = 900, height: int = 600) -> str:
    """The map: flows under places, each place labelled, a legend in the corner."""
    if not places:
        return empty("network map", width, height)
    where = {p.id: p for p in places}
    proj = Projection([(p.lat, p.lon) for p in places] + [(f.lat, f.lon) for f in flows], width, height)
    parts = [f'<rect width="{width}" height="{height}" fill="#f7fafc"/>']
    for f in sorted(flows, key=lambda f: f.today):
        if f.site not in where:
            continue
        x1, y1 = proj(where[f.site].lat, where[f.site].lon)
        x2, y2 = proj(f.lat, f.lon)
        parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                     f'stroke="{FLOW_COLOURS.get(f.kind, "#4a5568")}" stroke-width="{2.2 if f.today else 0.8}" '
                     f'stroke-opacity="{0.9 if f.today else 0.45}"><title>{escape(f.label)}</title></line>')
        if f.kind in ("ship", "same_day"):
            parts.append(f'<circle cx="{x2:.1f}" cy="{y2:.1f}" r="1.6" fill="#4a5568"/>')
    for p in places:
        x, y = proj(p.lat, p.lon)
        colour = "#c53030" if p.down else KIND_COLOURS.get(p.kind, "#4a5568")
        shape = (f'<rect x="{x - 6:.1f}" y="{y - 6:.1f}" width="12" height="12" fill="{colour}"/>' if p.kind == "store"
                 else f'<circle cx="{x:.1f}" cy="{y:.1f}" r="8" fill="{colour}" stroke="white" stroke-width="2"/>')
        # a label that would run off the right edge (~7 px a character at 12 px) goes to the left of its mark
        left = x + 10 + 7 * (len(p.name) + (7 if p.down else 0)) > width
        anchor = f'x="{x - 10:.1f}" text-anchor="end"' if left else f'x="{x + 10:.1f}"'
        parts.append(f'<g class="place" data-id="{escape(p.id)}">{shape}<text {anchor} y="{y + 4:.1f}" '
                     f'font-size="12" paint-order="stroke" stroke="white" stroke-width="3">{escape(p.name)}'
                     f'{" (down)" if p.down else ""}</text><title>{escape(p.id)} · {escape(p.kind)}</title></g>')
    parts.append(_legend(width - 160, 24))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
            f'aria-label="network map" class="map">{"".join(parts)}</svg>')


__all__ = ["FLOW_COLOURS", "KIND_COLOURS", "Flow", "Place", "Projection", "network_svg"]
