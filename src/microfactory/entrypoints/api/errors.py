"""Typed JSON error bodies ``{code, message, field}``, mapped once from error codes to HTTP statuses."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from microfactory.errors import HTTP_STATUS, ErrorCode, MicrofactoryError


class ErrorBody(BaseModel):
    """Every error the API returns has this shape."""

    code: str
    message: str
    field: str | None = None
    details: dict[str, Any] | None = None


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the error statuses a route can return."""
    text = {400: "Bad request", 401: "Not authenticated", 403: "Forbidden", 404: "Not found", 409: "Conflict",
            413: "Body too large", 422: "Invalid input", 502: "Upstream service failed"}
    return {s: {"model": ErrorBody, "description": text.get(s, "Error")} for s in statuses}


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    out = ""
    for p in parts:
        out += f"[{p}]" if p.isdigit() else (f".{p}" if out else p)
    return out or "body"


def _json_error(err: Any) -> Any:
    """A body that is not JSON is reported on ``body`` (FastAPI puts the character offset in ``loc``)."""
    if isinstance(err, dict) and err.get("type") == "json_invalid":
        pos = next((p for p in err.get("loc", ()) if isinstance(p, int)), None)
        where = f" at character {pos}" if pos is not None else ""
        return {**err, "loc": ("body",), "msg": f"body is not valid JSON{where}"}
    return err


def install(app: FastAPI) -> None:
    @app.exception_handler(MicrofactoryError)
    async def _domain(_req: Request, exc: MicrofactoryError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=HTTP_STATUS.get(exc.code, 500))

    @app.exception_handler(RequestValidationError)
    async def _validation(_req: Request, exc: RequestValidationError) -> JSONResponse:
        errs = [_json_error(e) for e in exc.errors()]
        first = errs[0] if errs else {"loc": ("body",), "msg": "invalid request"}
        body = {"code": ErrorCode.INVALID_INPUT.value, "message": str(first.get("msg", "invalid")),
                "field": _field(tuple(first.get("loc", ()))),
                "details": {"errors": [{"field": _field(tuple(e.get("loc", ()))), "message": str(e.get("msg"))}
                                       for e in errs[:20]]}}
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_req: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {400: "invalid_input", 404: "not_found", 405: "method_not_allowed", 401: "unauthenticated",
                403: "forbidden", 413: "payload_too_large"}.get(exc.status_code, "http_error")
        field = {400: "body", 413: "body", 401: "authorization", 404: "path", 405: "method"}.get(exc.status_code)
        return JSONResponse({"code": code, "message": str(exc.detail), "field": field}, status_code=exc.status_code)

    @app.exception_handler(DataError)
    async def _data(_req: Request, exc: DataError) -> JSONResponse:
        """A value the database cannot store or compare (NUL in text, a number out of range): the
        caller's input, so a 422 (SQLite accepts such values; PostgreSQL refuses them)."""
        import logging

        logging.getLogger("microfactory.api").warning("input refused by the database: %s", exc.orig)
        return JSONResponse({"code": ErrorCode.INVALID_INPUT.value, "field": "request",
                             "message": "a value in the request cannot be stored or compared "
                                        "(NUL character, or a number out of range)"}, status_code=422)

    @app.exception_handler(Exception)
    async def _internal(_req: Request, exc: Exception) -> JSONResponse:  # the only catch-all: report, never hide
        import logging

        logging.getLogger("microfactory.api").exception("unhandled error", exc_info=exc)
        return JSONResponse({"code": "internal", "message": "internal error", "field": None}, status_code=500)
