"""Gantt chart of a schedule: JSON-able data for the dashboard and a self-contained SVG."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape

from microfactory.engines.scheduling.problem import Schedule, SchedulingProblem

_PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
            "#9c755f", "#bab0ac")


def gantt_data(problem: SchedulingProblem, schedule: Schedule) -> dict[str, Any]:
    """Rows per resource unit with their operations (minutes from horizon start), and closed periods."""
    due = {b.id: b.due for b in problem.batches}
    last: dict[str, int] = {}
    for op in schedule.ops:
        last[op.batch_id] = max(last.get(op.batch_id, 0), op.end)
    rows: list[dict[str, Any]] = [{"resource": r.id, "unit": u, "process": r.process, "ops": []}
                                  for r in problem.resources for u in range(r.units)]
    index = {(row["resource"], row["unit"]): row for row in rows}
    for op in schedule.ops:
        index[(op.resource_id, op.unit)]["ops"].append({
            "batch": op.batch_id, "op": op.op_index, "start": op.start, "setup": op.setup, "end": op.end,
            "worker": op.worker_id, "late": last[op.batch_id] > due.get(op.batch_id, last[op.batch_id])})
    opened = list(problem.calendar) if problem.calendar is not None else [(0, problem.horizon)]
    return {"site": schedule.site_id, "method": schedule.method, "status": schedule.status,
            "horizon": max(problem.horizon, schedule.makespan), "open": [list(iv) for iv in opened], "rows": rows}


class _Axis:
    """Minutes from the horizon start → x, with closed time (nights, weekends) cut out: each open
    window gets width in proportion to its minutes, with a small gap between windows."""

    def __init__(self, windows: list[tuple[int, int]], left: float, width: float, gap: float = 6.0) -> None:
        self.windows = windows
        total = sum(e - s for s, e in windows) or 1
        self.scale = max(0.0, width - gap * (len(windows) - 1)) / total
        self.x0: list[float] = []
        x = left
        for s, e in windows:
            self.x0.append(x)
            x += (e - s) * self.scale + gap

    def __call__(self, t: float) -> float:
        for (s, e), x0 in zip(self.windows, self.x0):
            if t <= e:
                return x0 + (max(t, s) - s) * self.scale
        s, e = self.windows[-1]
        return self.x0[-1] + (e - s) * self.scale


def _windows(data: dict[str, Any]) -> list[tuple[int, int]]:
    """Open windows of the calendar merged, plus any stretch where an operation runs outside them."""
    spans = sorted([(int(s), int(e)) for s, e in data["open"] if e > s]
                   + [(op["start"], op["end"]) for row in data["rows"] for op in row["ops"]])
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    last = max((op["end"] for row in data["rows"] for op in row["ops"]), default=None)
    if last is not None:  # open windows after the last operation would only squeeze the chart
        merged = [(s, e) for s, e in merged if s < last]
    return merged or [(0, max(1, data["horizon"]))]


def gantt_svg(problem: SchedulingProblem, schedule: Schedule, width: int = 1200, row_height: int = 22,
              origin: datetime | None = None) -> str:
    """An SVG Gantt chart: one row per resource unit, changeovers grey, late batches outlined red.

    Closed time is cut out of the time axis, so the working windows fill the width; each window is
    labelled with its day and opening time when ``origin`` (the datetime of minute 0) is given."""
    data = gantt_data(problem, schedule)
    left, top = 130, 40
    windows = _windows(data)
    axis = _Axis(windows, left, width - left - 10)
    height = top + row_height * len(data["rows"]) + 10
    keys = sorted({b.setup_key for b in problem.batches})
    colour = {k: _PALETTE[i % len(_PALETTE)] for i, k in enumerate(keys)}
    key_of = {b.id: b.setup_key for b in problem.batches}
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
            f'font-size="11">')
    title = (f'<text x="4" y="14">{escape(schedule.site_id)} · {escape(schedule.method)} · '
             f'tardiness {schedule.weighted_tardiness:g} · changeover {schedule.changeover_minutes} min</text>')
    out = [head, title]

    def when(t: int) -> str:
        return (origin + timedelta(minutes=t)).strftime("%a %d %H:%M") if origin is not None else f"min {t}"

    for (s, e), x0 in zip(windows, axis.x0):
        w = (e - s) * axis.scale
        out.append(f'<rect x="{x0:.1f}" y="{top}" width="{w:.1f}" height="{row_height * len(data["rows"])}" '
                   f'fill="#f4f4f4"><title>open {escape(when(s))} to {escape(when(e))}</title></rect>')
        if w >= 70:
            out.append(f'<text x="{x0 + 2:.1f}" y="{top - 6}" font-size="10" fill="#555">{escape(when(s))}</text>')
        elif w >= 30 and origin is not None:
            out.append(f'<text x="{x0 + 2:.1f}" y="{top - 6}" font-size="10" fill="#555">'
                       f'{(origin + timedelta(minutes=s)):%d}</text>')
    for i, row in enumerate(data["rows"]):
        y = top + i * row_height
        out.append(f'<text x="4" y="{y + row_height - 7}">{escape(row["resource"])}/{row["unit"]}</text>')
        for op in row["ops"]:
            x0, xs, x1 = (axis(v) for v in (op["start"], op["start"] + op["setup"], op["end"]))
            if op["setup"]:
                out.append(f'<rect x="{x0:.1f}" y="{y + 3}" width="{xs - x0:.1f}" height="{row_height - 6}" '
                           f'fill="#999"/>')
            stroke = ' stroke="#d00" stroke-width="1.5"' if op["late"] else ""
            label = (f'{op["batch"]} op {op["op"]} · {when(op["start"])} to {when(op["end"])}'
                     f'{" · setup " + str(op["setup"]) + " min" if op["setup"] else ""}'
                     f'{" · " + op["worker"] if op["worker"] else ""}{" · late" if op["late"] else ""}')
            out.append(f'<rect x="{xs:.1f}" y="{y + 3}" width="{max(0.5, x1 - xs):.1f}" height="{row_height - 6}" '
                       f'fill="{colour.get(key_of.get(op["batch"], ""), "#888")}"{stroke}>'
                       f'<title>{escape(label)}</title></rect>')
    out.append("</svg>")
    return "\n".join(out)
