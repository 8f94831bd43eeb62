"""The stored world of the role matrix: two tenants' worth of rows of every kind.

"Wedding side" rows belong to brand spree and site mf-wedding; "Kreuzberg side" rows to brand
kiez and site mf-kreuzberg. Each caller is sent the ids of the side that is not theirs.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from microfactory.bootstrap import Container
from microfactory.domain.returns import Return, ReturnReason
from microfactory.services import auth, webhooks
from microfactory.services import purchasing as pu
from microfactory.services import runs as rs
from microfactory.services.campaigns import (
    PledgeRequest,
    VariantRequest,
    open_campaign,
    place_pledge,
)
from tests.integration.demand_support import campaign_request
from tests.integration.qt_support import make_batch, schedule

NOW = datetime(2026, 12, 1, 9, 0)
ROLES = ("admin", "op_kb", "kiez", "spree", "public")
TEE = {"size": "M", "colour": "black", "design": "bear"}


def _side(c: Container, brand: str, site: str, batch: str, lot: str, product: str, options: dict[str, str],
          campaign_sites: tuple[str, ...]) -> dict[str, Any]:
    """One tenant's rows: an order with a line made at ``site``, a batch there, a campaign, a run,
    a purchase order, a return, a shipment, a same-day plan, a customer preference, a subscription."""
    tag = brand[:2].upper()
    with c.uow() as uow:
        order = uow.orders.list(brand=brand, limit=1)[0][0]
        schedule(uow, [order.lines[0]], site)
        uow.fulfillment.add_shipment(f"SH-{tag}", order.id, "parcel", "filex", None, "booked", site, {}, NOW)
        uow.fulfillment.save_delivery_plan(f"DP-{tag}", site, NOW.date(), {"status": "optimal"}, {}, {}, NOW)
        uow.fulfillment.add_return(Return(f"R-{tag}", order.id, order.lines[0].id, 1, ReturnReason.FIT, NOW))
        uow.fulfillment.put_preference(f"cust-{brand}", brand, "weekly", 2, None, "email", None, NOW)
        campaign = open_campaign(uow, campaign_request(
            brand=brand, campaign_id=f"CMP-{tag}", variants=(VariantRequest(product, options),),
            sites=campaign_sites), now=NOW, actor="test")
        pledge = place_pledge(uow, PledgeRequest(campaign["id"], 1, product=product, options=options,
                                                 customer_ref=f"pledger-{brand}"), now=NOW, actor="test")
        rs.offer_run(uow, rs.RunRequest(site, f"setup-{tag}", 5, NOW + timedelta(days=5), 100.0, run_id=f"RUN-{tag}"),
                     now=NOW, actor="test")
        po = pu.order_manual(uow, site, "sup-stofflager", "denim-12oz", 40, now=NOW, actor="test")
        sub = webhooks.subscribe(uow, url=f"https://{brand}.example/hook", events=["order.status_changed"], brand=brand,
                                 now=NOW)
        uow.commit()
    make_batch(c, batch_id=batch, lot=lot, site=site, count=1, skip={order.lines[0].id})
    return {"order_id": order.id, "line_id": order.lines[0].id, "batch_id": batch, "site_id": site, "store": site,
            "product_id": product, "product": product, "campaign_id": campaign["id"],
            "pledge_id": pledge.get("pledge_id") or pledge.get("id"), "run_id": f"RUN-{tag}", "po_id": po["id"],
            "return_id": f"R-{tag}", "shipment_id": f"SH-{tag}", "plan_id": f"DP-{tag}",
            "customer_ref": f"cust-{brand}", "sub_id": sub["id"], "brand": brand, "brand_id": brand,
            "options": ";".join(f"{k}={v}" for k, v in options.items()), "gtin": "04012345000009", "lot": lot, "item": "denim-12oz", "day": date(2026, 12, 1).isoformat()}


def build_world(c: Container) -> dict[str, dict[str, Any]]:
    """Both sides stored and committed; returns {"wedding": ids, "kreuzberg": ids}."""
    wedding = _side(c, "spree", "mf-wedding", "B-WD-1", "WD261201-001", "spree-tee", TEE, ("mf-neukoelln",))
    kreuzberg = _side(c, "kiez", "mf-kreuzberg", "B-KB-1", "KB261201-001", "kiez-jean",
                      {"size": "32", "fabric": "denim-12oz", "monogram": "none"}, ("mf-kreuzberg",))
    return {"wedding": wedding, "kreuzberg": kreuzberg}


def tokens(c: Container) -> dict[str, dict[str, str]]:
    """An Authorization header per role of the matrix."""
    kw: dict[str, dict[str, str]] = {"admin": {}, "op_kb": {"site": "mf-kreuzberg"}, "kiez": {"brand": "kiez"},
                                     "spree": {"brand": "spree"}, "public": {}}
    role = {"admin": "admin", "op_kb": "site_operator", "kiez": "brand", "spree": "brand", "public": "public"}
    out = {}
    with c.uow() as uow:
        for name in ROLES:
            secret, _ = auth.create_token(uow, name=f"matrix-{name}", role=role[name], now=NOW,  # type: ignore[arg-type]
                                          **kw[name])
            out[name] = {"Authorization": f"Bearer {secret}"}
        uow.commit()
    return out


def target_side(role: str) -> str:
    """Whose ids a caller is sent: spree's own rows are on the Wedding side, so spree gets Kreuzberg's."""
    return "kreuzberg" if role == "spree" else "wedding"
