"""Shared fixtures: databases on SQLite always and on PostgreSQL when MICROFACTORY_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from microfactory.adapters.db import normalise_url
from microfactory.bootstrap import Container, Settings, bootstrap
from microfactory.services.clock import FixedClock

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "berlin"
PG_URL = os.environ.get("MICROFACTORY_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgres"] if PG_URL else [])
NOW = datetime(2026, 12, 1, 9, 0)


def _pg_schema_url(schema: str) -> str:
    assert PG_URL is not None
    base = normalise_url(PG_URL)
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a private schema on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    schema = f"mf_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(PG_URL or ""), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_schema_url(schema)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def container(db_url: str) -> Iterator[Container]:
    """A migrated database with a fixed clock and a Shopify secret for brand spree."""
    c = bootstrap(Settings(database_url=db_url, shopify_secrets={"spree": "shpss_test_secret"}),
                  clock=FixedClock(NOW))
    yield c
    c.engine.dispose()


@pytest.fixture
def loaded(container: Container) -> Container:
    """The Berlin example network, catalog, stock and orders stored."""
    from microfactory.services.scenario import load_folder

    with container.uow() as uow:
        load_folder(uow, EXAMPLE, now=NOW)
    return container
