"""Break-even volume of local against offshore production, closed form and numeric.

While the offshore MOQ does not bind, both options are linear in the mean demand ``V``:
``total(V) = F + a V`` and ``units sold(V) = u V`` (see :mod:`.compare`), so the cost per unit
sold is ``c(V) = a / u + F / (u V)``. The curves cross where ``c_L(V) = c_O(V)``:

``V* = (F_O u_L - F_L u_O) / (a_L u_O - a_O u_L)``

The numeric search evaluates the full model (MOQ included) on a log grid and bisects every
sign change of ``c_L - c_O``; it agrees with the closed form whenever the MOQ does not bind.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from microfactory.engines.costing._common import normal_loss, require_positive
from microfactory.engines.costing.compare import (
    ComparisonCase,
    SupplyOption,
    at_volume,
    evaluate,
    landed_unit_cost,
    lead_time_days,
    order_z,
)
from microfactory.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class LinearCost:
    """``total(V) = fixed + slope V`` and ``units sold(V) = units_per_demand V``."""

    fixed: float
    slope: float
    units_per_demand: float

    def cost_per_unit_sold(self, volume: float) -> float:
        return (self.fixed + self.slope * volume) / (self.units_per_demand * volume)


@dataclass(frozen=True, slots=True)
class BreakEven:
    """Where the two cost-per-unit-sold curves cross."""

    closed_form: float | None
    closed_form_valid: bool
    numeric: tuple[float, ...]
    local_line: LinearCost
    offshore_line: LinearCost


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """Cost per unit sold of both options at one mean demand."""

    volume: float
    local: float
    offshore: float

    def as_dict(self) -> dict[str, float]:
        return {"volume": self.volume, "local": self.local, "offshore": self.offshore}


def linear_cost(option: SupplyOption, case: ComparisonCase) -> LinearCost:
    """The linear form of ``option``'s total cost in the mean demand (MOQ ignored)."""
    demand, params = case.demand, case.params
    landed = landed_unit_cost(option, params)
    paid = option.unit_cost + sum(leg.cost_per_unit for leg in option.legs)
    lead = lead_time_days(option)
    price_cut = demand.price * option.markdown_rate
    if option.made_to_order:
        made, short = 1.0 + option.overstock_rate, 0.0
        held = lead
    else:
        z = order_z(option, demand, landed)
        made, short = 1.0 + z * demand.cv, demand.cv * normal_loss(z)
        held = lead + demand.season_days / 2.0
    over = made - (1.0 - short)
    capital_per_unit = paid * held * params.cost_of_capital / 365.0
    slope = made * (landed + capital_per_unit) + over * price_cut + short * demand.stockout_cost
    return LinearCost(fixed=option.fixed_cost, slope=slope, units_per_demand=made)


def closed_form_break_even(local: LinearCost, offshore: LinearCost) -> float | None:
    """``V*`` where the cost-per-unit-sold lines cross, or None when they never do for V > 0."""
    denominator = local.slope * offshore.units_per_demand - offshore.slope * local.units_per_demand
    if denominator == 0.0:
        return None
    volume = (offshore.fixed * local.units_per_demand
              - local.fixed * offshore.units_per_demand) / denominator
    return volume if volume > 0 else None


def _gap(case: ComparisonCase, volume: float) -> float:
    c = at_volume(case, volume)
    return (evaluate(c.local, c.demand, c.params).cost_per_unit_sold
            - evaluate(c.offshore, c.demand, c.params).cost_per_unit_sold)


def numeric_break_even(case: ComparisonCase, low: float, high: float,
                       steps: int = 200) -> tuple[float, ...]:
    """Every volume in ``[low, high]`` where the full model's curves cross (log grid + bisection)."""
    require_positive(low, "low")
    if not high > low or steps < 2:
        raise InvalidInput("need high > low and at least 2 steps", field="high")
    ratio = (high / low) ** (1.0 / (steps - 1))
    grid = [low * ratio**i for i in range(steps)]
    gaps = [_gap(case, v) for v in grid]
    roots: list[float] = []
    for (a, ga), (b, gb) in zip(zip(grid, gaps), zip(grid[1:], gaps[1:])):
        if ga == 0.0:
            roots.append(a)
        elif ga * gb < 0.0:
            roots.append(_bisect(case, a, b, ga))
    if gaps[-1] == 0.0:
        roots.append(grid[-1])
    return tuple(roots)


def _bisect(case: ComparisonCase, a: float, b: float, ga: float) -> float:
    for _ in range(200):
        mid = math.sqrt(a * b)
        gm = _gap(case, mid)
        if gm == 0.0 or b / a - 1.0 < 1e-12:
            return mid
        if (gm < 0.0) == (ga < 0.0):
            a, ga = mid, gm
        else:
            b = mid
    return math.sqrt(a * b)


def break_even(case: ComparisonCase, low: float = 1.0, high: float = 1e6) -> BreakEven:
    """Closed-form and numeric break-even volumes of ``case``.

    The closed form is valid when the offshore order quantity at ``V*`` exceeds the MOQ.
    """
    local = linear_cost(case.local, case)
    offshore = linear_cost(case.offshore, case)
    volume = closed_form_break_even(local, offshore)
    valid = volume is not None and offshore.units_per_demand * volume >= case.offshore.moq
    return BreakEven(closed_form=volume, closed_form_valid=valid,
                     numeric=numeric_break_even(case, low, high),
                     local_line=local, offshore_line=offshore)


def cost_curves(case: ComparisonCase, volumes: list[float]) -> list[CurvePoint]:
    """Cost per unit sold of both options at each mean demand in ``volumes``."""
    points = []
    for volume in volumes:
        require_positive(volume, "volume")
        c = at_volume(case, volume)
        points.append(CurvePoint(
            volume=volume,
            local=evaluate(c.local, c.demand, c.params).cost_per_unit_sold,
            offshore=evaluate(c.offshore, c.demand, c.params).cost_per_unit_sold))
    return points


def log_volumes(low: float, high: float, count: int = 40) -> list[float]:
    """``count`` volumes evenly spaced on a log scale from ``low`` to ``high``."""
    require_positive(low, "low")
    if not high > low or count < 2:
        raise InvalidInput("need high > low and count >= 2", field="high")
    ratio = (high / low) ** (1.0 / (count - 1))
    return [low * ratio**i for i in range(count)]
