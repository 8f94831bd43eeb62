"""Partner quotes for a pilot: each site answers from its cost model and free capacity.

An automatic quote prices the whole quantity as one batch with :func:`unit_cost` (so setup,
overhead, logistics and carbon are in it), adds the site's margin on price, and dates it:
``ready day = start day + ceil(qty / units per day)`` with ``units per day = free minutes per
day / max(staffed, machine) minutes per unit``; ``lead time = ready day + transit days``.
It is feasible by date when ``lead time <= due day`` (days from the request).

Ranking rule (:func:`compare_quotes`): quotes below ``min_quality`` are excluded; then
feasible-by-date first; then lowest effective price ``price + carbon_price_per_kg x kg CO2e``;
then higher quality score; then shorter lead time; then site id.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from microfactory.engines.cost_model import CostParams
from microfactory.engines.costing._common import (
    require_fraction,
    require_non_negative,
)
from microfactory.engines.costing.unit_cost import (
    ProductSpec,
    Shipment,
    SiteRates,
    suggest_price,
    unit_cost,
)
from microfactory.errors import Infeasible, InvalidInput


@dataclass(frozen=True, slots=True)
class SiteOffer:
    """What a site brings to a quote: rates, free capacity, margin, quality, delivery leg."""

    site_id: str
    rates: SiteRates
    free_minutes_per_day: float
    margin: float
    quality_score: float
    start_day: int = 0
    transit_days: float = 1.0
    shipment: Shipment | None = None

    def __post_init__(self) -> None:
        if not self.site_id:
            raise InvalidInput("site_id must not be empty", field="site_id")
        require_non_negative(self.free_minutes_per_day, "free_minutes_per_day")
        require_fraction(self.margin, "margin", upper_open=True)
        require_fraction(self.quality_score, "quality_score")
        require_non_negative(float(self.start_day), "start_day")
        require_non_negative(self.transit_days, "transit_days")


@dataclass(frozen=True, slots=True)
class Quote:
    """A site's answer: price for the quantity, lead time, emissions, quality, feasibility."""

    site_id: str
    qty: int
    price: float
    lead_time_days: float
    kg_co2e: float
    quality_score: float
    feasible_by_date: bool
    source: Literal["auto", "manual"] = "auto"

    @property
    def unit_price(self) -> float:
        return self.price / self.qty

    def as_dict(self) -> dict[str, object]:
        return {"site_id": self.site_id, "qty": self.qty, "price": round(self.price, 2),
                "unit_price": round(self.unit_price, 4), "lead_time_days": self.lead_time_days,
                "kg_co2e": round(self.kg_co2e, 4), "quality_score": self.quality_score,
                "feasible_by_date": self.feasible_by_date, "source": self.source}


@dataclass(frozen=True, slots=True)
class RankedQuote:
    """A quote with its rank (1 = best) and the effective price it was ranked by."""

    rank: int
    quote: Quote
    effective_price: float


def quote(site: SiteOffer, product: ProductSpec, qty: int, due_day: int,
          params: CostParams) -> Quote:
    """An automatic quote from ``site`` for ``qty`` units of ``product`` due on ``due_day``."""
    if qty < 1:
        raise InvalidInput("qty must be >= 1", field="qty")
    minutes = max(product.staffed_minutes_per_unit, product.machine_minutes_per_unit)
    if minutes > 0 and site.free_minutes_per_day <= 0:
        raise Infeasible(f"site {site.site_id} has no free capacity", field="free_minutes_per_day")
    days = math.ceil(qty * minutes / site.free_minutes_per_day) if minutes > 0 else 0
    lead = site.start_day + days + site.transit_days
    cost = unit_cost(product, site.rates, qty, params, site.shipment)
    price = suggest_price(cost.total * qty, site.margin).price
    return Quote(site_id=site.site_id, qty=qty, price=price, lead_time_days=lead,
                 kg_co2e=cost.kg_co2e * qty, quality_score=site.quality_score,
                 feasible_by_date=lead <= due_day)


def manual_quote(site_id: str, qty: int, price: float, lead_time_days: float, kg_co2e: float,
                 quality_score: float, due_day: int) -> Quote:
    """A quote typed in by a site's operator, checked and dated like an automatic one."""
    if qty < 1:
        raise InvalidInput("qty must be >= 1", field="qty")
    require_non_negative(price, "price")
    require_non_negative(lead_time_days, "lead_time_days")
    require_non_negative(kg_co2e, "kg_co2e")
    require_fraction(quality_score, "quality_score")
    return Quote(site_id=site_id, qty=qty, price=price, lead_time_days=lead_time_days,
                 kg_co2e=kg_co2e, quality_score=quality_score,
                 feasible_by_date=lead_time_days <= due_day, source="manual")


def compare_quotes(quotes: list[Quote], carbon_price_per_kg: float = 0.0,
                   min_quality: float = 0.0) -> list[RankedQuote]:
    """Quotes side by side, ranked by the rule in the module docstring."""
    require_non_negative(carbon_price_per_kg, "carbon_price_per_kg")
    require_fraction(min_quality, "min_quality")
    kept = [q for q in quotes if q.quality_score >= min_quality]

    def effective(q: Quote) -> float:
        return q.price + carbon_price_per_kg * q.kg_co2e

    ordered = sorted(kept, key=lambda q: (not q.feasible_by_date, effective(q),
                                          -q.quality_score, q.lead_time_days, q.site_id))
    return [RankedQuote(rank=i + 1, quote=q, effective_price=effective(q))
            for i, q in enumerate(ordered)]
