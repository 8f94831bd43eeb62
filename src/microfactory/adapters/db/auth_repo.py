"""Tokens and users in the store."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from microfactory.adapters.db.tables import settings
from microfactory.adapters.db.tables_auth import api_tokens, users
from microfactory.adapters.db.upsert import upsert


class AuthRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def shared_secret(self, key: str, candidate: str) -> str:
        """The secret stored under ``key``; ``candidate`` is stored first when there is none yet.

        Insert-or-ignore then read, so racing processes all end up with the first one stored."""
        upsert(self.conn, settings, [{"key": key, "value": {"secret": candidate}}], ["key"], update=False)
        value = self.conn.execute(select(settings.c.value).where(settings.c.key == key)).scalar_one()
        return str(value["secret"])

    def add_token(self, row: dict[str, Any]) -> None:
        self.conn.execute(api_tokens.insert().values(**row))

    def token_by_hash(self, token_hash: str) -> Any:
        return self.conn.execute(select(api_tokens).where(api_tokens.c.token_hash == token_hash)).first()

    def revoke(self, token_id: str, at: datetime) -> bool:
        res = self.conn.execute(update(api_tokens).where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
                                .values(revoked_at=at))
        return bool(res.rowcount)

    def tokens(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(select(api_tokens).order_by(api_tokens.c.created_at))
        return [{"id": r.id, "name": r.name, "role": r.role, "brand": r.brand_id, "site": r.site_id,
                 "created_at": r.created_at.isoformat(), "expires_at": r.expires_at.isoformat() if r.expires_at else None,
                 "revoked": r.revoked_at is not None} for r in rows]

    def add_user(self, row: dict[str, Any]) -> None:
        self.conn.execute(users.insert().values(**row))

    def user(self, username: str) -> Any:
        return self.conn.execute(select(users).where(users.c.username == username)).first()
