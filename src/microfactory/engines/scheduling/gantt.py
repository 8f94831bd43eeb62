"""Gantt chart of a schedule: JSON-able data for the dashboard and a self-contained SVG."""

from __future__ import annotations

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


def gantt_svg(problem: SchedulingProblem, schedule: Schedule, width: int = 1200, row_height: int = 22) -> str:
    """An SVG Gantt chart: one row per resource unit, changeovers hatched grey, late batches outlined red."""
    data = gantt_data(problem, schedule)
    left, top = 130, 24
    span = max(1, data["horizon"])
    scale = (width - left - 10) / span
    height = top + row_height * len(data["rows"]) + 10
    keys = sorted({b.setup_key for b in problem.batches})
    colour = {k: _PALETTE[i % len(_PALETTE)] for i, k in enumerate(keys)}
    key_of = {b.id: b.setup_key for b in problem.batches}
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
            f'font-size="11">')
    title = (f'<text x="4" y="14">{escape(schedule.site_id)} · {escape(schedule.method)} · '
             f'tardiness {schedule.weighted_tardiness:g} · changeover {schedule.changeover_minutes} min</text>')
    out = [head, title]
    for s, e in data["open"]:
        out.append(f'<rect x="{left + s * scale:.1f}" y="{top}" width="{(e - s) * scale:.1f}" '
                   f'height="{row_height * len(data["rows"])}" fill="#f4f4f4"/>')
    for i, row in enumerate(data["rows"]):
        y = top + i * row_height
        out.append(f'<text x="4" y="{y + row_height - 7}">{escape(row["resource"])}/{row["unit"]}</text>')
        for op in row["ops"]:
            x0, xs, x1 = (left + v * scale for v in (op["start"], op["start"] + op["setup"], op["end"]))
            if op["setup"]:
                out.append(f'<rect x="{x0:.1f}" y="{y + 3}" width="{xs - x0:.1f}" height="{row_height - 6}" '
                           f'fill="#999"/>')
            stroke = ' stroke="#d00" stroke-width="1.5"' if op["late"] else ""
            label = f'{op["batch"]} op {op["op"]} {op["start"]}-{op["end"]} {op["worker"] or ""}'
            out.append(f'<rect x="{xs:.1f}" y="{y + 3}" width="{max(0.5, x1 - xs):.1f}" height="{row_height - 6}" '
                       f'fill="{colour.get(key_of.get(op["batch"], ""), "#888")}"{stroke}>'
                       f'<title>{escape(label)}</title></rect>')
    out.append("</svg>")
    return "\n".join(out)
