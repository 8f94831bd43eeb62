"""Simulation benchmark: a long run of a large network, and a Dask sweep against a sequential one.

1. 90 days of a generated 20-site network at 1,000 orders a day, with daily routing
   (``route_batch``: Lagrangian at this size, 1 s limit) and daily planning of every site
   (dispatch rule EDD), target <= 5 minutes.
2. A 16-scenario sweep (the Berlin outage grid, 14 days each) on a local Dask cluster with 2
   workers against the same 16 run one after another in this process, side by side.

Run: ``flock /tmp/mf-bench.lock .venv/bin/python benchmarks/simulation.py [--quick]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import machine_line, md_table, record  # noqa: E402

from microfactory.adapters.files.generate import GenerateParams, generate_scenario  # noqa: E402
from microfactory.adapters.files.scenario import load_scenario  # noqa: E402
from microfactory.simulation import load_spec, simulate, spec_from_dict  # noqa: E402
from microfactory.simulation.sweep import Grid, grid_points, run_sweep  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def long_run(days: int, per_day: int, sites: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        generate_scenario(GenerateParams(sites=sites, orders=per_day * 14, days=14, seed=5, load=0.7), tmp)
        scenario = load_scenario(tmp)
        spec = spec_from_dict({"network": tmp, "days": days, "seed": 1, "name": "bench",
                               "demand": {"orders_per_day": per_day, "due_days": [3, 5, 7, 10], "radius_km": 4},
                               "outages": {"site_mttr_days": 1, "machine_failures_per_week": 0.5},
                               "planning": {"mode": "dispatch", "routing_time_limit_s": 1.0}})
        t0 = time.perf_counter()
        result = simulate(spec, scenario.network, scenario.catalog, keep_trace=False)
        wall = time.perf_counter() - t0
    k = result.kpis
    return {"days": days, "orders/day": per_day, "sites": sites, "orders": result.summary["orders"],
            "delivered": result.summary["delivered"], "wall s": round(wall, 1),
            "routing s": round(result.timing["routing_s"], 1), "planning s": round(result.timing["planning_s"], 1),
            "lead p50 d": round(k.lead_time.p50 or 0, 2), "lead p90 d": round(k.lead_time.p90 or 0, 2),
            "on time": round(k.on_time_rate or 0, 3), "target <= 300 s": "met" if wall <= 300 else "missed"}


def sweep(points: int, days: int) -> dict[str, object]:
    _, raw = load_spec(ROOT / "examples" / "simulations" / "outage_with_secondary.yaml")
    raw = {**raw, "days": days, "planning": {**raw.get("planning", {}), "routing_policy": "greedy"}}
    grid_def = {"outages.site_mttr_days": [1, 4], "demand.orders_per_day": [20, 40], "policy.use_secondary": [True, False]}
    pts = grid_points(grid_def, seeds=[1, 2])[:points]
    grid = Grid(raw, pts, ("lead_time_days.p90", "on_time_rate"), tuple(sorted(grid_def)) + ("seed",))
    t0 = time.perf_counter()
    seq = run_sweep(grid, workers=0)
    t_seq = time.perf_counter() - t0
    t0 = time.perf_counter()
    par = run_sweep(grid, workers=2)
    t_par = time.perf_counter() - t0
    return {"scenarios": len(pts), "days each": days, "sequential s": round(t_seq, 1),
            "dask 2 workers s": round(t_par, 1), "speed-up": round(t_seq / t_par, 2),
            "same table": seq == par}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    run = long_run(10, 200, 20) if args.quick else long_run(90, 1000, 20)
    print(run, flush=True)
    sw = sweep(4, 7) if args.quick else sweep(16, 14)
    print(sw, flush=True)
    text = "\n".join([
        machine_line() + (" (quick)" if args.quick else ""), "",
        "Long run (daily routing with route_batch, daily dispatch planning of every site, outages, QC, returns):", "",
        md_table(list(run), [list(run.values())]), "",
        "Sweep of the Berlin outage grid (greedy routing) on a local Dask cluster against one after another; "
        "the Dask time includes starting the cluster:", "",
        md_table(list(sw), [list(sw.values())])])
    record("simulation", text)


if __name__ == "__main__":
    main()
