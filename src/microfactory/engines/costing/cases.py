"""Build a :class:`ComparisonCase` from a plain mapping (e.g. a parsed YAML case file).

The engine reads no file itself; the caller parses the file and passes the mapping. Layout::

    name: furniture-sofa
    params: {weight_kg: 45, carbon_price_per_kg: 80, cost_of_capital: 0.08}
    demand: {mean_units: 600, cv: 0.35, price: 1200, stockout_cost: 0, season_days: 90}
    local:    {unit_cost: ..., production_days: ..., legs: [{mode: van, distance_km: 25}], ...}
    offshore: {unit_cost: ..., moq: ..., production_days: ..., legs: [...], markdown_rate: ...}

``local`` is made to order; ``offshore`` is not. Unknown keys are rejected.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from microfactory.engines.costing.compare import (
    CompareParams,
    ComparisonCase,
    Demand,
    Leg,
    SupplyOption,
)
from microfactory.errors import InvalidInput

_OPTION_KEYS = {"unit_cost", "production_days", "legs", "moq", "fixed_cost", "handling_days",
                "markdown_rate", "overstock_rate", "order_quantile"}
_CASE_KEYS = {"name", "params", "demand", "local", "offshore", "notes"}


def _section(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, Mapping):
        raise InvalidInput(f"case needs a mapping {key!r}", field=key)
    return value


def _build(cls: Any, values: Mapping[str, Any], where: str) -> Any:
    try:
        return cls(**values)
    except TypeError as exc:
        raise InvalidInput(f"{where}: {exc}", field=where) from exc


def _option(data: Mapping[str, Any], key: str, made_to_order: bool) -> SupplyOption:
    section = dict(_section(data, key))
    unknown = set(section) - _OPTION_KEYS
    if unknown:
        raise InvalidInput(f"{key}: unknown keys {sorted(unknown)}", field=key)
    legs = section.pop("legs", [])
    if not isinstance(legs, list):
        raise InvalidInput(f"{key}.legs must be a list", field=f"{key}.legs")
    built = tuple(_build(Leg, leg, f"{key}.legs[{i}]") for i, leg in enumerate(legs))
    option: SupplyOption = _build(SupplyOption, {**section, "name": key, "legs": built,
                                                 "made_to_order": made_to_order}, key)
    return option


def case_from_dict(data: Mapping[str, Any]) -> ComparisonCase:
    """A validated comparison case from ``data`` (see the module docstring for the layout)."""
    unknown = set(data) - _CASE_KEYS
    if unknown:
        raise InvalidInput(f"case: unknown keys {sorted(unknown)}", field="case")
    notes = data.get("notes") or {}
    return ComparisonCase(
        demand=_build(Demand, _section(data, "demand"), "demand"),
        local=_option(data, "local", made_to_order=True),
        offshore=_option(data, "offshore", made_to_order=False),
        params=_build(CompareParams, _section(data, "params"), "params"),
        name=str(data.get("name", "case")),
        notes={str(k): str(v) for k, v in dict(notes).items()},
    )
