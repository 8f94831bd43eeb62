"""Dashboard pages: long jobs with progress (routing, planning, simulation), QC charts and alerts, trace."""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from microfactory.bootstrap import Container
from microfactory.domain.access import Principal, Role, require, site_scope
from microfactory.entrypoints.api.writes import run_write
from microfactory.entrypoints.web import charts
from microfactory.entrypoints.web.guard import UiRoute, UserDep, check_csrf, container, jobs, page
from microfactory.entrypoints.web.jobs import Report, ticking
from microfactory.errors import InvalidInput, NotFound

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)
Csrf = Annotated[str, Form(max_length=64)]


def _owner(user: Principal) -> str | None:
    """Whose jobs a user sees: the admin every job, anyone else their own."""
    return None if user.role is Role.ADMIN else user.actor


@router.get("/jobs", response_class=HTMLResponse)
def jobs_page(request: Request, user: UserDep) -> Response:
    with container(request).uow(readonly=True) as uow:
        sites = [s for s in uow.network.load().sites if s.resources and user.site in (None, s.id)]
    recent = [j.view() for j in jobs(request).recent(_owner(user))]
    return page(request, "jobs.html", user, recent=recent, sites=sites)


@router.get("/jobs/{job_id}")
def job_status(request: Request, user: UserDep, job_id: str) -> Response:
    """The job's progress as JSON (the watch page polls this)."""
    return JSONResponse(jobs(request).get(job_id, _owner(user)).view())


@router.get("/jobs/{job_id}/watch", response_class=HTMLResponse)
def job_watch(request: Request, user: UserDep, job_id: str) -> Response:
    return page(request, "job.html", user, job=jobs(request).get(job_id, _owner(user)).view())


def _routing(c: Container, user: Principal, policy: str, time_limit_s: float) -> Any:
    from microfactory.services.routing import RouteRequest, route_stored

    req = RouteRequest(policy, None, time_limit_s)

    def work(report: Report) -> dict[str, Any]:
        stops: list[threading.Event] = []

        def say(msg: str) -> None:
            for s in stops:
                s.set()
            if msg.startswith("solving"):
                report(0.15, msg)
                stops.append(ticking(report, 0.15, 0.85, time_limit_s * 1.2, msg))
            else:
                report({"loading": 0.05, "reserving": 0.88, "done": 0.98}.get(msg.split()[0], 0.1), msg)

        try:
            out = run_write(c, lambda uow: route_stored(uow, req, now=c.clock.now(), actor=user.actor, progress=say))
        finally:
            for s in stops:
                s.set()
        return {k: v for k, v in out.items() if k != "items"}

    return work


def _planning(c: Container, user: Principal, site: str, time_limit_s: float) -> Any:
    from microfactory.services.planning import PlanRequest, plan_stored

    req = PlanRequest(time_limit_s=time_limit_s, processes=1)

    def work(report: Report) -> dict[str, Any]:
        report(0.05, f"batching and scheduling {site}")
        stop = ticking(report, 0.05, 0.95, time_limit_s * 1.3, f"CP-SAT on {site} (limit {time_limit_s:g} s)")
        try:
            out = run_write(c, lambda uow: plan_stored(uow, req, now=c.clock.now(), site=site, actor=user.actor))
        finally:
            stop.set()
        return {k: v for k, v in out.items() if not isinstance(v, (list, dict))}

    return work


def _simulation(c: Container, days: int, orders_per_day: float, seed: int) -> Any:
    from microfactory.simulation import simulate, spec_from_dict

    spec = spec_from_dict({"name": "dashboard", "network": "stored", "days": days, "seed": seed,
                           "demand": {"orders_per_day": orders_per_day}, "planning": {"mode": "dispatch"}})

    def work(report: Report) -> dict[str, Any]:
        with c.uow(readonly=True) as uow:
            network = uow.network.load()
            catalog = uow.catalog.load(network)
        report(0.02, "simulating")
        result = simulate(spec, network, catalog, progress=lambda d, n: report(d / max(n, 1), f"day {d} of {n}"),
                          keep_trace=False).as_dict()
        return {"days": result["days"], "seed": result["seed"], **{k: v for k, v in result["kpis"].items()
                                                                 if not isinstance(v, dict)}}

    return work


@router.post("/jobs")
def start_job(request: Request, user: UserDep, csrf: Csrf, kind: Annotated[str, Form(pattern="^(routing|planning|simulation)$")],
              policy: Annotated[str, Form(pattern="^(optimal|greedy|rules)$")] = "greedy",
              time_limit_s: Annotated[float, Form(gt=0, le=120)] = 10.0,
              site: Annotated[str, Form(max_length=64)] = "", days: Annotated[int, Form(ge=1, le=60)] = 5,
              orders_per_day: Annotated[float, Form(gt=0, le=500)] = 6.0,
              seed: Annotated[int, Form(ge=0)] = 0) -> Response:
    """Start a job in a background thread; redirect to its progress page."""
    check_csrf(request, csrf)
    c = container(request)
    if kind == "planning":
        require(user, Role.ADMIN, Role.SITE_OPERATOR)
        site = site_scope(user, site or None) or site
        with c.uow(readonly=True) as uow:
            uow.network.get_site(site)
        work, label = _planning(c, user, site, time_limit_s), f"plan {site}"
    elif kind == "routing":
        require(user, Role.ADMIN)
        work, label = _routing(c, user, policy, time_limit_s), f"route open lines ({policy}, {time_limit_s:g} s)"
    else:
        require(user, Role.ADMIN)
        work, label = _simulation(c, days, orders_per_day, seed), f"simulate {days} days"
    job = jobs(request).start(kind, user.actor, label, work)
    return RedirectResponse(f"/ui/jobs/{job.id}/watch", status_code=303)


@router.get("/quality", response_class=HTMLResponse)
def quality(request: Request, user: UserDep, site: str | None = Query(None, max_length=64),
            family: str | None = Query(None, max_length=64)) -> Response:
    """p-chart of one (site, family) series with its limits, the alerts and the scores."""
    from microfactory.services import quality as qs

    require(user, Role.ADMIN, Role.SITE_OPERATOR)
    site = site_scope(user, site)
    with container(request).uow(readonly=True) as uow:
        series = sorted((s, f) for s, f in uow.quality.series() if user.site in (None, s))
        if (site is None or family is None) and series:
            site, family = series[0]
        chart = qs.chart(uow, site, family) if site and family and (site, family) in series else None
        alerts = qs.alerts(uow, site=user.site)
        scores = [sc for sc in qs.scores(uow) if user.site in (None, sc.site)]
    svg = charts.p_chart(chart["points"], f"p-chart {site}/{family}") if chart else charts.empty("p-chart", 720, 200)
    return page(request, "quality.html", user, series=series, site=site, family=family, chart=chart, svg=svg,
                alerts=alerts, scores=scores)


def _public_url(uow: Any, batch_id: str, stem: str) -> str | None:
    """The GS1 Digital Link of a batch (what its label's QR code holds), or None without a GTIN."""
    from microfactory.services.trace_views import digital_link

    try:
        return digital_link(uow, uow.production.get_batch(batch_id), stem).uri()
    except (NotFound, InvalidInput):
        return None


@router.get("/trace", response_class=HTMLResponse)
def trace(request: Request, user: UserDep, batch: str | None = Query(None, max_length=64),
          item: str | None = Query(None, max_length=64), lot: str | None = Query(None, max_length=64)) -> Response:
    """Back from a batch to its lots, sites and inspections; forward from a material lot to batches and orders."""
    from microfactory.services.trace_views import trace_back_view, trace_forward_view

    require(user, Role.ADMIN, Role.SITE_OPERATOR)
    back = forward = None
    error = None
    with container(request).uow(readonly=True) as uow:
        try:
            if batch:
                if user.site is not None and uow.production.get_batch(batch).site_id != user.site:
                    raise NotFound(f"batch {batch!r} does not exist", field="batch")
                back = trace_back_view(uow, batch)
                back["public_url"] = _public_url(uow, batch, container(request).settings.public_base_url)
            elif item and lot:
                forward = trace_forward_view(uow, item, lot, customers=False)
                if user.site is not None:
                    forward["batches"] = [b for b in forward["batches"] if b["site_id"] == user.site]
                    forward["orders"] = []
        except NotFound as exc:
            error = exc.message
    return page(request, "trace.html", user, back=back, forward=forward, error=error, batch=batch or "",
                item=item or "", lot=lot or "")


__all__ = ["router"]
