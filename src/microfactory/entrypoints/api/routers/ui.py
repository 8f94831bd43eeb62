"""The web dashboard under ``/ui`` and the public campaign page ``/c/{id}`` (HTML, not in the OpenAPI schema).

The pages live in :mod:`microfactory.entrypoints.web`; this module gathers their routers so the
app discovers them like any capability router. See docs/dashboard.md.
"""

from __future__ import annotations

from fastapi import APIRouter

from microfactory.entrypoints.web import demand_pages, pages, static, tools

router = APIRouter(include_in_schema=False)
for part in (static.router, pages.router, tools.router, demand_pages.router, demand_pages.public):
    router.include_router(part)

__all__ = ["router"]
