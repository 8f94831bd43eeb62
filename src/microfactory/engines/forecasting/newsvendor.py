"""Newsvendor quantity on a discrete predictive demand distribution.

Selling at ``price`` what costs ``unit_cost`` to make, with leftovers salvaged at
``salvage`` (markdown or outlet value), a unit short costs ``price - unit_cost`` (underage)
and a unit left over ``unit_cost - salvage`` (overage). The quantity that maximises
expected profit is the smallest ``Q`` with ``P(D <= Q) >= CR``, where the critical ratio
is ``CR = (price - unit_cost) / (price - salvage)`` (Arrow, Harris & Marschak 1951;
any operations-management text, e.g. Cachon & Terwiesch, ch. 14).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from microfactory.engines.forecasting.demand import NegativeBinomial
from microfactory.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class UnitEconomics:
    price: float
    unit_cost: float
    salvage: float = 0.0

    def __post_init__(self) -> None:
        if not all(math.isfinite(v) for v in (self.price, self.unit_cost, self.salvage)):
            raise InvalidInput("price, cost and salvage must be finite", field="price")
        if not self.salvage < self.unit_cost:
            raise InvalidInput("salvage must be below unit cost", field="salvage")
        if self.salvage < 0 or self.unit_cost < 0:
            raise InvalidInput("cost and salvage must be >= 0", field="unit_cost")

    @property
    def critical_ratio(self) -> float:
        """(price - cost) / (price - salvage), 0 when selling loses money."""
        if self.price <= self.unit_cost:
            return 0.0
        return (self.price - self.unit_cost) / (self.price - self.salvage)


@dataclass(frozen=True, slots=True)
class NewsvendorResult:
    quantity: int
    critical_ratio: float
    expected_profit: float
    expected_sales: float
    expected_leftover: float
    stockout_probability: float


def expected_outcome(demand: NegativeBinomial, economics: UnitEconomics,
                     quantity: int) -> NewsvendorResult:
    """Expected sales, leftovers and profit of making ``quantity`` units."""
    if quantity < 0:
        raise InvalidInput("quantity must be >= 0", field="quantity")
    pmf = demand.pmf_table()
    k = np.arange(pmf.size)
    sales = float(np.dot(pmf, np.minimum(k, quantity)))
    leftover = quantity - sales
    profit = economics.price * sales + economics.salvage * leftover - economics.unit_cost * quantity
    stockout = float(max(0.0, 1.0 - pmf[: quantity + 1].sum()))
    return NewsvendorResult(quantity, economics.critical_ratio, profit, sales, leftover, stockout)


def newsvendor(demand: NegativeBinomial, economics: UnitEconomics) -> NewsvendorResult:
    """The profit-maximising quantity: smallest Q with P(D <= Q) >= critical ratio."""
    ratio = economics.critical_ratio
    quantity = 0 if ratio <= 0 else demand.quantile(ratio)
    return expected_outcome(demand, economics, quantity)
