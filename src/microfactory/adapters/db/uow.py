"""The SQL unit of work: one connection, one transaction, every repository on it."""

from __future__ import annotations

import importlib
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine

from microfactory.adapters.db.inventory_repo import InventoryRepository
from microfactory.adapters.db.one_statement import REFERENCE_VERSION_GUARD, InsertBatch
from microfactory.adapters.db.repositories import (AuditRepository, CatalogRepository, IdempotencyRepository,
                                                   NetworkRepository, OrderRepository)


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
        if self.__dict__.get("one_statement"):
            # its statements would commit one by one in autocommit: only the core repositories here
            raise AttributeError(f"{name}: not available in a one-statement unit of work")
        module, cls = target.split(":")
        repo = getattr(importlib.import_module(f"microfactory.adapters.db.{module}"), cls)(self.conn)
        setattr(self, name, repo)
        return repo

    def __init__(self, engine: Engine, readonly: bool = False, one_statement: bool = False) -> None:
        self.engine = engine
        self.readonly = readonly  # a read-only unit of work never takes SQLite's write lock
        # PostgreSQL only: reads run in autocommit, inserts are collected and sent by send_batch()
        # as one statement (see one_statement.py); any other write is refused.
        self.one_statement = one_statement and engine.dialect.name == "postgresql"
        self.batch: InsertBatch | None = None

    def __enter__(self) -> SqlUnitOfWork:
        for name in EXTRA_REPOSITORIES:
            self.__dict__.pop(name, None)
        self.conn = self.engine.connect()
        if self.readonly:
            self.conn = self.conn.execution_options(mf_readonly=True)
        if self.one_statement:
            self.conn = self.conn.execution_options(isolation_level="AUTOCOMMIT")
            self.batch = InsertBatch()
            self._tx = None
        else:
            self.batch = None
            self._tx = self.conn.begin()
        self.network = NetworkRepository(self.conn)
        self.catalog = CatalogRepository(self.conn)
        self.orders = OrderRepository(self.conn, self.batch)
        self.idempotency = IdempotencyRepository(self.conn, self.batch)
        self.audit = AuditRepository(self.conn, self.batch)
        self.inventory = InventoryRepository(self.conn)
        return self

    def send_batch(self, reference_version: int | None = None) -> bool:
        """One-statement mode: send the collected inserts as one atomic statement.

        With ``reference_version``, nothing is written unless the reference data is still at that
        version (the caller validated against it). True when the rows went in; unique-key and
        other errors raise as usual, with nothing written."""
        if self.batch is None:
            raise RuntimeError("send_batch() needs a unit of work in one-statement mode")
        batch, self.batch = self.batch, InsertBatch()
        guard = (REFERENCE_VERSION_GUARD, (reference_version,)) if reference_version is not None else (None, ())
        return batch.send(self.conn, *guard) > 0

    def commit(self) -> None:
        if self._tx is None:
            raise RuntimeError("a unit of work in one-statement mode is sent with send_batch(), not committed")
        self._tx.commit()
        self._tx = self.conn.begin()

    def rollback(self) -> None:
        if self._tx is None:
            self.batch = InsertBatch()
            return
        self._tx.rollback()
        self._tx = self.conn.begin()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if self._tx is not None:
                self._tx.rollback()
        finally:
            self.conn.close()
