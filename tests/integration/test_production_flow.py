"""Production execution, inspection and switching, rework and remake, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from microfactory.adapters.db import tables as t
from microfactory.bootstrap import Container
from microfactory.domain.orders import OrderStatus
from microfactory.domain.production import Batch, BatchLine, BatchStatus
from microfactory.engines.quality import Severity, SwitchingState
from microfactory.errors import IllegalTransition, InsufficientStock
from microfactory.services import production, quality
from tests.integration.qt_support import NOW, make_batch, run

SITE = "mf-kreuzberg"


def _set_lot(c: Container, item: str, lot: str, qty: float) -> None:
    """Count-correct one lot of the site to ``qty``."""
    with c.uow() as uow:
        inv = uow.inventory.load([(SITE, item)])
        delta = qty - inv.lots[(SITE, item, lot)].qty
        uow.inventory.apply([(SITE, item)], lambda s: s.adjust(SITE, item, lot, delta, NOW, "test"))
        uow.commit()


def _line_statuses(c: Container, batch: Batch) -> set[str]:
    with c.uow() as uow:
        return {uow.orders.get(ln.order_id).line(ln.line_id).status.value for ln in batch.lines}


def _to_inspection(c: Container, batch: Batch) -> None:
    run(c, production.start_batch, batch.id)
    run(c, production.finish_batch, batch.id)


def test_start_issues_fabric_fifo_across_lots_and_records_genealogy(loaded: Container) -> None:
    """The oldest denim lot is emptied first, the rest comes from the next lot; both are recorded."""
    _set_lot(loaded, "denim-12oz", "DN12-2611A", 3.0)
    batch = make_batch(loaded)
    result = run(loaded, production.start_batch, batch.id)
    denim = [u for u in result["lots"] if u["item"] == "denim-12oz"]
    assert [u["lot"] for u in denim] == ["DN12-2611A", "DN12-2611B"]
    assert denim[0]["qty"] == pytest.approx(3.0)
    need = sum(u["qty"] for u in denim)
    assert need == pytest.approx(1.4 * (1 * 1.05 + 2 * 0.9 + 2 * 1.1))  # sizes 34, 28 x2, 36 x2
    with loaded.uow() as uow:
        inv = uow.inventory.load([(SITE, "denim-12oz")])
        assert inv.lots[(SITE, "denim-12oz", "DN12-2611B")].qty == pytest.approx(120 - (need - 3.0))
        assert uow.production.batches_using_lot("denim-12oz", "DN12-2611B") == [batch.id]
        assert uow.production.get_batch(batch.id).status is BatchStatus.IN_PRODUCTION
        kinds = [p["kind"] for p in uow.trace.events_for(batch_ids=(batch.id,))]
    assert kinds == ["transformation"]
    assert _line_statuses(loaded, batch) == {"in_production"}
    with pytest.raises(IllegalTransition):  # only a planned batch starts
        run(loaded, production.start_batch, batch.id)


def test_start_takes_a_substitute_when_short_and_fails_cleanly_without_stock(loaded: Container) -> None:
    """No rigid denim: the organic substitute is issued; with neither, InsufficientStock and nothing changes."""
    _set_lot(loaded, "denim-12oz", "DN12-2611A", 0.0)
    _set_lot(loaded, "denim-12oz", "DN12-2611B", 1.0)
    batch = make_batch(loaded, count=1)
    used = run(loaded, production.start_batch, batch.id)["lots"]
    fabric = [u for u in used if u["substitute_for"] == "denim-12oz"]
    assert [(u["item"], u["lot"]) for u in fabric] == [("denim-organic", "DNO-2611A")]
    _set_lot(loaded, "denim-organic", "DNO-2611A", 0.0)
    short = make_batch(loaded, batch_id="B-KB-2", lot="KB261201-002", count=1)
    with loaded.uow() as uow:
        events_before = uow.trace.count()
    with pytest.raises(InsufficientStock):
        run(loaded, production.start_batch, short.id)
    with loaded.uow() as uow:
        assert uow.production.get_batch(short.id).status is BatchStatus.PLANNED
        assert uow.production.consumption(short.id) == [] and uow.trace.count() == events_before
    assert _line_statuses(loaded, short) == {"scheduled"}


def test_accepted_inspection_passes_the_batch_and_its_lines(loaded: Container) -> None:
    """No defects in the sample: batch passed, lines qc_passed, an inspecting event is logged."""
    batch = make_batch(loaded)
    _to_inspection(loaded, batch)
    result = run(loaded, quality.inspect_batch, batch.id, [], inspector="qc-1")
    assert result["accepted"] and result["disposition"] == {"action": "passed"}
    assert result["sample_size"] == 5 and result["defects_per_hundred_units"] == 0
    assert _line_statuses(loaded, batch) == {"qc_passed"}
    with loaded.uow() as uow:
        assert [p["kind"] for p in uow.trace.events_for(batch_ids=(batch.id,))] == [
            "transformation", "commissioning", "inspecting"]
        events = uow.orders.events(batch.lines[0].order_id)
    moves = [e["new"] for e in events if e["line_id"] == batch.lines[0].line_id]
    assert moves[-3:] == [OrderStatus.SCHEDULED.value, "in_production", "qc_passed"]


def test_two_rejections_in_five_lots_switch_to_tightened(loaded: Container) -> None:
    """Reject, accept, reject on normal: the site's denim family moves to tightened, and the next plan is tightened."""
    used: set[str] = set()
    outcomes = []
    for k, defects in enumerate(([{"class": "major", "type": "seam"}], [], [{"class": "major", "type": "seam"}])):
        batch = make_batch(loaded, batch_id=f"B-SW-{k}", lot=f"KB261201-1{k}", count=1, skip=used)
        used |= {ln.line_id for ln in batch.lines}
        _to_inspection(loaded, batch)
        outcomes.append(run(loaded, quality.inspect_batch, batch.id, defects, inspector="qc-1", action="hold"))
    assert [o["decision"] for o in outcomes] == ["reject", "accept", "reject"]
    assert outcomes[2]["switches"][0]["to"] == "tightened"
    with loaded.uow() as uow:
        state = uow.quality.get_state(SITE, "denim-bottoms")
        events = uow.quality.switch_events(SITE, "denim-bottoms")
    assert state.severity is Severity.TIGHTENED and [e["lot"] for e in events] == ["B-SW-2"]
    nxt = make_batch(loaded, batch_id="B-SW-3", lot="KB261201-13", count=1, skip=used)
    _to_inspection(loaded, nxt)
    assert run(loaded, quality.inspect_batch, nxt.id, [], inspector="qc-1")["severity"] == "tightened"


def test_rework_goes_back_to_production_and_reinspection_does_not_count_twice(loaded: Container) -> None:
    """A seam defect is reworkable: the batch returns to production; its re-inspection leaves the switching state alone."""
    batch = make_batch(loaded)
    _to_inspection(loaded, batch)
    first = run(loaded, quality.inspect_batch, batch.id, [{"class": "major", "type": "seam"}], inspector="qc-1")
    assert first["disposition"]["action"] == "rework"
    with loaded.uow() as uow:
        assert uow.production.get_batch(batch.id).status is BatchStatus.IN_PRODUCTION
    run(loaded, production.finish_batch, batch.id)
    second = run(loaded, quality.inspect_batch, batch.id, [], inspector="qc-2")
    assert second["inspection_id"] == f"{batch.id}-Q2" and second["resubmitted"]
    with loaded.uow() as uow:
        assert uow.quality.get_state(SITE, "denim-bottoms").lots_seen == 1
        assert len(uow.trace.events_for(batch_ids=(batch.id,), kind="commissioning")) == 1
    assert _line_statuses(loaded, batch) == {"qc_passed"}


def test_remake_creates_a_planned_batch_and_reroutes_from_a_suspended_site(loaded: Container) -> None:
    """A fabric flaw is remade in a planned batch with an order event; a suspended site's remake goes elsewhere."""
    batch = make_batch(loaded)
    _to_inspection(loaded, batch)
    result = run(loaded, quality.inspect_batch, batch.id, [{"class": "major", "type": "fabric_flaw"}],
                 inspector="qc-1")
    disp = result["disposition"]
    assert disp["action"] == "remake" and disp["remake_units"] == 1 and not disp["rerouted"]
    with loaded.uow() as uow:
        remade = uow.production.get_batch(disp["remake_batch"])
        assert remade.status is BatchStatus.PLANNED and remade.units == 1 and remade.site_id == SITE
        assert uow.production.get_batch(batch.id).status is BatchStatus.IN_PRODUCTION
        order_id = remade.lines[0].order_id
        assert "remake_planned" in [e["kind"] for e in uow.orders.events(order_id)]
    assert _line_statuses(loaded, batch) == {"in_production"}
    # with Kreuzberg discontinued for denim bottoms, a held rejection is remade at the nearest capable site
    batch = make_batch(loaded, batch_id="B-KB-2", lot="KB261201-002", count=1)
    _to_inspection(loaded, batch)
    run(loaded, quality.inspect_batch, batch.id, [{"class": "critical", "type": "needle"}], inspector="qc-1",
        action="hold")
    with loaded.uow() as uow:
        uow.quality.save_state(SwitchingState(SITE, "denim-bottoms", Severity.DISCONTINUED), NOW)
        uow.commit()
        assert quality.quality_penalties(uow)[(SITE, "denim-bottoms")] == "suspended"
    disp = run(loaded, quality.resolve_rejection, batch.id, "remake")
    assert disp["rerouted"] and disp["site"] == "mf-wedding" and disp["original_batch_status"] == "cancelled"
    with loaded.uow() as uow:
        assert uow.production.get_batch(disp["remake_batch"]).site_id == disp["site"]


def test_drift_alerts_penalties_and_stored_switching_states(loaded: Container) -> None:
    """Ten clean lots then five bad ones: WE and CUSUM alerts name the bad batches, the site is suspended; states round-trip."""
    batch = make_batch(loaded, count=1)
    line = batch.lines[0]
    with loaded.uow() as uow:
        for k in range(15):
            bid = f"B-DR-{k:02d}"
            uow.production.add_batch(Batch(bid, SITE, "cut", (BatchLine(line.line_id, line.order_id, line.sku, 1),),
                                           f"DR{k:02d}", BatchStatus.PASSED, "kiez-jean"), NOW)
            bad = 6 if k >= 10 else 0
            uow.quality.add_inspection({
                "id": f"{bid}-Q1", "batch_id": bid, "site_id": SITE, "family": "denim-bottoms", "severity": "normal",
                "sample_size": 50, "defects": [], "decision": "reject" if bad else "accept", "inspector": "qc",
                "detail": {"defective_units": bad}, "at": datetime(2026, 11, 1 + k, 9)})
        uow.commit()
        alerts = quality.alerts(uow)
        chart = quality.chart(uow, SITE, "denim-bottoms")
        penalties = quality.quality_penalties(uow)
    rules = {a["rule"] for a in alerts}
    assert {"WE1", "CUSUM"} <= rules and all(a["site"] == SITE for a in alerts)
    assert all(b >= "B-DR-10" for a in alerts if a["direction"] == "up" for b in a["batches"][-1:])
    assert len(chart["points"]) == 15 and chart["points"][0]["ucl"] > chart["points"][0]["center"]
    assert penalties[(SITE, "denim-bottoms")] == "suspended"
    state = SwitchingState(SITE, "shirts", Severity.TIGHTENED, (True, False), 0, 3, 1, True, 7)
    with loaded.uow() as uow:
        uow.quality.save_state(state, NOW)
        uow.commit()
    with loaded.uow() as uow:
        assert uow.quality.get_state(SITE, "shirts") == state
        rows = list(uow.conn.execute(select(t.quality_states)))
    assert [r.family for r in rows] == ["shirts"]
