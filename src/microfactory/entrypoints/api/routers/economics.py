"""Costing, quotes, KPIs and simulations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Header, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from microfactory.domain.catalog import parse_options
from microfactory.entrypoints.api.deps import ContainerDep, UowDep
from microfactory.entrypoints.api.errors import error_responses
from microfactory.entrypoints.api.writes import idempotent_write
from microfactory.services import economics as eco

router = APIRouter(prefix="/v1", tags=["economics"])


@router.get("/costing/unit-cost", responses=error_responses(404, 422))
def get_unit_cost(uow: UowDep, product: str = Query(..., max_length=64), site: str = Query(..., max_length=64),
                  batch: int = Query(1, ge=1, le=100000), options: str = Query("", max_length=500),
                  margin: float = Query(0.5, ge=0, lt=1), overhead: float = Query(0.25, ge=0, le=10)) -> dict[str, Any]:
    """Unit cost of a variant at a site and batch size: breakdown, cost curve and price for a margin."""
    return eco.unit_cost_view(uow, product, parse_options(options), site, batch, overhead_rate=overhead, margin=margin)


@router.get("/costing/sensitivity", responses=error_responses(404, 422))
def get_sensitivity(uow: UowDep, product: str = Query(..., max_length=64), site: str = Query(..., max_length=64),
                    batch: int = Query(1, ge=1), options: str = Query("", max_length=500),
                    shock: float = Query(0.1, gt=0, lt=1)) -> dict[str, Any]:
    """Unit cost and margin when each material price moves by +-shock (tornado rows)."""
    return eco.sensitivity_view(uow, product, parse_options(options), site, batch, shock=shock)


class HedgeIn(BaseModel):
    material: str = Field(max_length=64)
    need: float = Field(ge=0)
    forward_price: float = Field(gt=0)
    moves: list[tuple[float, float]] = Field(min_length=1, description="(relative change, probability)")
    risk_aversion: float = Field(0.0, ge=0)
    spot: float | None = Field(None, gt=0)


@router.post("/costing/hedge", responses=error_responses(404, 422))
def post_hedge(body: HedgeIn, uow: UowDep) -> dict[str, Any]:
    """Forward-buy fraction of a material need, or a cheaper approved substitute (no write)."""
    return eco.hedge_view(uow, body.material, body.need, body.forward_price, body.moves, body.risk_aversion, body.spot)


@router.post("/costing/compare", responses=error_responses(422))
def post_compare(case: dict[str, Any], svg: bool = Query(False)) -> dict[str, Any]:
    """Local network against an offshore plant for a case (the layout of examples/economics)."""
    return eco.compare_view(case, svg=svg)


class QuoteRequest(BaseModel):
    product: str = Field(max_length=64)
    options: dict[str, str] = Field(default_factory=dict)
    qty: int = Field(ge=1, le=1_000_000)
    due: date
    sites: list[str] | None = None
    margin: float = Field(0.3, ge=0, lt=1)
    carbon_price_per_kg: float = Field(0.0, ge=0)
    min_quality: float = Field(0.0, ge=0, le=1)


@router.post("/quotes", responses=error_responses(404, 409, 422))
def post_quotes(body: QuoteRequest, c: ContainerDep,
                idempotency_key: str | None = Header(None, max_length=200)) -> dict[str, Any]:
    """Ask candidate sites for a pilot quote; ranked side by side (price, lead time, emissions, quality)."""
    def run(uow: Any) -> dict[str, Any]:
        return eco.request_quotes(uow, c.clock.now(), body.product, body.options, body.qty, body.due,
                                  sites=body.sites, margin=body.margin, carbon_price_per_kg=body.carbon_price_per_kg,
                                  min_quality=body.min_quality, actor="api")
    return idempotent_write(c, "quotes", idempotency_key, body.model_dump(mode="json"), run)


def _kpi_args(start: datetime | None, end: datetime | None) -> tuple[datetime | None, datetime | None]:
    return (start.replace(tzinfo=None) if start else None, end.replace(tzinfo=None) if end else None)


@router.get("/kpis", responses=error_responses(404, 422))
def get_kpis(uow: UowDep, start: datetime | None = Query(None, alias="from"), end: datetime | None = Query(None, alias="to"),
             brand: str | None = Query(None, max_length=64), site: str | None = Query(None, max_length=64)) -> dict[str, Any]:
    """KPIs of the orders created in [from, to), by brand and site."""
    return eco.kpis_view(uow, *_kpi_args(start, end), brand, site)


@router.get("/kpis.csv", response_class=PlainTextResponse, responses=error_responses(404, 422))
def get_kpis_csv(uow: UowDep, start: datetime | None = Query(None, alias="from"),
                 end: datetime | None = Query(None, alias="to"), brand: str | None = Query(None, max_length=64),
                 site: str | None = Query(None, max_length=64)) -> PlainTextResponse:
    """The same KPIs as CSV rows (kpi, key, value)."""
    return PlainTextResponse(eco.kpis_csv(uow, *_kpi_args(start, end), brand, site), media_type="text/csv")


class SimulationIn(BaseModel):
    scenario: dict[str, Any] = Field(description="a scenario mapping; 'network' is a scenario folder on the server")
    with_trace: bool = False


@router.post("/simulations", responses=error_responses(404, 422))
def post_simulation(body: SimulationIn) -> dict[str, Any]:
    """Run a (small) simulation synchronously and return its KPIs and summary."""
    from microfactory.adapters.files.scenario import load_scenario
    from microfactory.simulation import simulate, spec_from_dict

    spec = spec_from_dict(body.scenario)
    scenario = load_scenario(spec.network)
    return simulate(spec, scenario.network, scenario.catalog, keep_trace=body.with_trace).as_dict(body.with_trace)
