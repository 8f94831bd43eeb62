"""User routing rules (``rules.yaml`` in a scenario folder): schema, FILE:LINE validation, engine rules.

A rule sends lines that match its conditions (brand, product, channel, destination area: a
circle around a point or a lat/lon box) to a site, with a fallback site and a priority. The
whole file is either ``preference`` (matched sites get a bonus in the optimiser) or ``hard``
(matched lines may only go to the rule's site or its fallback).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from microfactory.adapters.files.located import Located, format_path, load_yaml
from microfactory.domain.catalog import Catalog
from microfactory.domain.network import Network
from microfactory.domain.orders import Channel
from microfactory.engines.routing import RoutingLine, Rule
from microfactory.errors import FileError, FileProblem

_ID = {"type": "string", "minLength": 1, "maxLength": 64}
_CIRCLE = {"type": "object", "additionalProperties": False, "required": ["lat", "lon", "radius_km"],
           "properties": {"lat": {"type": "number", "minimum": -90, "maximum": 90},
                          "lon": {"type": "number", "minimum": -180, "maximum": 180},
                          "radius_km": {"type": "number", "minimum": 0}}}
_BOX = {"type": "object", "additionalProperties": False, "required": ["min_lat", "min_lon", "max_lat", "max_lon"],
        "properties": {k: {"type": "number", "minimum": -180 if "lon" in k else -90, "maximum": 180 if "lon" in k else 90}
                       for k in ("min_lat", "min_lon", "max_lat", "max_lon")}}
RULES_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://microfactory.dev/schemas/rules.schema.json",
    "title": "microfactory routing rules (rules.yaml)",
    "type": "object", "additionalProperties": False, "required": ["rules"],
    "properties": {
        "mode": {"enum": ["preference", "hard"], "default": "preference",
                 "description": "preference: a bonus for the rule's sites; hard: only the rule's sites"},
        "bonus": {"type": "number", "minimum": 0, "default": 5.0,
                  "description": "money per line off the cost of the rule's site (half for the fallback)"},
        "rules": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["site"],
            "properties": {
                "name": {"type": "string", "maxLength": 200},
                "when": {"type": "object", "additionalProperties": False, "properties": {
                    "brand": _ID, "product": _ID, "channel": {"enum": [c.value for c in Channel]},
                    "area": {"oneOf": [_CIRCLE, _BOX]}}},
                "site": _ID, "fallback": _ID, "priority": {"type": "integer", "default": 0}}}},
    },
}


def rules_schema() -> dict[str, Any]:
    """The JSON Schema (Draft 2020-12) of ``rules.yaml``."""
    return RULES_SCHEMA


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """One rule as written: conditions, target site, fallback, priority."""

    site: str
    fallback: str | None = None
    priority: int = 0
    brand: str | None = None
    product: str | None = None
    channel: str | None = None
    circle: tuple[float, float, float] | None = None
    box: tuple[float, float, float, float] | None = None  # min_lat, min_lon, max_lat, max_lon
    name: str = ""


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The rules of a network and how the optimiser treats them."""

    rules: tuple[RuleSpec, ...] = ()
    hard: bool = False
    bonus: float = 5.0


def _spec(item: dict[str, Any]) -> RuleSpec:
    when = item.get("when", {})
    area = when.get("area")
    circle = (area["lat"], area["lon"], area["radius_km"]) if area and "radius_km" in area else None
    box = (area["min_lat"], area["min_lon"], area["max_lat"], area["max_lon"]) if area and "min_lat" in area else None
    return RuleSpec(item["site"], item.get("fallback"), int(item.get("priority", 0)), when.get("brand"),
                    when.get("product"), when.get("channel"), circle, box, item.get("name", ""))


def _check_refs(doc: Located, network: Network, catalog: Catalog | None, problems: list[FileProblem]) -> None:
    makers = {s.id for s in network.sites if s.resources}
    brands = {b.id for b in network.brands}
    for i, item in enumerate(doc.data["rules"]):
        for key in ("site", "fallback"):
            if key in item and item[key] not in makers:
                problems.append(doc.problem(("rules", i, key), f"rules[{i}].{key}: {item[key]!r} is not a site "
                                                              "of the network that makes goods"))
        when = item.get("when", {})
        if "brand" in when and when["brand"] not in brands:
            problems.append(doc.problem(("rules", i, "when", "brand"), f"rules[{i}].when.brand: unknown brand "
                                                                       f"{when['brand']!r}"))
        if catalog is not None and "product" in when and when["product"] not in catalog.products:
            problems.append(doc.problem(("rules", i, "when", "product"), f"rules[{i}].when.product: unknown "
                                                                         f"product {when['product']!r}"))
        area = when.get("area", {})
        if "min_lat" in area and (area["min_lat"] > area["max_lat"] or area["min_lon"] > area["max_lon"]):
            problems.append(doc.problem(("rules", i, "when", "area"), f"rules[{i}].when.area: min must not "
                                                                      "exceed max"))


def parse_rules(file: str, text: str, network: Network, catalog: Catalog | None = None) -> RuleSet:
    """Parse and check ``rules.yaml``; every problem is raised at once as ``FILE:LINE: ...``."""
    problems: list[FileProblem] = []
    doc = load_yaml(file, text, problems)
    if doc is None:
        raise FileError(problems)
    validator = jsonschema.Draft202012Validator(RULES_SCHEMA)
    for err in sorted(validator.iter_errors(doc.data), key=lambda e: (doc.line(e.absolute_path), e.message)):
        problems.append(doc.problem(tuple(err.absolute_path), f"{format_path(err.absolute_path)}: {err.message}"))
    if problems:
        raise FileError(problems)
    _check_refs(doc, network, catalog, problems)
    if problems:
        raise FileError(problems)
    data = doc.data
    return RuleSet(tuple(_spec(r) for r in data["rules"]), data.get("mode", "preference") == "hard",
                   float(data.get("bonus", 5.0)))


def load_rules(folder: str | Path, network: Network, catalog: Catalog | None = None) -> RuleSet:
    """The rules of a scenario folder (its optional ``rules.yaml``); none when the file is absent."""
    path = Path(folder) / "rules.yaml"
    if not path.exists():
        return RuleSet()
    return parse_rules(str(path), path.read_text(encoding="utf-8-sig"), network, catalog)


def _in_box(box: tuple[float, float, float, float], lat: float, lon: float) -> bool:
    return box[0] <= lat <= box[2] and box[1] <= lon <= box[3]


def engine_rules(rules: RuleSet, lines: Sequence[RoutingLine]) -> tuple[Rule, ...]:
    """Engine rules. A box becomes one zero-radius rule per destination point inside it (exact)."""
    out: list[Rule] = []
    for r in rules.rules:
        base = {"site_id": r.site, "brand": r.brand, "product": r.product, "channel": r.channel,
                "fallback_site_id": r.fallback, "priority": r.priority}
        if r.box is None:
            out.append(Rule(area=r.circle, **base))  # type: ignore[arg-type]
            continue
        points = sorted({(ln.lat, ln.lon) for ln in lines if _in_box(r.box, ln.lat, ln.lon)})
        out.extend(Rule(area=(lat, lon, 0.0), **base) for lat, lon in points)  # type: ignore[arg-type]
    return tuple(out)


__all__ = ["RULES_SCHEMA", "RuleSet", "RuleSpec", "engine_rules", "load_rules", "parse_rules", "rules_schema"]
