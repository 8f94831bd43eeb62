"""What-if sweeps: a grid of scenario parameters run as independent simulations on Dask.

A grid file::

    scenario: berlin_outage.yaml          # base scenario, relative to the grid file
    grid:                                 # dotted keys -> values; the cartesian product is run
      outages.site_mttr_days: [1, 3]
      demand.orders_per_day: [20, 40]
    seeds: [1, 2]                         # optional: every point once per seed
    metrics: [lead_time_days.p90, on_time_rate, cost_per_order]

:func:`fan_out` maps a function over items on a Dask cluster: a fresh
``LocalCluster`` (``workers`` processes, one thread each) unless a running scheduler's address
is given; ``workers=0`` runs in this process, one after another (the baseline). Planning every
site of a network in parallel can use the same helper.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any, TypeVar

import yaml

from microfactory.errors import FileError, FileProblem, InvalidInput

T = TypeVar("T")
R = TypeVar("R")
DEFAULT_METRICS = ("lead_time_days.p50", "lead_time_days.p90", "on_time_rate", "cost_per_order",
                   "kg_co2e_per_order", "returns_rate")


def fan_out(fn: Callable[[T], R], items: Sequence[T], scheduler: str | None = None, workers: int = 2) -> list[R]:
    """``[fn(x) for x in items]`` computed on Dask, results in the order of ``items``."""
    if workers < 0:
        raise InvalidInput("workers must be >= 0", field="workers")
    if scheduler is None and (workers == 0 or len(items) <= 1):
        return [fn(x) for x in items]
    from dask.distributed import Client, LocalCluster

    if scheduler is not None:
        with Client(scheduler) as client:  # type: ignore[no-untyped-call]
            return list(client.gather(client.map(fn, list(items), pure=False)))
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,  # type: ignore[no-untyped-call]
                      dashboard_address=None) as cluster, Client(cluster) as client:  # type: ignore[no-untyped-call]
        return list(client.gather(client.map(fn, list(items), pure=False)))


@dataclass(frozen=True, slots=True)
class SweepPoint:
    """One simulation of the grid: the overrides applied to the base scenario."""

    index: int
    overrides: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Grid:
    """A parsed grid file: base scenario mapping, points and metrics to tabulate."""

    base: dict[str, Any]
    points: tuple[SweepPoint, ...]
    metrics: tuple[str, ...]
    keys: tuple[str, ...]


def grid_points(grid: Mapping[str, Sequence[Any]], seeds: Sequence[int] = ()) -> tuple[SweepPoint, ...]:
    """The cartesian product of ``grid`` (and ``seeds``) as override mappings, in a fixed order."""
    keys = sorted(grid)
    for k in keys:
        if not isinstance(grid[k], (list, tuple)) or not grid[k]:
            raise InvalidInput(f"grid.{k} must be a non-empty list", field=f"grid.{k}")
    combos = list(itertools.product(*(grid[k] for k in keys)))
    points: list[SweepPoint] = []
    for combo in combos:
        for seed in ([*seeds] if seeds else [None]):
            over = dict(zip(keys, combo))
            if seed is not None:
                over["seed"] = seed
            points.append(SweepPoint(len(points), over))
    return tuple(points)


def load_grid(path: str | Path) -> Grid:
    """Read a grid file (see the module docstring) and its base scenario."""
    from microfactory.simulation.scenario import load_spec

    file = Path(path)
    try:
        raw = yaml.safe_load(file.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise FileError([FileProblem(str(file), 0, f"cannot read grid: {exc}")]) from exc
    if not isinstance(raw, dict) or "scenario" not in raw or "grid" not in raw:
        raise FileError([FileProblem(str(file), 1, "a grid file needs 'scenario' and 'grid'")])
    _, base = load_spec(file.parent / str(raw["scenario"]))
    points = grid_points(raw["grid"], raw.get("seeds") or ())
    return Grid(base, points, tuple(raw.get("metrics") or DEFAULT_METRICS),
                tuple(sorted(raw["grid"])) + (("seed",) if raw.get("seeds") else ()))


def _metric(kpis: Mapping[str, Any], key: str) -> Any:
    node: Any = kpis
    for part in key.split("."):
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


@functools.lru_cache(maxsize=8)
def load_network(folder: str) -> Any:
    """The scenario folder's network and catalog, read once per process (each Dask worker)."""
    from microfactory.adapters.files.scenario import load_scenario

    return load_scenario(folder)


def run_point(task: tuple[dict[str, Any], SweepPoint, tuple[str, ...]]) -> dict[str, Any]:
    """Simulate one grid point and return its table row (runs on a Dask worker).

    A task is small (the base mapping, the overrides, the metric names); the worker reads the
    network from its folder path once and keeps it for the next points.
    """
    from microfactory.simulation.model import simulate
    from microfactory.simulation.results import kpi_view
    from microfactory.simulation.scenario import with_overrides

    base, point, metrics = task
    spec = with_overrides(base, point.overrides)
    scenario = load_network(spec.network)
    result = simulate(spec, scenario.network, scenario.catalog, keep_trace=False)
    kpis = kpi_view(result.kpis)
    row: dict[str, Any] = {"point": point.index, **point.overrides}
    row.update({m: _metric(kpis, m) for m in metrics})
    row["orders"] = result.summary["orders"]
    return row


def run_sweep(grid: Grid, scheduler: str | None = None, workers: int = 2) -> list[dict[str, Any]]:
    """Every grid point simulated (on Dask unless ``workers == 0``), one row each, in point order."""
    tasks = [(grid.base, p, grid.metrics) for p in grid.points]
    return fan_out(run_point, tasks, scheduler=scheduler, workers=workers)


def svg_metric_bars(rows: Sequence[Mapping[str, Any]], keys: Sequence[str], metric: str) -> str:
    """A bar chart (pure SVG string) of ``metric`` for every grid point, labelled by its keys."""
    values = [float(r[metric]) if isinstance(r.get(metric), (int, float)) else 0.0 for r in rows]
    top = max(values, default=0.0) or 1.0
    bar, gap, left = 28, 8, 260
    height = 24 + len(rows) * (bar + gap)
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="720" height="{height + 10}" font-family="sans-serif" '
              f'font-size="11"><text x="4" y="14" font-weight="bold">{escape(metric)}</text>')]
    for i, (row, v) in enumerate(zip(rows, values)):
        y = 24 + i * (bar + gap)
        label = ", ".join(f"{k.split('.')[-1]}={row.get(k)}" for k in keys)
        width = 420 * v / top
        parts.append(f'<text x="4" y="{y + 18}">{escape(label)}</text>'
                     f'<rect x="{left}" y="{y}" width="{width:.1f}" height="{bar}" fill="#2b6cb0"/>'
                     f'<text x="{left + width + 4:.1f}" y="{y + 18}">{v:.4g}</text>')
    parts.append("</svg>")
    return "".join(parts)
