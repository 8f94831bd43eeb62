"""Material cost swings: sensitivity of unit cost and margin, and a hedge suggestion.

**Sensitivity.** Each material's price is moved by ``-shock`` and ``+shock`` (relative) and the
unit cost recomputed (substitute choice included, so a substitute can cap the upside). The
elasticity is the central difference ``(c+ - c-) / (2 shock c0)``; for a line that keeps its
material it equals the line's share of unit cost. Margin on price is ``(P - c) / P``.

**Hedge.** For a need of ``N`` units of a material bought at a future spot price
``S = spot (1 + move)`` with the scenario's probabilities, buying a fraction ``f`` forward at
``F`` costs ``C(f) = f N F + (1 - f) N S``. We minimise the mean-variance objective
``E[C] + risk_aversion x Var[C]`` (``risk_aversion`` per unit of money):

``f* = clamp(1 - (F - E[S]) / (2 risk_aversion N Var[S]), 0, 1)``

(with no risk aversion: all forward when ``F < E[S]``, none otherwise). An approved substitute
is suggested instead when its expected cost for the same need is lower than the hedged
expectation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from microfactory.engines.cost_model import CostParams
from microfactory.engines.costing._common import (
    require_fraction,
    require_non_negative,
    require_positive,
)
from microfactory.engines.costing.unit_cost import (
    ProductSpec,
    Shipment,
    SiteRates,
    unit_cost,
    with_material_price,
)
from microfactory.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class MaterialSensitivity:
    """One tornado bar: unit cost and margin at the low and high price of one material."""

    material_id: str
    base_price: float
    cost_low: float
    cost_high: float
    elasticity: float
    margin_low: float
    margin_high: float

    @property
    def swing(self) -> float:
        return self.cost_high - self.cost_low


def _prices(product: ProductSpec) -> dict[str, float]:
    prices: dict[str, float] = {}
    for line in product.materials:
        prices[line.material_id] = line.unit_cost
    return prices


def material_sensitivity(product: ProductSpec, site: SiteRates, batch_units: int,
                         params: CostParams, price: float, shock: float = 0.1,
                         shipment: Shipment | None = None) -> list[MaterialSensitivity]:
    """Tornado data for every BOM material, widest swing first."""
    require_positive(price, "price")
    require_fraction(shock, "shock", upper_open=True)
    if shock == 0:
        raise InvalidInput("shock must be > 0", field="shock")
    base = unit_cost(product, site, batch_units, params, shipment).total
    rows = []
    for material_id, p0 in _prices(product).items():
        costs = [unit_cost(with_material_price(product, material_id, p0 * (1 + d)), site,
                           batch_units, params, shipment).total for d in (-shock, shock)]
        rows.append(MaterialSensitivity(
            material_id=material_id, base_price=p0, cost_low=costs[0], cost_high=costs[1],
            elasticity=(costs[1] - costs[0]) / (2 * shock * base) if base else 0.0,
            margin_low=(price - costs[0]) / price, margin_high=(price - costs[1]) / price))
    return sorted(rows, key=lambda r: (-r.swing, r.material_id))


@dataclass(frozen=True, slots=True)
class PriceMove:
    """One outcome of a price scenario: relative change of the spot price and its probability."""

    change: float
    probability: float

    def __post_init__(self) -> None:
        if not math.isfinite(self.change) or self.change <= -1:
            raise InvalidInput("change must be > -1", field="change")
        require_fraction(self.probability, "probability")


@dataclass(frozen=True, slots=True)
class SubstituteOffer:
    """An approved substitute: expected unit price and quantity per unit of the original."""

    material_id: str
    expected_price: float
    qty_factor: float = 1.0

    def __post_init__(self) -> None:
        require_non_negative(self.expected_price, "expected_price")
        require_positive(self.qty_factor, "qty_factor")


@dataclass(frozen=True, slots=True)
class HedgeSuggestion:
    """How much to buy forward, or which substitute to switch to, with the figures behind it."""

    material_id: str
    need: float
    expected_spot: float
    spot_sd: float
    forward_fraction: float
    forward_qty: float
    expected_cost: float
    cost_sd: float
    unhedged_expected_cost: float
    switch_to: str | None
    switch_expected_cost: float | None

    @property
    def action(self) -> str:
        if self.switch_to is not None:
            return f"switch to {self.switch_to}"
        if self.forward_fraction > 0:
            return f"buy {self.forward_qty:g} forward"
        return "buy at spot"


def scenario_moments(spot: float, moves: tuple[PriceMove, ...]) -> tuple[float, float]:
    """Expected spot price and its standard deviation under the scenario."""
    total = sum(m.probability for m in moves)
    if not moves or abs(total - 1.0) > 1e-6:
        raise InvalidInput(f"scenario probabilities must sum to 1, got {total}", field="moves")
    prices = [(spot * (1 + m.change), m.probability) for m in moves]
    mean = sum(p * w for p, w in prices)
    var = sum(w * (p - mean) ** 2 for p, w in prices)
    return mean, math.sqrt(var)


def forward_fraction(need: float, forward_price: float, mean: float, sd: float,
                     risk_aversion: float) -> float:
    """The fraction of ``need`` to buy forward minimising ``E[C] + risk_aversion Var[C]``."""
    if risk_aversion == 0 or sd == 0 or need == 0:
        return 1.0 if forward_price < mean else 0.0
    f = 1.0 - (forward_price - mean) / (2.0 * risk_aversion * need * sd * sd)
    return min(1.0, max(0.0, f))


def suggest_hedge(material_id: str, need: float, spot: float, forward_price: float,
                  moves: tuple[PriceMove, ...], risk_aversion: float = 0.0,
                  substitutes: tuple[SubstituteOffer, ...] = ()) -> HedgeSuggestion:
    """Forward fraction for ``need`` units, or a cheaper approved substitute in expectation."""
    require_non_negative(need, "need")
    require_positive(spot, "spot")
    require_positive(forward_price, "forward_price")
    require_non_negative(risk_aversion, "risk_aversion")
    mean, sd = scenario_moments(spot, moves)
    f = forward_fraction(need, forward_price, mean, sd, risk_aversion)
    expected = need * (f * forward_price + (1 - f) * mean)
    best: tuple[float, str] | None = None
    for sub in substitutes:
        cost = need * sub.qty_factor * sub.expected_price
        if cost < expected and (best is None or cost < best[0]):
            best = (cost, sub.material_id)
    return HedgeSuggestion(
        material_id=material_id, need=need, expected_spot=mean, spot_sd=sd,
        forward_fraction=f, forward_qty=f * need, expected_cost=expected,
        cost_sd=(1 - f) * need * sd, unhedged_expected_cost=need * mean,
        switch_to=best[1] if best else None, switch_expected_cost=best[0] if best else None)
