"""Sharing a collaborative run's cost between its brands, and each brand's private view.

Two auditable rules, both splitting exactly the run's cost ``c(N)`` of the
:class:`~microfactory.engines.pooling.games.RunCostGame`:

* ``shapley``: the Shapley value of that game; exact up to ``exact_max`` brands (12 by
  default), sampled from ``samples`` seeded join orders beyond, with a standard error
  per brand;
* ``proportional``: ``c(N) * units_b / units(N)``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import Enum

import numpy as np

from microfactory.engines.pooling.games import RunCostGame
from microfactory.engines.pooling.runs import RunLine, RunState, RunStatus
from microfactory.engines.pooling.shapley import shapley
from microfactory.errors import Forbidden, InvalidInput


class SharingRule(str, Enum):
    SHAPLEY = "shapley"
    PROPORTIONAL = "proportional"


@dataclass(frozen=True, slots=True)
class SharingParams:
    """Knobs of the sharing rule."""

    rule: SharingRule = SharingRule.SHAPLEY
    exact_max: int = 12
    samples: int = 200_000
    seed: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.exact_max <= 20:
            raise InvalidInput("exact_max must be within 1..20", field="exact_max")
        if self.samples < 2:
            raise InvalidInput("samples must be >= 2", field="samples")


@dataclass(frozen=True, slots=True)
class CostSharing:
    """Every brand's share of a run's cost (for the coordinator; brands get :class:`BrandRunView`)."""

    run_id: str
    rule: SharingRule
    method: str
    total_cost: float
    shares: dict[str, float]
    std_error: dict[str, float]
    units: dict[str, int]
    status: str
    objective: float
    bound: float
    runtime_s: float
    seed: int | None


def run_game(state: RunState) -> RunCostGame:
    """The cost game of a run, players being its brands sorted by id."""
    units = state.units_by_brand()
    if not units:
        raise InvalidInput(f"run {state.run.id} has no lines to share its cost", field="lines")
    run = state.run
    return RunCostGame(tuple(float(u) for u in units.values()), run.fixed_cost, float(run.min_batch),
                       run.shortfall_cost_per_unit)


def share_run_cost(state: RunState, params: SharingParams | None = None) -> CostSharing:
    """Split the run's cost between its brands by the chosen rule."""
    params = params or SharingParams()
    game = run_game(state)
    units = state.units_by_brand()
    brands = list(units)
    if params.rule is SharingRule.PROPORTIONAL:
        start = time.perf_counter()
        total = float(game.cost(np.ones((1, len(brands)), dtype=bool))[0])
        all_units = sum(units.values())
        shares = {b: total * units[b] / all_units for b in brands}
        return CostSharing(state.run.id, params.rule, "proportional", total, shares,
                           dict.fromkeys(brands, 0.0), units, "optimal", total, 0.0,
                           time.perf_counter() - start, None)
    result = shapley(game, exact_max=params.exact_max, samples=params.samples, seed=params.seed)
    return CostSharing(state.run.id, params.rule, result.method, result.objective,
                       dict(zip(brands, result.shares, strict=True)),
                       dict(zip(brands, result.std_error, strict=True)), units, result.status,
                       result.objective, result.bound, result.runtime_s, result.seed)


@dataclass(frozen=True, slots=True)
class BrandRunView:
    """What one brand may see of a run: its own lines and share, the run's aggregate fill.

    Other brands' names, lines, units and shares are never included.
    """

    run_id: str
    site: str
    setup_key: str
    deadline: int
    status: RunStatus
    filled: bool
    units_to_minimum: int
    brand: str
    lines: tuple[RunLine, ...]
    share: float | None
    share_std_error: float | None
    rule: str | None


def brand_view(state: RunState, brand: str, sharing: CostSharing | None = None) -> BrandRunView:
    """The run as ``brand`` sees it; a brand with no line in the run is refused."""
    own = tuple(line for line in state.lines if line.brand == brand)
    if not own:
        raise Forbidden(f"brand {brand} has no line in run {state.run.id}", field="brand")
    if sharing is not None and sharing.run_id != state.run.id:
        raise InvalidInput("sharing belongs to another run", field="sharing")
    run = state.run
    return BrandRunView(run.id, run.site, run.setup_key, run.deadline, state.status, state.filled,
                        max(run.min_batch - state.units, 0), brand, own,
                        sharing.shares.get(brand) if sharing else None,
                        sharing.std_error.get(brand) if sharing else None,
                        sharing.method if sharing else None)
