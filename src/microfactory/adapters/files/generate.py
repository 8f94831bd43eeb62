"""Synthetic scenarios of any size, and realistic-looking orders for an existing catalog.

Everything is driven by a seeded ``random.Random``: the same arguments write the same files.
"""

from __future__ import annotations

import csv
import io
import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from microfactory.domain.catalog import Catalog, OptionKind, format_options
from microfactory.domain.geo import Location
from microfactory.domain.network import Network, SiteKind
from microfactory.errors import InvalidInput

ORDER_HEADER = ["order_id", "brand", "product", "options", "quantity", "customer_lat", "customer_lon",
                "delivery", "due", "created", "channel"]
PROCESS_GROUPS = [("cutting", "sewing", "finishing", "packing"), ("printing", "packing"),
                  ("cutting", "sewing", "embroidery", "packing"), ("cutting", "upholstery", "packing")]


@dataclass(frozen=True)
class GenerateParams:
    """Size and shape of a synthetic scenario."""

    sites: int = 10
    orders: int = 500
    seed: int = 1
    load: float = 0.7  # demand minutes / capacity minutes over the order horizon
    stores: int = 0  # 0: one store per three microfactories
    brands: int = 3
    days: int = 14
    centre: tuple[float, float] = (52.52, 13.405)
    radius_km: float = 25.0
    start: datetime = datetime(2026, 12, 1, 8, 0)

    def __post_init__(self) -> None:
        if self.sites < 1 or self.orders < 0 or self.brands < 1 or self.days < 1:
            raise InvalidInput("sites, brands and days must be at least 1; orders at least 0", field="sites")
        if not 0.05 <= self.load <= 5.0:
            raise InvalidInput("load must be between 0.05 and 5", field="load")


def _point(rng: random.Random, centre: tuple[float, float], radius_km: float) -> tuple[float, float]:
    r = radius_km * math.sqrt(rng.random())
    a = rng.uniform(0, 2 * math.pi)
    dlat = r * math.cos(a) / 111.32
    dlon = r * math.sin(a) / (111.32 * math.cos(math.radians(centre[0])))
    return round(centre[0] + dlat, 5), round(centre[1] + dlon, 5)


def synthetic_catalog(brands: list[str]) -> dict[str, Any]:
    """A generic apparel/print/upholstery catalog spread over ``brands``."""
    mats = [
        {"id": "fabric-a", "unit": "m", "cost": 9.0, "substitutes": ["fabric-b"], "weight_kg_per_unit": 0.4},
        {"id": "fabric-b", "unit": "m", "cost": 11.0, "substitutes": ["fabric-a"], "weight_kg_per_unit": 0.4},
        {"id": "jersey", "unit": "m", "cost": 7.0, "weight_kg_per_unit": 0.3},
        {"id": "blank-tee", "unit": "pc", "cost": 3.2, "weight_kg_per_unit": 0.16},
        {"id": "ink", "unit": "ml", "cost": 0.03},
        {"id": "thread", "unit": "m", "cost": 0.004},
        {"id": "foam", "unit": "pc", "cost": 6.0, "weight_kg_per_unit": 0.4},
        {"id": "frame", "unit": "pc", "cost": 18.0, "weight_kg_per_unit": 2.2},
    ]
    templates = [
        ("trouser", 89, 0.7, [("cutting", 6, "cut-{fabric}"), ("sewing", 35, ""), ("finishing", 8, ""), ("packing", 2, "")],
         [{"material": "{fabric}", "qty": 1.4, "scale_with_size": True}, {"material": "thread", "qty": 180}]),
        ("tee", 29, 0.2, [("printing", 4, "print-{design}"), ("packing", 1, "")],
         [{"material": "blank-tee", "qty": 1}, {"material": "ink", "qty": 18}]),
        ("hoodie", 79, 0.7, [("cutting", 7, "cut-jersey"), ("sewing", 30, ""), ("embroidery", 6, "emb-{design}"), ("packing", 2, "")],
         [{"material": "jersey", "qty": 1.6, "scale_with_size": True}, {"material": "thread", "qty": 150}]),
        ("stool", 169, 3.0, [("cutting", 5, "cut-{fabric}"), ("upholstery", 40, "uph"), ("packing", 5, "")],
         [{"material": "frame", "qty": 1}, {"material": "foam", "qty": 1}, {"material": "{fabric}", "qty": 0.5}]),
    ]
    products = []
    for b_i, brand in enumerate(brands):
        for t_i, (name, price, weight, ops, bom) in enumerate(templates):
            if (b_i + t_i) % 2 and len(brands) > 1 and t_i != b_i % len(templates):
                continue
            options: list[dict[str, Any]] = [{"name": "size", "values": ["S", "M", "L", "XL"]}]
            needs = {n for _, _, k in ops for n in ("fabric", "design") if "{" + n + "}" in str(k)} | \
                    {n for line in bom for n in ("fabric",) if "{" + n + "}" in str(line["material"])}
            if "fabric" in needs:
                options.append({"name": "fabric", "values": ["fabric-a", "fabric-b"]})
            if "design" in needs:
                options.append({"name": "design", "values": ["d1", "d2", "d3", "d4", "d5"]})
            products.append({
                "id": f"{brand}-{name}", "brand": brand, "name": f"{brand} {name}", "price": price,
                "weight_kg": weight, "family": name, "options": options, "size_option": "size",
                "size_scale": {"S": 0.92, "M": 1.0, "L": 1.08, "XL": 1.16},
                "bom": bom, "operations": [{"id": f"op{k}", "process": p, "minutes_per_unit": m, **({"setup_key": s} if s else {})}
                                           for k, (p, m, s) in enumerate(ops)],
            })
    return {"materials": mats, "products": products}


def synthetic_network(p: GenerateParams, rng: random.Random, minutes_needed: dict[str, float]) -> dict[str, Any]:
    """Sites over a metro area; resource units sized so demand/capacity ≈ ``p.load``."""
    brands = [f"brand{i + 1}" for i in range(p.brands)]
    groups = [PROCESS_GROUPS[i % len(PROCESS_GROUPS)] for i in range(p.sites)]
    offered: dict[str, int] = {}
    for g in groups:
        for proc in g:
            offered[proc] = offered.get(proc, 0) + 1
    working_days = max(1, round(p.days * 5 / 7))
    operators = ["in_house", "partner", "franchise", "on_demand"]
    sites = []
    for i, procs in enumerate(groups):
        lat, lon = _point(rng, p.centre, p.radius_km)
        resources = []
        for proc in procs:
            need = minutes_needed.get(proc, 0.0) / offered[proc]
            units = max(1, math.ceil(need / (p.load * 480 * working_days * 0.95)))
            resources.append({"id": f"s{i + 1}-{proc}", "process": proc, "units": units,
                              "cost_per_hour": round(rng.uniform(2, 20), 2), "setup_minutes": rng.choice([5, 10, 20, 30]),
                              "automated": proc in ("printing", "embroidery")})
        site: dict[str, Any] = {
            "id": f"mf-{i + 1:03d}", "name": f"Microfactory {i + 1}", "kind": "microfactory",
            "operator": operators[i % 4], "location": {"lat": lat, "lon": lon},
            "calendar": {"weekdays": ["mon", "tue", "wed", "thu", "fri"], "hours": "08:00-16:00"},
            "resources": resources, "min_batch": rng.choice([1, 1, 1, 5]), "uptime": 0.95,
            "lead_time_days": rng.choice([0, 1, 1, 2]), "delivery_mode": rng.choice(["van", "electric_van", "cargo_bike"]),
            "same_day_radius_km": 8, "secondary": operators[i % 4] == "on_demand",
        }
        sites.append(site)
    n_stores = p.stores or max(1, p.sites // 3)
    for j in range(n_stores):
        lat, lon = _point(rng, p.centre, p.radius_km * 0.6)
        sites.append({"id": f"st-{j + 1:03d}", "name": f"Store {j + 1}", "kind": "store", "operator": "in_house",
                      "location": {"lat": lat, "lon": lon}})
    return {"name": f"Synthetic network seed {p.seed}", "currency": "EUR", "timezone": "Europe/Berlin",
            "brands": [{"id": b, "name": b.title()} for b in brands], "sites": sites}


def order_rows(network: Network, catalog: Catalog, n: int, *, start: datetime, days: int, seed: int,
               prefix: str = "ORD") -> list[dict[str, str]]:
    """``n`` single- or multi-line orders for the catalog, customers around the network's stores."""
    rng = random.Random(seed)
    stores = [s for s in network.sites if s.kind is SiteKind.STORE]
    anchors = [s.location for s in network.sites] or [Location(52.52, 13.405)]
    products = sorted(catalog.products.values(), key=lambda p: p.id)
    rows: list[dict[str, str]] = []
    for k in range(n):
        created = start + timedelta(minutes=rng.randrange(days * 24 * 60))
        anchor = rng.choice(anchors)
        lat, lon = _point(rng, (anchor.lat, anchor.lon), 4.0)
        kind = rng.random()
        delivery = ("pickup:" + rng.choice(stores).id) if stores and kind < 0.15 else ("same_day" if kind < 0.35 else "ship")
        due = (created + timedelta(days=rng.choice([2, 3, 4, 5, 7, 10]))).date().isoformat()
        brand_products = products
        first = rng.choice(products)
        channel = rng.choice(["web", "web", "shop", "csv"])
        brand_products = [p for p in products if p.brand == first.brand]
        for line in range(1 if rng.random() < 0.8 else rng.choice([2, 3])):
            product = first if line == 0 else rng.choice(brand_products)
            choices = {}
            for group in product.options:
                if group.kind is OptionKind.CHOICE:
                    choices[group.name] = rng.choice(group.values) if group.default is None or rng.random() < 0.3 else group.default
                else:
                    assert group.min is not None and group.max is not None
                    choices[group.name] = f"{round(rng.uniform(group.min, group.max)):g}"
            rows.append({"order_id": f"{prefix}-{k + 1:06d}", "brand": product.brand, "product": product.id,
                         "options": format_options(choices), "quantity": str(rng.choice([1, 1, 1, 1, 2, 3])),
                         "customer_lat": f"{lat}", "customer_lon": f"{lon}", "delivery": delivery, "due": due,
                         "created": created.isoformat(timespec="minutes"), "channel": channel})
    return rows


def write_orders_csv(rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=ORDER_HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def generate_scenario(params: GenerateParams, out_dir: str | Path) -> Path:
    """Write network.yaml, catalog.yaml and orders.csv of a valid synthetic scenario."""
    from microfactory.adapters.files.builders import build_catalog, build_network
    from microfactory.adapters.files.located import Located
    from microfactory.errors import FileError

    rng = random.Random(params.seed)
    brands = [f"brand{i + 1}" for i in range(params.brands)]
    catalog_doc = synthetic_catalog(brands)
    # Estimate demand minutes per process from the catalog's average product mix.
    per_order: dict[str, float] = {}
    for prod in catalog_doc["products"]:
        for op in prod["operations"]:
            per_order[op["process"]] = per_order.get(op["process"], 0.0) + op["minutes_per_unit"] / len(catalog_doc["products"])
    minutes = {k: v * params.orders * 1.6 for k, v in per_order.items()}  # ~1.6 units per order
    network_doc = synthetic_network(params, rng, minutes)
    problems: list[Any] = []
    network = build_network(Located("network.yaml", network_doc), problems)
    catalog = build_catalog(Located("catalog.yaml", catalog_doc), network, problems) if network else None
    if network is None or catalog is None:
        raise FileError(problems)
    rows = order_rows(network, catalog, params.orders, start=params.start, days=params.days, seed=params.seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "network.yaml").write_text(yaml.safe_dump(network_doc, sort_keys=False, allow_unicode=True))
    (out / "catalog.yaml").write_text(yaml.safe_dump(catalog_doc, sort_keys=False, allow_unicode=True))
    (out / "orders.csv").write_text(write_orders_csv(rows))
    return out
