"""Shared dependencies of the routes: the container, a unit of work, paging."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from starlette.concurrency import run_in_threadpool

from microfactory.adapters.db import SqlUnitOfWork
from microfactory.bootstrap import Container
from microfactory.domain.access import ADMIN, Principal
from microfactory.errors import InvalidInput, Unauthenticated


async def get_container(request: Request) -> Container:
    """``async`` (it does no I/O) so FastAPI does not send it to the threadpool."""
    return request.app.state.container  # type: ignore[no-any-return]


def get_uow(c: Annotated[Container, Depends(get_container)]) -> Iterator[SqlUnitOfWork]:
    """A read-only unit of work for queries; writes go through ``writes.run_write``."""
    with c.uow(readonly=True) as uow:
        yield uow


async def get_principal(c: Annotated[Container, Depends(get_container)],
                        authorization: Annotated[str | None, Header(description="Bearer <API token>")] = None
                        ) -> Principal:
    """The caller, from ``Authorization: Bearer <token>``.

    With ``require_auth`` off (embedded use and most tests) a call without a token acts as the
    network admin; a token, when given, is always checked: from the process's token cache
    (``settings.token_cache_s``, so a revocation is honoured within that many seconds) on the
    event loop, else by a database lookup in the threadpool.
    """
    if authorization is None:
        if c.settings.require_auth:
            raise Unauthenticated("send Authorization: Bearer <API token>", field="authorization")
        return ADMIN
    scheme, _, secret = authorization.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthenticated("Authorization must be 'Bearer <API token>'", field="authorization")
    secret, now = secret.strip(), c.clock.now()
    principal = c.tokens.get(secret, now)
    if principal is not None:
        return principal
    return await _look_up_once(c, secret, now)


async def _look_up_once(c: Container, secret: str, now: Any) -> Principal:
    """One database lookup per token at a time in this process: when a cached token's time is up,
    every request in flight with it misses at once (32 per worker at concurrency 64); they all wait
    for the first one's lookup instead of each taking a pooled connection for the same answer."""
    from microfactory.services.auth import authenticate_cached, token_key

    key, loop = token_key(secret), asyncio.get_running_loop()
    pending = c.token_lookups.get(key)
    if pending is None or pending.get_loop() is not loop:
        pending = asyncio.ensure_future(run_in_threadpool(authenticate_cached, c.tokens,
                                                          lambda: c.uow(readonly=True), secret, now))
        c.token_lookups[key] = pending

        def forget(done: asyncio.Future[Principal]) -> None:
            if c.token_lookups.get(key) is done:
                del c.token_lookups[key]
            if not done.cancelled():
                done.exception()  # retrieved here, so a refusal nobody else awaits is not logged as lost

        pending.add_done_callback(forget)
    return await asyncio.shield(pending)


MAX_CURSOR = 2**31 - 1


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None or cursor == "":
        return None
    if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > 18:  # "²".isdigit() but int("²") fails
        raise InvalidInput("cursor is not one this API returned", field="cursor")
    value = int(cursor)
    if value > MAX_CURSOR:  # row sequence numbers are 32-bit integers on PostgreSQL
        raise InvalidInput("cursor is not one this API returned", field="cursor")
    return value


ContainerDep = Annotated[Container, Depends(get_container)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
UowDep = Annotated[SqlUnitOfWork, Depends(get_uow)]
LimitQ = Annotated[int, Query(ge=1, le=200, description="page size")]
CursorQ = Annotated[str | None, Query(max_length=18, description="next_cursor of the previous page")]
