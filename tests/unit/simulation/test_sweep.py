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


def test_fan_out_on_two_workers_keeps_the_order() -> None:
    """Results come back in the order of the items."""
    assert fan_out(_square, [3, 1, 2], workers=2) == [9, 1, 4]


def test_sweep_on_dask_equals_the_sequential_run() -> None:
    """Two tiny scenarios on a 2-worker local cluster give the same table as one after another."""
    base = {"network": str(BERLIN), "days": 3, "seed": 1,
            "demand": {"orders_per_day": 4, "due_days": [3]}, "planning": {"routing_time_limit_s": 5}}
    grid = Grid(base, grid_points({"demand.orders_per_day": [3, 6]}), ("on_time_rate", "cost_per_order"),
                ("demand.orders_per_day",))
    parallel = run_sweep(grid, workers=2)
    assert parallel == run_sweep(grid, workers=0)
    assert [r["demand.orders_per_day"] for r in parallel] == [3, 6]
    assert parallel[1]["orders"] > 0
    assert svg_metric_bars(parallel, grid.keys, "cost_per_order").startswith("<svg")
