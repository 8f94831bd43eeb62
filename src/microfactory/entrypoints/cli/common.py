"""Shared CLI plumbing: output as Rich tables or JSON, and exit codes from error codes."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from datetime import date, datetime
from enum import Enum
from functools import wraps
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from microfactory.bootstrap import Container, Settings, bootstrap
from microfactory.errors import EXIT_CODES, FileError, MicrofactoryError

console = Console()
err_console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

DbOption = typer.Option(None, "--db", help="Database URL (default: $MICROFACTORY_DATABASE_URL or sqlite:///microfactory.db)")
JsonOption = typer.Option(False, "--json", help="Print JSON instead of a table")


def _default(o: Any) -> Any:
    if isinstance(o, (datetime, date)):
        return o.isoformat()
    if isinstance(o, Enum):
        return o.value
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    if hasattr(o, "as_dict"):
        return o.as_dict()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def dump_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, default=_default, indent=2, ensure_ascii=False) + "\n")


def table(title: str, columns: list[str], rows: Iterable[Iterable[Any]]) -> None:
    t = Table(title=title, header_style="bold")
    for c in columns:
        t.add_column(c)
    for r in rows:
        t.add_row(*[("" if v is None else str(v)) for v in r])
    console.print(t)


class progress_bar:
    """``with progress_bar("importing orders") as update: update(done, total)`` — a Rich bar on stderr."""

    def __init__(self, label: str) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                  console=err_console, transient=True)
        self._task = self._progress.add_task(label, total=None)

    def __enter__(self) -> Callable[[int, int], None]:
        self._progress.start()

        def update(done: int, total: int) -> None:
            self._progress.update(self._task, completed=done, total=total)

        return update

    def __exit__(self, *_exc: object) -> None:
        self._progress.stop()


def container(db: str | None) -> Container:
    return bootstrap(Settings.from_env(db))


def handle_errors(fn: F) -> F:
    """Turn MicrofactoryError into a message on stderr and the exit code of its error code."""
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except FileError as exc:
            for p in exc.problems:
                err_console.print(f"[red]{p}[/red]", highlight=False, soft_wrap=True)
            err_console.print(f"{len(exc.problems)} problem(s); nothing was stored.")
            raise typer.Exit(EXIT_CODES[exc.code]) from None
        except MicrofactoryError as exc:
            where = f" ({exc.field})" if exc.field else ""
            err_console.print(f"[red]error[/red] {exc.code.value}{where}: {exc.message}", highlight=False, soft_wrap=True)
            raise typer.Exit(EXIT_CODES[exc.code]) from None
    return wrapper  # type: ignore[return-value]
