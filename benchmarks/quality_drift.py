"""Drift detection: CUSUM vs Western Electric rules, side by side on simulated batches.

For each shift size, many series of batches (n uniform in 100..200, in-control p0 = 4%)
are simulated with a fixed seed; the defective fraction steps up at batch 10. Reported:
the share of in-control series (25 batches, no shift) with any false alarm, and the
median detection delay (batches after the shift until the first alarm) per method.
Run: .venv/bin/python benchmarks/quality_drift.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _results import machine_line, md_table, record

from microfactory.engines.quality import BatchSample, ChartParams, drift_alerts

P0, SHIFT_AT, LENGTH = 0.04, 10, 40


def _series(rng: np.random.Generator, p_after: float, count: int) -> tuple[BatchSample, ...]:
    out = []
    for i in range(count):
        n = int(rng.integers(100, 201))
        p = P0 if i < SHIFT_AT else p_after
        out.append(BatchSample(f"b{i:03d}", n, int(rng.binomial(n, p))))
    return tuple(out)


def _first_alarm(alerts: tuple, cusum: bool) -> int | None:  # type: ignore[type-arg]
    ends = [int(a.batches[-1][1:]) for a in alerts if a.direction == "up"
            and (a.rule == "CUSUM") == cusum and int(a.batches[-1][1:]) >= SHIFT_AT]
    return min(ends) - SHIFT_AT if ends else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args()
    runs = 60 if args.quick else 400
    rng = np.random.default_rng(args.seed)
    params = ChartParams(target=P0)
    started = time.perf_counter()
    false = {"CUSUM": 0, "WE": 0}
    for _ in range(runs):
        alerts = drift_alerts("s", "f", _series(rng, P0, 25), params)
        false["CUSUM"] += any(a.rule == "CUSUM" for a in alerts)
        false["WE"] += any(a.rule.startswith("WE") for a in alerts)
    rows = [["in control (25 batches)", f"{false['CUSUM'] / runs:.1%} false-alarm runs",
             f"{false['WE'] / runs:.1%} false-alarm runs"]]
    for p_after in (0.05, 0.06, 0.08):
        delays: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(runs):
            alerts = drift_alerts("s", "f", _series(rng, p_after, LENGTH), params)
            for cusum in (True, False):
                d = _first_alarm(alerts, cusum)
                delays[cusum].append(float(d) if d is not None else float("inf"))
        rows.append([f"shift {P0:.0%} -> {p_after:.0%}",
                     f"median delay {statistics.median(delays[True]):.1f}",
                     f"median delay {statistics.median(delays[False]):.1f}"])
    elapsed = time.perf_counter() - started
    table = md_table(["scenario", "CUSUM (k=0.5, h=5)", "WE rules 1-4"], rows)
    print(table)
    print(f"{runs} series per row, seed {args.seed}, {elapsed:.1f} s")
    record("quality_drift", f"## Quality drift detection\n\n{machine_line()}; {runs} series "
           f"per row, seed {args.seed}, runtime {elapsed:.1f} s.\n\n{table}\n\nDelay = batches "
           "after the shift until the first upward alarm (inf = none in 30 batches).")


if __name__ == "__main__":
    main()
