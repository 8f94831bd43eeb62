"""Test-market analysis from stored orders: a pilot's daily pledges and sales of one product.

Each day of the period is one observation (units that day, exposure one day), pledges and
sales together (cancelled lines excluded). The forecasting engine turns them into a
Gamma-Poisson posterior of the daily rate, the negative binomial demand over the horizon,
a newsvendor quantity for the given price, unit cost and salvage, and a keep / scale-up /
stop recommendation with every figure behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from microfactory.engines.forecasting import (
    GammaPrior,
    MarketThresholds,
    Observation,
    UnitEconomics,
    recommend,
)
from microfactory.errors import InvalidInput


@dataclass(frozen=True)
class MarketRequest:
    product: str
    start: date
    end: date                     # exclusive
    horizon_days: float = 28.0
    unit_cost: float | None = None  # default: material cost of the first variant's BOM
    salvage: float = 0.0
    price: float | None = None      # default: catalogue price
    scale_units: int = 200
    stop_units: int = 20
    confidence: float = 0.8
    prior_shape: float = 1.0
    prior_rate: float = 0.1
    brand: str | None = None


def analyse(uow: Any, req: MarketRequest) -> dict[str, Any]:
    """Posterior, predictive, newsvendor and recommendation for one product over a pilot period."""
    if not req.start < req.end or (req.end - req.start).days > 366:
        raise InvalidInput("the period must run forwards and last at most a year", field="end")
    network = uow.network.load()
    catalog = uow.catalog.load(network)
    product = catalog.product(req.product)
    if req.brand is not None and product.brand != req.brand:
        raise InvalidInput(f"product {req.product} is not a product of {req.brand}", field="product")
    rows = uow.demand.demand_counts(product.id, datetime.combine(req.start, datetime.min.time()),
                                    datetime.combine(req.end, datetime.min.time()), req.brand)
    per_day: dict[str, int] = {}
    for r in rows:
        per_day[r["day"]] = per_day.get(r["day"], 0) + r["units"]
    days = [(req.start + timedelta(days=n)).isoformat() for n in range((req.end - req.start).days)]
    obs = [Observation(per_day.get(d, 0), 1.0) for d in days]
    price = req.price if req.price is not None else product.price
    cost = req.unit_cost if req.unit_cost is not None else _material_cost(catalog, product.id)
    rec = recommend(GammaPrior(req.prior_shape, req.prior_rate), obs, UnitEconomics(price, cost, req.salvage),
                    MarketThresholds(req.horizon_days, req.scale_units, req.stop_units, req.confidence))
    plan = rec.plan
    return {"product": product.id, "period": [req.start.isoformat(), req.end.isoformat()],
            "days": len(days), "units": sum(o.count for o in obs),
            "by_channel": _by_channel(rows), "action": rec.action.value, "reason": rec.reason,
            "posterior": {"shape": rec.rate.shape, "rate": rec.rate.rate},
            "rate_per_day": round(rec.rate_mean, 4), "rate_interval": [round(x, 4) for x in rec.rate_interval],
            "horizon_days": req.horizon_days, "demand_mean": round(rec.demand_mean, 2),
            "demand_interval": list(rec.demand_interval), "p_at_least_scale": round(rec.p_at_least_scale, 4),
            "p_below_stop": round(rec.p_below_stop, 4),
            "economics": {"price": price, "unit_cost": round(cost, 4), "salvage": req.salvage},
            "newsvendor": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in _fields(plan).items()}}


def _material_cost(catalog: Any, product_id: str) -> float:
    variant = catalog.variants(product_id, limit=1)[0]
    return float(catalog.explode(product_id, variant.as_dict()).material_cost)


def _by_channel(rows: list[dict[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in rows:
        out[r["channel"]] = out.get(r["channel"], 0) + r["units"]
    return out


def _fields(obj: Any) -> dict[str, Any]:
    from dataclasses import fields, is_dataclass
    if not is_dataclass(obj):
        return {}
    return {f.name: getattr(obj, f.name) for f in fields(obj) if isinstance(getattr(obj, f.name), (int, float, str))}
