"""Load a scenario folder (network.yaml, catalog.yaml, orders.csv, inventory.csv) into the domain.

Loading is all or nothing: every problem of every file is collected and raised together as
a :class:`FileError` (each ``FILE:LINE: what is wrong``); nothing is returned half-built.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from microfactory.adapters.files import builders
from microfactory.adapters.files.located import CsvRow, Located, check_schema, load_yaml, read_csv
from microfactory.domain.catalog import Catalog, Material, Product, make_variant, parse_options
from microfactory.domain.geo import Location
from microfactory.domain.network import Network, SiteKind
from microfactory.domain.orders import Channel, Delivery, Order, OrderLine
from microfactory.errors import FileError, FileProblem, MicrofactoryError

ORDER_COLUMNS = ["order_id", "brand", "product", "options", "quantity", "customer_lat", "customer_lon",
                 "delivery", "due", "created"]
ORDER_OPTIONAL = ["channel", "customer_ref", "keep_together"]
INVENTORY_COLUMNS = ["site", "item", "lot", "quantity"]
_ORDER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")  # as in orders.schema.json


@dataclass(frozen=True)
class StockRow:
    """One row of inventory.csv: a lot of an item at a site."""

    site: str
    item: str
    lot: str
    quantity: float
    received: datetime
    line: int = 0


@dataclass(frozen=True)
class Scenario:
    """A whole scenario: the network, the catalog, orders and opening stock."""

    network: Network
    catalog: Catalog
    orders: tuple[Order, ...]
    stock: tuple[StockRow, ...]


def load_scenario(folder: str | Path, *, require_orders: bool = False) -> Scenario:
    """Load and cross-check a scenario folder; raise FileError listing every problem."""
    root = Path(folder)
    problems: list[FileProblem] = []
    if not root.is_dir():
        raise FileError([FileProblem(str(root), 0, "is not a folder")])
    net_doc, network = _load_network(root / "network.yaml", problems)
    catalog = _load_catalog(root / "catalog.yaml", network, problems) if network else None
    if net_doc is not None and catalog is not None:
        builders.check_suppliers(net_doc, set(catalog.materials), problems)
    orders: tuple[Order, ...] = ()
    stock: tuple[StockRow, ...] = ()
    orders_file = root / "orders.csv"
    if network and catalog and (orders_file.exists() or require_orders):
        orders_text = _read(orders_file, problems)
        if orders_text is not None:
            orders = parse_orders(str(orders_file), orders_text, network, catalog, problems)
    inv_file = root / "inventory.csv"
    if network and catalog and inv_file.exists():
        inv_text = _read(inv_file, problems)
        if inv_text is not None:
            stock = parse_inventory(str(inv_file), inv_text, network, catalog, problems)
    if problems or network is None or catalog is None:
        raise FileError(problems)
    return Scenario(network, catalog, orders, stock)


def _read(path: Path, problems: list[FileProblem]) -> str | None:
    """The file's text (a UTF-8 byte-order mark, as spreadsheets write, is dropped); None if unreadable."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        problems.append(FileProblem(str(path), 0, "file not found"))
    except UnicodeDecodeError as exc:
        problems.append(FileProblem(str(path), 1, f"not UTF-8 text ({exc.reason})"))
    return None


def _load_network(path: Path, problems: list[FileProblem]) -> tuple[Located | None, Network | None]:
    text = _read(path, problems)
    if text is None:
        return None, None
    doc = load_yaml(str(path), text, problems)
    if doc is None or not check_schema(doc, "network", problems):
        return None, None
    before = len(problems)
    network = builders.build_network(doc, problems)
    return (doc, network) if len(problems) == before else (None, None)


def _load_catalog(path: Path, network: Network, problems: list[FileProblem]) -> Catalog | None:
    text = _read(path, problems)
    if text is None:
        return None
    doc = load_yaml(str(path), text, problems)
    if doc is None or not check_schema(doc, "catalog", problems):
        return None
    before = len(problems)
    catalog = builders.build_catalog(doc, network, problems)
    return catalog if len(problems) == before else None


def parse_datetime(text: str) -> datetime:
    """ISO date-time; an offset is converted to UTC; stored naive in UTC."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def parse_orders(file: str, text: str, network: Network, catalog: Catalog,
                 problems: list[FileProblem]) -> tuple[Order, ...]:
    """Rows of orders.csv → orders (rows sharing an order_id are the lines of one order)."""
    rows = read_csv(file, text, ORDER_COLUMNS, ORDER_OPTIONAL, problems)
    if rows is None:
        return ()
    groups: dict[str, list[tuple[CsvRow, dict[str, Any]]]] = {}
    for row in rows:
        try:
            parsed = _order_row(row.values, network, catalog)
        except (MicrofactoryError, ValueError) as exc:
            problems.append(FileProblem(file, row.line, _msg(exc)))
            continue
        groups.setdefault(parsed["order_id"], []).append((row, parsed))
    orders = []
    for order_id, members in groups.items():
        first_row, first = members[0]
        for row, other in members[1:]:
            for key in ("brand", "customer_lat", "customer_lon", "delivery", "due", "created"):
                if other[key] != first[key]:
                    problems.append(FileProblem(file, row.line, f"order {order_id}: {key} differs from line {first_row.line}"))
        try:
            orders.append(_make_order(order_id, [p for _, p in members]))
        except MicrofactoryError as exc:
            problems.append(FileProblem(file, first_row.line, _msg(exc)))
    return tuple(orders)


def _msg(exc: Exception) -> str:
    return exc.message if isinstance(exc, MicrofactoryError) else str(exc)


def _order_row(v: dict[str, str], network: Network, catalog: Catalog) -> dict[str, Any]:
    if not _ORDER_ID.fullmatch(v["order_id"]):
        raise ValueError(f"order_id {v['order_id']!r} must be 1-64 letters, digits or _.:- (starting with a letter or digit)")
    brand = v["brand"]
    if brand not in {b.id for b in network.brands}:
        raise ValueError(f"brand {brand!r} is not in network.yaml")
    product = catalog.products.get(v["product"])
    if product is None:
        raise ValueError(f"product {v['product']!r} is not in catalog.yaml")
    if product.brand != brand:
        raise ValueError(f"product {product.id} belongs to brand {product.brand}, not {brand}")
    variant = make_variant(product, parse_options(v.get("options", "")))
    try:
        qty = int(v["quantity"])
    except ValueError:
        raise ValueError(f"quantity {v['quantity']!r} is not a whole number") from None
    if qty < 1:
        raise ValueError(f"quantity must be at least 1, got {qty}")
    try:
        location = Location(float(v["customer_lat"]), float(v["customer_lon"]))
    except ValueError as exc:
        raise ValueError(f"customer location: {exc}") from None
    delivery = Delivery.parse(v["delivery"])
    if delivery.store is not None:
        store = next((s for s in network.sites if s.id == delivery.store), None)
        if store is None or store.kind is not SiteKind.STORE:
            raise ValueError(f"pickup store {delivery.store!r} is not a store of the network")
    try:
        due = date.fromisoformat(v["due"])
    except ValueError:
        raise ValueError(f"due {v['due']!r} is not an ISO date (YYYY-MM-DD)") from None
    try:
        created = parse_datetime(v["created"])
    except ValueError:
        raise ValueError(f"created {v['created']!r} is not an ISO date-time") from None
    channel = v.get("channel") or "csv"
    if channel not in {c.value for c in Channel}:
        raise ValueError(f"channel {channel!r} is not one of {', '.join(c.value for c in Channel)}")
    keep = (v.get("keep_together") or "false").lower()
    if keep not in ("true", "false", "1", "0", "yes", "no"):
        raise ValueError(f"keep_together {keep!r} is not true or false")
    return {"order_id": v["order_id"], "brand": brand, "product": product, "variant": variant,
            "quantity": qty, "customer_lat": location.lat, "customer_lon": location.lon,
            "delivery": delivery, "due": due, "created": created, "channel": Channel(channel),
            "customer_ref": v.get("customer_ref", ""), "keep_together": keep in ("true", "1", "yes")}


def _make_order(order_id: str, parts: list[dict[str, Any]]) -> Order:
    first = parts[0]
    lines = tuple(
        OrderLine(id=f"{order_id}-{n}", order_id=order_id, product_id=p["product"].id,
                  options=p["variant"].choices, sku=p["variant"].sku, quantity=p["quantity"],
                  unit_price=p["product"].price)
        for n, p in enumerate(parts, start=1)
    )
    return Order(id=order_id, brand=first["brand"], lines=lines,
                 customer_location=Location(first["customer_lat"], first["customer_lon"]),
                 delivery=first["delivery"], due=first["due"], created=first["created"],
                 channel=first["channel"], external_id=order_id, customer_ref=first["customer_ref"],
                 keep_together=any(p["keep_together"] for p in parts))


def parse_inventory(file: str, text: str, network: Network, catalog: Catalog,
                    problems: list[FileProblem]) -> tuple[StockRow, ...]:
    rows = read_csv(file, text, INVENTORY_COLUMNS, ["received"], problems)
    if rows is None:
        return ()
    sites = {s.id for s in network.sites}
    out, seen = [], set()
    for row in rows:
        v = row.values
        try:
            if v["site"] not in sites:
                raise ValueError(f"site {v['site']!r} is not in network.yaml")
            if v["item"] not in catalog.materials and not _is_known_sku(v["item"], catalog):
                raise ValueError(f"item {v['item']!r} is neither a material nor a known SKU")
            if not v["lot"] or len(v["lot"]) > 20:
                raise ValueError("lot must be 1-20 characters")
            qty = float(v["quantity"])
            if not (qty > 0 and math.isfinite(qty)):
                raise ValueError(f"quantity must be a positive number, got {v['quantity']}")
            received = parse_datetime(v["received"]) if v.get("received") else datetime.combine(date(2000, 1, 1), time())
        except ValueError as exc:
            problems.append(FileProblem(file, row.line, str(exc)))
            continue
        key = (v["site"], v["item"], v["lot"])
        if key in seen:
            problems.append(FileProblem(file, row.line, f"lot {v['lot']} of {v['item']} at {v['site']} is repeated"))
            continue
        seen.add(key)
        out.append(StockRow(v["site"], v["item"], v["lot"], qty, received, row.line))
    return tuple(out)


def _is_known_sku(sku: str, catalog: Catalog) -> bool:
    return any(sku.upper().startswith(p.id.upper() + "-") for p in catalog.products.values())


__all__ = [
    "Located",
    "Material",
    "Product",
    "Scenario",
    "StockRow",
    "load_scenario",
    "parse_datetime",
    "parse_inventory",
    "parse_orders",
]
