"""Shared, hand-checkable trace fixtures: the jeans lot of the GS1 reference notes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from microfactory.engines.trace.epcis import BizTransaction, QuantityItem, TraceEvent
from microfactory.engines.trace.gs1 import lgtin_urn, sgln_urn

CET = timezone(timedelta(hours=1))
CREATED = datetime(2025, 4, 14, 9, 0, tzinfo=UTC)
GCP_LEN = 7
GARMENT_GTIN = "09521234000105"
DENIM_GTIN = "09521234000013"
POCKET_GTIN = "09521234000020"
SITE_GLN = "9521234100010"
STORE_GLN = "9521234200017"
LOT = "J32-250412"
BATCH = "B-0412-03"


def garment_class() -> str:
    return lgtin_urn(GARMENT_GTIN, LOT, GCP_LEN)


def all_events() -> tuple[TraceEvent, ...]:
    """Commission fabric, sew, inspect, pack, ship, receive: one batch, one order."""
    site = sgln_urn(SITE_GLN, GCP_LEN)
    line = sgln_urn(SITE_GLN, GCP_LEN, "SEW01")
    store = sgln_urn(STORE_GLN, GCP_LEN)
    denim = lgtin_urn(DENIM_GTIN, "DNM-2504-A", GCP_LEN)
    pocket = lgtin_urn(POCKET_GTIN, "PKT-2503-7", GCP_LEN)
    prodorder = BizTransaction("prodorder", "urn:epcglobal:cbv:bt:9521234100010:MO-0412-03")
    po = BizTransaction("po", "urn:epcglobal:cbv:bt:9521234200017:PO-77")
    t0 = datetime(2025, 4, 12, 8, 0, tzinfo=CET)
    garments = (QuantityItem(garment_class(), 40),)
    return (
        TraceEvent("receiving", t0, site, site, (QuantityItem(denim, 70.5, "MTR"),),
                   disposition="in_progress", batch_ids=(BATCH,)),
        TraceEvent("transformation", t0 + timedelta(hours=6), line, site, garments,
                   inputs=(QuantityItem(denim, 58.5, "MTR"), QuantityItem(pocket, 9.0, "MTR")),
                   biz_transactions=(prodorder,),
                   ilmd=(("fibreComposition", "98% cotton, 2% elastane"),),
                   batch_ids=(BATCH,)),
        TraceEvent("inspecting", t0 + timedelta(hours=7), line, site, garments,
                   conformant=True, batch_ids=(BATCH,)),
        TraceEvent("packing", t0 + timedelta(hours=8), site, site,
                   (QuantityItem(garment_class(), 2),),
                   parent_id="urn:epc:id:sscc:9521234.0000000017",
                   batch_ids=(BATCH,), order_ids=("ORD-1",)),
        TraceEvent("shipping", t0 + timedelta(hours=9), site, None,
                   epcs=("urn:epc:id:sscc:9521234.0000000017",), biz_transactions=(po,),
                   sources=(("location", site),), destinations=(("location", store),),
                   order_ids=("ORD-1",)),
        TraceEvent("receiving", t0 + timedelta(days=1), store, store,
                   epcs=("urn:epc:id:sscc:9521234.0000000017",), order_ids=("ORD-1",)),
        TraceEvent("commissioning", t0 + timedelta(hours=6, minutes=5), line, site,
                   epcs=("urn:epc:id:sgtin:9521234.000010.0007",), batch_ids=("B-OTHER",)),
    )



@pytest.fixture
def events() -> tuple[TraceEvent, ...]:
    """Seven events of one jeans batch (B-0412-03) and its order ORD-1, plus one other batch."""
    return all_events()
