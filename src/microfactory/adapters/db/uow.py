"""The SQL unit of work: one connection, one transaction, every repository on it."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection, Engine

from microfactory.adapters.db.inventory_repo import InventoryRepository
from microfactory.adapters.db.repositories import (AuditRepository, CatalogRepository, IdempotencyRepository,
                                                   NetworkRepository, OrderRepository)


class SqlUnitOfWork:
    """``with SqlUnitOfWork(engine) as uow: ...; uow.commit()`` — anything not committed rolls back."""

    conn: Connection

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __enter__(self) -> SqlUnitOfWork:
        self.conn = self.engine.connect()
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
