"""An SVG line chart of both cost curves (a pure string; no plotting library)."""

from __future__ import annotations

import math
from html import escape

from microfactory.engines.costing.breakeven import CurvePoint
from microfactory.errors import InvalidInput

_W, _H = 640, 400
_LEFT, _RIGHT, _TOP, _BOTTOM = 70, 20, 30, 50
_COLOURS = {"local": "#1b7f3b", "offshore": "#b5452b"}


def _nice_ticks(top: float, count: int = 5) -> list[float]:
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    step = min((m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw),
               default=10 * magnitude)
    return [i * step for i in range(int(top / step) + 1)]


def svg_cost_curves(points: list[CurvePoint], break_even: float | None = None,
                    currency: str = "EUR", title: str = "Cost per unit sold") -> str:
    """Both cost-per-unit-sold curves on a log volume axis, with the break-even marked."""
    if len(points) < 2 or any(p.volume <= 0 for p in points):
        raise InvalidInput("need at least two points with positive volume", field="points")
    points = sorted(points, key=lambda p: p.volume)
    xs = [math.log10(p.volume) for p in points]
    x0, x1 = min(xs), max(xs)
    top = max(max(p.local, p.offshore) for p in points) * 1.1 or 1.0
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM

    def sx(volume: float) -> float:
        return _LEFT + (math.log10(volume) - x0) / ((x1 - x0) or 1.0) * plot_w

    def sy(value: float) -> float:
        return _TOP + plot_h - max(0.0, min(value, top)) / top * plot_h

    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
             f'viewBox="0 0 {_W} {_H}" font-family="sans-serif" font-size="11">'),
             f'<title>{escape(title)}</title>',
             f'<text x="{_W / 2:.0f}" y="18" text-anchor="middle" font-size="14">{escape(title)}</text>',
             f'<line x1="{_LEFT}" y1="{_TOP + plot_h}" x2="{_LEFT + plot_w}" y2="{_TOP + plot_h}" stroke="#333"/>',
             f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{_TOP + plot_h}" stroke="#333"/>']
    for tick in _nice_ticks(top):
        y = sy(tick)
        parts.append(f'<line x1="{_LEFT - 4}" y1="{y:.1f}" x2="{_LEFT + plot_w}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tick:g}</text>')
    for exponent in range(math.ceil(x0), math.floor(x1) + 1):
        x = sx(10.0**exponent)
        parts.append(f'<text x="{x:.1f}" y="{_TOP + plot_h + 16}" text-anchor="middle">{10**exponent:g}</text>')
    parts.append(f'<text x="{_LEFT + plot_w / 2:.0f}" y="{_H - 10}" text-anchor="middle">'
                 f'mean demand (units, log scale)</text>')
    parts.append(f'<text x="14" y="{_TOP + plot_h / 2:.0f}" text-anchor="middle" '
                 f'transform="rotate(-90 14 {_TOP + plot_h / 2:.0f})">{escape(currency)} per unit sold</text>')
    for key, colour in _COLOURS.items():
        coords = " ".join(f"{sx(p.volume):.1f},{sy(getattr(p, key)):.1f}" for p in points)
        parts.append(f'<polyline class="{key}" fill="none" stroke="{colour}" stroke-width="2" points="{coords}"/>')
    for i, (key, colour) in enumerate(_COLOURS.items()):
        y = _TOP + 10 + 16 * i
        parts.append(f'<line x1="{_LEFT + plot_w - 110}" y1="{y}" x2="{_LEFT + plot_w - 90}" y2="{y}" '
                     f'stroke="{colour}" stroke-width="2"/>')
        parts.append(f'<text x="{_LEFT + plot_w - 85}" y="{y + 4}">{key}</text>')
    if break_even is not None and points[0].volume <= break_even <= points[-1].volume:
        x = sx(break_even)
        parts.append(f'<line class="break-even" x1="{x:.1f}" y1="{_TOP}" x2="{x:.1f}" '
                     f'y2="{_TOP + plot_h}" stroke="#555" stroke-dasharray="4 3"/>')
        parts.append(f'<text x="{x + 4:.1f}" y="{_TOP + 12}">break-even {break_even:,.0f}</text>')
    parts.append("</svg>")
    return "\n".join(parts)
