"""Feasibility checker of a schedule, written from the problem only (it shares no code with the solver).

It checks: every operation scheduled once on a resource of its process; durations;
precedence inside a batch and release times; no overlap per resource unit; the
changeover before each operation at least the one its predecessor on that unit
requires; calendar and downtime; one qualified worker per staffed operation (and per
changeover on an automated resource), no overlap per worker, worker availability.
"""

from __future__ import annotations

from itertools import pairwise

from microfactory.engines.scheduling.problem import (
    Interval,
    Schedule,
    ScheduledOp,
    SchedulingProblem,
)


def _closed(open_: tuple[Interval, ...] | None, horizon: int) -> list[Interval]:
    if open_ is None:
        return []
    out, t = [], 0
    for s, e in sorted(open_):
        if s > t:
            out.append((t, s))
        t = max(t, e)
    if t < horizon:
        out.append((t, horizon))
    return out


def _hits(a: Interval, blocked: list[Interval]) -> Interval | None:
    if a[1] <= a[0]:
        return None
    return next(((s, e) for s, e in blocked if s < a[1] and a[0] < e), None)


def _coverage(problem: SchedulingProblem, schedule: Schedule) -> list[str]:
    errors = []
    seen: dict[tuple[str, int], int] = {}
    for op in schedule.ops:
        seen[(op.batch_id, op.op_index)] = seen.get((op.batch_id, op.op_index), 0) + 1
    for b in problem.batches:
        if b.id in schedule.unscheduled:
            continue
        for k in range(len(b.ops)):
            n = seen.pop((b.id, k), 0)
            if n != 1:
                errors.append(f"{b.id} op {k}: scheduled {n} times")
    errors += [f"{bid} op {k}: not in the problem" for bid, k in seen]
    return errors


def _op_rules(problem: SchedulingProblem, op: ScheduledOp) -> list[str]:
    batch = problem.batch(op.batch_id)
    spec = batch.ops[op.op_index]
    res = problem.resource(op.resource_id)
    name = f"{op.batch_id} op {op.op_index}"
    errors = []
    if res.process != spec.process:
        errors.append(f"{name}: resource {res.id} does {res.process}, not {spec.process}")
    if not 0 <= op.unit < res.units:
        errors.append(f"{name}: unit {op.unit} out of range")
    if op.setup < 0 or op.end - op.start - op.setup != batch.op_minutes(op.op_index):
        errors.append(f"{name}: duration {op.end - op.start - op.setup} != {batch.op_minutes(op.op_index)}")
    closed = _closed(problem.calendar, problem.horizon)
    down = [(d.start, d.end) for d in problem.downtime if d.resource_id == res.id and d.unit in (None, op.unit)]
    if (hit := _hits((op.start, op.end), closed)) is not None:
        errors.append(f"{name}: [{op.start},{op.end}) crosses closed period {hit}")
    if (hit := _hits((op.start, op.end), down)) is not None:
        errors.append(f"{name}: [{op.start},{op.end}) during downtime {hit}")
    return errors


def _precedence(problem: SchedulingProblem, schedule: Schedule) -> list[str]:
    frozen = {(o.batch_id, o.op_index) for o in problem.frozen}
    by_batch: dict[str, dict[int, ScheduledOp]] = {}
    for op in schedule.ops:
        by_batch.setdefault(op.batch_id, {})[op.op_index] = op
    errors = []
    for bid, ops in by_batch.items():
        batch = problem.batch(bid)
        if 0 in ops and ops[0].start < batch.release and (bid, 0) not in frozen:
            errors.append(f"{bid}: starts at {ops[0].start} before release {batch.release}")
        for k in range(1, len(batch.ops)):
            if k in ops and k - 1 in ops and ops[k].start < ops[k - 1].end:
                errors.append(f"{bid}: op {k} starts before op {k - 1} ends")
    return errors


def _machines(problem: SchedulingProblem, schedule: Schedule) -> list[str]:
    per_unit: dict[tuple[str, int], list[ScheduledOp]] = {}
    for op in schedule.ops:
        per_unit.setdefault((op.resource_id, op.unit), []).append(op)
    errors = []
    for (rid, unit), ops in per_unit.items():
        res = problem.resource(rid)
        ops.sort(key=lambda o: (o.start, o.end))
        prev_key = res.initial_setup_key
        prev: ScheduledOp | None = None
        for op in ops:
            if prev is not None and op.start < prev.end:
                errors.append(f"{rid}/{unit}: {prev.batch_id} and {op.batch_id} overlap")
            key = problem.batch(op.batch_id).op_key(op.op_index)
            need = problem.changeovers.minutes(res, prev_key, key)
            frozen = any(f.batch_id == op.batch_id and f.op_index == op.op_index for f in problem.frozen)
            if op.setup < need and not frozen:
                errors.append(f"{rid}/{unit}: {op.batch_id} changeover {op.setup} < {need} after {prev_key}")
            prev_key, prev = key, op
    return errors


def _workers(problem: SchedulingProblem, schedule: Schedule) -> list[str]:
    workers = {w.id: w for w in problem.workers}
    busy: dict[str, list[tuple[int, int, str]]] = {}
    errors = []
    for op in schedule.ops:
        res = problem.resource(op.resource_id)
        length = op.setup if res.automated else op.end - op.start
        if length <= 0:
            continue
        name = f"{op.batch_id} op {op.op_index}"
        w = workers.get(op.worker_id or "")
        if w is None:
            errors.append(f"{name}: needs a worker, has {op.worker_id!r}")
            continue
        if op.process not in w.skills or res.process not in w.skills:
            errors.append(f"{name}: worker {w.id} lacks skill {res.process}")
        if w.available is not None:
            off = _closed(w.available, max(problem.horizon, w.available[-1][1] if w.available else 0))
            if (hit := _hits((op.start, op.start + length), off)) is not None:
                errors.append(f"{name}: worker {w.id} unavailable during {hit}")
        busy.setdefault(w.id, []).append((op.start, op.start + length, name))
    for wid, spans in busy.items():
        spans.sort()
        for a, b in pairwise(spans):
            if b[0] < a[1]:
                errors.append(f"worker {wid}: {a[2]} and {b[2]} overlap")
    return errors


def check_schedule(problem: SchedulingProblem, schedule: Schedule) -> list[str]:
    """Every rule the schedule breaks, as readable messages (empty list: feasible)."""
    errors = _coverage(problem, schedule)
    for op in schedule.ops:
        errors += _op_rules(problem, op)
    return errors + _precedence(problem, schedule) + _machines(problem, schedule) + _workers(problem, schedule)
