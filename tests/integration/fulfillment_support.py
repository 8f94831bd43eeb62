"""Helpers for the fulfillment tests: the Berlin network without its orders, small orders, and
moving lines into shippable states through the order lifecycle."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from microfactory.bootstrap import Container
from microfactory.domain.orders import OrderStatus, advance_line
from microfactory.services.intake import LineRequest, OrderRequest, create_order
from microfactory.services.scenario import load_folder
from tests.conftest import EXAMPLE, NOW

S = OrderStatus
PATH = (S.ROUTED, S.SCHEDULED, S.IN_PRODUCTION, S.QC_PASSED, S.PACKED)
KB = (52.5030, 13.4100)  # about 0.6 km from mf-kreuzberg
JEAN = ("kiez-jean", {"size": "32", "fabric": "denim-12oz", "monogram": "none"})
SHIRT = ("nordlicht-shirt-mtm", {"fabric": "cotton-poplin", "collar": "classic", "chest_cm": "100",
                                 "sleeve_cm": "62", "monogram": "none"})


def network_only(c: Container) -> Container:
    """The Berlin network, catalog and stock stored, without its orders."""
    with c.uow() as uow:
        load_folder(uow, EXAMPLE, now=NOW, with_orders=False)
    return c


def add_order(uow: Any, order_id: str, *, product: tuple[str, dict[str, str]] = JEAN, qty: int = 1,
              where: tuple[float, float] = KB, delivery: str = "ship", customer: str = "",
              due: date | None = None, created: datetime | None = None) -> str:
    """A validated order of one line."""
    req = OrderRequest("kiez" if product[0].startswith("kiez") else "nordlicht",
                       (LineRequest(product[0], dict(product[1]), qty),), where[0], where[1], delivery=delivery,
                       due=due, created=created, customer_ref=customer, order_id=order_id)
    return create_order(uow, req, now=NOW).order.id


def advance(uow: Any, order_id: str, site: str = "mf-kreuzberg", to: OrderStatus = S.PACKED,
            at: datetime = NOW) -> None:
    """Assign every line to ``site`` and move it along routed -> ... -> ``to``."""
    order = uow.orders.get(order_id)
    events = []
    for line in order.lines:
        uow.orders.set_line_site(line.id, site)
        for status in PATH[:PATH.index(to) + 1]:
            order, evs = advance_line(order, line.id, status, at)
            events += evs
    uow.orders.save_status(order, events, "test")
