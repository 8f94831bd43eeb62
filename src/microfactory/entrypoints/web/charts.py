"""Server-rendered SVG charts for the dashboard (no JavaScript, no fonts, no network).

Every function returns an SVG string with its text escaped; an empty input gives a small
"no data yet" picture instead of failing.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

PALETTE = ("#2b6cb0", "#2f855a", "#c05621", "#6b46c1", "#b83280", "#2c7a7b", "#975a16", "#4a5568")
STATUS_COLOURS = {"validated": "#718096", "routed": "#2b6cb0", "scheduled": "#6b46c1", "in_production": "#c05621",
                  "qc_passed": "#2c7a7b", "packed": "#285e61", "ready_for_pickup": "#38a169", "returned": "#9b2c2c", "shipped": "#2f855a", "delivered": "#276749", "cancelled": "#a0aec0",
                  "pledged": "#b83280", "received": "#4a5568"}


def _svg(width: int, height: int, body: str, label: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
            f'role="img" aria-label="{escape(label)}" class="chart">{body}</svg>')


def empty(label: str, width: int = 360, height: int = 160) -> str:
    return _svg(width, height, f'<rect width="{width}" height="{height}" fill="#f7fafc"/>'
                f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" fill="#718096">'
                f'{escape(label)}: no data yet</text>', label)


def bar_chart(items: Sequence[tuple[str, float]], label: str, colours: dict[str, str] | None = None,
              width: int = 360, height: int = 180, unit: str = "") -> str:
    """Vertical bars with their values above and labels below."""
    if not items or max(v for _, v in items) <= 0:
        return empty(label, width, height)
    top = max(v for _, v in items)
    left, base, room = 8, height - 34, height - 58
    step = (width - 2 * left) / len(items)
    parts = []
    for i, (name, value) in enumerate(items):
        h = room * value / top
        x = left + i * step + step * 0.15
        colour = (colours or {}).get(name, PALETTE[i % len(PALETTE)])
        parts.append(f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
                     f'fill="{colour}"><title>{escape(name)}: {value:g}{escape(unit)}</title></rect>'
                     f'<text x="{x + step * 0.35:.1f}" y="{base - h - 4:.1f}" text-anchor="middle" '
                     f'font-size="11">{value:g}</text>'
                     f'<text x="{x + step * 0.35:.1f}" y="{base + 14}" text-anchor="middle" font-size="10">'
                     f'{escape(name[:12])}</text>')
    axis = f'<line x1="{left}" y1="{base}" x2="{width - left}" y2="{base}" stroke="#a0aec0"/>'
    return _svg(width, height, axis + "".join(parts), label)


def meter(value: float | None, label: str, width: int = 360, height: int = 70) -> str:
    """A share in [0, 1] as a filled bar with the percentage."""
    if value is None:
        return empty(label, width, height)
    share = min(1.0, max(0.0, value))
    colour = "#2f855a" if share >= 0.9 else "#c05621" if share >= 0.7 else "#c53030"
    body = (f'<rect x="10" y="20" width="{width - 20}" height="24" rx="4" fill="#edf2f7"/>'
            f'<rect x="10" y="20" width="{(width - 20) * share:.1f}" height="24" rx="4" fill="{colour}"/>'
            f'<text x="{width / 2}" y="37" text-anchor="middle" font-size="13" fill="#1a202c">{share:.1%}</text>')
    return _svg(width, height, body, label)


def p_chart(points: Sequence[dict[str, Any]], label: str, width: int = 720, height: int = 240) -> str:
    """A p-chart: fraction defective per batch, centre line and per-batch 3-sigma limits."""
    if not points:
        return empty(label, width, height)
    # a fraction defective is at most 100 %: the axis stops there (limits above it are drawn at the top)
    top = min(1.0, max(max(p["ucl"] for p in points), max(p["p"] for p in points), 0.01) * 1.1)
    left, right, y0, y1 = 44, width - 10, height - 26, 16
    n = len(points)

    def x(i: int) -> float:
        return left + (right - left) * (i + 0.5) / n

    def y(v: float) -> float:
        return float(y0 - (y0 - y1) * min(v, top) / top)

    ucl = " ".join(f"{x(i):.1f},{y(p['ucl']):.1f}" for i, p in enumerate(points))
    lcl = " ".join(f"{x(i):.1f},{y(p['lcl']):.1f}" for i, p in enumerate(points))
    line = " ".join(f"{x(i):.1f},{y(p['p']):.1f}" for i, p in enumerate(points))
    centre = y(points[0]["center"])
    parts = [f'<line x1="{left}" y1="{y0}" x2="{right}" y2="{y0}" stroke="#a0aec0"/>',
             f'<text x="4" y="{y1 + 4}" font-size="10">{top:.0%}</text><text x="4" y="{y0}" font-size="10">0%</text>',
             (f'<line x1="{left}" y1="{centre:.1f}" x2="{right}" y2="{centre:.1f}" stroke="#2f855a" '
              f'stroke-dasharray="6 3"/><text x="{right}" y="{centre - 3:.1f}" text-anchor="end" font-size="10" '
              f'fill="#2f855a">centre {points[0]["center"]:.2%}</text>'),
             f'<polyline points="{ucl}" fill="none" stroke="#c53030" stroke-dasharray="3 3"/>',
             f'<polyline points="{lcl}" fill="none" stroke="#c53030" stroke-dasharray="3 3"/>',
             f'<polyline points="{line}" fill="none" stroke="#2b6cb0"/>']
    every = max(1, n // 12)  # batch names under the axis, at most about 12 of them
    for i, p in enumerate(points):
        if i % every == 0:
            parts.append(f'<text x="{x(i):.1f}" y="{y0 + 16}" text-anchor="middle" font-size="9" fill="#718096">'
                         f'{escape(str(p["batch_id"])[-7:])}</text>')
        out = p["p"] > p["ucl"] or p["p"] < p["lcl"]
        parts.append(f'<circle cx="{x(i):.1f}" cy="{y(p["p"]):.1f}" r="{5 if out else 3.5}" '
                     f'fill="{"#c53030" if out else "#2b6cb0"}"><title>{escape(str(p["batch_id"]))}: '
                     f'{p["p"]:.2%} of {p["n"]} (limits {p["lcl"]:.2%}–{p["ucl"]:.2%})</title></circle>')
    return _svg(width, height, "".join(parts), label)


__all__ = ["PALETTE", "STATUS_COLOURS", "bar_chart", "empty", "meter", "p_chart"]
