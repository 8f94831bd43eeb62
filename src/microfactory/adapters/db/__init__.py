"""Storage on SQLite (default) and PostgreSQL: tables, repositories, unit of work, migrations."""

from microfactory.adapters.db.engine import DEFAULT_URL, make_engine, migrate, normalise_url
from microfactory.adapters.db.uow import SqlUnitOfWork

__all__ = ["DEFAULT_URL", "SqlUnitOfWork", "make_engine", "migrate", "normalise_url"]
