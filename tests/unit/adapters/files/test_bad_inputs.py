"""Every bad scenario file is refused as a whole, each problem reading ``FILE:LINE: what is wrong``.

Each case copies the Berlin example and changes (or appends) one line, so the expected line is
the changed one.
"""

from __future__ import annotations

from typing import NamedTuple

import pytest

from microfactory.adapters.files.scenario import load_scenario
from microfactory.errors import ErrorCode, FileError

from .conftest import ScenarioCopy

SHIRT_FORMULA = '      - {material: "{fabric}", formula: "0.55 + 0.009 * chest_cm + 0.006 * sleeve_cm"}'
DENIM = ('  - {id: denim-12oz, name: "Denim 12 oz, rigid", unit: m, cost: 9.80, substitutes: [denim-organic], '
         'weight_kg_per_unit: 0.42, origin: "Prato, IT"}')


class LineCase(NamedTuple):
    file: str
    old: str
    new: str
    message: str
    nth: int = 1
    at: str | None = None  # the problem is reported at this (unchanged) line instead


LINE_CASES = {
    # network.yaml
    "yaml-syntax": LineCase("network.yaml", "    name: Kreuzberg Atelier", "    name: Kreuzberg: Atelier",
                            "YAML syntax: mapping values are not allowed here"),
    "repeated-key": LineCase("network.yaml", "    uptime: 0.97", "    min_batch: 2", "key 'min_batch' is repeated"),
    "unknown-site-field": LineCase("network.yaml", "    uptime: 0.97", "    uptime_pct: 97",
                                   "sites[0]: unknown field(s) ('uptime_pct' was unexpected)"),
    "wrong-enum": LineCase("network.yaml", "    kind: microfactory", "    kind: factory",
                           "sites[0].kind: 'factory' is not one of ['microfactory', 'store', 'warehouse']"),
    "latitude-range": LineCase("network.yaml", "    location: {lat: 52.4986, lon: 13.4030}",
                               "    location: {lat: 95.0, lon: 13.4030}",
                               "sites[0].location.lat: 95.0 is greater than the maximum of 90"),
    "bad-weekday": LineCase("network.yaml", '    calendar: {weekdays: [tue, wed, thu, fri, sat], hours: "11:00-19:00"}',
                            '    calendar: {weekdays: [tue, wed, thu, fri, sam], hours: "11:00-19:00"}',
                            "sites[6].calendar.weekdays[4]: 'sam' is not one of "
                            "['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']"),
    "bad-day-off": LineCase("network.yaml",
                            '    calendar: {weekdays: [mon, tue, wed, thu, fri], hours: "08:00-17:00", '
                            'days_off: [2026-12-25, 2026-12-26]}',
                            '    calendar: {weekdays: [mon, tue, wed, thu, fri], hours: "08:00-17:00", '
                            'days_off: [2026-13-25, 2026-12-26]}',
                            "sites[0].calendar.days_off[0]: '2026-13-25' is not a 'date'"),
    "site-brand-undeclared": LineCase("network.yaml", "    brands: [kiez, nordlicht]", "    brands: [kiez, nord]",
                                      "site mf-kreuzberg: brand 'nord' is not declared in brands"),
    "supplier-material-unknown": LineCase(
        "network.yaml", "      - {material: linen, lead_time_days: 3, min_order: 10, price_breaks: [[0, 14.00]]}",
        "      - {material: silk, lead_time_days: 3, min_order: 10, price_breaks: [[0, 14.00]]}",
        "supplier sup-stofflager: material 'silk' is not in catalog.yaml"),
    "gln-check-digit": LineCase("network.yaml", '    gln: "9521234000013"', '    gln: "9521234000019"',
                                "site mf-kreuzberg: GLN 9521234000019 has a wrong check digit"),
    # catalog.yaml
    "gtin-check-digit": LineCase("catalog.yaml", '    gtin: "09521234100010"', '    gtin: "09521234100011"',
                                 "product kiez-jean: GTIN 09521234100011 has a wrong check digit"),
    "product-brand-unknown": LineCase("catalog.yaml", "    brand: kiez", "    brand: kiezz",
                                      "product kiez-jean: brand 'kiezz' is not in network.yaml"),
    "bom-material-unknown": LineCase("catalog.yaml", "      - {material: rivet-copper, qty: 6}",
                                     "      - {material: rivet-brass, qty: 6}",
                                     "product kiez-jean: material 'rivet-brass' is not in materials"),
    "template-value-unknown": LineCase("catalog.yaml", "      - {name: colour, values: [white, black, sand]}",
                                       "      - {name: colour, values: [white, black, sand, red]}",
                                       "product spree-tee: colour=red gives material 'tee-blank-red', "
                                       "which is not in materials", at='      - {material: "tee-blank-{colour}", qty: 1}'),
    "substitute-unknown": LineCase("catalog.yaml", DENIM, DENIM.replace("[denim-organic]", "[denim-raw]"),
                                   "material denim-12oz: substitute 'denim-raw' is not another material of the catalog"),
    "process-offered-by-no-site": LineCase("catalog.yaml", "      - {id: sew, process: sewing, minutes_per_unit: 38}",
                                           "      - {id: sew, process: weaving, minutes_per_unit: 38}",
                                           "product kiez-jean: process 'weaving' is offered by no site"),
    "when-unknown-option": LineCase("catalog.yaml", "      - {material: thread-embroidery, qty: 25, when: monogram}",
                                    "      - {material: thread-embroidery, qty: 25, when: initials}",
                                    "product kiez-jean: when names unknown option 'initials'"),
    "when-unknown-value": LineCase(
        "catalog.yaml", "      - {id: embroider, process: embroidery, minutes_per_unit: 6, when: {monogram: initials}}",
        "      - {id: embroider, process: embroidery, minutes_per_unit: 6, when: {monogram: stars}}",
        "product kiez-jean: option monogram has no value 'stars'"),
    "formula-non-numeric-option": LineCase("catalog.yaml", SHIRT_FORMULA, SHIRT_FORMULA.replace("sleeve_cm", "collar"),
                                           "product nordlicht-shirt-mtm: formula uses 'collar', "
                                           "which is not a numeric option"),
    "formula-with-code": LineCase("catalog.yaml", SHIRT_FORMULA,
                                  '      - {material: "{fabric}", formula: "__import__(\'os\')"}',
                                  "product nordlicht-shirt-mtm: formula \"__import__('os')\" calls a function "
                                  "that is not allowed"),
    "size-scale-not-a-size": LineCase("catalog.yaml", "    size_scale: {S: 0.92, M: 1.0, L: 1.08, XL: 1.16}",
                                      "    size_scale: {S: 0.92, M: 1.0, L: 1.08, XXL: 1.16}",
                                      "product kiez-jacket: size_scale has 'XXL', which is not a value of size"),
    "option-repeated": LineCase("catalog.yaml", "      - {name: collar, values: [classic, mandarin], default: classic}",
                                "      - {name: fabric, values: [classic, mandarin], default: classic}",
                                "product nordlicht-shirt-mtm: option 'fabric' is repeated"),
    "option-default-not-a-value": LineCase("catalog.yaml",
                                           "      - {name: monogram, values: [none, initials], default: none}",
                                           "      - {name: monogram, values: [none, initials], default: maybe}",
                                           "product kiez-jean: option monogram: 'maybe' is not one of none, initials"),
    "number-option-without-range": LineCase("catalog.yaml",
                                            "      - {name: sleeve_cm, kind: number, min: 55, max: 70, unit: cm}",
                                            "      - {name: sleeve_cm, kind: number, min: 75, max: 70, unit: cm}",
                                            "product nordlicht-shirt-mtm: option sleeve_cm: a number needs min <= max"),
    # inventory.csv
    "inventory-unknown-site": LineCase("inventory.csv", "mf-kreuzberg,denim-12oz,DN12-2611A,180,2026-11-20T09:00:00",
                                       "mf-tempelhof,denim-12oz,DN12-2611A,180,2026-11-20T09:00:00",
                                       "site 'mf-tempelhof' is not in network.yaml"),
    "inventory-unknown-item": LineCase("inventory.csv", "mf-kreuzberg,denim-12oz,DN12-2611A,180,2026-11-20T09:00:00",
                                       "mf-kreuzberg,denim-14oz,DN12-2611A,180,2026-11-20T09:00:00",
                                       "item 'denim-14oz' is neither a material nor a known SKU"),
    "inventory-repeated-lot": LineCase("inventory.csv", "mf-kreuzberg,denim-12oz,DN12-2611B,120,2026-11-27T09:00:00",
                                       "mf-kreuzberg,denim-12oz,DN12-2611A,120,2026-11-27T09:00:00",
                                       "lot DN12-2611A of denim-12oz at mf-kreuzberg is repeated"),
    "inventory-quantity-infinite": LineCase("inventory.csv",
                                            "mf-kreuzberg,denim-12oz,DN12-2611A,180,2026-11-20T09:00:00",
                                            "mf-kreuzberg,denim-12oz,DN12-2611A,inf,2026-11-20T09:00:00",
                                            "quantity must be a positive number, got inf"),
    "inventory-wrong-field-count": LineCase("inventory.csv",
                                            "mf-kreuzberg,denim-12oz,DN12-2611A,180,2026-11-20T09:00:00",
                                            "mf-kreuzberg,denim-12oz,DN12-2611A,180",
                                            "expected 5 fields, found 4"),
}


def expect_problems(folder: str) -> list[str]:
    """Load ``folder``, which must fail as a whole, and return every problem as text."""
    result = None
    with pytest.raises(FileError) as err:
        result = load_scenario(folder)
    assert result is None
    assert err.value.code is ErrorCode.INVALID_FILE
    assert str(err.value) == "\n".join(str(p) for p in err.value.problems)
    return [str(p) for p in err.value.problems]


@pytest.mark.parametrize("case", LINE_CASES.values(), ids=LINE_CASES.keys())
def test_one_bad_line_is_reported_at_that_line(berlin: ScenarioCopy, case: LineCase) -> None:
    """Changing one line of the example makes loading fail with exactly one problem at that line (or the line it names)."""
    line = berlin.replace_line(case.file, case.old, case.new, case.nth)
    if case.at is not None:
        line = berlin.line_of(case.file, case.at)
    assert expect_problems(str(berlin.root)) == [f"{berlin.path(case.file)}:{line}: {case.message}"]


def test_duplicate_site_id_names_both_lines(berlin: ScenarioCopy) -> None:
    """A second site with the id st-schoeneberg is reported at its line, naming the line of the first."""
    first = berlin.line_of("network.yaml", "  - id: st-schoeneberg")
    line = berlin.replace_line("network.yaml", "  - id: st-mitte", "  - id: st-schoeneberg")
    assert expect_problems(str(berlin.root)) == [
        f"{berlin.path('network.yaml')}:{line}: site id 'st-schoeneberg' is repeated (first at line {first})"]


GOOD_ORDER = {"order_id": "T-1", "brand": "spree", "product": "spree-tote", "options": "design=bear",
              "quantity": "1", "customer_lat": "52.5", "customer_lon": "13.4", "delivery": "ship",
              "due": "2026-12-10", "created": "2026-12-03T10:00", "channel": "web"}

ORDER_CASES = {
    "unknown-product": ({"product": "spree-mug"}, "product 'spree-mug' is not in catalog.yaml"),
    "unknown-brand": ({"brand": "acme"}, "brand 'acme' is not in network.yaml"),
    "product-of-another-brand": ({"brand": "kiez"}, "product spree-tote belongs to brand spree, not kiez"),
    "option-value-not-declared": ({"options": "design=dragon"}, "option design: 'dragon' is not one of wave, bear, tower"),
    "unknown-option": ({"options": "design=bear;colour=red"}, "product spree-tote has no option 'colour'"),
    "required-option-missing": ({"options": ""}, "product spree-tote: option 'design' is required"),
    "measurement-out-of-range": ({"brand": "nordlicht", "product": "nordlicht-shirt-mtm",
                                  "options": "fabric=linen;chest_cm=140;sleeve_cm=60"},
                                 "option chest_cm: 140 is outside 80-130 cm"),
    "quantity-zero": ({"quantity": "0"}, "quantity must be at least 1, got 0"),
    "quantity-not-a-number": ({"quantity": "two"}, "quantity 'two' is not a whole number"),
    "customer-latitude": ({"customer_lat": "95"}, "customer location: latitude 95.0 is outside -90..90"),
    "bad-due-date": ({"due": "2026-12-32"}, "due '2026-12-32' is not an ISO date (YYYY-MM-DD)"),
    "bad-created": ({"created": "yesterday"}, "created 'yesterday' is not an ISO date-time"),
    "bad-delivery": ({"delivery": "courier"}, "delivery 'courier' is not ship, same_day or pickup:<store>"),
    "pickup-not-a-store": ({"delivery": "pickup:mf-kreuzberg"},
                           "pickup store 'mf-kreuzberg' is not a store of the network"),
    "due-before-created": ({"due": "2026-12-01"}, "order T-1: due 2026-12-01 is before created 2026-12-03"),
    "bad-channel": ({"channel": "fax"}, "channel 'fax' is not one of shop, web, csv, api, campaign, replenishment"),
    "empty-order-id": ({"order_id": ""},
                       "order_id '' must be 1-64 letters, digits or _.:- (starting with a letter or digit)"),
}


@pytest.mark.parametrize(("changes", "message"), ORDER_CASES.values(), ids=ORDER_CASES.keys())
def test_one_bad_order_row_is_reported_at_its_line(berlin: ScenarioCopy, changes: dict[str, str],
                                                   message: str) -> None:
    """Appending one bad row to orders.csv fails the whole load with one problem at that row."""
    line = berlin.append_row("orders.csv", {**GOOD_ORDER, **changes})
    assert expect_problems(str(berlin.root)) == [f"{berlin.path('orders.csv')}:{line}: {message}"]


def test_good_appended_order_loads(berlin: ScenarioCopy) -> None:
    """The row the bad-order cases start from is itself valid, so each case tests only its change."""
    berlin.append_row("orders.csv", GOOD_ORDER)
    orders = {o.id: o for o in load_scenario(berlin.root).orders}
    assert orders["T-1"].lines[0].sku == "SPREE-TOTE-BEAR"


def test_lines_of_one_order_must_agree_on_customer_data(berlin: ScenarioCopy) -> None:
    """A second line of order T-1 with another due date is reported at the second line, naming the first."""
    first = berlin.append_row("orders.csv", GOOD_ORDER)
    second = berlin.append_row("orders.csv", {**GOOD_ORDER, "due": "2026-12-11"})
    assert expect_problems(str(berlin.root)) == [
        f"{berlin.path('orders.csv')}:{second}: order T-1: due differs from line {first}"]


def test_orders_missing_column(berlin: ScenarioCopy) -> None:
    """An orders.csv header without ``due`` is reported at line 1."""
    header = berlin.header("orders.csv")
    berlin.replace_line("orders.csv", ",".join(header), ",".join("when" if h == "due" else h for h in header))
    assert expect_problems(str(berlin.root)) == [
        f"{berlin.path('orders.csv')}:1: missing column(s): due",
        f"{berlin.path('orders.csv')}:1: unknown column(s): when"]


def test_orders_row_with_wrong_field_count(berlin: ScenarioCopy) -> None:
    """A row with one field too many is reported with both counts."""
    n = len(berlin.header("orders.csv"))
    line = berlin.append_row("orders.csv", GOOD_ORDER)
    text = (berlin.root / "orders.csv").read_text(encoding="utf-8").rstrip("\n") + ",extra\n"
    (berlin.root / "orders.csv").write_text(text, encoding="utf-8")
    assert expect_problems(str(berlin.root)) == [
        f"{berlin.path('orders.csv')}:{line}: expected {n} fields, found {n + 1}"]


def test_empty_catalog_file(berlin: ScenarioCopy) -> None:
    """An empty catalog.yaml is reported at line 1 rather than failing without a problem."""
    (berlin.root / "catalog.yaml").write_text("# nothing yet\n", encoding="utf-8")
    assert expect_problems(str(berlin.root)) == [f"{berlin.path('catalog.yaml')}:1: the file is empty"]


def test_missing_network_file(berlin: ScenarioCopy) -> None:
    """A folder without network.yaml names the missing file."""
    (berlin.root / "network.yaml").unlink()
    assert expect_problems(str(berlin.root)) == [f"{berlin.path('network.yaml')}:0: file not found"]


def test_required_orders_missing(berlin: ScenarioCopy) -> None:
    """With require_orders, a missing orders.csv is one problem."""
    (berlin.root / "orders.csv").unlink()
    with pytest.raises(FileError) as err:
        load_scenario(berlin.root, require_orders=True)
    assert [str(p) for p in err.value.problems] == [f"{berlin.path('orders.csv')}:0: file not found"]
    assert len(load_scenario(berlin.root).orders) == 0


def test_not_a_folder(tmp_path: object) -> None:
    """Loading a path that is not a folder fails at once."""
    with pytest.raises(FileError, match="is not a folder"):
        load_scenario(f"{tmp_path}/nowhere")


def test_every_problem_of_every_file_is_reported_together(berlin: ScenarioCopy) -> None:
    """Bad rows in orders.csv and inventory.csv are all reported in one error, sorted by file and line."""
    a = berlin.append_row("orders.csv", {**GOOD_ORDER, "quantity": "0"})
    b = berlin.append_row("orders.csv", {**GOOD_ORDER, "order_id": "T-2", "product": "spree-mug"})
    c = berlin.replace_line("inventory.csv", "mf-kreuzberg,denim-12oz,DN12-2611A,180,2026-11-20T09:00:00",
                            "mf-kreuzberg,denim-12oz,DN12-2611A,-5,2026-11-20T09:00:00")
    assert expect_problems(str(berlin.root)) == [
        f"{berlin.path('inventory.csv')}:{c}: quantity must be a positive number, got -5",
        f"{berlin.path('orders.csv')}:{a}: quantity must be at least 1, got 0",
        f"{berlin.path('orders.csv')}:{b}: product 'spree-mug' is not in catalog.yaml",
    ]


def test_file_error_serialises_its_problems(berlin: ScenarioCopy) -> None:
    """The error body carries code invalid_file and each problem's file, line and message."""
    line = berlin.replace_line("network.yaml", "    kind: microfactory", "    kind: factory")
    with pytest.raises(FileError) as err:
        load_scenario(berlin.root)
    body = err.value.to_dict()
    assert body["code"] == "invalid_file"
    assert body["details"]["problems"][0]["line"] == line
    assert body["details"]["problems"][0]["file"] == berlin.path("network.yaml")
