"""Alembic environment: runs on the connection handed in by microfactory.adapters.db.engine.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from microfactory.adapters.db.tables import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # plain `alembic` command line: use sqlalchemy.url from the ini or env
    import os

    url = os.environ.get("MICROFACTORY_DATABASE_URL", config.get_main_option("sqlalchemy.url") or "sqlite:///microfactory.db")
    with create_engine(url).begin() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
