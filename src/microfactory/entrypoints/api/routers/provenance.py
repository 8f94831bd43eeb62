"""The public provenance page at the GS1 Digital Link path ``/01/{gtin}/10/{lot}`` (no auth, no /v1).

Server-rendered HTML (Jinja2, CSS inlined: works offline, no CDN) or, with
``Accept: application/json``, the provenance view itself. The view is built from an allow-list
of public fields: no customer, order, address or worker name ever reaches it.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from microfactory.entrypoints.api.deps import ContainerDep, UowDep
from microfactory.entrypoints.api.errors import error_responses
from microfactory.errors import NotFound
from microfactory.services import trace_views

router = APIRouter(tags=["public"])


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(loader=PackageLoader("microfactory.entrypoints.web", "templates"),
                       autoescape=select_autoescape(["html"]))


@lru_cache(maxsize=1)
def _css() -> str:
    return resources.files("microfactory.entrypoints.web").joinpath("static", "provenance.css").read_text("utf-8")


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def render(view: dict[str, Any] | None, gtin: str, lot: str) -> str:
    """The page for a view, or the not-found page when ``view`` is None."""
    return _env().get_template("provenance.html").render(view=view, gtin=gtin, lot=lot, css=_css())


@router.get("/01/{gtin}/10/{lot}", response_class=HTMLResponse,
            responses={404: {**error_responses(404)[404], "content": {"text/html": {}}},
                       200: {"content": {"text/html": {}, "application/json": {}}}})
def provenance_page(gtin: str, lot: str, request: Request, c: ContainerDep, uow: UowDep) -> Response:
    """Where, when and by whom this lot was made, its materials, inspections and transport emissions."""
    try:
        view = trace_views.provenance_at(uow, gtin, lot, stem=c.settings.public_base_url, now=c.clock.now())
    except NotFound as exc:
        if _wants_json(request):
            return JSONResponse(exc.to_dict(), status_code=404)
        return HTMLResponse(render(None, gtin, lot), status_code=404)
    if _wants_json(request):
        return JSONResponse(view)
    return HTMLResponse(render(view, gtin, lot), headers={"Cache-Control": "public, max-age=300"})
