"""The composition root: settings in, wired application services out. Nothing happens at import."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from microfactory.adapters.db import DEFAULT_URL, SqlUnitOfWork, make_engine, migrate
from microfactory.services.auth import TokenCache
from microfactory.services.clock import SystemClock
from microfactory.services.ports import Clock
from microfactory.services.reference import ReferenceCache


@dataclass(frozen=True)
class Settings:
    """Everything configurable, read once from the environment (or given in tests)."""

    database_url: str = DEFAULT_URL
    shopify_secrets: dict[str, str] = field(default_factory=dict)  # brand id -> shared secret
    max_body_bytes: int = 1_000_000
    public_base_url: str = "http://localhost:8000"
    data_dir: Path = Path(".")
    require_auth: bool = False  # the served API requires tokens (from_env turns it on); tests opt in
    webhook_interval_s: float = 0.0  # > 0: the API process delivers outgoing webhooks every so often
    # > 0: an API process reuses a checked token for this long, so a revocation made elsewhere is
    # honoured within it (from_env: 2 s); 0 looks every token up on every request
    token_cache_s: float = 0.0
    # PostgreSQL connection pool of each process (SQLAlchemy QueuePool): kept connections and extra
    # ones opened (and closed again) under bursts
    db_pool_size: int = 10
    db_max_overflow: int = 20

    @classmethod
    def from_env(cls, database_url: str | None = None) -> Settings:
        secrets = {}
        for item in filter(None, os.environ.get("MICROFACTORY_SHOPIFY_SECRETS", "").split(",")):
            brand, _, secret = item.partition("=")
            if brand and secret:
                secrets[brand.strip()] = secret.strip()
        return cls(database_url=database_url or os.environ.get("MICROFACTORY_DATABASE_URL", DEFAULT_URL),
                   shopify_secrets=secrets,
                   max_body_bytes=int(os.environ.get("MICROFACTORY_MAX_BODY_BYTES", "1000000")),
                   public_base_url=os.environ.get("MICROFACTORY_PUBLIC_URL", "http://localhost:8000"),
                   require_auth=os.environ.get("MICROFACTORY_REQUIRE_AUTH", "1") not in ("0", "false", "no"),
                   webhook_interval_s=float(os.environ.get("MICROFACTORY_WEBHOOK_INTERVAL_S", "5")),
                   token_cache_s=float(os.environ.get("MICROFACTORY_TOKEN_CACHE_S", "2")),
                   db_pool_size=int(os.environ.get("MICROFACTORY_DB_POOL_SIZE", "10")),
                   db_max_overflow=int(os.environ.get("MICROFACTORY_DB_MAX_OVERFLOW", "20")))


@dataclass
class Container:
    """Wired dependencies for one process."""

    settings: Settings
    engine: Engine
    clock: Clock
    reference: ReferenceCache = field(default_factory=ReferenceCache)
    tokens: TokenCache = field(init=False)
    _async_engines: dict[Any, Any] = field(default_factory=dict, init=False, repr=False)  # event loop -> engine
    token_lookups: dict[str, Any] = field(default_factory=dict, init=False, repr=False)  # token key -> lookup in flight

    def __post_init__(self) -> None:
        self.tokens = TokenCache(self.settings.token_cache_s)

    def uow(self, readonly: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, readonly=readonly)

    def async_engine(self) -> Any:
        """The asyncio engine of the running event loop (PostgreSQL only; None on SQLite), for
        one-statement writes on the API's event loop. One per loop: a pooled asyncio connection
        belongs to the loop that opened it (a served worker has one loop; tests start several)."""
        import asyncio

        from microfactory.adapters.db.engine import make_async_engine

        if self.engine.dialect.name != "postgresql":
            return None
        loop = asyncio.get_running_loop()
        engines = self._async_engines
        engine = engines.get(loop)
        if engine is None:
            for old in [lp for lp in engines if lp.is_closed()]:
                engines.pop(old).sync_engine.dispose(close=False)  # its loop is gone: forget its pool
            engine = make_async_engine(self.settings.database_url, pool_size=self.settings.db_pool_size,
                                       max_overflow=self.settings.db_max_overflow)
            engines[loop] = engine
        return engine

    async def close_async(self) -> None:
        """Dispose of the running loop's asyncio engine (at shutdown)."""
        import asyncio

        engine = self._async_engines.pop(asyncio.get_running_loop(), None)
        if engine is not None:
            await engine.dispose()


def bootstrap(settings: Settings, *, clock: Clock | None = None, run_migrations: bool = True) -> Container:
    """Build the engine (migrating the schema) and the services' dependencies."""
    pool = {"pool_size": settings.db_pool_size, "max_overflow": settings.db_max_overflow}
    engine = make_engine(settings.database_url, **(pool if "postgres" in settings.database_url else {}))
    if run_migrations:
        migrate(engine)
    return Container(settings, engine, clock or SystemClock())
