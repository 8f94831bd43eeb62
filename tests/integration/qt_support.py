"""Helpers of the quality, trace and production integration tests: scheduled lines in a batch."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from microfactory.bootstrap import Container
from microfactory.domain.orders import OrderStatus, advance_line
from microfactory.domain.production import Batch, BatchLine

NOW = datetime(2026, 12, 1, 9, 0)


def pick_lines(uow: Any, product: str, fabric: str, count: int, skip: set[str] | None = None) -> list[Any]:
    """The first ``count`` validated lines of a product in one fabric (in order arrival order)."""
    orders, _ = uow.orders.list(limit=200)
    found = []
    for order in orders:
        for line in order.lines:
            opts = dict(line.options)
            if (line.product_id == product and opts.get("fabric") == fabric and line.status is OrderStatus.VALIDATED
                    and line.id not in (skip or set())):
                found.append(line)
    return found[:count]


def schedule(uow: Any, lines: list[Any], site: str) -> None:
    """Move lines validated → routed → scheduled at a site, as routing and planning would."""
    for line in lines:
        order = uow.orders.get(line.order_id)
        events = []
        for status in (OrderStatus.ROUTED, OrderStatus.SCHEDULED):
            order, evs = advance_line(order, line.id, status, NOW, "test")
            events += evs
        uow.orders.save_status(order, events, "test")
        uow.orders.set_line_site(line.id, site)


def make_batch(c: Container, batch_id: str = "B-KB-1", lot: str = "KB261201-001", product: str = "kiez-jean",
               fabric: str = "denim-12oz", site: str = "mf-kreuzberg", count: int = 3,
               skip: set[str] | None = None) -> Batch:
    """A planned batch of ``count`` scheduled lines, stored and committed."""
    with c.uow() as uow:
        lines = pick_lines(uow, product, fabric, count, skip)
        assert len(lines) == count, f"only {len(lines)} lines of {product}/{fabric}"
        schedule(uow, lines, site)
        batch = Batch(batch_id, site, f"cut-denim-{fabric}", tuple(BatchLine(ln.id, ln.order_id, ln.sku, ln.quantity)
                                                                      for ln in lines), lot, product_id=product)
        uow.production.add_batch(batch, NOW)
        uow.commit()
    return batch


def run(c: Container, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a service in its own committed unit of work."""
    with c.uow() as uow:
        result = fn(uow, *args, now=NOW, **kwargs)
        uow.commit()
    return result
