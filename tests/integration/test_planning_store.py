"""Planning in the store: batches, checked work orders, re-planning on events, bottlenecks (SQLite and PostgreSQL)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

import pytest

from microfactory.bootstrap import Container
from microfactory.domain.orders import OrderStatus, advance_line
from microfactory.domain.production import BatchStatus
from microfactory.engines.scheduling import check_schedule
from microfactory.errors import InvalidInput, NotFound
from microfactory.services import production
from microfactory.services.planning import PlanRequest, plan_stored
from microfactory.services.planning_events import apply_event, bottleneck_report
from microfactory.services.planning_views import stored_plan
from tests.conftest import NOW

SITE = "mf-kreuzberg"
KREUZBERG = {"kiez-jean", "kiez-jacket", "nordlicht-dress", "nordlicht-hoodie", "nordlicht-shirt-mtm"}
FAST = PlanRequest(time_limit_s=0.4, workers=1)


def route_lines(c: Container, count: int = 10, site: str = SITE, before: datetime = NOW + timedelta(days=3)) -> list[str]:
    """Route the first ``count`` validated lines of products the site makes (orders created before ``before``)."""
    routed: list[str] = []
    with c.uow() as uow:
        orders, _ = uow.orders.list(limit=200)
        for order in orders:
            if order.created >= before or order.brand == "spree":
                continue
            events = []
            for line in order.lines:
                if len(routed) < count and line.product_id in KREUZBERG and line.status is OrderStatus.VALIDATED:
                    order, evs = advance_line(order, line.id, OrderStatus.ROUTED, NOW, "test")
                    events += evs
                    uow.orders.set_line_site(line.id, site)
                    routed.append(line.id)
            if events:
                uow.orders.save_status(order, events, "test")
        uow.commit()
    return routed


def run(c: Container, fn: Any, *args: Any, now: datetime = NOW, **kw: Any) -> Any:
    """A service call in its own committed unit of work."""
    with c.uow() as uow:
        out = fn(uow, *args, now=now, **kw)
        uow.commit()
    return out


AUTOMATED = {"kb-cutter", "kb-embroidery"}  # a worker is needed only for their changeover


def no_overlaps(ops: list[Any]) -> None:
    """No two operations overlap on one resource unit, nor on one worker (staffed time only)."""
    by: dict[tuple[str, ...], list[tuple[datetime, datetime]]] = {}
    for o in ops:
        by.setdefault(("r", o.resource_id, str(o.unit)), []).append((o.start, o.end))
        staffed = o.start + timedelta(minutes=o.setup_minutes) if o.resource_id in AUTOMATED else o.end
        if o.worker_id and staffed > o.start:
            by.setdefault(("w", o.worker_id), []).append((o.start, staffed))
    for spans in by.values():
        spans.sort()
        for (_s1, e1), (s2, _e2) in itertools.pairwise(spans):
            assert s2 >= e1


def test_plan_site_stores_batches_scheduled_lines_and_checked_work_orders(loaded: Container) -> None:
    """Routed lines become batches, lines go to scheduled, stored work orders pass the checker and never overlap."""
    lines = route_lines(loaded)
    out = run(loaded, plan_stored, FAST, site=SITE, actor="test")
    assert out["status"] in ("optimal", "feasible") and out["seed"] == 0 and out["bound"] is not None
    with loaded.uow() as uow:
        batches = uow.production.list_batches(site=SITE)
        batched = {bl.line_id for b in batches for bl in b.lines}
        statuses = {uow.orders.get(bl.order_id).line(bl.line_id).status for b in batches for bl in b.lines}
        meta, ops = uow.production.active_plan(SITE)
        _meta, problem, schedule, _origin, _b = stored_plan(uow, SITE)
    assert batched <= set(lines) and len(batched) >= 5 and statuses == {OrderStatus.SCHEDULED}
    assert {b.id for b in batches} == set(out["new_batches"]) and all(b.planned_start for b in batches)
    assert all(b.lot.startswith("KR") or b.lot.startswith("MFKR") for b in batches)
    assert check_schedule(problem, schedule) == []
    assert len(ops) == sum(len(problem.batch(b.id).ops) for b in batches)
    no_overlaps(ops)
    assert meta["summary"]["weighted_tardiness"] == out["weighted_tardiness"]


def test_planning_again_adds_no_batches_and_keeps_started_batches(loaded: Container) -> None:
    """A second plan forms no new batch; a batch started by production execution keeps its work orders."""
    route_lines(loaded, 6)
    run(loaded, plan_stored, FAST, site=SITE)
    with loaded.uow() as uow:
        first = min(uow.production.list_batches(site=SITE), key=lambda b: (b.planned_start, b.id))
        before = [o for o in uow.production.active_plan(SITE)[1] if o.batch_id == first.id]
    run(loaded, production.start_batch, first.id)
    again = run(loaded, plan_stored, FAST, site=SITE, now=NOW + timedelta(minutes=5))
    assert again["new_batches"] == [] and again["frozen"] == len(before)
    with loaded.uow() as uow:
        after = [o for o in uow.production.active_plan(SITE)[1] if o.batch_id == first.id]
    assert [(o.start, o.resource_id, o.worker_id) for o in after] == [(o.start, o.resource_id, o.worker_id)
                                                                      for o in before]


def test_machine_down_replan_keeps_started_ops_and_reports_moves(loaded: Container) -> None:
    """Sewing down for a day, 2 h into the plan: operations started before now stay, nothing runs on it while down, moves listed."""
    route_lines(loaded)
    run(loaded, plan_stored, FAST, site=SITE)
    with loaded.uow() as uow:
        _meta, old = uow.production.active_plan(SITE)
    now = min(o.start for o in old) + timedelta(hours=2)
    down_from, down_to = now, now + timedelta(days=1)
    event = {"kind": "machine_down", "resource": "kb-sewing", "from": down_from.isoformat(),
             "to": down_to.isoformat()}
    out = run(loaded, apply_event, SITE, event, now=now, req=FAST)
    with loaded.uow() as uow:
        _meta, new = uow.production.active_plan(SITE)
        _m, problem, schedule, _o, _b = stored_plan(uow, SITE)
    started = {(o.batch_id, o.op_id): (o.start, o.end, o.resource_id, o.unit) for o in old if o.start < now}
    kept = {(o.batch_id, o.op_id): (o.start, o.end, o.resource_id, o.unit) for o in new}
    assert started and all(kept[k] == v for k, v in started.items())
    assert out["kept_frozen"] == len(started) and out["replanned_from"] != out["plan_id"]
    # a sewing op still running at the event delays the downtime until it ends (the engine's rule)
    effective = max([down_from] + [v[1] for v in started.values() if v[2] == "kb-sewing" and v[1] > down_from])
    for o in new:
        if o.resource_id == "kb-sewing" and (o.batch_id, o.op_id) not in started:
            assert o.end <= effective or o.start >= down_to
    assert out["moved"] == len(out["moves"]) > 0
    assert all(m["after"]["start"] >= now.isoformat() for m in out["moves"])
    assert out["disruptions"][0]["target"] == "kb-sewing"
    assert check_schedule(problem, schedule) == []
    no_overlaps(new)


def test_later_plan_keeps_an_earlier_machine_down(loaded: Container) -> None:
    """A plan made after a machine-down event still keeps the machine free in its down period."""
    route_lines(loaded, 6)
    run(loaded, plan_stored, FAST, site=SITE)
    down = {"kind": "machine_down", "resource": "kb-cutter", "from": NOW.isoformat(),
            "to": (NOW + timedelta(days=2)).isoformat()}
    run(loaded, apply_event, SITE, down, req=FAST)
    route_lines(loaded, 12)
    out = run(loaded, plan_stored, FAST, site=SITE)
    assert out["new_batches"] and out["disruptions"][0]["target"] == "kb-cutter"
    with loaded.uow() as uow:
        _meta, ops = uow.production.active_plan(SITE)
    cut = [o for o in ops if o.resource_id == "kb-cutter"]
    assert cut and all(o.start >= NOW + timedelta(days=2) for o in cut)


def test_rush_order_is_fitted_in_with_a_higher_weight(loaded: Container) -> None:
    """A rush order's routed lines become new batches, scheduled, and reported as new operations."""
    route_lines(loaded, 6)
    run(loaded, plan_stored, FAST, site=SITE)
    rush_line = route_lines(loaded, 1, before=NOW + timedelta(days=6))[0]
    with loaded.uow() as uow:
        order_id = uow.routing.line_refs(statuses=["routed"], line_ids=[rush_line])[0]["order_id"]
    out = run(loaded, apply_event, SITE, {"kind": "rush_order", "order_id": order_id}, req=FAST)
    new_ops = [m for m in out["moves"] if m["before"] is None]
    assert new_ops and out["event"]["kind"] == "rush_order"
    with loaded.uow() as uow:
        status = uow.orders.get(order_id).line(rush_line).status
    assert status is OrderStatus.SCHEDULED
    with pytest.raises(InvalidInput):
        run(loaded, apply_event, SITE, {"kind": "rush_order", "order_id": order_id}, req=FAST)


def test_rejected_batch_is_remade_and_fitted_in(loaded: Container) -> None:
    """A batch rejected by QC is remade as <id>-R1 (the original cancelled) and the remake is scheduled."""
    route_lines(loaded, 6)
    run(loaded, plan_stored, FAST, site=SITE)
    with loaded.uow() as uow:
        batch = uow.production.list_batches(site=SITE)[0]
        for st in (BatchStatus.IN_PRODUCTION, BatchStatus.INSPECTION, BatchStatus.REJECTED):
            uow.production.set_batch_status(batch.id, st)
        uow.commit()
    out = run(loaded, apply_event, SITE, {"kind": "batch_rejected", "batch_id": batch.id}, req=FAST)
    with loaded.uow() as uow:
        remake = uow.production.get_batch(f"{batch.id}-R1")
        assert uow.production.get_batch(batch.id).status is BatchStatus.CANCELLED
    assert remake.status is BatchStatus.PLANNED and remake.lot != batch.lot
    assert any(m["batch"] == remake.id and m["before"] is None for m in out["moves"])


def test_events_need_a_plan_and_known_targets_and_absence_is_respected(loaded: Container) -> None:
    """No plan: 404; unknown worker or kind: invalid; Aylin away two days gets no unstarted operation then."""
    absent = {"kind": "worker_absent", "worker": "kb-w1", "from": (NOW + timedelta(hours=1)).isoformat(),
              "to": (NOW + timedelta(days=2)).isoformat()}
    with pytest.raises(NotFound):
        run(loaded, apply_event, SITE, absent, req=FAST)
    route_lines(loaded)
    run(loaded, plan_stored, FAST, site=SITE)
    with pytest.raises(InvalidInput):
        run(loaded, apply_event, SITE, {**absent, "worker": "nobody"}, req=FAST)
    with pytest.raises(InvalidInput):
        run(loaded, apply_event, SITE, {"kind": "flood"}, req=FAST)
    start, end = NOW + timedelta(hours=1), NOW + timedelta(days=2)
    run(loaded, apply_event, SITE, absent, now=start, req=FAST)
    with loaded.uow() as uow:
        _meta, ops = uow.production.active_plan(SITE)
    mine = [o for o in ops if o.worker_id == "kb-w1" and o.start >= start]
    assert all(o.start >= end or o.end <= start for o in mine)


def test_bottleneck_figures_match_the_plan(loaded: Container) -> None:
    """Resource busy minutes are the plan's operation minutes; candidates are re-solved and ranked by reduction."""
    route_lines(loaded)
    run(loaded, plan_stored, FAST, site=SITE)
    with loaded.uow() as uow:
        report = bottleneck_report(uow, SITE, now=NOW, time_limit_s=0.2, top=1)
        _meta, ops = uow.production.active_plan(SITE)
    busy = {}
    for o in ops:
        busy[o.resource_id] = busy.get(o.resource_id, 0) + int((o.end - o.start).total_seconds() // 60)
    loads = {(r["kind"], r["name"]): r for r in report["loads"]}
    for rid, minutes in busy.items():
        row = loads[("resource", rid)]
        assert row["busy_minutes"] == minutes
        assert row["utilisation"] == pytest.approx(minutes / row["available_minutes"], abs=1e-4)
    assert report["limiting"]["utilisation"] == max(r["utilisation"] for r in report["loads"])
    reductions = [c["reduction"] for c in report["candidates"]]
    assert reductions and reductions == sorted(reductions, reverse=True)
    assert {c["kind"] for c in report["candidates"]} <= {"skill", "shift"}


def test_every_site_is_planned_in_parallel_and_stored(loaded: Container) -> None:
    """With no --site, each production site with routed lines is solved in a process pool and gets its plan."""
    route_lines(loaded, 4)
    with loaded.uow() as uow:
        refs = [r for r in uow.routing.line_refs(statuses=["validated"])
                if uow.orders.get(r["order_id"]).line(r["line_id"]).product_id == "nordlicht-dress"][:3]
    for r in refs:
        with loaded.uow() as uow:
            order, events = advance_line(uow.orders.get(r["order_id"]), r["line_id"], OrderStatus.ROUTED, NOW, "t")
            uow.orders.save_status(order, events, "t")
            uow.orders.set_line_site(r["line_id"], "mf-wedding")
            uow.commit()
    out = run(loaded, plan_stored, PlanRequest(time_limit_s=0.5, workers=1, processes=2))
    planned = {s["site_id"]: s for s in out["sites"] if s["plan_id"]}
    assert set(planned) == {SITE, "mf-wedding"}
    with loaded.uow() as uow:
        for sid in planned:
            _meta, problem, schedule, _o, _b = stored_plan(uow, sid)
            assert check_schedule(problem, schedule) == []
