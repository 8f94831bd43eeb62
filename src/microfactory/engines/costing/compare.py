"""Microfactory network against a centralised offshore plant, for one product and one season.

Demand over the season is normal with mean ``mean_units`` and standard deviation
``cv x mean_units`` (the forecast error). The two options differ in how they meet it:

* **local** (made to order): makes what is ordered plus a small ``overstock_rate`` (minimum
  batch rounding, cancellations); no stockouts; lead time in days.
* **offshore**: commits one order quantity ``Q = max(MOQ, mean + z sd)`` a lead time of weeks
  ahead, with ``z`` the normal quantile of the brand's in-stock target ``order_quantile``
  (default 0.8), or, when that is None, of the newsvendor critical ratio ``cu / (cu + co)``
  (underage ``cu = price - landed + stockout_cost``, overage ``co = landed - price (1 -
  markdown)``; with high margins ``co`` is small and the newsvendor orders far above the mean,
  because the model lets every leftover clear at the markdown). Expected full-price sales are ``E[min(D, Q)] =
  mean - sd L(z)`` with the normal loss function ``L``; the rest is overstock cleared at the
  markdown; ``E[(D - Q)+] = sd L(z)`` are lost sales.

Both options: ``total cost = units made x landed unit cost + fixed + markdown loss +
stockouts x stockout cost + capital cost``; ``cost per unit sold = total / units sold`` (every
unit made is sold, overstock at the markdown), so that ``profit = price x units sold - total``.
Landed unit cost = production + freight per unit + carbon price x emissions per unit
(ISO 14083 legs from :mod:`microfactory.engines.emissions`). Cash tied up is inventory value
x days held (money-days): offshore pays for ``Q`` at order and sells evenly over the season
(held ``lead time + season / 2``); local holds each unit's cost for its lead time.
See ``docs/economics.md`` for the derivation of the break-even volume.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from microfactory.engines.costing._common import (
    carbon_cost,
    normal_loss,
    normal_quantile,
    require_fraction,
    require_non_negative,
    require_positive,
)
from microfactory.engines.emissions import leg_emissions
from microfactory.errors import InvalidInput

#: Assumed door-to-door speeds (km per day, including terminal time) used when a leg does not
#: state its transit days. Rough planning figures, not published defaults: sea ~ 12 knots with
#: port calls; truck within EU drivers' hours (9 h at ~65 km/h); van and parcel one local day.
MODE_SPEED_KM_PER_DAY: dict[str, float] = {
    "sea": 500.0, "rail": 500.0, "truck": 600.0, "truck_articulated": 600.0,
    "van": 300.0, "van_diesel": 300.0, "electric_van": 250.0, "cargo_bike": 80.0,
    "parcel": 400.0, "air_short_haul": 2000.0, "air_long_haul": 5000.0,
}


@dataclass(frozen=True, slots=True)
class Leg:
    """One transport leg a unit travels: mode, distance, cost per unit, optional transit days."""

    mode: str
    distance_km: float
    cost_per_unit: float = 0.0
    transit_days: float | None = None

    def __post_init__(self) -> None:
        require_non_negative(self.distance_km, "distance_km")
        require_non_negative(self.cost_per_unit, "cost_per_unit")
        if self.transit_days is not None:
            require_non_negative(self.transit_days, "transit_days")
        elif self.mode not in MODE_SPEED_KM_PER_DAY:
            raise InvalidInput(f"no assumed speed for mode {self.mode!r}; give transit_days",
                               field="transit_days")

    def days(self) -> float:
        """Transit days: as stated, or distance over the mode's assumed speed."""
        if self.transit_days is not None:
            return self.transit_days
        return self.distance_km / MODE_SPEED_KM_PER_DAY[self.mode]


@dataclass(frozen=True, slots=True)
class Demand:
    """A season's demand for one product: mean, forecast error (CV), price, stockout penalty."""

    mean_units: float
    cv: float
    price: float
    stockout_cost: float = 0.0
    season_days: float = 90.0

    def __post_init__(self) -> None:
        require_positive(self.mean_units, "mean_units")
        require_fraction(self.cv, "cv")
        require_positive(self.price, "price")
        require_non_negative(self.stockout_cost, "stockout_cost")
        require_positive(self.season_days, "season_days")


@dataclass(frozen=True, slots=True)
class SupplyOption:
    """How one option makes and moves the product (local network or offshore plant)."""

    name: str
    unit_cost: float
    production_days: float
    legs: tuple[Leg, ...]
    made_to_order: bool
    moq: int = 0
    fixed_cost: float = 0.0
    handling_days: float = 0.0
    markdown_rate: float = 0.4
    overstock_rate: float = 0.0
    order_quantile: float | None = 0.8

    def __post_init__(self) -> None:
        require_non_negative(self.unit_cost, "unit_cost")
        require_non_negative(self.production_days, "production_days")
        require_non_negative(float(self.moq), "moq")
        require_non_negative(self.fixed_cost, "fixed_cost")
        require_non_negative(self.handling_days, "handling_days")
        require_fraction(self.markdown_rate, "markdown_rate")
        require_non_negative(self.overstock_rate, "overstock_rate")
        if self.order_quantile is not None:
            require_fraction(self.order_quantile, "order_quantile", upper_open=True)


@dataclass(frozen=True, slots=True)
class CompareParams:
    """Shared figures: unit weight, carbon price per kg CO2e, annual cost of capital."""

    weight_kg: float
    carbon_price_per_kg: float = 0.0
    cost_of_capital: float = 0.08

    def __post_init__(self) -> None:
        require_positive(self.weight_kg, "weight_kg")
        require_non_negative(self.carbon_price_per_kg, "carbon_price_per_kg")
        require_non_negative(self.cost_of_capital, "cost_of_capital")


@dataclass(frozen=True, slots=True)
class OptionOutcome:
    """Expected figures of one option over the season."""

    name: str
    units_made: float
    full_price_sales: float
    overstock_units: float
    stockout_units: float
    landed_unit_cost: float
    markdown_loss: float
    stockout_penalty: float
    capital_cost: float
    cash_tied_up: float
    total_cost: float
    cost_per_unit_sold: float
    expected_profit: float
    lead_time_days: float
    emissions_per_unit_kg: float
    emissions_total_kg: float
    order_quantity_z: float | None

    def as_dict(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True, slots=True)
class Comparison:
    """Both options side by side, with the relative changes the seed documents quote."""

    local: OptionOutcome
    offshore: OptionOutcome
    emissions_reduction: float
    lead_time_ratio: float
    cost_per_unit_sold_gap: float


@dataclass(frozen=True, slots=True)
class ComparisonCase:
    """A complete case: demand, the two options and the shared figures."""

    demand: Demand
    local: SupplyOption
    offshore: SupplyOption
    params: CompareParams
    name: str = "case"
    notes: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.local.made_to_order:
            raise InvalidInput("the local option must be made to order", field="local")


def emissions_per_unit(option: SupplyOption, weight_kg: float) -> float:
    """kg CO2e of moving one unit of ``weight_kg`` along every leg of ``option``."""
    return sum(leg_emissions(leg.mode, leg.distance_km, weight_kg).kg_co2e for leg in option.legs)


def lead_time_days(option: SupplyOption) -> float:
    """Production + handling + transit days of every leg."""
    return option.production_days + option.handling_days + sum(leg.days() for leg in option.legs)


def landed_unit_cost(option: SupplyOption, params: CompareParams) -> float:
    """Production + freight per unit + carbon price x emissions per unit."""
    freight = sum(leg.cost_per_unit for leg in option.legs)
    co2 = carbon_cost(emissions_per_unit(option, params.weight_kg), params.carbon_price_per_kg)
    return option.unit_cost + freight + co2


def order_z(option: SupplyOption, demand: Demand, landed: float) -> float:
    """Safety factor ``z`` of the offshore order: fixed quantile or newsvendor critical ratio."""
    if option.order_quantile is not None:
        return normal_quantile(option.order_quantile)
    under = max(demand.price - landed + demand.stockout_cost, 0.0)
    over = max(landed - demand.price * (1.0 - option.markdown_rate), 0.0)
    if under + over == 0.0:
        return 0.0
    return normal_quantile(under / (under + over))


def _sales(mean: float, sd: float, quantity: float) -> float:
    """Expected ``E[min(D, Q)]`` for normal demand."""
    if sd == 0.0:
        return min(mean, quantity)
    return mean - sd * normal_loss((quantity - mean) / sd)


def evaluate(option: SupplyOption, demand: Demand, params: CompareParams) -> OptionOutcome:
    """Expected season outcome of one option (see the module docstring for the model)."""
    landed = landed_unit_cost(option, params)
    mean, sd = demand.mean_units, demand.cv * demand.mean_units
    z: float | None = None
    if option.made_to_order:
        made, sold = mean * (1.0 + option.overstock_rate), mean
    else:
        z = order_z(option, demand, landed)
        made = max(float(option.moq), mean + z * sd, 0.0)
        sold = _sales(mean, sd, made)
    over, short = made - sold, mean - sold
    lead = lead_time_days(option)
    held_days = lead if option.made_to_order else lead + demand.season_days / 2.0
    paid_per_unit = option.unit_cost + sum(leg.cost_per_unit for leg in option.legs)
    cash = made * paid_per_unit * held_days
    capital = cash * params.cost_of_capital / 365.0
    markdown = over * demand.price * option.markdown_rate
    penalty = short * demand.stockout_cost
    total = made * landed + option.fixed_cost + markdown + penalty + capital
    per_unit_kg = emissions_per_unit(option, params.weight_kg)
    return OptionOutcome(
        name=option.name, units_made=made, full_price_sales=sold, overstock_units=over,
        stockout_units=short, landed_unit_cost=landed, markdown_loss=markdown,
        stockout_penalty=penalty, capital_cost=capital, cash_tied_up=cash, total_cost=total,
        cost_per_unit_sold=total / made, expected_profit=demand.price * made - total,
        lead_time_days=lead, emissions_per_unit_kg=per_unit_kg,
        emissions_total_kg=per_unit_kg * made, order_quantity_z=z,
    )


def compare(case: ComparisonCase) -> Comparison:
    """Evaluate both options of ``case`` and the relative changes local brings."""
    local = evaluate(case.local, case.demand, case.params)
    offshore = evaluate(case.offshore, case.demand, case.params)
    reduction = (1.0 - local.emissions_per_unit_kg / offshore.emissions_per_unit_kg
                 if offshore.emissions_per_unit_kg > 0 else 0.0)
    ratio = local.lead_time_days / offshore.lead_time_days if offshore.lead_time_days > 0 else math.inf
    return Comparison(local=local, offshore=offshore, emissions_reduction=reduction,
                      lead_time_ratio=ratio,
                      cost_per_unit_sold_gap=local.cost_per_unit_sold - offshore.cost_per_unit_sold)


def at_volume(case: ComparisonCase, mean_units: float) -> ComparisonCase:
    """The same case with another mean demand (forecast error stays a fraction of the mean)."""
    return replace(case, demand=replace(case.demand, mean_units=mean_units))
