"""Domain objects back to the plain dicts of the scenario files (the inverse of builders)."""

from __future__ import annotations

from typing import Any

from microfactory.domain.catalog import Condition, Material, OptionKind, Product
from microfactory.domain.network import WEEKDAYS, Calendar, Network, Site, Supplier


def calendar_to_dict(cal: Calendar) -> dict[str, Any]:
    return {"weekdays": [WEEKDAYS[d] for d in sorted(cal.weekdays)],
            "hours": f"{cal.start:%H:%M}-{cal.end:%H:%M}",
            "days_off": sorted(d.isoformat() for d in cal.days_off)}


def site_to_dict(site: Site) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": site.id, "name": site.name, "kind": site.kind.value, "operator": site.operator.value,
        "location": {"lat": site.location.lat, "lon": site.location.lon},
        "calendar": calendar_to_dict(site.calendar),
        "resources": [{"id": r.id, "process": r.process, "units": r.units, "cost_per_hour": r.cost_per_hour,
                       "setup_minutes": r.setup_minutes, "automated": r.automated} for r in site.resources],
        "workers": [{"id": w.id, "name": w.name, "skills": sorted(w.skills), "cost_per_hour": w.cost_per_hour,
                     **({"calendar": calendar_to_dict(w.calendar)} if w.calendar else {})} for w in site.workers],
        "min_batch": site.min_batch, "uptime": site.uptime, "lead_time_days": site.lead_time_days,
        "status": site.status.value, "delivery_mode": site.delivery_mode,
        "same_day_radius_km": site.same_day_radius_km, "secondary": site.secondary,
    }
    if site.brands is not None:
        out["brands"] = sorted(site.brands)
    if site.gln:
        out["gln"] = site.gln
    return out


def supplier_to_dict(s: Supplier) -> dict[str, Any]:
    return {"id": s.id, "name": s.name, "location": {"lat": s.location.lat, "lon": s.location.lon},
            "materials": [{"material": o.material, "lead_time_days": o.lead_time_days, "min_order": o.min_order,
                           "price_breaks": [list(b) for b in o.price_breaks]} for o in s.offers]}


def network_to_dict(n: Network) -> dict[str, Any]:
    return {"name": n.name, "currency": n.currency, "timezone": n.timezone,
            "brands": [{"id": b.id, "name": b.name} for b in n.brands],
            "sites": [site_to_dict(s) for s in n.sites],
            "suppliers": [supplier_to_dict(s) for s in n.suppliers]}


def material_to_dict(m: Material) -> dict[str, Any]:
    return {"id": m.id, "name": m.name, "unit": m.unit, "cost": m.cost, "substitutes": list(m.substitutes),
            "weight_kg_per_unit": m.weight_kg_per_unit, "origin": m.origin}


def _when(conds: tuple[Condition, ...]) -> Any:
    if not conds:
        return None
    if len(conds) == 1 and not conds[0].values:
        return conds[0].option
    return {c.option: list(c.values) for c in conds}


def product_to_dict(p: Product) -> dict[str, Any]:
    options = []
    for o in p.options:
        d: dict[str, Any] = {"name": o.name, "kind": o.kind.value}
        if o.kind is OptionKind.CHOICE:
            d["values"] = list(o.values)
        else:
            d.update({"min": o.min, "max": o.max, "unit": o.unit})
        if o.default is not None:
            d["default"] = o.default
        options.append(d)
    bom = []
    for line in p.bom:
        b: dict[str, Any] = {"material": line.material}
        if line.formula is not None:
            b["formula"] = line.formula.text
        else:
            b["qty"] = line.qty
        if line.scale_with_size:
            b["scale_with_size"] = True
        if line.when:
            b["when"] = _when(line.when)
        bom.append(b)
    ops = []
    for op in p.operations:
        d = {"id": op.id, "process": op.process, "minutes_per_unit": op.minutes_per_unit}
        if op.setup_key:
            d["setup_key"] = op.setup_key
        if op.when:
            d["when"] = _when(op.when)
        ops.append(d)
    out: dict[str, Any] = {"id": p.id, "brand": p.brand, "name": p.name, "price": p.price, "weight_kg": p.weight_kg,
                           "family": p.family, "care": list(p.care), "options": options, "bom": bom, "operations": ops,
                           "size_scale": dict(p.size_scale)}
    if p.size_option:
        out["size_option"] = p.size_option
    if p.gtin:
        out["gtin"] = p.gtin
    return out
