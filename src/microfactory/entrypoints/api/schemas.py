"""Request and response models of the API (separate Create and Public shapes)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LineCreate(Strict):
    product: str = Field(min_length=1, max_length=64)
    options: dict[str, str | int | float] = Field(default_factory=dict, max_length=32)
    quantity: int = Field(ge=1, le=10_000)


class CustomerIn(Strict):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    ref: str = Field(default="", max_length=200)


class OrderCreate(Strict):
    """A new order. ``external_id`` makes intake idempotent per brand, like an Idempotency-Key."""

    brand: str = Field(min_length=1, max_length=64)
    lines: list[LineCreate] = Field(min_length=1, max_length=200)
    customer: CustomerIn
    delivery: str = Field(default="ship", pattern=r"^(ship|same_day|pickup:[A-Za-z0-9][A-Za-z0-9_.-]{0,63})$")
    due: date | None = None
    external_id: str | None = Field(default=None, min_length=1, max_length=128)
    channel: str = Field(default="api", pattern=r"^(shop|web|api|campaign|replenishment)$")
    keep_together: bool = False


class LinePublic(BaseModel):
    id: str
    product: str
    sku: str
    options: dict[str, str]
    quantity: int
    unit_price: float
    status: str


class OrderPublic(BaseModel):
    id: str
    brand: str
    status: str
    channel: str
    external_id: str | None
    delivery: str
    due: str
    created: str
    keep_together: bool
    customer: dict[str, Any]
    units: int
    lines: list[LinePublic]


class OrderPage(BaseModel):
    items: list[OrderPublic]
    next_cursor: str | None


class Health(BaseModel):
    status: str
    database: str
    version: str
    time: datetime
