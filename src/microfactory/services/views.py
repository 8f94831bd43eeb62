"""Plain JSON-able views of domain objects, shared by the API, the CLI and the dashboard."""

from __future__ import annotations

from typing import Any

from microfactory.domain.catalog import ExplodedBom, OptionKind, Product
from microfactory.domain.network import Site
from microfactory.domain.orders import Order


def order_view(o: Order) -> dict[str, Any]:
    return {
        "id": o.id, "brand": o.brand, "status": o.status.value, "channel": o.channel.value,
        "external_id": o.external_id, "delivery": str(o.delivery), "due": o.due.isoformat(),
        "created": o.created.isoformat(), "keep_together": o.keep_together,
        "customer": {"lat": o.customer_location.lat, "lon": o.customer_location.lon, "ref": o.customer_ref},
        "units": o.units,
        "lines": [{"id": ln.id, "product": ln.product_id, "sku": ln.sku, "options": dict(ln.options),
                   "quantity": ln.quantity, "unit_price": ln.unit_price, "status": ln.status.value} for ln in o.lines],
    }


def site_view(s: Site) -> dict[str, Any]:
    return {
        "id": s.id, "name": s.name, "kind": s.kind.value, "operator": s.operator.value, "status": s.status.value,
        "location": {"lat": s.location.lat, "lon": s.location.lon}, "processes": sorted(s.processes),
        "resources": [{"id": r.id, "process": r.process, "units": r.units, "cost_per_hour": r.cost_per_hour,
                       "setup_minutes": r.setup_minutes, "automated": r.automated} for r in s.resources],
        "workers": [{"id": w.id, "skills": sorted(w.skills)} for w in s.workers],
        "min_batch": s.min_batch, "uptime": s.uptime, "lead_time_days": s.lead_time_days,
        "brands": sorted(s.brands) if s.brands is not None else None, "delivery_mode": s.delivery_mode,
        "secondary": s.secondary,
    }


def product_view(p: Product) -> dict[str, Any]:
    return {
        "id": p.id, "brand": p.brand, "name": p.name, "price": p.price, "weight_kg": p.weight_kg,
        "family": p.family, "gtin": p.gtin, "care": list(p.care), "processes": sorted(p.processes),
        "options": [{"name": o.name, "kind": o.kind.value, "values": list(o.values) if o.kind is OptionKind.CHOICE else None,
                     "min": o.min, "max": o.max, "unit": o.unit, "default": o.default} for o in p.options],
    }


def bom_view(b: ExplodedBom) -> dict[str, Any]:
    return {
        "sku": b.sku, "product": b.product_id, "setup_key": b.setup_key,
        "material_cost": round(b.material_cost, 4), "minutes": round(b.minutes, 3),
        "materials": [{"material": m.material, "qty": m.qty, "unit": m.unit, "unit_cost": m.unit_cost,
                       "cost": round(m.cost, 4), "substitutes": list(m.substitutes)} for m in b.materials],
        "operations": [{"id": o.id, "process": o.process, "minutes_per_unit": o.minutes_per_unit,
                        "setup_key": o.setup_key} for o in b.operations],
    }
