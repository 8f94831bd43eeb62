"""Running a write use case: one unit of work, committed, retried once after a unique-key race.

Two requests with the same Idempotency-Key (or external id) can race past the "seen it?"
check; the database's unique keys stop the second insert, and the retry then finds and
returns the first order. So a write is never applied twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from microfactory.adapters.db import SqlUnitOfWork
from microfactory.adapters.db.one_statement import REFERENCE_VERSION_GUARD, NeedsDatabase
from microfactory.adapters.db.uow import CollectingUnitOfWork
from microfactory.bootstrap import Container
from microfactory.errors import Conflict, MicrofactoryError
from microfactory.services.reference import Reference

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


async def try_one_statement(c: Container, fn: Callable[[Any, Reference], T]) -> T | None:
    """The fast path of a write that only inserts (PostgreSQL), on the event loop: ``fn`` validates
    against the cached reference data and adds its rows to a collecting unit of work (no
    connection, no round trip), which then go in as one atomic statement on the asyncio engine,
    guarded by the reference version it validated against (adapters/db/one_statement.py): one
    round trip and no thread hop, where the ordinary path takes eight (BEGIN, version, five
    inserts, COMMIT) in the threadpool.

    None means "take the ordinary path" (``run_write``), which gives the right answer in every such
    case: SQLite, nothing cached yet, the reference data moved since it was cached, a unique key
    refused a row (a replay or a concurrent twin: the ordinary path looks first), the connection
    failed, ``fn`` needed to read (``NeedsDatabase``), or ``fn`` refused the request (it is
    validated again against fresh data, so a stale cache never turns a good request away).
    Nothing is written unless the statement succeeds."""
    peeked = c.reference.peek()
    if peeked is None:
        return None
    engine = c.async_engine()
    if engine is None:
        return None
    version, ref = peeked
    uow = CollectingUnitOfWork()
    try:
        result = fn(uow, ref)
        if not uow.batch:
            return result
        async with engine.connect() as conn:
            if await uow.batch.send_async(conn, REFERENCE_VERSION_GUARD, (version,)) == 0:
                return None  # the reference data moved: validate again on the ordinary path
        return result
    except (IntegrityError, OperationalError, InterfaceError, MicrofactoryError, NeedsDatabase):
        return None


def idempotent_write(c: Container, scope: str, key: str | None, request: object,
                     fn: Callable[[SqlUnitOfWork], dict[str, Any]], status_code: int = 200) -> dict[str, Any]:
    """Run a write once per (scope, Idempotency-Key): a replay returns the stored response.

    The response (a JSON-able dict) is stored with the write in the same transaction, so a
    crash between the two cannot happen; the same key with another request is a 409.
    """
    import hashlib
    import json

    from microfactory.errors import ErrorCode, MicrofactoryError

    fingerprint = hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()

    def work(uow: SqlUnitOfWork) -> dict[str, Any]:
        if key:
            seen = uow.idempotency.get(scope, key)
            if seen is not None:
                if seen.request_hash != fingerprint:
                    raise MicrofactoryError("this Idempotency-Key was used with a different request",
                                            field="Idempotency-Key", code=ErrorCode.IDEMPOTENCY_MISMATCH)
                return dict(seen.response)
        result = fn(uow)
        if key:
            uow.idempotency.put(scope, key, fingerprint, status_code, result, c.clock.now())
        return result

    return run_write(c, work)
