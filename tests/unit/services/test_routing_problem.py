"""The routing problem builder and the rules file, on the Berlin example (hand-checked figures)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from microfactory.adapters.files.scenario import Scenario, load_scenario
from microfactory.errors import FileError
from microfactory.services.routing_booking import book
from microfactory.services.routing_problem import OpenLine, build_problem, delivery_days, lead_days
from microfactory.services.routing_rules import engine_rules, parse_rules, rules_schema

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "berlin"
START = date(2026, 12, 1)  # a Tuesday


@pytest.fixture(scope="module")
def berlin() -> Scenario:
    return load_scenario(EXAMPLE)


def _open(sc: Scenario, order_id: str) -> list[OpenLine]:
    order = next(o for o in sc.orders if o.id == order_id)
    return [OpenLine(order, ln) for ln in order.lines]


def test_capacity_minutes_of_one_site_process_day(berlin: Scenario) -> None:
    """Kreuzberg sewing on Tue 1 Dec: 4 machines x 540 min, capped by the sewers' shares x uptime 0.97.

    Aylin sews only (540; her other skills run on automated machines), Jonas splits over sewing and
    finishing (270), Mira over sewing, finishing and packing (180), Tomasz over sewing and packing (270)."""
    built = build_problem(berlin.network, berlin.catalog, _open(berlin, "BER-000008"), START)
    kb = next(s for s in built.problem.sites if s.id == "mf-kreuzberg")
    assert kb.capacity["sewing"][0] == pytest.approx((540 + 270 + 180 + 270) * 0.97)
    assert kb.capacity["cutting"][0] == pytest.approx(540 * 0.97)  # one automated cutter needs no staff
    assert kb.capacity["sewing"][4] == 0.0  # Saturday 5 Dec: closed


def test_reserved_minutes_are_taken_off_capacity(berlin: Scenario) -> None:
    """Minutes already reserved on a (site, process, day) are not offered again."""
    built = build_problem(berlin.network, berlin.catalog, _open(berlin, "BER-000008"), START,
                          reserved={("mf-kreuzberg", "sewing", START): 1000.0})
    kb = next(s for s in built.problem.sites if s.id == "mf-kreuzberg")
    assert kb.capacity["sewing"][0] == pytest.approx(1260 * 0.97 - 1000.0)


def test_line_minutes_materials_and_dates(berlin: Scenario) -> None:
    """A monogrammed size-34 organic jean: exploded minutes per process, materials with substitutes, due less transfer."""
    built = build_problem(berlin.network, berlin.catalog, _open(berlin, "BER-000008"), START)
    _, first, second = built.problem.lines
    assert dict(first.minutes) == {"cutting": 6, "sewing": 38, "embroidery": 6, "finishing": 8, "packing": 2}
    assert second.qty == 2 and "embroidery" not in second.minutes
    fabric = first.materials[0]
    assert fabric.material_id == "denim-organic" and fabric.qty_per_unit == pytest.approx(1.4 * 1.05)
    assert fabric.substitutes == ("denim-12oz",)
    assert first.due_day == 5  # due 7 Dec, pickup: one transfer day → produced by 6 Dec
    assert (first.lat, first.lon) == (52.4880, 13.3520)  # goes to the pickup store, not the customer
    assert first.setup_key == "cut-denim-denim-organic"


def test_site_lead_time_counts_working_days(berlin: Scenario) -> None:
    """Spandau (7-day calendar) starts 3 days out; Wedding (Mon-Sat) 2 working days from Tue is Thu."""
    net = berlin.network
    assert lead_days(net.site("mf-spandau-ondemand"), START) == 3
    assert lead_days(net.site("mf-wedding"), START) == 2
    assert lead_days(net.site("mf-wedding"), date(2026, 12, 5)) == 3  # Sat → Mon → Tue... skipping Sunday


def test_delivery_days_by_kind(berlin: Scenario) -> None:
    """same_day needs no day, pickup one transfer day, a local parcel one day."""
    sites = [s for s in berlin.network.sites if s.resources]
    kinds = {o.delivery.kind.value: delivery_days(o, sites, __import__("microfactory.services.routing_problem",
                                                                       fromlist=["BuildParams"]).BuildParams())
             for o in berlin.orders}
    assert kinds == {"same_day": 0, "pickup": 1, "ship": 1}


def test_stock_limits_and_suppliers_unlimit_materials(berlin: Scenario) -> None:
    """A site holds its available stock; a material a supplier sells is unlimited; others are zero."""
    built = build_problem(berlin.network, berlin.catalog, _open(berlin, "BER-000008"), START,
                          stock={("mf-kreuzberg", "cotton-poplin"): 12.0})
    kb = next(s for s in built.problem.sites if s.id == "mf-kreuzberg")
    assert kb.materials is not None
    assert kb.materials["cotton-poplin"] == 12.0 and kb.materials["denim-12oz"] >= 1e9
    assert "tee-blank-white" not in kb.materials


def test_quality_suspension_blocks_the_family_at_one_site(berlin: Scenario) -> None:
    """A suspended (site, family) pair leaves that site no quality token for the family's lines."""
    built = build_problem(berlin.network, berlin.catalog, _open(berlin, "BER-000008"), START,
                          quality={("mf-kreuzberg", "denim-bottoms"): "suspended", ("mf-wedding", "x"): 2.0})
    kb = next(s for s in built.problem.sites if s.id == "mf-kreuzberg")
    wd = next(s for s in built.problem.sites if s.id == "mf-wedding")
    assert kb.materials and kb.materials["quality:denim-bottoms"] == 0.0
    assert wd.materials and wd.materials["quality:denim-bottoms"] > 0
    assert built.unpriced_penalties == {} and not built.problem.site_penalty  # no line of family "x"


def test_book_takes_minutes_earliest_day_first(berlin: Scenario) -> None:
    """Booking fills day 0 before day 1 and refuses (unchanged) what does not fit by the last day."""
    built = build_problem(berlin.network, berlin.catalog, _open(berlin, "BER-000008"), START)
    line = built.problem.lines[2]  # 2 jeans: 12 cutting, 76 sewing, 16 finishing, 4 packing minutes
    free = {("s", p, START): 50.0 for p in line.minutes} | {("s", p, date(2026, 12, 2)): 50.0 for p in line.minutes}
    got = book(free, "s", line, START, date(2026, 12, 2))
    assert got is not None and got[0] == date(2026, 12, 2)
    assert got[1][("sewing", START)] == 50.0 and got[1][("sewing", date(2026, 12, 2))] == pytest.approx(26.0)
    assert free[("s", "packing", START)] == pytest.approx(46.0) and free[("s", "sewing", START)] == 0.0
    assert book(free, "s", line, date(2026, 12, 2), date(2026, 12, 2)) is None
    assert free[("s", "sewing", date(2026, 12, 2))] == pytest.approx(24.0)  # a refusal changes nothing


RULES = """mode: hard
rules:
  - when: {brand: kiez, area: {min_lat: 52.50, min_lon: 13.30, max_lat: 52.60, max_lon: 13.50}}
    site: mf-wedding
    fallback: mf-spandau-ondemand
    priority: 5
  - when: {channel: shop}
    site: mf-kreuzberg
"""


def test_rules_file_parses_and_boxes_become_exact_point_rules(berlin: Scenario) -> None:
    """A box rule becomes one zero-radius rule per destination inside the box; mode hard is kept."""
    rules = parse_rules("rules.yaml", RULES, berlin.network, berlin.catalog)
    assert rules.hard and len(rules.rules) == 2
    built = build_problem(berlin.network, berlin.catalog, _open(berlin, "BER-000008"), START)
    out = engine_rules(rules, built.problem.lines)
    assert [r.site_id for r in out] == ["mf-kreuzberg"]  # every destination (store at 52.488) is outside the box
    inside = engine_rules(parse_rules("r", RULES.replace("min_lat: 52.50", "min_lat: 52.40"), berlin.network),
                          built.problem.lines)
    assert inside[0].area == (52.4880, 13.3520, 0.0)


def test_bad_rules_report_file_and_line(berlin: Scenario) -> None:
    """Unknown sites, brands and fields are reported as FILE:LINE problems, all at once."""
    bad = RULES.replace("site: mf-wedding", "site: mf-nowhere").replace("brand: kiez", "brand: nobody")
    with pytest.raises(FileError) as exc:
        parse_rules("rules.yaml", bad, berlin.network, berlin.catalog)
    assert [str(p) for p in exc.value.problems] == [
        "rules.yaml:3: rules[0].when.brand: unknown brand 'nobody'",
        "rules.yaml:4: rules[0].site: 'mf-nowhere' is not a site of the network that makes goods"]
    with pytest.raises(FileError) as exc2:
        parse_rules("rules.yaml", "rules:\n  - site: mf-wedding\n    colour: red\n", berlin.network)
    assert str(exc2.value.problems[0]).startswith("rules.yaml:2:")


def test_rules_schema_is_valid_draft_2020_12() -> None:
    """The published rules schema is itself a valid JSON Schema."""
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(rules_schema())


def test_quality_penalty_is_priced_per_unit_at_the_site(berlin: Scenario) -> None:
    """A per-unit quality penalty for (site, family) becomes that line's cost adjustment at that site only."""
    built = build_problem(berlin.network, berlin.catalog, _open(berlin, "BER-000008"), START,
                          quality={("mf-wedding", "denim-bottoms"): 2.5, ("mf-kreuzberg", "upholstery"): "suspended"})
    jeans = [ln for ln in built.problem.lines if ln.family == "denim-bottoms"]
    assert jeans and all(built.problem.site_penalty[(ln.id, "mf-wedding")] == 2.5 * ln.qty for ln in jeans)
    assert not any(site != "mf-wedding" for (_, site) in built.problem.site_penalty)
