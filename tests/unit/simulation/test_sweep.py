"""What-if sweeps on a local Dask cluster."""

from __future__ import annotations

from microfactory.simulation.sweep import Grid, fan_out, grid_points, run_sweep, svg_metric_bars

from .conftest import BERLIN


def _square(x: int) -> int:
    return x * x


def test_grid_points_are_the_cartesian_product_times_seeds() -> None:
    """Two keys of two values and two seeds make eight points, in a fixed order."""
    points = grid_points({"b": [1, 2], "a": ["x", "y"]}, seeds=[1, 2])
    assert len(points) == 8
    assert points[0].overrides == {"a": "x", "b": 1, "seed": 1}


def test_sweep_on_dask_equals_the_sequential_run() -> None:
    """Tiny scenarios on a 2-worker local cluster give the same table, in point order, as one after another."""
    base = {"network": str(BERLIN), "days": 3, "seed": 1,
            "demand": {"orders_per_day": 4, "due_days": [3]}, "planning": {"routing_policy": "greedy"}}
    grid = Grid(base, grid_points({"demand.orders_per_day": [3, 6, 2]}), ("on_time_rate", "cost_per_order"),
                ("demand.orders_per_day",))
    parallel = run_sweep(grid, workers=2)
    assert parallel == run_sweep(grid, workers=0)
    assert [r["demand.orders_per_day"] for r in parallel] == [3, 6, 2]
    assert parallel[1]["orders"] > 0
    assert svg_metric_bars(parallel, grid.keys, "cost_per_order").startswith("<svg")


def test_fan_out_without_workers_runs_in_this_process_in_order() -> None:
    """workers=0 is the sequential baseline: a plain map, results in the order of the items."""
    assert fan_out(_square, [3, 1, 2], workers=0) == [9, 1, 4]
