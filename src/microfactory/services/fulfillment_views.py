"""JSON-able views of fulfillment results, shared by the CLI and the API."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from microfactory.engines.delivery import DeliveryOption, ShipGroup, TransferLeg
from microfactory.services.fulfillment import OptionsResult


def leg_view(leg: TransferLeg) -> dict[str, Any]:
    return {"origin": leg.origin, "destination": leg.destination, "mode": leg.mode, "distance_km": leg.distance_km,
            "duration_minutes": leg.duration_minutes, "cost": leg.cost, "kg_co2e": round(leg.kg_co2e, 6)}


def option_view(o: DeliveryOption, preferred: str) -> dict[str, Any]:
    promised = datetime.combine(o.promised_date, time()) + timedelta(minutes=o.promised_minute)
    return {"kind": o.kind, "promised_date": o.promised_date.isoformat(), "promised_by": promised.isoformat(),
            "price": o.price, "kg_co2e": o.kg_co2e, "carrier": o.carrier,
            "transfers": [leg_view(t) for t in o.transfers],
            "last_mile": o.last_mile.as_dict() if o.last_mile else None,
            "preferred": o.kind == preferred or (preferred == "parcel" and o.kind == "parcel")}


def options_view(r: OptionsResult) -> dict[str, Any]:
    ready = r.ready
    return {"order_id": r.order.id, "site": r.site.id, "site_basis": ready.site_basis,
            "ready_at": ready.ready.isoformat(), "ready_basis": ready.basis, "weight_kg": round(r.weight_kg, 3),
            "cadence": {"kind": r.cadence.kind, "weekday": r.cadence.weekday,
                        "anchor": r.cadence.anchor.isoformat() if r.cadence.anchor else None},
            "lines": [{"line_id": x.line_id, "site": x.site_id, "site_basis": x.site_basis,
                       "ready_at": x.ready.isoformat(), "basis": x.basis} for x in r.lines],
            "options": [option_view(o, r.preferred) for o in r.options],
            "unavailable": [{"kind": u.kind, "reason": u.reason} for u in r.unavailable]}


def group_view(g: ShipGroup) -> dict[str, Any]:
    return {"customer": g.customer_id, "ship_date": g.ship_date.isoformat(), "line_ids": list(g.line_ids)}
