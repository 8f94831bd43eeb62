"""Routing benchmark: batch optimal vs greedy on generated networks, and online placement latency.

Run: .venv/bin/python benchmarks/routing.py [--quick] [--sizes 20x1000,200x100000] [--loads tight]
     [--notes FILE]

``--sizes``/``--loads`` run only those scenarios (the other rows are kept from RESULTS.md, marked with
their run's time); ``--notes`` appends a Markdown file (the analysis of the figures) to the section.
The split of the gap into bound and plan weakness is measured by ``benchmarks/routing_gap.py``.

Each batch scenario runs in its own process so its peak RSS (``resource.getrusage``) is its own.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _results import machine_line, md_table, record  # noqa: E402

from microfactory.engines.routing import RoutingParams, generate, initial_state, place_order, route_batch  # noqa: E402

LOADS = {"loose": 0.6, "tight": 0.95}
LIMITS = {1000: 10.0, 10_000: 20.0, 100_000: 28.0}


def batch_one(sites: int, lines: int, load: str, seed: int) -> dict[str, object]:
    """Optimal (timed, peak RSS) then greedy on one generated scenario."""
    pb = generate(sites, lines, LOADS[load], seed=seed)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    opt = route_batch(pb, RoutingParams(time_limit_s=LIMITS[lines], seed=seed, exact_max_lines=0))
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t1 = time.perf_counter()
    greedy = route_batch(pb, RoutingParams(policy="greedy", seed=seed))
    return {"sites": sites, "lines": lines, "load": load, "wall": wall, "peak_mb": peak, "scenario_mb": base,
            "method": opt.method, "ascent": opt.lp_status, "objective": opt.objective, "bound": opt.bound,
            "gap": opt.gap, "shortfall": opt.costs["min_batch_shortfall"], "greedy": greedy.objective,
            "late_penalty": pb.cost.lateness_penalty_per_day, "greedy_wall": time.perf_counter() - t1,
            "late_opt": opt.late_lines, "late_greedy": greedy.late_lines, "un_opt": len(opt.unassigned),
            "un_greedy": len(greedy.unassigned)}


def row(r: dict[str, object], run: str) -> list[object]:
    """One table row; the gap is shown with and without the minimum-batch shortfall (not in the bound)."""
    obj, short, bound = float(r["objective"]), float(r["shortfall"]), float(r["bound"])  # type: ignore[arg-type]
    ratio = obj / float(r["greedy"])  # type: ignore[arg-type]
    return [r["sites"], r["lines"], r["load"], f"{r['wall']:.1f}", f"{r['peak_mb']:.0f}", f"{obj:.0f}",
            f"{bound:.0f}", f"{100 * float(r['gap']):.2f}%",  # type: ignore[arg-type]
            f"{100 * max(0.0, obj - short - bound) / max(obj - short, 1e-9):.2f}%", f"{r['greedy']:.0f}",
            f"{r['greedy_wall']:.1f}", f"{ratio:.3f}", r["late_opt"], r["late_greedy"], r["un_opt"], r["un_greedy"], run]


def kept_rows(sizes: list[tuple[int, int]], path: Path) -> list[list[object]]:
    """Rows of RESULTS.md's routing table for the sizes not run now, marked with their run's time."""
    text = path.read_text() if path.exists() else ""
    section = text.split("<!-- routing:start -->", 1)[-1].split("<!-- routing:end -->", 1)[0]
    stamp = section.split("measured ", 1)[-1].split(" on ", 1)[0] if "measured " in section else "earlier"
    out: list[list[object]] = []
    for ln in section.splitlines():
        cells = [c.strip() for c in ln.strip().strip("|").split("|")]
        if len(cells) < 15 or not cells[0].isdigit() or (int(cells[0]), int(cells[1])) in sizes:
            continue
        if len(cells) == 15:        # older table: no shortfall-free gap, no run column
            cells = cells[:8] + ["n/a"] + cells[8:] + [stamp]
        if cells[-1] == "this run":
            cells[-1] = stamp
        out.append(list(cells))
    return out


def online_row(sites: int, orders: int, seed: int) -> list[object]:
    pb = generate(sites, orders * 2, 0.6, seed=seed)
    state = initial_state(pb.sites, pb.cost, 30)
    params = RoutingParams()
    times = []
    for k in range(0, len(pb.lines), 2):
        t0 = time.perf_counter()
        state, _, _ = place_order(state, pb.lines[k:k + 2], params)
        times.append((time.perf_counter() - t0) * 1000)
    return [sites, orders, f"{np.median(times):.2f}", f"{np.percentile(times, 99):.2f}"]


def warm_up() -> None:
    """Route a small scenario on the large path so the compiled kernels are built and cached on disk
    (numba's cache) before any timed scenario; the first build takes seconds."""
    pb = generate(8, 600, 0.9, seed=0)
    route_batch(pb, RoutingParams(time_limit_s=3.0, exact_max_lines=0))


def main() -> None:
    if "--warm" in sys.argv:
        warm_up()
        return
    if "--one" in sys.argv:
        k = sys.argv.index("--one")
        print(json.dumps(batch_one(int(sys.argv[k + 1]), int(sys.argv[k + 2]), sys.argv[k + 3], seed=1)))
        return
    quick = "--quick" in sys.argv
    sizes = [(20, 1000)] if quick else [(20, 1000), (20, 10_000), (20, 100_000), (200, 1000), (200, 10_000),
                                        (200, 100_000)]
    if "--sizes" in sys.argv:   # e.g. --sizes 20x1000,200x10000: other rows are kept from RESULTS.md
        spec = sys.argv[sys.argv.index("--sizes") + 1]
        sizes = [(int(a), int(b)) for a, b in (x.split("x") for x in spec.split(","))]
    loads = sys.argv[sys.argv.index("--loads") + 1].split(",") if "--loads" in sys.argv else list(LOADS)
    subprocess.run([sys.executable, __file__, "--warm"], check=True)
    rows: list[list[object]] = []
    penalty = 0.0
    for sites, lines in sizes:
        for load in loads:
            out = subprocess.run([sys.executable, __file__, "--one", str(sites), str(lines), load],
                                 check=True, capture_output=True, text=True).stdout
            got = json.loads(out.strip().splitlines()[-1])
            penalty = float(got["late_penalty"])
            rows.append(row(got, "this run"))
            print(rows[-1], flush=True)
    if "--sizes" in sys.argv:
        done = {(r[0], r[1], r[2]) for r in rows}
        kept = [r for r in kept_rows([], Path(__file__).parent / "RESULTS.md")
                if (int(str(r[0])), int(str(r[1])), str(r[2])) not in done]
        rows = sorted(rows + kept,
                      key=lambda c: (int(str(c[0])), int(str(c[1])), str(c[2])))
    online = [online_row(200, 200 if quick else 2000, seed=2)]
    print(online, flush=True)
    head = ["sites", "lines", "capacity", "wall s", "peak RSS MB", "objective", "bound", "gap",
            "gap excl. shortfall", "greedy", "greedy s", "optimal/greedy", "late opt", "late greedy",
            "unassigned opt", "unassigned greedy", "run"]
    text = (f"## routing\n\n{machine_line()}{' (quick)' if quick else ''}\n\n"
            f"Optimal = large path (Lagrangian dual ascent + priced construction + local search with moves, "
            f"swaps and ejection chains; compiled kernels built before the runs), time limit "
            f"{', '.join(f'{k}: {v:.0f} s' for k, v in LIMITS.items())} (covers building the tables); wall includes "
            f"everything. Bound = Lagrangian lower bound over every allowed site (the larger of the capacity "
            f"Lagrangian and, up to 1 M lines x sites, the minimum-batch bound); gap = (objective - bound) / "
            f"objective. The minimum-batch shortfall is in the objective but at most partly in the bound, so the "
            f"gap is also shown against the objective without it (gap excl. shortfall). Both policies are judged on the "
            f"same total with the scenario's lateness penalty of {penalty:g} per line and day late (the "
            f"CostParams default; not tuned here). Peak RSS of the process running the scenario (generation "
            f"included).\n\n"
            + md_table(head, rows)
            + "\n\nOnline placement (2-line orders, 200 sites):\n\n"
            + md_table(["sites", "orders", "median ms", "p99 ms"], online))
    if "--notes" in sys.argv:
        text += "\n\n" + Path(sys.argv[sys.argv.index("--notes") + 1]).read_text().strip()
    record("routing", text)


if __name__ == "__main__":
    main()
