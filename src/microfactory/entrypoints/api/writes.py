"""Running a write use case: one unit of work, committed, retried once after a unique-key race.

Two requests with the same Idempotency-Key (or external id) can race past the "seen it?"
check; the database's unique keys stop the second insert, and the retry then finds and
returns the first order. So a write is never applied twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError

from microfactory.adapters.db import SqlUnitOfWork
from microfactory.bootstrap import Container
from microfactory.errors import Conflict

T = TypeVar("T")


def run_write(c: Container, fn: Callable[[SqlUnitOfWork], T], attempts: int = 3) -> T:
    last: Exception | None = None
    for _ in range(attempts):
        with c.uow() as uow:
            try:
                result = fn(uow)
                uow.commit()
                return result
            except (IntegrityError, OperationalError) as exc:
                last = exc
                uow.rollback()
    raise Conflict("the write conflicted with a concurrent one; retry the request", field=None,
                   details={"retryable": True, "cause": type(last).__name__ if last else ""})
