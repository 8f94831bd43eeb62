"""Simulation benchmark: a long run of a large network, and a Dask sweep against a sequential one.

1. 90 days of a generated 20-site network at 1,000 orders a day, with daily routing
   (``route_batch``: Lagrangian at this size, 1 s limit) and daily planning of every site
   (dispatch rule EDD), target <= 5 minutes.
2. A 16-scenario sweep (the Berlin outage grid, 28 days each, real routing) on a local Dask
   cluster with 2 worker processes against the same 16 run one after another in this process,
   side by side; the tables must be equal (each run is reproducible from its seed).

Run: ``flock /tmp/mf-bench.lock .venv/bin/python benchmarks/simulation.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import machine_line, md_table, record

from microfactory.adapters.files.generate import GenerateParams, generate_scenario
from microfactory.adapters.files.scenario import load_scenario
from microfactory.simulation import load_spec, simulate, spec_from_dict
from microfactory.simulation.sweep import Grid, grid_points, load_network, run_sweep

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


def _same(a: list[dict[str, object]], b: list[dict[str, object]]) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def _warm_worker(folder: str) -> bool:
    """Import the simulator and read the network once on a worker (outside the timed region)."""
    return load_network(folder) is not None


SWEEP_GRID = {"demand.orders_per_day": [20, 40], "outages.machine_failures_per_week": [0.5, 2.0],
              "policy.use_secondary": [True, False]}


def sweep(points: int, days: int) -> dict[str, object]:
    """The outage grid with the real routing (route_batch), sequential against 2 Dask workers."""
    from dask.distributed import Client, LocalCluster

    _, raw = load_spec(ROOT / "examples" / "simulations" / "outage_with_secondary.yaml")
    raw = {**raw, "days": days}
    pts = grid_points(SWEEP_GRID, seeds=[1, 2])[:points]
    grid = Grid(raw, pts, ("lead_time_days.p90", "on_time_rate", "cost_per_order"),
                tuple(sorted(SWEEP_GRID)) + ("seed",))
    _warm_worker(str(raw["network"]))  # the sequential side gets its warm-up too (imports, network)
    t0 = time.perf_counter()
    seq = run_sweep(grid, workers=0)
    t_seq = time.perf_counter() - t0
    t0 = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        client.run(_warm_worker, str(raw["network"]))
        t_start = time.perf_counter() - t0
        t1 = time.perf_counter()
        par = run_sweep(grid, scheduler=cluster.scheduler_address)
        t_par = time.perf_counter() - t1
    return {"scenarios": len(pts), "days each": days, "sequential s": round(t_seq, 1),
            "dask 2 workers s": round(t_par, 1), "speed-up": round(t_seq / t_par, 2),
            "cluster start + warm-up s": round(t_start, 1),
            "speed-up incl. start": round(t_seq / (t_par + t_start), 2), "same table": _same(seq, par)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    run = long_run(10, 200, 20) if args.quick else long_run(90, 1000, 20)
    print(run, flush=True)
    sw = sweep(4, 7) if args.quick else sweep(16, 28)
    print(sw, flush=True)
    text = "\n".join([
        machine_line() + (" (quick)" if args.quick else ""), "",
        ("Long run (daily routing with route_batch on the step clock: a 1 s work budget a day, reproducible; "
         "routing sees each site's own staff, machine and setup rates, as the routing service does; "
         "daily dispatch planning of every site, outages, QC, returns):"), "",
        md_table(list(run), [list(run.values())]), "",
        ("Sweep of the Berlin outage grid (demand x machine failures x secondary partner x 2 seeds; real "
         "routing with route_batch, dispatch planning) on a local Dask cluster (2 worker processes, 1 thread "
         "each) against one after another in this process. Both sides are warmed up (imports, network read) "
         "before the clock starts; the cluster's start and warm-up are timed apart:"), "",
        md_table(list(sw), [list(sw.values())])])
    record("simulation", text)


if __name__ == "__main__":
    main()
