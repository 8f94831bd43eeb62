"""Repositories: domain objects in and out of the tables, on one connection (one transaction)."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, func, select, update

from microfactory.adapters.db import tables as t
from microfactory.adapters.db.one_statement import InsertBatch
from microfactory.adapters.db.upsert import upsert
from microfactory.adapters.files import builders
from microfactory.adapters.files.dump import (
    material_to_dict,
    product_to_dict,
    site_to_dict,
    supplier_to_dict,
)
from microfactory.adapters.files.located import Located
from microfactory.domain.catalog import Catalog, Material
from microfactory.domain.geo import Location
from microfactory.domain.network import Brand, Network, Site, SiteStatus
from microfactory.domain.orders import (
    Channel,
    Delivery,
    Order,
    OrderLine,
    OrderStatus,
    StatusChanged,
)
from microfactory.errors import FileError, NotFound


class NetworkRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def version(self) -> int:
        """A counter bumped by every change to the network or catalog (for caches)."""
        value = self.conn.execute(select(t.settings.c.value).where(t.settings.c.key == "reference_version")).scalar()
        return int(value["v"]) if value else 0

    def bump_version(self) -> None:
        # Row-locked read (PostgreSQL) so two concurrent bumps cannot both write the same number and
        # leave a cache in another process on stale data; SQLite writers are serialised anyway.
        value = self.conn.execute(select(t.settings.c.value).where(t.settings.c.key == "reference_version")
                                  .with_for_update()).scalar()
        current = int(value["v"]) if value else 0
        upsert(self.conn, t.settings, [{"key": "reference_version", "value": {"v": current + 1}}], ["key"])

    def save(self, network: Network) -> None:
        self.bump_version()
        upsert(self.conn, t.settings, [{"key": "network", "value": {
            "name": network.name, "currency": network.currency, "timezone": network.timezone}}], ["key"])
        upsert(self.conn, t.brands, [{"id": b.id, "name": b.name} for b in network.brands], ["id"])
        upsert(self.conn, t.sites, [self._site_row(s) for s in network.sites], ["id"])
        upsert(self.conn, t.suppliers, [{"id": s.id, "spec": supplier_to_dict(s)} for s in network.suppliers], ["id"])

    @staticmethod
    def _site_row(s: Site) -> dict[str, Any]:
        return {"id": s.id, "name": s.name, "kind": s.kind.value, "operator": s.operator.value,
                "status": s.status.value, "lat": s.location.lat, "lon": s.location.lon, "spec": site_to_dict(s)}

    def exists(self) -> bool:
        return self.conn.execute(select(t.settings.c.key).where(t.settings.c.key == "network")).first() is not None

    def load(self) -> Network:
        meta = self.conn.execute(select(t.settings.c.value).where(t.settings.c.key == "network")).scalar()
        if meta is None:
            raise NotFound("no network is loaded; run `microfactory load DIR` first", field="network")
        brands = tuple(Brand(r.id, r.name) for r in self.conn.execute(select(t.brands).order_by(t.brands.c.id)))
        sites = tuple(self._site(r.spec, r.status) for r in self.conn.execute(select(t.sites).order_by(t.sites.c.id)))
        doc = Located("network", {"name": meta["name"], "brands": [], "sites": [],
                                  "suppliers": [r.spec for r in self.conn.execute(select(t.suppliers).order_by(t.suppliers.c.id))]})
        problems: list[Any] = []
        shell = builders.build_network(doc, problems)
        suppliers = shell.suppliers if shell else ()
        return Network(meta["name"], brands, sites, suppliers, meta.get("currency", "EUR"), meta.get("timezone", "UTC"))

    @staticmethod
    def _site(spec: dict[str, Any], status: str) -> Site:
        spec = dict(spec, status=status)
        return builders._site(spec)

    def get_site(self, site_id: str) -> Site:
        row = self.conn.execute(select(t.sites).where(t.sites.c.id == site_id)).first()
        if row is None:
            raise NotFound(f"site {site_id!r} does not exist", field="site_id")
        return self._site(row.spec, row.status)

    def set_status(self, site_id: str, status: SiteStatus) -> bool:
        """Set a site's status; True when it changed."""
        self.get_site(site_id)
        res = self.conn.execute(update(t.sites).where(and_(t.sites.c.id == site_id, t.sites.c.status != status.value))
                                .values(status=status.value, version=t.sites.c.version + 1))
        if res.rowcount:
            self.bump_version()
        return bool(res.rowcount)


class CatalogRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def save(self, catalog: Catalog) -> None:
        NetworkRepository(self.conn).bump_version()
        upsert(self.conn, t.materials, [{"id": m.id, "unit": m.unit, "cost": m.cost, "spec": material_to_dict(m)}
                                        for m in catalog.materials.values()], ["id"])
        upsert(self.conn, t.products, [{"id": p.id, "brand_id": p.brand, "name": p.name, "price": p.price,
                                        "spec": product_to_dict(p)} for p in catalog.products.values()], ["id"])

    def load(self, network: Network, brand: str | None = None) -> Catalog:
        mats = {r.id: Material(r.spec["id"], r.spec["unit"], r.spec["cost"], r.spec.get("name", ""),
                               tuple(r.spec.get("substitutes", [])), r.spec.get("weight_kg_per_unit", 0.0),
                               r.spec.get("origin", ""))
                for r in self.conn.execute(select(t.materials))}
        query = select(t.products).order_by(t.products.c.id)
        if brand is not None:
            query = query.where(t.products.c.brand_id == brand)
        doc = Located("catalog", {"materials": [material_to_dict(m) for m in mats.values()],
                                  "products": [r.spec for r in self.conn.execute(query)]})
        problems: list[Any] = []
        catalog = builders.build_catalog(doc, network, problems)
        if catalog is None:
            raise FileError(problems)
        return catalog


def _order_row(order: Order) -> dict[str, Any]:
    return {"id": order.id, "brand_id": order.brand, "external_id": order.external_id,
            "channel": order.channel.value, "status": order.status.value,
            "customer_lat": order.customer_location.lat, "customer_lon": order.customer_location.lon,
            "customer_ref": order.customer_ref, "delivery": str(order.delivery), "due": order.due,
            "created_at": order.created, "keep_together": order.keep_together}


class InsertingRepository:
    """Repositories whose writes are inserts: straight away, or into a collecting unit of work's
    batch, sent later as one statement (see one_statement.py)."""

    conn: Connection
    batch: InsertBatch | None

    def _insert(self, table: Any, rows: dict[str, Any] | builtins.list[dict[str, Any]]) -> None:
        if self.batch is not None:
            self.batch.add(table, rows)
        else:
            self.conn.execute(table.insert(), rows)


class OrderRepository(InsertingRepository):
    def __init__(self, conn: Connection, batch: InsertBatch | None = None) -> None:
        self.conn = conn
        self.batch = batch

    def add(self, order: Order, actor: str = "system", events: Iterable[StatusChanged] = (),
            subscriptions: builtins.list[Any] | None = None) -> None:
        """Insert a new order as it stands, with its creation event and the status changes it has
        already been through in memory (``events``), in three statements (and the webhook outbox;
        ``subscriptions``: the active ones, when the caller has them cached)."""
        events = list(events)
        initial = events[0].old if events else order.status
        self._insert(t.orders, dict(_order_row(order), version=1))
        self._insert(t.order_lines, [
            {"id": ln.id, "order_id": order.id, "position": i, "product_id": ln.product_id, "sku": ln.sku,
             "options": dict(ln.options), "quantity": ln.quantity, "unit_price": ln.unit_price,
             "status": ln.status.value, "site_id": None} for i, ln in enumerate(order.lines)])
        created = {"order_id": order.id, "line_id": None, "kind": "created", "old": None, "new": initial.value,
                   "at": order.created, "reason": order.channel.value, "actor": actor}
        self._record(order, events, actor, extra=[created], subscriptions=subscriptions)

    def _record(self, order: Order, events: list[StatusChanged], actor: str,
                extra: builtins.list[dict[str, Any]] | None = None,
                subscriptions: builtins.list[Any] | None = None) -> None:
        rows = (extra or []) + [{"order_id": e.order_id, "line_id": e.line_id, "kind": "status_changed",
                                 "old": e.old.value, "new": e.new.value, "at": e.at, "reason": e.reason,
                                 "actor": actor} for e in events]
        if rows:
            self._insert(t.order_events, rows)
        for ev in events:
            if ev.line_id is None:  # order-level changes go out to webhook subscribers, in this transaction
                self._webhooks().enqueue("order.status_changed", {
                    "event": "order.status_changed", "order_id": ev.order_id, "brand": order.brand,
                    "from": ev.old.value, "to": ev.new.value, "at": ev.at.isoformat(), "reason": ev.reason},
                    order.brand, ev.at, subscriptions=subscriptions)

    def id_for_external(self, brand: str, external_id: str) -> str | None:
        return self.conn.execute(select(t.orders.c.id).where(and_(t.orders.c.brand_id == brand,
                                                                   t.orders.c.external_id == external_id))).scalar()

    def exists(self, order_id: str) -> bool:
        return self.conn.execute(select(t.orders.c.seq).where(t.orders.c.id == order_id)).first() is not None

    def get(self, order_id: str, brand: str | None = None, site: str | None = None) -> Order:
        """One order; with a brand or site scope, another tenant's order is simply not found."""
        query = select(t.orders).where(t.orders.c.id == order_id)
        if brand is not None:
            query = query.where(t.orders.c.brand_id == brand)
        if site is not None:
            query = query.where(t.orders.c.id.in_(select(t.order_lines.c.order_id).where(t.order_lines.c.site_id == site)))
        row = self.conn.execute(query).first()
        if row is None:
            raise NotFound(f"order {order_id!r} does not exist", field="order_id")
        return self._orders([row])[0]

    def _orders(self, rows: list[Any]) -> list[Order]:
        ids = [r.id for r in rows]
        lines: dict[str, list[OrderLine]] = {i: [] for i in ids}
        if ids:
            for ln in self.conn.execute(select(t.order_lines).where(t.order_lines.c.order_id.in_(ids))
                                        .order_by(t.order_lines.c.order_id, t.order_lines.c.position)):
                lines[ln.order_id].append(OrderLine(ln.id, ln.order_id, ln.product_id, tuple(ln.options.items()),
                                                    ln.sku, ln.quantity, OrderStatus(ln.status), ln.unit_price))
        return [Order(r.id, r.brand_id, tuple(lines[r.id]), Location(r.customer_lat, r.customer_lon),
                      Delivery.parse(r.delivery), r.due, r.created_at, Channel(r.channel), r.external_id,
                      r.customer_ref, r.keep_together, OrderStatus(r.status)) for r in rows]

    def list(self, *, brand: str | None = None, status: str | None = None, after: int | None = None,
             limit: int = 50, search: str | None = None, site: str | None = None) -> tuple[list[Order], int | None]:
        """A page of orders in insertion order and the cursor of the next page (None at the end)."""
        query = select(t.orders).order_by(t.orders.c.seq).limit(limit + 1)
        if brand is not None:
            query = query.where(t.orders.c.brand_id == brand)
        if site is not None:
            query = query.where(t.orders.c.id.in_(select(t.order_lines.c.order_id).where(t.order_lines.c.site_id == site)))
        if status is not None:
            query = query.where(t.orders.c.status == status)
        if after is not None:
            query = query.where(t.orders.c.seq > after)
        if search:
            query = query.where(t.orders.c.id.contains(search) | t.orders.c.external_id.contains(search))
        rows = list(self.conn.execute(query))
        nxt = rows[limit - 1].seq if len(rows) > limit else None
        return self._orders(rows[:limit]), nxt

    def count(self, brand: str | None = None) -> dict[str, int]:
        query = select(t.orders.c.status, func.count()).group_by(t.orders.c.status)
        if brand is not None:
            query = query.where(t.orders.c.brand_id == brand)
        return {s: n for s, n in self.conn.execute(query)}

    def save_status(self, order: Order, events: Iterable[StatusChanged], actor: str = "system") -> None:
        """Persist the order's and lines' statuses and append the events."""
        self.conn.execute(update(t.orders).where(t.orders.c.id == order.id)
                          .values(status=order.status.value, version=t.orders.c.version + 1))
        events = list(events)
        changed = {e.line_id for e in events if e.line_id is not None}
        rows = [{"lid": ln.id, "st": ln.status.value} for ln in order.lines if ln.id in changed or not events]
        if rows:
            self.conn.execute(update(t.order_lines).where(t.order_lines.c.id == bindparam("lid"))
                              .values(status=bindparam("st")), rows)
        self._record(order, events, actor)

    def _webhooks(self) -> Any:
        if not hasattr(self, "_hooks"):
            from microfactory.adapters.db.webhooks_repo import WebhookRepository

            self._hooks = WebhookRepository(self.conn, self.batch)
        return self._hooks

    def events(self, order_id: str) -> builtins.list[dict[str, Any]]:
        rows = self.conn.execute(select(t.order_events).where(t.order_events.c.order_id == order_id)
                                 .order_by(t.order_events.c.id))
        return [{"kind": r.kind, "line_id": r.line_id, "old": r.old, "new": r.new, "at": r.at.isoformat(),
                 "reason": r.reason, "actor": r.actor} for r in rows]

    def set_line_site(self, line_id: str, site_id: str | None) -> None:
        self.conn.execute(update(t.order_lines).where(t.order_lines.c.id == line_id).values(site_id=site_id))


class IdempotencyRepository(InsertingRepository):
    def __init__(self, conn: Connection, batch: InsertBatch | None = None) -> None:
        self.conn = conn
        self.batch = batch

    def get(self, scope: str, key: str) -> Any:
        return self.conn.execute(select(t.idempotency_keys).where(and_(t.idempotency_keys.c.scope == scope,
                                                                       t.idempotency_keys.c.key == key))).first()

    def put(self, scope: str, key: str, request_hash: str, status_code: int, response: Any, at: datetime) -> None:
        self._insert(t.idempotency_keys, {"scope": scope, "key": key, "request_hash": request_hash,
                                          "status_code": status_code, "response": response, "created_at": at})


class AuditRepository(InsertingRepository):
    def __init__(self, conn: Connection, batch: InsertBatch | None = None) -> None:
        self.conn = conn
        self.batch = batch

    def add(self, actor: str, action: str, entity: str, entity_id: str, data: dict[str, Any], at: datetime) -> None:
        self._insert(t.audit_log, {"actor": actor, "action": action, "entity": entity, "entity_id": entity_id,
                                   "data": data, "at": at})

    def list(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self.conn.execute(select(t.audit_log).order_by(t.audit_log.c.id.desc()).limit(limit))
        return [{"at": r.at.isoformat(), "actor": r.actor, "action": r.action, "entity": r.entity,
                 "entity_id": r.entity_id, "data": r.data} for r in rows]


__all__ = [
    "AuditRepository",
    "CatalogRepository",
    "IdempotencyRepository",
    "NetworkRepository",
    "OrderRepository",
    "delete",
]
