"""Costing, quotes, KPIs, simulations and network design.

Roles: costing and hedging need a signed-in role (not public); quotes are asked by the admin or
by a brand for its own products; KPIs are filtered to the caller's brand or site; simulations
and network design (which read every brand's demand) are for the admin.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Header, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from microfactory.domain.access import Principal, Role, brand_scope, require, site_scope
from microfactory.domain.catalog import parse_options
from microfactory.entrypoints.api.deps import ContainerDep, PrincipalDep, UowDep
from microfactory.entrypoints.api.errors import error_responses
from microfactory.entrypoints.api.writes import idempotent_write
from microfactory.services import economics as eco

router = APIRouter(prefix="/v1", tags=["economics"])
SIGNED_IN = (Role.ADMIN, Role.BRAND, Role.SITE_OPERATOR)


def _costable(uow: Any, p: Principal, product: str) -> None:
    """Costing needs a signed-in role; a brand costs only its own products (another brand's is not found)."""
    from microfactory.errors import NotFound

    require(p, *SIGNED_IN)
    if product not in uow.catalog.load(uow.network.load(), brand=brand_scope(p)).products:
        raise NotFound(f"product {product!r} does not exist", field="product")


@router.get("/costing/unit-cost", responses=error_responses(401, 403, 404, 422))
def get_unit_cost(uow: UowDep, p: PrincipalDep, product: str = Query(..., max_length=64), site: str = Query(..., max_length=64),
                  batch: int = Query(1, ge=1, le=100000), options: str = Query("", max_length=500),
                  margin: float = Query(0.5, ge=0, lt=1), overhead: float = Query(0.25, ge=0, le=10)) -> dict[str, Any]:
    """Unit cost of a variant at a site and batch size: breakdown, cost curve and price for a margin."""
    _costable(uow, p, product)
    return eco.unit_cost_view(uow, product, parse_options(options), site, batch, overhead_rate=overhead, margin=margin)


@router.get("/costing/sensitivity", responses=error_responses(401, 403, 404, 422))
def get_sensitivity(uow: UowDep, p: PrincipalDep, product: str = Query(..., max_length=64), site: str = Query(..., max_length=64),
                    batch: int = Query(1, ge=1), options: str = Query("", max_length=500),
                    shock: float = Query(0.1, gt=0, lt=1)) -> dict[str, Any]:
    """Unit cost and margin when each material price moves by +-shock (tornado rows)."""
    _costable(uow, p, product)
    return eco.sensitivity_view(uow, product, parse_options(options), site, batch, shock=shock)


class HedgeIn(BaseModel):
    material: str = Field(max_length=64)
    need: float = Field(ge=0)
    forward_price: float = Field(gt=0)
    moves: list[tuple[float, float]] = Field(min_length=1, description="(relative change, probability)")
    risk_aversion: float = Field(0.0, ge=0)
    spot: float | None = Field(None, gt=0)


@router.post("/costing/hedge", responses=error_responses(404, 422))
def post_hedge(body: HedgeIn, uow: UowDep, p: PrincipalDep) -> dict[str, Any]:
    """Forward-buy fraction of a material need, or a cheaper approved substitute (no write)."""
    require(p, *SIGNED_IN)
    return eco.hedge_view(uow, body.material, body.need, body.forward_price, body.moves, body.risk_aversion, body.spot)


@router.post("/costing/compare", responses=error_responses(422))
def post_compare(case: dict[str, Any], p: PrincipalDep, svg: bool = Query(False)) -> dict[str, Any]:
    """Local network against an offshore plant for a case (the layout of examples/economics)."""
    require(p, *SIGNED_IN)
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
def post_quotes(body: QuoteRequest, c: ContainerDep, p: PrincipalDep,
                idempotency_key: str | None = Header(None, max_length=200)) -> dict[str, Any]:
    """Ask candidate sites for a pilot quote; ranked side by side (price, lead time, emissions, quality)."""
    require(p, Role.ADMIN, Role.BRAND)

    def run(uow: Any) -> dict[str, Any]:
        return eco.request_quotes(uow, c.clock.now(), body.product, body.options, body.qty, body.due,
                                  sites=body.sites, margin=body.margin, carbon_price_per_kg=body.carbon_price_per_kg,
                                  min_quality=body.min_quality, actor=p.actor, brand=brand_scope(p))
    return idempotent_write(c, "quotes", idempotency_key, body.model_dump(mode="json"), run)


def _kpi_args(start: datetime | None, end: datetime | None) -> tuple[datetime | None, datetime | None]:
    return (start.replace(tzinfo=None) if start else None, end.replace(tzinfo=None) if end else None)


@router.get("/kpis", responses=error_responses(404, 422))
def get_kpis(uow: UowDep, p: PrincipalDep, start: datetime | None = Query(None, alias="from"), end: datetime | None = Query(None, alias="to"),
             brand: str | None = Query(None, max_length=64), site: str | None = Query(None, max_length=64)) -> dict[str, Any]:
    """KPIs of the orders created in [from, to), by brand and site."""
    return eco.kpis_view(uow, *_kpi_args(start, end), brand_scope(p, brand), site_scope(p, site))


@router.get("/kpis.csv", response_class=PlainTextResponse, responses=error_responses(404, 422))
def get_kpis_csv(uow: UowDep, p: PrincipalDep, start: datetime | None = Query(None, alias="from"),
                 end: datetime | None = Query(None, alias="to"), brand: str | None = Query(None, max_length=64),
                 site: str | None = Query(None, max_length=64)) -> PlainTextResponse:
    """The same KPIs as CSV rows (kpi, key, value)."""
    return PlainTextResponse(eco.kpis_csv(uow, *_kpi_args(start, end), brand_scope(p, brand), site_scope(p, site)),
                             media_type="text/csv")


MAX_SIM_DAYS = 366


class SimulationIn(BaseModel):
    scenario: dict[str, Any] = Field(description="a scenario mapping; 'network' is a scenario folder on the server")
    with_trace: bool = False


@router.post("/simulations", responses=error_responses(403, 404, 422))
def post_simulation(body: SimulationIn, p: PrincipalDep) -> dict[str, Any]:
    """Run a (small) simulation synchronously and return its KPIs and summary (at most 366 days)."""
    from microfactory.adapters.files.scenario import load_scenario
    from microfactory.errors import InvalidInput
    from microfactory.simulation import simulate, spec_from_dict

    require(p, Role.ADMIN)
    spec = spec_from_dict(body.scenario)
    if spec.days > MAX_SIM_DAYS:
        raise InvalidInput(f"days must be <= {MAX_SIM_DAYS} here; run longer simulations with the CLI",
                           field="scenario.days")
    scenario = load_scenario(spec.network)
    return simulate(spec, scenario.network, scenario.catalog, keep_trace=body.with_trace).as_dict(body.with_trace)


class NetworkDesignIn(BaseModel):
    candidates: list[dict[str, Any]] = Field(min_length=1, max_length=200,
                                             description="candidate sites, as in examples/berlin/candidates.yaml")
    settings: dict[str, Any] = Field(default_factory=dict)
    check: bool = Field(True, description="simulate the network with and without the chosen sites")


@router.post("/network-design", responses=error_responses(403, 422))
def post_network_design(body: NetworkDesignIn, uow: UowDep, p: PrincipalDep) -> dict[str, Any]:
    """Where to open a microfactory next, from the stored order history; checked in the simulator."""
    from microfactory.adapters.files.candidates import candidates_from_dict
    from microfactory.errors import InvalidInput
    from microfactory.services.network_design import design_from_store

    require(p, Role.ADMIN)
    cf = candidates_from_dict({"candidates": body.candidates, "settings": body.settings})
    if cf.settings.sim_days > MAX_SIM_DAYS or cf.settings.time_limit_s > 60:
        raise InvalidInput(f"settings: sim_days <= {MAX_SIM_DAYS} and time_limit_s <= 60 here", field="settings")
    return design_from_store(uow, cf, check=body.check)
