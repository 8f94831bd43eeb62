"""API tokens and dashboard users (migration 0003_auth)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, String, Table

from microfactory.adapters.db.tables import metadata

api_tokens = Table(
    "api_tokens", metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),   # sha256 of the secret; the secret is never stored
    Column("role", String(16), nullable=False),
    Column("brand_id", String(64), nullable=True),
    Column("site_id", String(64), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=True),
    Column("revoked_at", DateTime, nullable=True),
)

users = Table(
    "users", metadata,
    Column("username", String(64), primary_key=True),
    Column("password_hash", String(200), nullable=False),            # pbkdf2_sha256$iterations$salt$hash
    Column("role", String(16), nullable=False),
    Column("brand_id", String(64), nullable=True),
    Column("site_id", String(64), nullable=True),
    Column("created_at", DateTime, nullable=False),
)
