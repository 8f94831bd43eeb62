"""The planning problem builder: calendars, releases, due dates, weights, batches and disruptions."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time
from pathlib import Path

import pytest

from microfactory.adapters.files.scenario import Scenario, load_scenario
from microfactory.domain.network import Calendar
from microfactory.engines.scheduling import ScheduledOp
from microfactory.services.planning_problem import (
    Disruption,
    PlanBatch,
    PlanLine,
    PlanningParams,
    build_site_problem,
    open_intervals,
    with_disruptions,
)
from microfactory.services.routing_problem import production_sites

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "berlin"
NOW = datetime(2026, 12, 1, 9, 0)  # a Tuesday


@pytest.fixture(scope="module")
def berlin() -> Scenario:
    """The Berlin example folder."""
    return load_scenario(EXAMPLE)


def _line(s: Scenario, order_id: str, line_id: str) -> PlanLine:
    order = next(o for o in s.orders if o.id == order_id)
    line = order.line(line_id)
    return PlanLine(order, line, s.catalog.explode(line.product_id, dict(line.options)))


def test_kreuzberg_open_intervals_from_a_tuesday_morning(berlin: Scenario) -> None:
    """Mon-Fri 08:00-17:00 from Tue 09:00: rest of Tuesday, Wed, Thu, Fri, Mon, and next Tuesday's first hour."""
    cal = berlin.network.site("mf-kreuzberg").calendar
    assert open_intervals(cal, NOW, 7 * 1440) == ((0, 480), (1380, 1920), (2820, 3360), (4260, 4800), (8580, 9120),
                                                  (10020, 10080))


def test_days_off_are_closed() -> None:
    """Christmas off: Thursday 24 is open, 25 (a day off) is not."""
    cal = Calendar(days_off=frozenset({datetime(2026, 12, 25).date()}))
    got = open_intervals(cal, datetime(2026, 12, 24, 0, 0), 2 * 1440)
    assert got == ((480, 1020),)


def test_release_and_due_minutes_of_a_pickup_line(berlin: Scenario) -> None:
    """BER-000008-2: created Wed 02:21 + 1 working day → Thu 02:21 (2481 min); pickup due Mon 7th less 1 day → 8100."""
    site = berlin.network.site("mf-kreuzberg")
    sp = build_site_problem(site, [_line(berlin, "BER-000008", "BER-000008-2")], [], NOW, PlanningParams(),
                            sites=production_sites(berlin.network))
    (batch,) = sp.problem.batches
    assert (batch.release, batch.due, batch.weight, batch.qty) == (2481, 8100, 2.0, 1)
    assert [(op.process, op.minutes_per_unit) for op in batch.ops] == [
        ("cutting", 6), ("sewing", 38), ("embroidery", 6), ("finishing", 8), ("packing", 2)]
    assert batch.op_key(0) == batch.op_key(1) == "cut-denim-denim-organic"
    assert sp.problem.horizon == 7 * 1440 and sp.problem.calendar is not None


def test_lines_of_one_setup_key_share_a_batch(berlin: Scenario) -> None:
    """Jeans in rigid denim share a batch (2 + 2 units); the organic denim one with a monogram is its own batch."""
    site = berlin.network.site("mf-kreuzberg")
    rigid = _line(berlin, "BER-000008", "BER-000008-3")
    twin = replace(rigid, line=replace(rigid.line, id="BER-000008-9"))
    lines = [_line(berlin, "BER-000008", "BER-000008-2"), rigid, twin]
    sp = build_site_problem(site, lines, [], NOW, PlanningParams(), sites=production_sites(berlin.network))
    got = sorted((b.setup_key, b.qty, b.lines) for b in sp.problem.batches)
    assert got == [("cut-denim-denim-12oz", 4, ("BER-000008-3", "BER-000008-9")),
                   ("cut-denim-denim-organic", 1, ("BER-000008-2",))]


def test_stored_batch_uses_its_stored_quantities(berlin: Scenario) -> None:
    """A stored batch of 1 unit of a 2-unit line is scheduled for 1 unit, with the stored id."""
    site = berlin.network.site("mf-kreuzberg")
    pl = replace(_line(berlin, "BER-000008", "BER-000008-3"), qty=1)
    sp = build_site_problem(site, [], [PlanBatch("B-X", "cut-denim-denim-organic", (pl,))], NOW, PlanningParams())
    (batch,) = sp.problem.batches
    assert (batch.id, batch.qty, batch.op_minutes(1)) == ("B-X", 1, 38)


def test_worker_own_calendar_becomes_availability(berlin: Scenario) -> None:
    """A worker on Tuesdays and Wednesdays 12:00-16:00 is available on those afternoons only."""
    site = berlin.network.site("mf-kreuzberg")
    w = replace(site.workers[0], calendar=Calendar(weekdays=frozenset({1, 2}), start=time(12), end=time(16)))
    site = replace(site, workers=(w, *site.workers[1:]))
    sp = build_site_problem(site, [], [], NOW, PlanningParams(horizon_days=2, spill_days=0))
    assert sp.problem.workers[0].available == ((180, 420), (1620, 1860))
    assert sp.problem.workers[1].available is None


def test_disruption_starts_after_a_running_operation(berlin: Scenario) -> None:
    """Machine down from minute 30 while a frozen op runs to 90: downtime starts at 90; an absence cuts availability."""
    site = berlin.network.site("mf-kreuzberg")
    sp = build_site_problem(site, [], [], NOW, PlanningParams(horizon_days=1, spill_days=0))
    running = ScheduledOp("B", 0, "sewing", "kb-sewing", 1, "kb-w2", 0, 0, 90)
    disruptions = [Disruption("machine_down", "kb-sewing", datetime(2026, 12, 1, 9, 30), datetime(2026, 12, 1, 12), 1),
                   Disruption("worker_absent", "kb-w3", datetime(2026, 12, 1, 10), datetime(2026, 12, 1, 11))]
    p = with_disruptions(sp.problem, NOW, disruptions, [running])
    assert [(d.resource_id, d.unit, d.start, d.end) for d in p.downtime] == [("kb-sewing", 1, 90, 180)]
    w3 = next(w for w in p.workers if w.id == "kb-w3")
    assert w3.available == ((0, 60), (120, 1441))


def test_params_are_validated() -> None:
    """A zero-day horizon or negative weight is refused."""
    with pytest.raises(Exception, match="horizon"):
        PlanningParams(horizon_days=0)
    with pytest.raises(Exception, match="weights"):
        PlanningParams(weights={"ship": -1.0})


def test_every_formed_batch_operation_fits_in_a_shift(berlin: Scenario) -> None:
    """Batches are capped so no operation of a formed batch is longer than 85% of a shift."""
    site = berlin.network.site("mf-wedding")
    lines = [_line(berlin, o.id, ln.id) for o in berlin.orders for ln in o.lines
             if o.brand == "kiez" and ln.product_id == "kiez-jean" and dict(ln.options).get("monogram") != "initials"]
    sp = build_site_problem(site, lines, [], NOW, PlanningParams(max_batch=50), sites=production_sites(berlin.network))
    shift = site.calendar.shift_minutes
    longest = max(op.minutes_per_unit * b.qty for b in sp.problem.batches for op in b.ops)
    assert len(sp.problem.batches) > 1 and longest <= 0.85 * shift
