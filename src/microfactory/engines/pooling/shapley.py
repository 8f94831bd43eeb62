"""Shapley values of cost games: exact by subset enumeration, or sampled by permutations.

A cost game gives every coalition ``S`` of players (brands) a cost ``c(S)`` with
``c(empty) = 0``. The Shapley value of player ``i`` is its average marginal cost over
all orders in which the players could join::

    phi_i = sum over S not containing i of |S|! (n - |S| - 1)! / n! * (c(S + i) - c(S))

Exact values enumerate the ``2^n`` coalitions as bitmasks (numpy, vectorised): 4,096
coalitions for 12 players. Beyond ``exact_max`` players the value is estimated by
averaging marginal costs over seeded random join orders (position-balanced batches of
cyclic rotations by default, see :func:`shapley_sampled`), with a standard error per
player. Each sampled order splits ``c(N)`` exactly, so sampled shares are efficient
(they add up to the total) too.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from microfactory.errors import InvalidInput

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


class CostGame(Protocol):
    """A transferable-utility cost game over players ``0 .. players - 1``."""

    @property
    def players(self) -> int:
        """Number of players."""

    def cost(self, members: BoolArray) -> FloatArray:
        """Cost of each coalition, one per row of a ``(k, players)`` membership matrix."""

    def prefix_costs(self, orders: IntArray) -> FloatArray:
        """Cost of every prefix of every join order: ``(m, players)`` in, ``(m, players + 1)`` out."""


@dataclass(frozen=True, slots=True)
class ShapleyResult:
    """Shares of a cost game with the figures behind them.

    ``std_error`` is zero for exact values; ``status`` is ``optimal`` (exact) or
    ``feasible`` (sampled); ``objective`` is the total cost shared and ``bound`` the
    largest standard error of any share (0 when exact).
    """

    shares: tuple[float, ...]
    std_error: tuple[float, ...]
    method: str
    samples: int
    status: str
    objective: float
    bound: float
    runtime_s: float
    seed: int | None


def _check_players(n: int) -> None:
    if n < 1:
        raise InvalidInput("a cost game needs at least one player", field="players")


def all_coalitions(n: int) -> BoolArray:
    """Membership matrix of every coalition: row ``mask`` has column ``i`` set iff bit ``i``."""
    masks = np.arange(1 << n, dtype=np.int64)
    return ((masks[:, None] >> np.arange(n, dtype=np.int64)) & 1).astype(bool)


def prefix_costs_by_membership(game: CostGame, orders: IntArray) -> FloatArray:
    """Generic ``prefix_costs`` through ``cost``: fine for small games, memory grows as m*n^2."""
    m, n = orders.shape
    members = np.zeros((m, n + 1, n), dtype=bool)
    rows = np.arange(m)
    for k in range(n):
        members[:, k + 1, :] = members[:, k, :]
        members[rows, k + 1, orders[:, k]] = True
    return game.cost(members.reshape(m * (n + 1), n)).reshape(m, n + 1)


def shapley_exact(game: CostGame) -> ShapleyResult:
    """Exact Shapley shares by enumerating all ``2^n`` coalitions (use for n <= ~16)."""
    n = game.players
    _check_players(n)
    if n > 20:
        raise InvalidInput(f"exact Shapley over {n} players is too large (max 20)", field="players")
    start = time.perf_counter()
    members = all_coalitions(n)
    values = np.asarray(game.cost(members), dtype=np.float64)
    values[0] = 0.0
    sizes = members.sum(axis=1)
    weights = np.array([math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n)
                        for s in range(n)], dtype=np.float64)
    masks = np.arange(1 << n, dtype=np.int64)
    shares = np.empty(n, dtype=np.float64)
    for i in range(n):
        without = masks[~members[:, i]]
        marginal = values[without | (1 << i)] - values[without]
        shares[i] = float(np.dot(weights[sizes[without]], marginal))
    return ShapleyResult(tuple(float(x) for x in shares), (0.0,) * n, "shapley_exact", 0, "optimal",
                         float(values[-1]), 0.0, time.perf_counter() - start, None)


def _marginals(game: CostGame, orders: IntArray) -> FloatArray:
    """Marginal cost of every player in every join order, indexed by player: ``(m, n)``."""
    prefix = np.asarray(game.prefix_costs(orders), dtype=np.float64)
    by_position = np.diff(prefix, axis=1)
    out = np.empty_like(by_position)
    np.put_along_axis(out, orders, by_position, axis=1)
    return out


def _draws(game: CostGame, rng: np.random.Generator, count: int, balanced: bool) -> FloatArray:
    """``count`` iid draws of each player's estimate: one per order, or one per rotated batch."""
    n = game.players
    base = np.argsort(rng.random((count, n)), axis=1)
    if not balanced:
        return _marginals(game, base)
    shift = (np.arange(n)[:, None] + np.arange(n)[None, :]) % n
    orders = base[:, shift].reshape(count * n, n)
    return np.asarray(_marginals(game, orders).reshape(count, n, n).mean(axis=1), dtype=np.float64)


def shapley_sampled(game: CostGame, *, samples: int, seed: int, balanced: bool = True,
                    chunk_orders: int = 2_000_000) -> ShapleyResult:
    """Shapley shares estimated from about ``samples`` seeded random join orders.

    With ``balanced`` (the default) the orders come in batches of the ``n`` cyclic
    rotations of one uniform random order: in a batch every player joins once at every
    position, after a uniformly random set of the others of that size, so each batch
    average is an unbiased draw of the Shapley value with far less variance than a
    single order (zero for a purely size-dependent cost). Batches are independent, so
    the standard error is the sample deviation of the batch averages over
    ``sqrt(batches)``. Without ``balanced`` every order is one independent draw.
    """
    n = game.players
    _check_players(n)
    per_draw = n if balanced else 1
    draws = max(2, -(-samples // per_draw))
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    total = np.zeros(n)
    total_sq = np.zeros(n)
    step = max(1, chunk_orders // (per_draw * n))
    done = 0
    while done < draws:
        batch = _draws(game, rng, min(step, draws - done), balanced)
        total += batch.sum(axis=0)
        total_sq += (batch ** 2).sum(axis=0)
        done += batch.shape[0]
    mean = total / draws
    var = np.maximum(total_sq / draws - mean ** 2, 0.0) * draws / (draws - 1)
    se = np.sqrt(var / draws)
    grand = float(mean.sum())
    return ShapleyResult(tuple(float(x) for x in mean), tuple(float(x) for x in se), "shapley_sampled",
                         draws * per_draw, "feasible", grand, float(se.max()),
                         time.perf_counter() - start, seed)


def shapley(game: CostGame, *, exact_max: int = 12, samples: int = 200_000,
            seed: int = 0) -> ShapleyResult:
    """Exact shares up to ``exact_max`` players, sampled (seeded) beyond."""
    if game.players <= exact_max:
        return shapley_exact(game)
    return shapley_sampled(game, samples=samples, seed=seed)
