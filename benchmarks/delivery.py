"""Delivery benchmark: CVRPLIB instances through our engine vs PyVRP direct, and a 500-stop day.

Usage: .venv/bin/python benchmarks/delivery.py [--quick] [--time-limit S] [--seed N]
Reads ``$MICROFACTORY_SHARED/benchmarks/cvrp`` (default ``../shared`` beside the repo).
Each instance is solved by ``solve_cvrp`` (the same solver path as same-day planning) and
by PyVRP used directly (``pyvrp.read`` + ``pyvrp.solve``), side by side, same time limit
and seed. The same-day case is a generated day of stops with time windows and a mixed
fleet, timed end to end (matrix, screening, solving, decoding) and checked independently.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import pyvrp
from _results import machine_line, md_table, record
from pyvrp.stop import MaxRuntime
from vrplib_reader import read_best_known, read_cvrp

from microfactory.domain.geo import Location
from microfactory.engines.delivery import (
    DeliveryParams,
    DeliveryProblem,
    DeliveryStop,
    VehicleType,
    check_routes,
    plan_same_day,
    route_cost,
    solve_cvrp,
)


def shared_dir() -> Path:
    return Path(os.environ.get("MICROFACTORY_SHARED", HERE.parent.parent / "shared"))


def run_engine(path: Path, limit: float, seed: int) -> tuple[int, float]:
    instance = read_cvrp(path)
    start = time.perf_counter()
    solution = solve_cvrp(instance, DeliveryParams(time_limit_s=limit, seed=seed))
    wall = time.perf_counter() - start
    visited = sorted(c for r in solution.routes for c in r)
    if visited != list(range(1, len(instance.demands))) or solution.status != "feasible":
        raise SystemExit(f"{path.name}: engine returned an incomplete or infeasible solution")
    cost = route_cost(instance, solution.routes)
    if cost != solution.objective:
        raise SystemExit(f"{path.name}: reported {solution.objective} but routes cost {cost}")
    return cost, wall


def run_direct(path: Path, limit: float, seed: int) -> tuple[int, float]:
    data = pyvrp.read(path, round_func="round")
    start = time.perf_counter()
    result = pyvrp.solve(data, stop=MaxRuntime(limit), seed=seed, display=False, collect_stats=False)
    wall = time.perf_counter() - start
    if not result.is_feasible():
        raise SystemExit(f"{path.name}: PyVRP direct found no feasible solution")
    return round(result.cost()), wall


def cvrp_section(limit: float, seed: int, quick: bool) -> tuple[str, float, float]:
    folder = shared_dir() / "benchmarks" / "cvrp"
    best = read_best_known(folder / "best_known.csv")
    paths = sorted(folder.glob("*.vrp"))[: 3 if quick else None]
    rows: list[list[object]] = []
    gaps_engine: list[float] = []
    gaps_direct: list[float] = []
    for path in paths:
        bks = best[path.stem]
        ours, t_ours = run_engine(path, limit, seed)
        direct, t_direct = run_direct(path, limit, seed)
        g_ours, g_direct = 100 * (ours - bks) / bks, 100 * (direct - bks) / bks
        gaps_engine.append(g_ours)
        gaps_direct.append(g_direct)
        rows.append([path.stem, bks, ours, f"{g_ours:.2f}", f"{t_ours:.1f}", direct, f"{g_direct:.2f}",
                     f"{t_direct:.1f}"])
        print(f"{path.stem:12s} bks {bks:6d}  engine {ours:6d} ({g_ours:5.2f}%)  direct {direct:6d} "
              f"({g_direct:5.2f}%)", flush=True)
    mean_e, mean_d = statistics.fmean(gaps_engine), statistics.fmean(gaps_direct)
    rows.append(["**mean gap**", "", "", f"**{mean_e:.2f}**", "", "", f"**{mean_d:.2f}**", ""])
    table = md_table(["instance", "best known", "engine cost", "engine gap %", "engine s", "PyVRP direct",
                      "direct gap %", "direct s"], rows)
    return table, mean_e, mean_d


def generated_day(n_stops: int, seed: int) -> DeliveryProblem:
    """A day around a city centre: 2-hour windows 9:00-19:00, 1-2 units per stop, 20 mixed vehicles."""
    rng = random.Random(seed)
    depot = Location(51.515, -0.09)
    stops = []
    for i in range(n_stops):
        lat = depot.lat + rng.gauss(0, 0.03)
        lon = depot.lon + rng.gauss(0, 0.045)
        slot = 9 * 60 + 60 * rng.randrange(0, 9)
        stops.append(DeliveryStop(f"s{i}", f"o{i}", Location(lat, lon), rng.randint(1, 2), slot, slot + 120, 3))
    fleet = (VehicleType("van", "van", 60, 8, 25.0, 0.45, 40.0, 18.0, 8 * 60, 20 * 60),
             VehicleType("e-van", "electric_van", 50, 6, 25.0, 0.25, 45.0, 18.0, 8 * 60, 20 * 60),
             VehicleType("bike", "cargo_bike", 15, 6, 15.0, 0.05, 15.0, 16.0, 8 * 60, 20 * 60))
    return DeliveryProblem(depot, tuple(stops), fleet)


def sameday_section(n_stops: int, limit: float, seed: int) -> tuple[str, bool]:
    problem = generated_day(n_stops, seed)
    start = time.perf_counter()
    solution = plan_same_day(problem, DeliveryParams(time_limit_s=limit, seed=seed))
    wall = time.perf_counter() - start
    errors = check_routes(problem, solution)
    served = sum(len(r.stops) for r in solution.routes)
    ok = not errors and not solution.unserved and wall <= 30.0
    by_type = {v.name: sum(r.vehicle_type == v.name for r in solution.routes) for v in problem.vehicle_types}
    print(f"same-day {n_stops} stops: {served} served, {len(solution.unserved)} unserved, "
          f"{len(solution.routes)} routes {by_type}, {solution.distance_km:.1f} km, cost {solution.cost:.2f}, "
          f"{solution.kg_co2e:.2f} kg CO2e, {wall:.1f} s, checker errors {len(errors)}", flush=True)
    table = md_table(["stops", "vehicles (van/e-van/bike)", "served", "unserved", "routes used", "km", "cost",
                      "kg CO2e", "wall s", "checker errors", "target met"],
                     [[n_stops, "8/6/6", served, len(solution.unserved),
                       ", ".join(f"{k} {v}" for k, v in by_type.items()), f"{solution.distance_km:.1f}",
                       f"{solution.cost:.2f}", f"{solution.kg_co2e:.2f}", f"{wall:.1f}", len(errors),
                       "yes" if ok else "no"]])
    return table, ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 instances at 1 s, a 100-stop day")
    parser.add_argument("--time-limit", type=float, default=None, help="seconds per CVRP instance (10)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    limit = args.time_limit or (1.0 if args.quick else 10.0)
    cvrp_table, mean_e, mean_d = cvrp_section(limit, args.seed, args.quick)
    n_stops, day_limit = (100, 5.0) if args.quick else (500, 25.0)
    day_table, _met = sameday_section(n_stops, day_limit, args.seed)
    print(f"mean gap: engine {mean_e:.2f}% (target <= 0.5%), PyVRP direct {mean_d:.2f}%")
    if args.quick:
        return  # smoke run: no results written
    record("delivery", "\n\n".join([
        "## delivery", machine_line() + f"; seed {args.seed}",
        f"### CVRPLIB through the delivery engine vs PyVRP direct ({limit:g} s each, side by side)",
        cvrp_table,
        f"Mean gap to best known: engine **{mean_e:.2f}%** (target <= 0.5%), PyVRP direct {mean_d:.2f}%.",
        f"### Generated same-day day ({n_stops} stops, 2-hour windows, 20 mixed vehicles, {day_limit:g} s limit)",
        day_table,
        ("Wall time covers matrix, screening, solving and decoding; the plan is replayed by the independent "
         "checker (capacities, windows, shifts, every stop once)."),
    ]))


if __name__ == "__main__":
    main()
