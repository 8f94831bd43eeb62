"""The FastAPI application: ``create_app(container)``; ``app_from_env`` for uvicorn workers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

from microfactory import __version__
from microfactory.bootstrap import Container, Settings, bootstrap
from microfactory.entrypoints.api import errors
from microfactory.entrypoints.api.routers import network, orders, webhooks
from microfactory.entrypoints.api.schemas import Health


def _warm(container: Container) -> None:
    """Before the first request: cache the reference data (network, catalog, webhook subscriptions),
    then move everything alive at start-up (modules, app, caches: ~90k objects) out of the garbage
    collector's reach with ``gc.freeze()``. A full collection otherwise walks them all, 25-50 ms
    here, and every such pause lands on whichever requests are in flight (the p99 of intake)."""
    import gc
    import logging

    try:
        with container.uow(readonly=True) as uow:
            container.reference.load(uow)
    except Exception:  # an empty or unreachable store: the first request loads it instead
        logging.getLogger("microfactory.api").info("reference data not cached at start-up", exc_info=True)
    gc.collect()
    gc.freeze()


def _lifespan(container: Container) -> Any:
    """Start the outgoing-webhook dispatcher thread when configured; stop it on shutdown."""
    import contextlib
    import threading

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> Any:
        stop = threading.Event()
        thread = None
        if container.settings.webhook_interval_s > 0:
            from microfactory.adapters.http_sender import HttpSender
            from microfactory.services.webhooks import deliver_due

            sender = HttpSender()

            def loop() -> None:
                while not stop.wait(container.settings.webhook_interval_s):
                    try:
                        deliver_due(container.uow, sender, container.clock.now())
                    except Exception:  # keep the dispatcher alive; the failure is logged
                        import logging

                        logging.getLogger("microfactory.webhooks").exception("webhook dispatch failed")

            thread = threading.Thread(target=loop, name="webhooks", daemon=True)
            thread.start()
        _warm(container)
        yield
        await container.close_async()
        stop.set()
        if thread is not None:
            thread.join(timeout=5)

    return lifespan


class BodyLimit:
    """Refuse bodies over ``limit`` bytes with 413: by Content-Length up front, and while reading a
    body that declares none (chunked), so no endpoint ever holds more than the limit."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await self._refuse(scope, receive, send)
            return
        seen = 0

        async def limited() -> Any:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                from starlette.exceptions import HTTPException

                raise HTTPException(413, f"body larger than {self.limit} bytes")
            return message

        await self.app(scope, limited, send)

    async def _refuse(self, scope: Any, receive: Any, send: Any) -> None:
        response = JSONResponse({"code": "payload_too_large", "message": f"body larger than {self.limit} bytes",
                                 "field": "body"}, status_code=413)
        await response(scope, receive, send)


def create_app(container: Container) -> FastAPI:
    app = FastAPI(title="microfactory", version=__version__, lifespan=_lifespan(container),
                  description="The digital core of a network of microfactories. Errors are JSON {code, message, field}.")
    app.state.container = container
    errors.install(app)

    app.add_middleware(BodyLimit, limit=container.settings.max_body_bytes)

    @app.get("/v1/health", response_model=Health, tags=["health"])
    def health() -> dict[str, Any]:
        """Liveness and database reachability."""
        with container.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok", "database": container.engine.dialect.name, "version": __version__,
                "time": datetime.now(UTC).replace(tzinfo=None)}

    for module in (network, orders, webhooks):
        app.include_router(module.router)
    for router in _capability_routers():
        app.include_router(router)
    _document_generic_errors(app)
    return app


def _document_generic_errors(app: FastAPI) -> None:
    """Add to the OpenAPI spec the statuses every route can return whatever its own code does.

    401 wherever an Authorization header is read (a bad or revoked token), 400 wherever a body is
    parsed (bytes that are not JSON), and 413 everywhere (the body-size middleware).
    """
    base = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = base()
        ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
        for item in spec.get("paths", {}).values():
            for op in item.values():
                responses = op.setdefault("responses", {})
                extra = {"413": "Body too large"}
                if any(p.get("in") == "header" and p.get("name", "").lower() == "authorization"
                       for p in op.get("parameters", [])):
                    extra["401"] = "Not authenticated"
                if "requestBody" in op:
                    extra["400"] = "Body cannot be parsed"
                for status, desc in extra.items():
                    responses.setdefault(status, {"description": desc, **ref})
        if "ErrorBody" not in spec.get("components", {}).get("schemas", {}):
            spec.setdefault("components", {}).setdefault("schemas", {})["ErrorBody"] = errors.ErrorBody.model_json_schema()
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def _capability_routers() -> list[Any]:
    """Every other module of ``entrypoints/api/routers`` with a ``router`` (one per capability)."""
    import importlib
    import pkgutil

    import microfactory.entrypoints.api.routers as pkg

    found = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name in ("network", "orders", "webhooks"):
            continue
        module = importlib.import_module(f"{pkg.__name__}.{info.name}")
        if hasattr(module, "router"):
            found.append(module.router)
    return found


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` (each worker builds its own container)."""
    return create_app(bootstrap(Settings.from_env(), run_migrations=False))
