"""Shared fixtures: databases on SQLite always and on PostgreSQL when MICROFACTORY_TEST_POSTGRES_URL is set.

Every test gets its own database. Building one (migrations, then the Berlin example) is done
once per test process into a template, and each test gets a copy: a file copy on SQLite,
``CREATE DATABASE ... TEMPLATE`` on PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from microfactory.adapters.db import make_engine, migrate, normalise_url
from microfactory.bootstrap import Container, Settings, bootstrap
from microfactory.services.clock import FixedClock

# Shared machines are noisy: no per-example deadline; derandomised so CI runs are repeatable
# (set HYPOTHESIS_PROFILE=explore for fresh random examples while developing).
settings.register_profile("ci", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "berlin"
PG_URL = os.environ.get("MICROFACTORY_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgres"] if PG_URL else [])
NOW = datetime(2026, 12, 1, 9, 0)


def _pg_admin():  # type: ignore[no-untyped-def]
    return create_engine(normalise_url(PG_URL or ""), isolation_level="AUTOCOMMIT")


def _pg_db_url(name: str) -> str:
    return make_url(normalise_url(PG_URL or "")).set(database=name).render_as_string(hide_password=False)


def _build(url: str, with_example: bool) -> None:
    engine = make_engine(url)
    migrate(engine)
    if with_example:
        from microfactory.adapters.db import SqlUnitOfWork
        from microfactory.services.scenario import load_folder

        with SqlUnitOfWork(engine) as uow:
            load_folder(uow, EXAMPLE, now=NOW)
    engine.dispose()


class Templates:
    """Template databases of one test process, built on first use."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.built: dict[tuple[str, bool], str] = {}
        self.pg_names: list[str] = []

    def sqlite(self, with_example: bool) -> Path:
        key = ("sqlite", with_example)
        if key not in self.built:
            path = self.folder / f"template-{with_example}.db"
            _build(f"sqlite:///{path}", with_example)
            self.built[key] = str(path)
        return Path(self.built[key])

    def postgres(self, with_example: bool) -> str:
        key = ("postgres", with_example)
        if key not in self.built:
            name = f"mf_tpl_{uuid.uuid4().hex[:10]}"
            with _pg_admin().connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            self.pg_names.append(name)
            _build(_pg_db_url(name), with_example)
            self.built[key] = name
        return self.built[key]


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    t = Templates(tmp_path_factory.mktemp("templates"))
    yield t
    if t.pg_names:
        with _pg_admin().connect() as conn:
            for name in t.pg_names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _database(request: pytest.FixtureRequest, tmp_path: Path, templates: Templates, with_example: bool) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(templates.sqlite(with_example), path)
        yield f"sqlite:///{path}"
        return
    template = templates.postgres(with_example)
    name = f"mf_t_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield _pg_db_url(name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, templates: Templates) -> Iterator[str]:
    """A fresh, migrated, empty database: a SQLite file, or a PostgreSQL database of its own."""
    yield from _database(request, tmp_path, templates, with_example=False)


@pytest.fixture(params=BACKENDS)
def loaded_url(request: pytest.FixtureRequest, tmp_path: Path, templates: Templates) -> Iterator[str]:
    """A fresh database holding the Berlin example (network, catalog, stock, 240 validated orders)."""
    yield from _database(request, tmp_path, templates, with_example=True)


def _container(url: str) -> Container:
    return bootstrap(Settings(database_url=url, shopify_secrets={"spree": "shpss_test_secret"}),
                     clock=FixedClock(NOW))


@pytest.fixture
def container(db_url: str) -> Iterator[Container]:
    """A migrated, empty database with a fixed clock and a Shopify secret for brand spree."""
    c = _container(db_url)
    yield c
    c.engine.dispose()


@pytest.fixture
def loaded(loaded_url: str) -> Iterator[Container]:
    """The Berlin example network, catalog, stock and orders stored, with a fixed clock."""
    c = _container(loaded_url)
    yield c
    c.engine.dispose()
