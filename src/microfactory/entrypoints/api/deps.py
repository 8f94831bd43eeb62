"""Shared dependencies of the routes: the container, a unit of work, paging."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request

from microfactory.adapters.db import SqlUnitOfWork
from microfactory.bootstrap import Container
from microfactory.errors import InvalidInput


def get_container(request: Request) -> Container:
    return request.app.state.container  # type: ignore[no-any-return]


def get_uow(c: Annotated[Container, Depends(get_container)]) -> Iterator[SqlUnitOfWork]:
    with c.uow() as uow:
        yield uow


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None or cursor == "":
        return None
    if not cursor.isdigit() or len(cursor) > 18:
        raise InvalidInput("cursor is not one this API returned", field="cursor")
    return int(cursor)


ContainerDep = Annotated[Container, Depends(get_container)]
UowDep = Annotated[SqlUnitOfWork, Depends(get_uow)]
LimitQ = Annotated[int, Query(ge=1, le=200, description="page size")]
CursorQ = Annotated[str | None, Query(max_length=18, description="next_cursor of the previous page")]
