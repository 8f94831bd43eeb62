"""Routing benchmark: batch optimal vs greedy on generated networks, and online placement latency.

Run: .venv/bin/python benchmarks/routing.py [--quick]
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _results import machine_line, md_table, record  # noqa: E402

from microfactory.engines.routing import RoutingParams, generate, initial_state, place_order, route_batch  # noqa: E402

LOADS = {"loose": 0.6, "tight": 0.95}


def batch_row(sites: int, lines: int, load: str, seed: int) -> list[object]:
    pb = generate(sites, lines, LOADS[load], seed=seed)
    tracemalloc.start()
    t0 = time.perf_counter()
    opt = route_batch(pb, RoutingParams(time_limit_s=30.0, seed=seed, exact_max_lines=0))
    wall = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    greedy = route_batch(pb, RoutingParams(policy="greedy", seed=seed))
    return [sites, lines, load, f"{wall:.2f}", f"{peak:.0f}", opt.lp_status, opt.classes, opt.lp_columns,
            f"{opt.objective:.0f}", f"{opt.bound:.0f}", f"{100 * opt.gap:.2f}%", f"{greedy.objective:.0f}",
            f"{opt.objective / greedy.objective:.3f}", opt.late_lines, greedy.late_lines, len(opt.unassigned),
            len(greedy.unassigned)]


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


def main() -> None:
    quick = "--quick" in sys.argv
    sizes = [(20, 1000)] if quick else [(20, 1000), (20, 10_000), (200, 1000), (200, 10_000), (200, 100_000)]
    rows = []
    for sites, lines in sizes:
        for load in LOADS:
            rows.append(batch_row(sites, lines, load, seed=1))
            print(rows[-1], flush=True)
    online = [online_row(200, 200 if quick else 2000, seed=2)]
    print(online, flush=True)
    head = ["sites", "lines", "capacity", "wall s", "peak MB (tracemalloc)", "LP", "classes", "LP columns",
            "objective", "bound", "gap", "greedy", "optimal/greedy", "late opt", "late greedy", "unassigned opt", "unassigned greedy"]
    text = (f"## routing\n\n{machine_line()}{' (quick)' if quick else ''}\n\n" + md_table(head, rows)
            + "\n\nOnline placement (2-line orders):\n\n" + md_table(["sites", "orders", "median ms", "p99 ms"], online))
    record("routing", text)


if __name__ == "__main__":
    main()
