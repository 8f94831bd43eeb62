"""The SQL unit of work: one connection, one transaction, every repository on it."""

from __future__ import annotations

import importlib
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, Engine

from microfactory.adapters.db.inventory_repo import InventoryRepository
from microfactory.adapters.db.one_statement import InsertBatch, NoConnection
from microfactory.adapters.db.repositories import (
    AuditRepository,
    CatalogRepository,
    IdempotencyRepository,
    NetworkRepository,
    OrderRepository,
)

#: Repositories of the capabilities, created on first use: attribute -> "module:Class" under adapters.db.
EXTRA_REPOSITORIES: dict[str, str] = {
    "production": "production_repo:ProductionRepository",
    "routing": "routing_repo:RoutingRepository",
    "quality": "quality_repo:QualityRepository",
    "trace": "trace_repo:TraceRepository",
    "fulfillment": "fulfillment_repo:FulfillmentRepository",
    "demand": "demand_repo:DemandRepository",
    "auth": "auth_repo:AuthRepository",
    "webhooks": "webhooks_repo:WebhookRepository",
    "economics": "economics_repo:EconomicsRepository",
}


class SqlUnitOfWork:
    """``with SqlUnitOfWork(engine) as uow: ...; uow.commit()`` — anything not committed rolls back."""

    conn: Connection

    def __getattr__(self, name: str) -> Any:
        target = EXTRA_REPOSITORIES.get(name)
        if target is None or "conn" not in self.__dict__:
            raise AttributeError(name)
        module, cls = target.split(":")
        repo = getattr(importlib.import_module(f"microfactory.adapters.db.{module}"), cls)(self.conn)
        setattr(self, name, repo)
        return repo

    def __init__(self, engine: Engine, readonly: bool = False) -> None:
        self.engine = engine
        self.readonly = readonly  # a read-only unit of work never takes SQLite's write lock

    def __enter__(self) -> Self:
        for name in EXTRA_REPOSITORIES:
            self.__dict__.pop(name, None)
        self.conn = self.engine.connect()
        if self.readonly:
            self.conn = self.conn.execution_options(mf_readonly=True)
        self._tx = self.conn.begin()
        self.network = NetworkRepository(self.conn)
        self.catalog = CatalogRepository(self.conn)
        self.orders = OrderRepository(self.conn)
        self.idempotency = IdempotencyRepository(self.conn)
        self.audit = AuditRepository(self.conn)
        self.inventory = InventoryRepository(self.conn)
        return self

    def commit(self) -> None:
        self._tx.commit()
        self._tx = self.conn.begin()

    def rollback(self) -> None:
        self._tx.rollback()
        self._tx = self.conn.begin()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self._tx.rollback()
        finally:
            self.conn.close()


class CollectingUnitOfWork:
    """The inserts of a write, collected in memory without a connection, to be sent as one
    statement (``batch.send_async``, the API's event loop). Only the core repositories' inserts
    work; any read raises ``NeedsDatabase`` (the caller then takes the ordinary path)."""

    def __init__(self) -> None:
        self.batch = InsertBatch()
        conn: Any = NoConnection()
        self.network = NetworkRepository(conn)
        self.catalog = CatalogRepository(conn)
        self.orders = OrderRepository(conn, self.batch)
        self.idempotency = IdempotencyRepository(conn, self.batch)
        self.audit = AuditRepository(conn, self.batch)
