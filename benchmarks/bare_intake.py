"""The reference for the intake load benchmark: a bare FastAPI endpoint that inserts an order and
its lines in one transaction on the same database, with nothing else (no validation against the
catalog, no idempotency, no events, no audit, no auth). Run by benchmarks/intake_load.py.

The route is a plain ``def``: FastAPI parses the JSON body on the event loop and runs the
synchronous insert in its threadpool, so several transactions are in flight at once (as in any
ordinary FastAPI + SQLAlchemy service). An ``async def`` route calling the synchronous engine
would block the event loop for every commit and serialise each worker to one transaction at a
time (that is what the first version of this file did: about 5.7 ms per order per worker, 4 ms
of it the commit's fsync, so concurrency 16 queued 8 requests per worker: p50 44 ms)."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Body, FastAPI
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, create_engine

metadata = MetaData()
bare_orders = Table("bare_orders", metadata, Column("id", String(40), primary_key=True),
                    Column("brand", String(64)), Column("lat", Float), Column("lon", Float), Column("created", String(40)))
bare_lines = Table("bare_lines", metadata, Column("id", Integer, primary_key=True, autoincrement=True),
                   Column("order_id", String(40)), Column("product", String(64)), Column("qty", Integer))


def create_app() -> FastAPI:
    # the same pool as our service gets in the benchmark (intake_load.py --pool-size/--max-overflow)
    engine = create_engine(os.environ["BARE_DATABASE_URL"], pool_size=int(os.environ.get("BARE_POOL_SIZE", "10")),
                           max_overflow=int(os.environ.get("BARE_MAX_OVERFLOW", "20")))
    metadata.create_all(engine)
    app = FastAPI()

    @app.post("/orders", status_code=201)
    def create(body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        order_id = uuid.uuid4().hex
        with engine.begin() as conn:
            conn.execute(bare_orders.insert().values(id=order_id, brand=body["brand"], lat=body["customer"]["lat"],
                                                     lon=body["customer"]["lon"], created=datetime.now(UTC).isoformat()))
            conn.execute(bare_lines.insert(), [{"order_id": order_id, "product": ln["product"], "qty": ln["quantity"]}
                                               for ln in body["lines"]])
        return {"id": order_id}

    return app
