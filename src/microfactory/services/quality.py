"""Inspections by the sampling tables, switching per (site, family), rework and remake, drift.

``inspect_batch`` judges a batch waiting for QC with the plan of its (site, product family)
switching state, records the inspection, moves the switching state with the lot's result
(original inspections only: a reworked batch inspected again does not count twice), appends
an inspecting EPCIS event, and then either passes the batch (its lines go to qc_passed once
every live batch holding them has passed) or rejects it and applies the disposition:

* ``rework``: the batch goes back into production, is screened and repaired, finished and
  inspected again;
* ``remake``: a new *planned* batch of the defective units (the engine's estimate scaled
  from the sample) is created for the planner, at the same site or, when that site is
  suspended for the family, at the nearest capable site; the rejected batch goes back into
  production to screen and rework the rest (or is cancelled when the whole lot is remade);
* ``recommended`` (default): remake when the defects include types that cannot be repaired,
  otherwise rework; ``hold``: stay rejected until :func:`resolve_rejection` is called.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from microfactory.domain.geo import haversine_km
from microfactory.domain.orders import OrderStatus
from microfactory.domain.production import Batch, BatchLine, BatchStatus, lot_code, move_batch
from microfactory.engines.quality import (
    ChartParams,
    Defect,
    InspectionInput,
    InspectionResult,
    LotDecision,
    LotResult,
    QualityScore,
    ScoreParams,
    Severity,
    drift_alerts,
    next_state,
    p_chart,
    quality_score,
    resume_after_corrective_action,
    sampling_plan,
)
from microfactory.engines.quality import inspect as judge
from microfactory.engines.quality.drift import BatchSample
from microfactory.engines.trace.epcis import QuantityItem, TraceEvent
from microfactory.errors import IllegalTransition, InvalidInput, NotFound
from microfactory.services import trace as tr
from microfactory.services.production import _advance_lines, batch_view

ACTIONS = ("recommended", "rework", "remake", "hold")
SCORE = ScoreParams()


def plan_view(lot_size: int, aql: float | str, level: str = "II", severity: str = "normal") -> dict[str, Any]:
    """The single sampling plan for a lot (pure; no database)."""
    plan = sampling_plan(lot_size, aql, level, severity)
    return {**asdict(plan), "arrow_followed": plan.arrow_followed}


def parse_defects(items: list[dict[str, Any]]) -> tuple[Defect, ...]:
    """Defects from ``{class, type, count?, unit?}``; a defect without a unit gets a unit of its own."""
    used = {int(d["unit"]) for d in items if d.get("unit") is not None}
    free = (u for u in range(10**9) if u not in used)
    out = []
    for i, d in enumerate(items):
        if not isinstance(d, dict) or "class" not in d or "type" not in d:
            raise InvalidInput("each defect needs a class and a type", field=f"defects[{i}]")
        unit = int(d["unit"]) if d.get("unit") is not None else next(free)
        out.append(Defect(unit, str(d["class"]), str(d["type"]), int(d.get("count", 1))))
    return tuple(out)


def family_of(uow: Any, batch: Batch) -> str:
    product = tr.batch_product(uow, batch)
    return product.family or product.id


def _detail(result: InspectionResult) -> dict[str, Any]:
    plans = [{"class": c.defect_class, "count": c.count, "decision": c.decision.value,
              **({"aql": c.plan.aql, "n": c.plan.n, "ac": c.plan.ac, "re": c.plan.re, "code_letter": c.plan.code_letter,
                  "plan_letter": c.plan.plan_letter, "severity": c.plan.severity} if c.plan else {"aql": None})}
             for c in result.classes]
    rework = asdict(result.rework) if result.rework else None
    return {"plans": plans, "lot_size": result.lot_size, "defects_per_hundred_units": round(
        result.defects_per_hundred_units, 3), "defective_units": result.defective_units,
        "defects_by_type": dict(result.defects_by_type), "rework": rework}


def _switch(uow: Any, batch: Batch, family: str, result: InspectionResult, now: datetime) -> list[dict[str, Any]]:
    """Move the (site, family) switching state with an original inspection's result."""
    state = uow.quality.get_state(batch.site_id, family, lock=True)
    lot = LotResult(batch.id, result.accepted, result.decision is LotDecision.ACCEPT_RETURN_TO_NORMAL)
    new, events = next_state(state, lot)
    uow.quality.save_state(new, now)
    uow.quality.add_switch_events(events, now)
    return [{"from": e.from_severity.value, "to": e.to_severity.value, "rule": e.rule} for e in events]


def inspect_batch(uow: Any, batch_id: str, defects: list[dict[str, Any]], *, inspector: str, now: datetime,
                  actor: str = "system", action: str = "recommended", sample_size: int | None = None,
                  level: str = "II") -> dict[str, Any]:
    """Judge a batch waiting for QC; record it, switch, trace, and pass or reject with a disposition."""
    if action not in ACTIONS:
        raise InvalidInput(f"action must be one of {ACTIONS}", field="action")
    batch = uow.production.get_batch(batch_id)
    if batch.status is not BatchStatus.INSPECTION:
        raise IllegalTransition(f"batch {batch_id} is {batch.status.value}, not waiting for inspection",
                                field="status")
    family = family_of(uow, batch)
    state = uow.quality.get_state(batch.site_id, family)
    if state.severity is Severity.DISCONTINUED:
        raise IllegalTransition(f"inspection of {batch.site_id}/{family} is discontinued after 5 rejected lots on "
                                "tightened; record corrective action first (microfactory qc resume)",
                                field="severity")
    severity = state.severity.value
    result = judge(InspectionInput(batch_id, batch.units, parse_defects(defects),
                                   severities=(("major", severity), ("minor", severity)), level=level,
                                   sample_size=sample_size))
    previous = uow.quality.count_for_batch(batch_id)
    switches = [] if previous else _switch(uow, batch, family, result, now)
    inspection_id = f"{batch_id}-Q{previous + 1}"
    detail = {**_detail(result), "resubmitted": bool(previous), "switches": switches}
    uow.quality.add_inspection({
        "id": inspection_id, "batch_id": batch_id, "site_id": batch.site_id, "family": family, "severity": severity,
        "sample_size": result.sample_size, "defects": [asdict(d) for d in parse_defects(defects)],
        "decision": result.decision.value, "inspector": inspector, "detail": detail, "at": now})
    _trace_inspection(uow, batch, result.accepted, now)
    if result.accepted:
        passed = move_batch(batch, BatchStatus.PASSED)
        uow.production.set_batch_status(batch_id, passed.status)
        _pass_lines(uow, passed, now, actor)
        disposition: dict[str, Any] = {"action": "passed"}
    else:
        uow.production.set_batch_status(batch_id, BatchStatus.REJECTED)
        disposition = resolve_rejection(uow, batch_id, action, now=now, actor=actor) if action != "hold" \
            else {"action": "hold"}
    uow.audit.add(actor, "batch.inspect", "batch", batch_id, {"inspection": inspection_id,
                                                             "decision": result.decision.value}, now)
    return {"inspection_id": inspection_id, "batch_id": batch_id, "site_id": batch.site_id, "family": family,
            "severity": severity, "decision": result.decision.value, "accepted": result.accepted,
            "sample_size": result.sample_size, **detail, "disposition": disposition}


def _trace_inspection(uow: Any, batch: Batch, accepted: bool, now: datetime) -> None:
    product = tr.batch_product(uow, batch)
    where = tr.site_uri(uow, uow.network.get_site(batch.site_id))
    event = TraceEvent("inspecting", tr.utc(now), where, where, conformant=accepted,
                       quantities=(QuantityItem(tr.product_class(uow, product, batch.lot), float(batch.units)),),
                       batch_ids=(batch.id,), order_ids=tuple(sorted(batch.order_ids)))
    tr.record(uow, event, now)


def _pass_lines(uow: Any, batch: Batch, now: datetime, actor: str) -> None:
    """Lines go to qc_passed once every live batch holding them has passed."""
    waiting: set[str] = set()
    for order_id in batch.order_ids:
        for other in uow.production.list_batches(order_id=order_id):
            if other.id != batch.id and other.status not in (BatchStatus.PASSED, BatchStatus.CANCELLED):
                waiting |= {ln.line_id for ln in other.lines}
    ready = tuple(ln for ln in batch.lines if ln.line_id not in waiting)
    if ready:
        subset = Batch(batch.id, batch.site_id, batch.setup_key, ready, batch.lot, batch.status)
        _advance_lines(uow, subset, OrderStatus.QC_PASSED, None, now, actor, f"batch {batch.id} passed QC")


def resolve_rejection(uow: Any, batch_id: str, action: str, *, now: datetime,
                      actor: str = "system") -> dict[str, Any]:
    """Apply rework or remake (or the recommendation) to a rejected batch."""
    batch = uow.production.get_batch(batch_id)
    if batch.status is not BatchStatus.REJECTED:
        raise IllegalTransition(f"batch {batch_id} is {batch.status.value}, not rejected", field="status")
    last = uow.quality.inspections(batch_ids=(batch_id,))[-1]
    rework = last["detail"].get("rework") or {}
    if action == "recommended":
        action = "remake" if rework.get("remake_units", 0) > 0 else "rework"
    if action == "rework":
        uow.production.set_batch_status(batch_id, move_batch(batch, BatchStatus.IN_PRODUCTION).status)
        for bl in batch.lines:
            uow.quality.add_order_note(bl.order_id, bl.line_id, "rework", f"batch {batch_id} rejected "
                                       f"({last['id']}): screened and reworked in place", now, actor)
        result = {"action": "rework", "batch": batch_id, "rework_units": rework.get("rework_units", batch.units)}
    elif action == "remake":
        result = _remake(uow, batch, int(rework.get("remake_units") or batch.units), last["id"], now, actor)
    else:
        raise InvalidInput("action must be rework, remake or recommended", field="action")
    uow.audit.add(actor, "batch.disposition", "batch", batch_id, {"action": action, "inspection": last["id"]}, now)
    return result


def _allocate(lines: tuple[BatchLine, ...], units: int) -> tuple[BatchLine, ...]:
    """Spread ``units`` over the lines in proportion to their quantities (largest remainder)."""
    total = sum(ln.quantity for ln in lines)
    exact = [units * ln.quantity / total for ln in lines]
    share = [int(x) for x in exact]
    for i in sorted(range(len(lines)), key=lambda i: (share[i] - exact[i], i))[: units - sum(share)]:
        share[i] += 1
    return tuple(BatchLine(ln.line_id, ln.order_id, ln.sku, q) for ln, q in zip(lines, share) if q > 0)


def _remake(uow: Any, batch: Batch, units: int, inspection_id: str, now: datetime, actor: str) -> dict[str, Any]:
    units = max(1, min(units, batch.units))
    family = family_of(uow, batch)
    site_id, reason = remake_site(uow, batch, family)
    new_id = _free_batch_id(uow, batch.id)
    lot = _free_lot(uow, site_id, now)
    remade = Batch(new_id, site_id, batch.setup_key, _allocate(batch.lines, units), lot, BatchStatus.PLANNED,
                   batch.product_id, batch.due)
    uow.production.add_batch(remade, now)
    rest = BatchStatus.CANCELLED if units == batch.units else BatchStatus.IN_PRODUCTION
    uow.production.set_batch_status(batch.id, move_batch(batch, rest).status)
    for bl in remade.lines:
        uow.quality.add_order_note(bl.order_id, bl.line_id, "remake_planned",
                                   f"{bl.quantity} unit(s) of batch {batch.id} rejected ({inspection_id}) are remade "
                                   f"in planned batch {new_id} at {site_id}; {reason}", now, actor)
    return {"action": "remake", "batch": batch.id, "remake_batch": new_id, "remake_units": units,
            "site": site_id, "rerouted": site_id != batch.site_id, "reason": reason,
            "original_batch_status": rest.value}


def _free_batch_id(uow: Any, batch_id: str) -> str:
    for k in range(1, 100):
        candidate = f"{batch_id}-R{k}"
        try:
            uow.production.get_batch(candidate)
        except NotFound:
            return candidate
    raise IllegalTransition(f"batch {batch_id} was remade 99 times already", field="batch_id")


def _free_lot(uow: Any, site_id: str, now: datetime) -> str:
    """A lot code not in use, counting down from sequence 999 (planners count up from 1)."""
    for seq in range(999, 0, -1):
        lot = lot_code(site_id, now, seq)
        try:
            uow.production.batch_by_lot(lot)
        except NotFound:
            return lot
    raise IllegalTransition(f"no free lot code for {site_id} today", field="lot")


def remake_site(uow: Any, batch: Batch, family: str) -> tuple[str, str]:
    """The batch's site, or the nearest capable up site when the batch's site is suspended for the family."""
    penalties = quality_penalties(uow)
    if penalties.get((batch.site_id, family)) != "suspended":
        return batch.site_id, "same site"
    network = uow.network.load()
    catalog = uow.catalog.load(network)
    product = tr.batch_product(uow, batch)
    here = network.site(batch.site_id)
    needed = {op.process for bl in batch.lines
              for op in catalog.explode(product.id, dict(uow.orders.get(bl.order_id).line(bl.line_id).options))
              .operations}
    options = [s for s in network.factories if s.id != here.id and s.is_up and s.serves(product.brand)
               and needed <= s.processes and penalties.get((s.id, family)) != "suspended"]
    if not options:
        return batch.site_id, f"{here.id} is suspended for {family} but no other capable site is up"
    best = min(options, key=lambda s: (haversine_km(here.location, s.location), s.id))
    return best.id, f"re-routed: {here.id} is suspended for {family}"


def resume_inspection(uow: Any, site_id: str, family: str, reference: str, *, now: datetime,
                      actor: str = "system") -> dict[str, Any]:
    """Corrective action recorded: a discontinued (site, family) resumes on tightened inspection."""
    state, events = resume_after_corrective_action(uow.quality.get_state(site_id, family, lock=True), reference)
    uow.quality.save_state(state, now)
    uow.quality.add_switch_events(events, now)
    uow.audit.add(actor, "quality.resume", "quality_state", f"{site_id}/{family}", {"reference": reference}, now)
    return state_view(state)


def state_view(state: Any) -> dict[str, Any]:
    body = asdict(state)
    body["severity"] = state.severity.value
    body["normal_window"] = list(state.normal_window)
    return body


def states(uow: Any, site: str | None = None, family: str | None = None) -> list[dict[str, Any]]:
    """Switching states with their history of changes."""
    out = []
    for state, at in uow.quality.states():
        if (site and state.site != site) or (family and state.family != family):
            continue
        out.append({**state_view(state), "updated_at": at.isoformat(),
                    "events": [{**e, "at": e["at"].isoformat()} for e in
                               uow.quality.switch_events(state.site, state.family)]})
    return out


# -- drift and scores -----------------------------------------------------------------------
def samples(uow: Any, site: str, family: str) -> tuple[tuple[BatchSample, ...], tuple[bool, ...]]:
    """Inspected units and defective units per inspection, oldest first, and the rejected flags."""
    rows = uow.quality.inspections(site_id=site, family=family)
    data = tuple(BatchSample(r["batch_id"] if not r["detail"].get("resubmitted") else r["id"], r["sample_size"],
                             min(r["sample_size"], int(r["detail"].get("defective_units", 0)))) for r in rows)
    return data, tuple(r["decision"] == LotDecision.REJECT.value for r in rows)


def chart(uow: Any, site: str, family: str, target: float = SCORE.target) -> dict[str, Any]:
    """p-chart points (centre line = network target), Western Electric and CUSUM alerts, the score."""
    data, rejected = samples(uow, site, family)
    if not data:
        raise NotFound(f"no inspections for {site}/{family}", field="site")
    params = ChartParams(target=target)
    points = p_chart(data, params)
    return {"site": site, "family": family, "target": target,
            "points": [asdict(p) for p in points],
            "alerts": [asdict(a) for a in drift_alerts(site, family, data, params)],
            "score": asdict(quality_score(site, family, data, rejected, SCORE))}


def alerts(uow: Any, site: str | None = None, family: str | None = None) -> list[dict[str, Any]]:
    """Every drift alert of every (site, family) series."""
    out: list[dict[str, Any]] = []
    for s, f in uow.quality.series():
        if (site and s != site) or (family and f != family):
            continue
        data, _ = samples(uow, s, f)
        out += [asdict(a) for a in drift_alerts(s, f, data, ChartParams(target=SCORE.target))]
    return out


def scores(uow: Any, site: str | None = None) -> list[QualityScore]:
    """Quality score per (site, family), of one site with ``site``; a discontinued switching state also suspends."""
    stopped = {(s.site, s.family) for s, _ in uow.quality.states() if s.severity is Severity.DISCONTINUED}
    out = []
    for s, f in sorted(set(uow.quality.series()) | stopped):
        if site is not None and s != site:
            continue
        data, rejected = samples(uow, s, f)
        score = quality_score(s, f, data, rejected, SCORE)
        if (s, f) in stopped and not score.suspended:
            from dataclasses import replace
            score = replace(score, suspended=True, reason="inspection discontinued (5 lots rejected on tightened)")
        out.append(score)
    return out


def quality_penalties(uow: Any) -> dict[tuple[str, str], float | str]:
    """What routing reads: per (site, family) a penalty per unit, or ``"suspended"``."""
    return {(q.site, q.family): "suspended" if q.suspended else round(q.penalty_per_unit, 4) for q in scores(uow)}


def batch_status_view(uow: Any, batch_id: str) -> dict[str, Any]:
    return batch_view(uow.production.get_batch(batch_id))
