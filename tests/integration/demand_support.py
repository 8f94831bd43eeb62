"""Shared helpers of the demand-program integration tests (campaign requests, pledges)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from microfactory.bootstrap import Container
from microfactory.services.campaigns import (
    CampaignRequest,
    PledgeRequest,
    VariantRequest,
    open_campaign,
    place_pledge,
)

NOW = datetime(2026, 12, 1, 9, 0)
JEAN = {"size": "32", "fabric": "denim-12oz"}
JACKET = {"size": "M", "fabric": "denim-12oz"}


def campaign_request(**over: Any) -> CampaignRequest:
    """A kiez capsule of one jean and one jacket made at Kreuzberg, closing 10 Dec 00:00 Berlin time."""
    base: dict[str, Any] = {
        "brand": "kiez", "name": "Winter capsule", "campaign_id": "CMP-W",
        "variants": (VariantRequest("kiez-jean", JEAN), VariantRequest("kiez-jacket", JACKET)),
        "deadline": datetime(2026, 12, 10, 0, 0), "time_zone": "Europe/Berlin", "unit_price": 120.0,
        "sites": ("mf-kreuzberg",), "window_start": date(2026, 12, 10), "window_end": date(2026, 12, 18),
        "minimum_total": 3}
    base.update(over)
    return CampaignRequest(**base)


def open_(c: Container, **over: Any) -> dict[str, Any]:
    with c.uow() as uow:
        view = open_campaign(uow, campaign_request(**over), now=NOW, actor="test")
        uow.commit()
    return view


def pledge(c: Container, product: str = "kiez-jean", qty: int = 1, at: datetime = NOW,
           campaign: str = "CMP-W", ref: str = "c1") -> dict[str, Any]:
    options = JEAN if product == "kiez-jean" else JACKET
    with c.uow() as uow:
        view = place_pledge(uow, PledgeRequest(campaign, qty, product=product, options=options, customer_ref=ref),
                            now=at, actor="test")
        uow.commit()
    return view


def load_berlin(container: Container) -> Container:
    """The Berlin network, catalog and opening stock, without its 240 orders (faster setup)."""
    from pathlib import Path

    from microfactory.services.scenario import load_folder

    with container.uow() as uow:
        load_folder(uow, Path(__file__).resolve().parents[2] / "examples" / "berlin", now=NOW, with_orders=False)
    return container
