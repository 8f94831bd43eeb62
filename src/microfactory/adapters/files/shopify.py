"""Shopify ``orders/create`` webhooks: signature check and payload → OrderRequest.

Shopify signs the raw request body with the app's shared secret: the header
``X-Shopify-Hmac-Sha256`` holds base64(HMAC-SHA256(secret, body)). Line items carry
``sku``, ``variant_title``, ``quantity`` and ``properties`` (``[{name, value}]``); the
shipping address carries ``latitude`` and ``longitude``; ``note_attributes`` carry our
delivery choice (``delivery``: ship | same_day | pickup:<store>) and an optional ``due`` date.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from datetime import date, datetime, timedelta
from typing import Any

from microfactory.adapters.files.scenario import parse_datetime
from microfactory.domain.catalog import Catalog, OptionKind, Product
from microfactory.errors import BadSignature, InvalidInput
from microfactory.services.intake import LineRequest, OrderRequest


def sign(secret: str, body: bytes) -> str:
    """The signature Shopify would send for ``body``."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify(secret: str, body: bytes, header: str | None) -> None:
    """Raise BadSignature unless ``header`` is the body's HMAC (constant-time compare)."""
    if not header:
        raise BadSignature("missing X-Shopify-Hmac-Sha256 header", field="X-Shopify-Hmac-Sha256")
    if not hmac.compare_digest(sign(secret, body), header.strip()):
        raise BadSignature("X-Shopify-Hmac-Sha256 does not match the body", field="X-Shopify-Hmac-Sha256")


def _product_for_sku(catalog: Catalog, sku: str) -> Product:
    best = None
    for p in catalog.products.values():
        matches = sku.upper().startswith(p.id.upper() + "-") or sku.upper() == p.id.upper()
        if matches and (best is None or len(p.id) > len(best.id)):
            best = p
    if best is None:
        raise InvalidInput(f"SKU {sku!r} matches no product", field="line_items.sku")
    return best


def decode_sku(catalog: Catalog, sku: str) -> tuple[Product, dict[str, str]]:
    """A variant SKU (as :class:`~microfactory.domain.catalog.Variant` builds it) back to product and choices."""
    product = _product_for_sku(catalog, sku)
    parts = sku[len(product.id) + 1:].split("-") if len(sku) > len(product.id) else []
    choices: dict[str, str] = {}
    for group, part in zip(product.options, parts):
        if group.kind is OptionKind.NUMBER:
            m = re.fullmatch(re.escape(group.name[:3].upper()) + r"([0-9.]+)", part)
            if m:
                choices[group.name] = m.group(1)
        else:
            match = next((v for v in group.values if re.sub(r"[^A-Za-z0-9.]+", "", v).upper() == part), None)
            if match is not None:
                choices[group.name] = match
    return product, choices


def _attrs(items: Any) -> dict[str, str]:
    if not isinstance(items, list):
        return {}
    return {str(i.get("name")): str(i.get("value")) for i in items if isinstance(i, dict) and "name" in i}


def parse_order(payload: dict[str, Any], brand: str, catalog: Catalog, now: datetime) -> OrderRequest:
    """An ``orders/create`` payload → OrderRequest; InvalidInput names the field that is wrong."""
    if not isinstance(payload, dict) or "id" not in payload:
        raise InvalidInput("payload is not a Shopify order (no id)", field="id")
    items = payload.get("line_items")
    if not isinstance(items, list) or not items:
        raise InvalidInput("line_items must be a non-empty list", field="line_items")
    lines = []
    for k, item in enumerate(items):
        if not isinstance(item, dict) or not item.get("sku"):
            raise InvalidInput("each line item needs a sku", field=f"line_items[{k}].sku")
        product, choices = decode_sku(catalog, str(item["sku"]))
        known = {o.name for o in product.options}
        choices.update({n: v for n, v in _attrs(item.get("properties")).items() if n in known})
        qty = item.get("quantity")
        if not isinstance(qty, int) or qty < 1:
            raise InvalidInput("quantity must be a positive integer", field=f"line_items[{k}].quantity")
        lines.append(LineRequest(product.id, choices, qty))
    address = payload.get("shipping_address") or {}
    try:
        lat, lon = float(address["latitude"]), float(address["longitude"])
    except (KeyError, TypeError, ValueError):
        raise InvalidInput("shipping_address needs latitude and longitude", field="shipping_address") from None
    notes = _attrs(payload.get("note_attributes"))
    try:
        created = parse_datetime(str(payload["created_at"])) if payload.get("created_at") else now
        due = date.fromisoformat(notes["due"]) if "due" in notes else (created + timedelta(days=7)).date()
    except ValueError as exc:
        raise InvalidInput(f"bad date: {exc}", field="created_at") from None
    number = payload.get("order_number") or payload["id"]
    return OrderRequest(brand=brand, lines=tuple(lines), customer_lat=lat, customer_lon=lon,
                        delivery=notes.get("delivery", "ship"), due=due, created=created,
                        external_id=f"shopify:{payload['id']}", channel="web",
                        customer_ref=f"shopify-customer:{(payload.get('customer') or {}).get('id', '')}",
                        order_id=f"SHOP-{brand}-{number}")


def load_body(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"body is not JSON: {exc}", field="body") from None
    if not isinstance(data, dict):
        raise InvalidInput("body must be a JSON object", field="body")
    return data
