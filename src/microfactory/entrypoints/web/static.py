"""The dashboard's CSS and JavaScript, served from the package (nothing is fetched from the internet)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import Response

from microfactory.errors import NotFound

router = APIRouter(include_in_schema=False)
TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}


@lru_cache(maxsize=32)
def _read(name: str) -> bytes:
    return resources.files("microfactory.entrypoints.web").joinpath("static", name).read_bytes()


@router.get("/ui/static/{name}")
def static_file(name: str) -> Response:
    """One file of ``web/static`` (plain names only, known types only)."""
    kind = TYPES.get(name[name.rfind("."):]) if "." in name else None
    if kind is None or "/" in name or "\\" in name or name.startswith("."):
        raise NotFound(f"no static file {name!r}", field="name")
    try:
        body = _read(name)
    except (FileNotFoundError, IsADirectoryError):
        raise NotFound(f"no static file {name!r}", field="name") from None
    return Response(body, media_type=kind, headers={"Cache-Control": "public, max-age=3600"})


__all__ = ["router"]
