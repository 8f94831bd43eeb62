"""Re-planning on events, bottlenecks, Gantt output, the checker itself and the fan-out."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import datetime

from tests.unit.engines.scheduling.conftest import FAST, batch, one_machine

from microfactory.engines.scheduling import (
    BatchRejected,
    MachineDown,
    Resource,
    RushOrder,
    SchedulingProblem,
    Worker,
    WorkerAbsent,
    bottlenecks,
    check_schedule,
    gantt_data,
    gantt_svg,
    plan_site,
    plan_sites,
    replan,
)

SHORT = dataclasses.replace(FAST, time_limit_s=2.0)


def _two_machine_site() -> SchedulingProblem:
    """Two sewing resources, two sewers, four batches of 60 minutes."""
    res = (Resource("R1", "sew", setup_minutes=10), Resource("R2", "sew", setup_minutes=10))
    staff = (Worker("W1", frozenset({"sew"})), Worker("W2", frozenset({"sew"})))
    batches = tuple(batch(f"b{i}", "AB"[i % 2], 60, due=400) for i in range(4))
    return SchedulingProblem("s", res, staff, batches, 2000)


def _assert_frozen_kept(before, after, now: int) -> None:  # type: ignore[no-untyped-def]
    started = {(o.batch_id, o.op_index): o for o in before.ops if o.start < now}
    kept = {(o.batch_id, o.op_index): o for o in after.ops}
    assert started and all(kept[k] == op for k, op in started.items())
    assert all(o.start >= now for k, o in kept.items() if k not in started)


def test_machine_down_keeps_started_ops_and_avoids_downtime() -> None:
    """R1 fails at minute 30: started ops stay, later ones avoid R1's downtime and the plan is feasible."""
    p = _two_machine_site()
    first = plan_site(p, SHORT)
    r = replan(p, first, MachineDown("R1", 30, 1000), 30, SHORT)
    assert check_schedule(r.problem, r.schedule) == []
    _assert_frozen_kept(first, r.schedule, 30)
    assert all(o.resource_id == "R2" for o in r.schedule.ops if o.start >= 30)
    assert r.notes and r.moved


def test_worker_absence_moves_work_to_the_other_worker() -> None:
    """W1 absent from minute 10: nothing new is given to W1 during the absence."""
    p = _two_machine_site()
    first = plan_site(p, SHORT)
    r = replan(p, first, WorkerAbsent("W1", 10, 1500), 10, SHORT)
    assert check_schedule(r.problem, r.schedule) == []
    _assert_frozen_kept(first, r.schedule, 10)
    assert all(o.worker_id == "W2" for o in r.schedule.ops if o.start >= 10)


def test_rush_order_is_added_and_reported_as_new() -> None:
    """A rush batch due soon is scheduled at or after now and appears among the moves as new."""
    p = _two_machine_site()
    first = plan_site(p, SHORT)
    r = replan(p, first, RushOrder(batch("rush", "A", 30, due=200)), 20, SHORT)
    assert check_schedule(r.problem, r.schedule) == []
    assert any(m.batch_id == "rush" and m.before is None for m in r.moved)


def test_qc_reject_remakes_the_batch() -> None:
    """A rejected batch is made again as <id>-R1, after now."""
    p = one_machine(batch("b1", "A", 30), batch("b2", "B", 30))
    first = plan_site(p, SHORT)
    done = min(first.ops, key=lambda o: o.start)
    r = replan(p, first, BatchRejected(done.batch_id), done.end, SHORT)
    assert check_schedule(r.problem, r.schedule) == []
    remake = [o for o in r.schedule.ops if o.batch_id == f"{done.batch_id}-R1"]
    assert len(remake) == 1 and remake[0].start >= done.end


def test_replan_without_disruption_moves_nothing() -> None:
    """A worker absence outside the horizon changes no operation."""
    p = _two_machine_site()
    first = plan_site(p, SHORT)
    r = replan(p, first, WorkerAbsent("W1", 1900, 1950), 0, SHORT)
    assert r.moved == ()


def test_bottleneck_finds_the_single_sewer_and_cross_training_helps() -> None:
    """One sewer and an idle cutter: sewing skill limits, and training the cutter cuts tardiness most."""
    res = (Resource("S", "sew", units=2), Resource("C", "cut"))
    staff = (Worker("sewer", frozenset({"sew"})), Worker("cutter", frozenset({"cut"})))
    batches = tuple(batch(f"b{i}", "A", 100, due=150) for i in range(4))
    p = SchedulingProblem("s", res, staff, batches, 2000, ((0, 1000),))
    plan = plan_site(p, SHORT)
    report = bottlenecks(p, plan, SHORT)
    assert report.limiting.kind == "skill" and report.limiting.name == "sew"
    best = report.candidates[0]
    assert best.description == "add skill sew to worker cutter" and best.reduction > 0
    assert report.baseline_tardiness == plan.weighted_tardiness


def test_gantt_data_is_json_and_svg_has_every_op() -> None:
    """Gantt data serialises to JSON and the SVG draws one titled bar per operation."""
    p = _two_machine_site()
    s = plan_site(p, SHORT)
    data = gantt_data(p, s)
    assert json.loads(json.dumps(data))["site"] == "s"
    assert sum(len(r["ops"]) for r in data["rows"]) == len(s.ops)
    svg = gantt_svg(p, s)
    assert svg.startswith("<svg") and len(re.findall(r"<title>[^<]* op \d+ · ", svg)) == len(s.ops)


def test_gantt_axis_cuts_out_closed_time() -> None:
    """Two open windows far apart: the second starts just after the first on the chart, labelled by day."""
    p = one_machine(batch("b1", "A", 60), batch("b2", "A", 60), calendar=((0, 100), (1440, 1540)))
    s = plan_site(p, SHORT)
    assert {o.start >= 1440 for o in s.ops} == {False, True}  # one batch each day
    svg = gantt_svg(p, s, width=1000, origin=datetime(2026, 12, 1, 8, 0))
    bars = sorted((float(x), float(w)) for x, w in re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" '
                                                             r'height="\d+" fill="#[0-9a-f]{6}"[^>]*><title>b', svg))
    assert len(bars) == 2 and bars[1][0] - (bars[0][0] + bars[0][1]) < 0.2 * 1000  # not 1440/1540 of the width
    assert "Tue 01 08:00" in svg and "Wed 02 08:00" in svg


def test_checker_flags_overlap_skill_calendar_and_changeover() -> None:
    """A hand-broken schedule yields messages for each rule it breaks."""
    p = one_machine(batch("b1", "A", 30), batch("b2", "B", 30), calendar=((0, 100),))
    good = plan_site(p, SHORT)
    assert check_schedule(p, good) == []
    a, b = sorted(good.ops, key=lambda o: o.start)
    bad_ops = (a, dataclasses.replace(b, start=a.start + 5, setup=0, end=a.start + 35, worker_id="nobody"))
    errors = check_schedule(p, dataclasses.replace(good, ops=bad_ops))
    text = "\n".join(errors)
    assert "overlap" in text and "changeover" in text and "needs a worker" in text
    late = (a, dataclasses.replace(b, start=90, end=90 + b.setup + 30))
    assert any("closed period" in e for e in check_schedule(p, dataclasses.replace(good, ops=late)))


def test_plan_sites_fans_out_and_matches_single_plans() -> None:
    """Two sites planned in a process pool give the same makespans as planned alone."""
    p1 = one_machine(batch("b1", "A", 30), batch("b2", "B", 30))
    p2 = dataclasses.replace(one_machine(batch("c1", "A", 50)), site_id="s2")
    out = plan_sites([p1, p2], SHORT, max_workers=2)
    assert set(out) == {"s1", "s2"}
    assert out["s1"].makespan == plan_site(p1, SHORT).makespan and out["s2"].makespan == 60
