"""Sites, products and variants with their exploded BOM."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from microfactory.domain.access import brand_scope
from microfactory.entrypoints.api.deps import PrincipalDep, UowDep
from microfactory.entrypoints.api.errors import error_responses
from microfactory.errors import NotFound
from microfactory.services.views import bom_view, product_view, site_view

router = APIRouter(prefix="/v1", tags=["network"])


@router.get("/sites", responses=error_responses(401, 403, 404))
def list_sites(uow: UowDep, p: PrincipalDep,
               kind: str | None = Query(None, pattern="^(microfactory|store|warehouse)$")) -> dict[str, Any]:
    """Every site of the network (any signed-in role)."""
    brand_scope(p)  # public callers are refused
    network = uow.network.load()
    return {"items": [site_view(s) for s in network.sites if kind is None or s.kind.value == kind], "next_cursor": None}


@router.get("/sites/{site_id}", responses=error_responses(401, 403, 404))
def get_site(site_id: str, uow: UowDep, p: PrincipalDep) -> dict[str, Any]:
    """One site with its resources and workers."""
    brand_scope(p)
    return site_view(uow.network.get_site(site_id))


@router.get("/products", responses=error_responses(401, 403, 404))
def list_products(uow: UowDep, p: PrincipalDep, brand: str | None = Query(None, max_length=64)) -> dict[str, Any]:
    """Products, optionally of one brand (a brand sees only its own)."""
    catalog = uow.catalog.load(uow.network.load(), brand=brand_scope(p, brand))
    return {"items": [product_view(p) for p in catalog.products.values()], "next_cursor": None}


@router.get("/products/{product_id}", responses=error_responses(401, 403, 404))
def get_product(product_id: str, uow: UowDep, p: PrincipalDep) -> dict[str, Any]:
    """One product with its option groups."""
    catalog = uow.catalog.load(uow.network.load(), brand=brand_scope(p))
    product = catalog.products.get(product_id)
    if product is None:
        raise NotFound(f"product {product_id!r} does not exist", field="product_id")
    return product_view(product)


@router.get("/products/{product_id}/variants", responses=error_responses(401, 403, 404))
def list_variants(product_id: str, uow: UowDep, p: PrincipalDep, limit: int = Query(50, ge=1, le=500)) -> dict[str, Any]:
    """The product's variants (every combination of choice options) with their SKUs."""
    catalog = uow.catalog.load(uow.network.load(), brand=brand_scope(p))
    if product_id not in catalog.products:
        raise NotFound(f"product {product_id!r} does not exist", field="product_id")
    return {"items": [{"sku": v.sku, "options": v.as_dict()} for v in catalog.variants(product_id, limit)],
            "next_cursor": None}


@router.get("/products/{product_id}/bom", responses=error_responses(401, 403, 404, 422))
def explode_bom(product_id: str, uow: UowDep, p: PrincipalDep,
                options: str = Query("", max_length=500, description="e.g. size=M;fabric=linen")) -> dict[str, Any]:
    """The exploded modular BOM of one variant: materials and operations per unit."""
    from microfactory.domain.catalog import parse_options

    catalog = uow.catalog.load(uow.network.load(), brand=brand_scope(p))
    if product_id not in catalog.products:
        raise NotFound(f"product {product_id!r} does not exist", field="product_id")
    return bom_view(catalog.explode(product_id, parse_options(options)))
