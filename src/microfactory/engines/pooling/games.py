"""Cost games used to share a collaborative run, plus reference games with known answers.

:class:`RunCostGame` is the game a collaborative run is shared by. The players are the
brands in the run; brand ``i`` brings ``units_i`` units. The cost of a coalition ``S`` is
what the run would cost if only the brands of ``S`` joined it::

    c(empty) = 0
    c(S)     = fixed_cost + shortfall_cost_per_unit * max(0, min_batch - units(S))

i.e. the fixed cost (setup, marker, dye lot) plus the site's surcharge for every unit
missing to reach its minimum batch. ``c(N)`` is the run's actual cost, the amount shared.

:class:`AirportGame` (Littlechild & Owen 1973) and :class:`AdditiveSymmetricGame`
have closed-form Shapley values; they check the sampled estimator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from microfactory.engines.pooling.shapley import (
    BoolArray,
    FloatArray,
    IntArray,
    prefix_costs_by_membership,
)
from microfactory.errors import InvalidInput


def _finite_nonneg(values: tuple[float, ...], field: str) -> None:
    if not values:
        raise InvalidInput("a game needs at least one player", field=field)
    if any(not np.isfinite(v) or v < 0 for v in values):
        raise InvalidInput(f"{field} must be finite and >= 0", field=field)


@dataclass(frozen=True, slots=True)
class RunCostGame:
    """Fixed cost plus minimum-batch shortfall surcharge of a collaborative run."""

    units: tuple[float, ...]
    fixed_cost: float
    min_batch: float
    shortfall_cost_per_unit: float = 0.0

    def __post_init__(self) -> None:
        _finite_nonneg(self.units, "units")
        for name in ("fixed_cost", "min_batch", "shortfall_cost_per_unit"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise InvalidInput(f"{name} must be finite and >= 0", field=name)

    @property
    def players(self) -> int:
        return len(self.units)

    def _of_units(self, units: FloatArray, nonempty: BoolArray) -> FloatArray:
        shortfall = np.maximum(self.min_batch - units, 0.0)
        return np.where(nonempty, self.fixed_cost + self.shortfall_cost_per_unit * shortfall, 0.0)

    def cost(self, members: BoolArray) -> FloatArray:
        units = members.astype(np.float64) @ np.asarray(self.units, dtype=np.float64)
        return self._of_units(units, np.asarray(members.any(axis=1), dtype=bool))

    def prefix_costs(self, orders: IntArray) -> FloatArray:
        m, n = orders.shape
        cum = np.zeros((m, n + 1))
        cum[:, 1:] = np.cumsum(np.asarray(self.units)[orders], axis=1)
        nonempty = np.broadcast_to(np.arange(n + 1) > 0, (m, n + 1))
        return self._of_units(cum, nonempty)


@dataclass(frozen=True, slots=True)
class AirportGame:
    """Each player needs a facility of some size; a coalition pays for the largest need."""

    requirements: tuple[float, ...]

    def __post_init__(self) -> None:
        _finite_nonneg(self.requirements, "requirements")

    @property
    def players(self) -> int:
        return len(self.requirements)

    def cost(self, members: BoolArray) -> FloatArray:
        req = np.asarray(self.requirements, dtype=np.float64)
        return np.asarray(np.where(members, req, 0.0).max(axis=1), dtype=np.float64)

    def prefix_costs(self, orders: IntArray) -> FloatArray:
        m, n = orders.shape
        out = np.zeros((m, n + 1))
        out[:, 1:] = np.maximum.accumulate(np.asarray(self.requirements)[orders], axis=1)
        return out


def airport_shapley(requirements: tuple[float, ...]) -> tuple[float, ...]:
    """Closed form: sort needs c_1 <= ... <= c_n; phi_(k) = sum_{j<=k} (c_j - c_{j-1}) / (n - j + 1)."""
    _finite_nonneg(requirements, "requirements")
    n = len(requirements)
    order = np.argsort(requirements, kind="stable")
    sorted_c = np.asarray(requirements, dtype=np.float64)[order]
    steps = np.diff(np.concatenate(([0.0], sorted_c))) / (n - np.arange(n))
    out = np.empty(n)
    out[order] = np.cumsum(steps)
    return tuple(float(x) for x in out)


@dataclass(frozen=True, slots=True)
class AdditiveSymmetricGame:
    """``c(S) = sum_{i in S} own_i + common[|S|]``: Shapley is ``own_i + common[n] / n``."""

    own: tuple[float, ...]
    common: tuple[float, ...]

    def __post_init__(self) -> None:
        _finite_nonneg(self.own, "own")
        if len(self.common) != len(self.own) + 1 or self.common[0] != 0.0:
            raise InvalidInput("common needs n + 1 values starting with 0", field="common")

    @property
    def players(self) -> int:
        return len(self.own)

    def cost(self, members: BoolArray) -> FloatArray:
        own = members.astype(np.float64) @ np.asarray(self.own, dtype=np.float64)
        return np.asarray(own + np.asarray(self.common)[members.sum(axis=1)], dtype=np.float64)

    def prefix_costs(self, orders: IntArray) -> FloatArray:
        m, n = orders.shape
        out = np.zeros((m, n + 1))
        out[:, 1:] = np.cumsum(np.asarray(self.own)[orders], axis=1)
        return np.asarray(out + np.asarray(self.common)[None, :], dtype=np.float64)

    def closed_form(self) -> tuple[float, ...]:
        """The exact Shapley value."""
        return tuple(o + self.common[-1] / self.players for o in self.own)


@dataclass(frozen=True, slots=True)
class TableGame:
    """A game given by its cost table, indexed by coalition bitmask (bit i = player i)."""

    costs: tuple[float, ...]

    def __post_init__(self) -> None:
        size = len(self.costs)
        if size < 2 or size & (size - 1):
            raise InvalidInput("costs needs 2^n entries, one per coalition bitmask", field="costs")
        if self.costs[0] != 0.0:
            raise InvalidInput("the empty coalition must cost 0", field="costs")

    @property
    def players(self) -> int:
        return len(self.costs).bit_length() - 1

    def cost(self, members: BoolArray) -> FloatArray:
        masks = members.astype(np.int64) @ (1 << np.arange(self.players, dtype=np.int64))
        return np.asarray(self.costs, dtype=np.float64)[masks]

    def prefix_costs(self, orders: IntArray) -> FloatArray:
        return prefix_costs_by_membership(self, orders)
