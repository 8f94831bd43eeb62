"""Readers for the standard job-shop text formats (instances in ../shared/benchmarks).

* Brandimarte FJSP (``.fjs``): ``<jobs> <machines> [<avg>]``, then per job ``<#ops>`` and
  per op ``<#alternatives>`` followed by ``<machine> <time>`` pairs; machines from 1.
* OR-Library JSP (``.txt``): ``<jobs> <machines>``, then per job ``<machine> <time>`` pairs
  in processing order; machines from 0.
Both return :class:`microfactory.engines.scheduling.JobShop` with 0-based machines.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from microfactory.engines.scheduling import JobShop

ROOT = Path(__file__).resolve().parent.parent


def shared_dir() -> Path:
    """The shared benchmark folder (env MICROFACTORY_SHARED overrides ../shared/benchmarks)."""
    env = os.environ.get("MICROFACTORY_SHARED")
    return Path(env) if env else ROOT.parent / "shared" / "benchmarks"


def _tokens(path: Path) -> list[int]:
    return [int(tok) for tok in path.read_text().split()]


def read_fjs(path: Path) -> JobShop:
    """A Brandimarte flexible job shop (machines numbered from 1 in the file)."""
    lines = [ln.split() for ln in path.read_text().splitlines() if ln.strip()]
    n_jobs, n_machines = int(lines[0][0]), int(lines[0][1])
    jobs = []
    for row in lines[1:1 + n_jobs]:
        vals = [int(v) for v in row]
        pos, ops = 1, []
        for _ in range(vals[0]):
            k = vals[pos]
            pairs = tuple((vals[pos + 1 + 2 * i] - 1, vals[pos + 2 + 2 * i]) for i in range(k))
            ops.append(pairs)
            pos += 1 + 2 * k
        jobs.append(tuple(ops))
    return JobShop(path.stem, n_machines, tuple(jobs))


def read_jsp(path: Path) -> JobShop:
    """An OR-Library job shop (machines numbered from 0 in the file)."""
    vals = _tokens(path)
    n_jobs, n_machines = vals[0], vals[1]
    jobs, pos = [], 2
    for _ in range(n_jobs):
        ops = tuple(((vals[pos + 2 * i], vals[pos + 2 * i + 1]),) for i in range(n_machines))
        jobs.append(ops)
        pos += 2 * n_machines
    return JobShop(path.stem, n_machines, tuple(jobs))


def best_known(folder: Path) -> dict[str, tuple[int, int]]:
    """instance -> (lower_bound, upper_bound) from ``best_known.csv``."""
    with (folder / "best_known.csv").open() as fh:
        return {r["instance"]: (int(r["lower_bound"]), int(r["upper_bound"])) for r in csv.DictReader(fh)}
