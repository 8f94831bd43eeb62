"""The reference for the intake load benchmark: a bare FastAPI endpoint that inserts an order and
its lines in one transaction on the same database, with nothing else (no validation against the
catalog, no idempotency, no events, no audit, no auth). Run by benchmarks/intake_load.py."""

from __future__ import annotations

import os
import uuid
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, create_engine

metadata = MetaData()
bare_orders = Table("bare_orders", metadata, Column("id", String(40), primary_key=True),
                    Column("brand", String(64)), Column("lat", Float), Column("lon", Float), Column("created", String(40)))
bare_lines = Table("bare_lines", metadata, Column("id", Integer, primary_key=True, autoincrement=True),
                   Column("order_id", String(40)), Column("product", String(64)), Column("qty", Integer))


def create_app() -> FastAPI:
    engine = create_engine(os.environ["BARE_DATABASE_URL"], pool_size=10, max_overflow=20)
    metadata.create_all(engine)
    app = FastAPI()

    @app.post("/orders", status_code=201)
    async def create(request: Request) -> dict[str, Any]:
        body = await request.json()
        order_id = uuid.uuid4().hex
        with engine.begin() as conn:
            conn.execute(bare_orders.insert().values(id=order_id, brand=body["brand"], lat=body["customer"]["lat"],
                                                     lon=body["customer"]["lon"], created=datetime.utcnow().isoformat()))
            conn.execute(bare_lines.insert(), [{"order_id": order_id, "product": ln["product"], "qty": ln["quantity"]}
                                               for ln in body["lines"]])
        return {"id": order_id}

    return app
