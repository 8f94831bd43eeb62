"""The bundled JSON Schemas are valid Draft 2020-12 and the Berlin example satisfies them."""

from __future__ import annotations

import csv
from typing import Any

import jsonschema
import pytest

from microfactory.adapters.files.located import Located, check_schema, load_yaml, schema
from microfactory.errors import FileProblem

from .conftest import BERLIN

NAMES = ["network", "catalog", "orders", "inventory"]


@pytest.mark.parametrize("name", NAMES)
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    """Each schema declares Draft 2020-12 and passes that metaschema."""
    doc = schema(name)
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(doc)


@pytest.mark.parametrize("name", ["network", "catalog"])
def test_example_yaml_validates(name: str) -> None:
    """The Berlin network.yaml and catalog.yaml have no schema errors."""
    problems: list[FileProblem] = []
    doc = load_yaml(f"{name}.yaml", (BERLIN / f"{name}.yaml").read_text(encoding="utf-8"), problems)
    assert doc is not None and problems == []
    assert check_schema(doc, name, problems) and problems == []


def typed(row: dict[str, str], props: dict[str, Any]) -> dict[str, Any]:
    """A CSV row with each value converted to its schema type (empty optional values left out)."""
    out: dict[str, Any] = {}
    for key, text in row.items():
        kind = props.get(key, {}).get("type")
        if text == "":
            continue
        out[key] = int(text) if kind == "integer" else float(text) if kind == "number" else \
            text.lower() in ("true", "1", "yes") if kind == "boolean" else text
    return out


@pytest.mark.parametrize("name", ["orders", "inventory"])
def test_example_csv_rows_validate(name: str) -> None:
    """Every row of the Berlin orders.csv and inventory.csv satisfies its row schema."""
    doc = schema(name)
    validator = jsonschema.Draft202012Validator(doc, format_checker=jsonschema.FormatChecker())
    with (BERLIN / f"{name}.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows
    bad = [(n + 2, e.message) for n, row in enumerate(rows) for e in validator.iter_errors(typed(row, doc["properties"]))]
    assert bad == []


def test_schema_catches_a_bad_row() -> None:
    """The orders row schema refuses quantity 0 and an unknown channel, so the row test above can fail."""
    validator = jsonschema.Draft202012Validator(schema("orders"))
    row = {"order_id": "A-1", "brand": "kiez", "product": "p", "quantity": 0, "customer_lat": 52.5,
           "customer_lon": 13.4, "delivery": "ship", "due": "2026-12-10", "created": "2026-12-03T10:00",
           "channel": "fax"}
    assert sorted(e.validator for e in validator.iter_errors(row)) == ["enum", "minimum"]


def test_schema_errors_point_at_the_line_of_the_value() -> None:
    """A wrong currency in line 2 is reported at line 2 with its path."""
    text = "name: N\ncurrency: euro\nbrands: [{id: b, name: B}]\nsites: [{id: s, kind: store, operator: partner, " \
           "location: {lat: 1, lon: 2}}]\n"
    problems: list[FileProblem] = []
    doc = load_yaml("network.yaml", text, problems)
    assert doc is not None and not check_schema(doc, "network", problems)
    assert [str(p) for p in problems] == ["network.yaml:2: currency: 'euro' does not match '^[A-Z]{3}$'"]


def test_located_lines_follow_nested_paths() -> None:
    """Lines are kept for every mapping key and sequence item; unknown paths fall back to the nearest parent."""
    problems: list[FileProblem] = []
    doc = load_yaml("f.yaml", "a:\n  b:\n    - x\n    - y\nc: 1\n", problems)
    assert isinstance(doc, Located) and problems == []
    assert doc.line(("a", "b", 1)) == 4 and doc.line(("c",)) == 5 and doc.line(("a", "b", 1, "zz")) == 4
