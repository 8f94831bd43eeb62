"""Dashboard pages: login, overview, order board and import, network map, sites with the down/up switch."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from microfactory.domain.access import Role, require, require_brand, site_scope
from microfactory.entrypoints.api.writes import run_write
from microfactory.entrypoints.web import views
from microfactory.entrypoints.web.guard import UiRoute, UserDep, check_csrf, codec, container, page
from microfactory.entrypoints.web.session import COOKIE, SESSION_HOURS
from microfactory.errors import FileError, FileProblem, InvalidInput, Unauthenticated

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)
Csrf = Annotated[str, Form(max_length=64)]
REROUTE_LIMIT_S = 5.0  # solver time limit of the re-route when a site goes down from the page


def _safe_next(target: str | None) -> str:
    """Only redirect to our own dashboard after login (no open redirect)."""
    if target and target.startswith("/ui") and "//" not in target and "\\" not in target:
        return target
    return "/ui"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = Query(None, max_length=500)) -> Response:
    return page(request, "login.html", None, next=_safe_next(next), error=None)


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, username: Annotated[str, Form(max_length=100)],
          password: Annotated[str, Form(max_length=200)], next: Annotated[str, Form(max_length=500)] = "/ui") -> Response:
    """Check the password (services.auth.login) and set the signed session cookie."""
    from microfactory.services.auth import login as check

    c = container(request)
    try:
        with c.uow(readonly=True) as uow:
            p = check(uow, username.strip(), password)
    except Unauthenticated as exc:
        return page(request, "login.html", None, code=401, next=_safe_next(next), error=exc.message)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(COOKIE, codec(request).issue(p, c.clock.now()), max_age=SESSION_HOURS * 3600,
                        httponly=True, samesite="lax", secure=request.url.scheme == "https", path="/")
    return response


@router.post("/logout")
def logout(request: Request, user: UserDep, csrf: Csrf) -> Response:
    check_csrf(request, csrf)
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("", response_class=HTMLResponse)
def overview(request: Request, user: UserDep) -> Response:
    with container(request).uow(readonly=True) as uow:
        data = views.overview(uow, user, container(request).clock.now().date())
    return page(request, "overview.html", user, **data)


@router.get("/orders", response_class=HTMLResponse)
def orders(request: Request, user: UserDep, status: str | None = Query(None, max_length=24),
           q: str | None = Query(None, max_length=64), cursor: str | None = Query(None, max_length=18)) -> Response:
    from microfactory.entrypoints.api.deps import decode_cursor

    if status and status not in views.STATUSES:
        raise InvalidInput(f"unknown status {status!r}", field="status")
    with container(request).uow(readonly=True) as uow:
        data = views.board(uow, user, status, q, decode_cursor(cursor))
    return page(request, "orders.html", user, statuses=views.STATUSES, q=q or "", imported=None, **data)


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def order_detail(request: Request, user: UserDep, order_id: str) -> Response:
    from microfactory.services.routing_views import assignment_view

    brand, site = views.scopes(user)
    with container(request).uow(readonly=True) as uow:
        order = uow.orders.get(order_id, brand=brand, site=site)
        lines = assignment_view(uow, order_id, brand=brand, site=site)["items"]
        events = uow.orders.events(order_id)
    return page(request, "order.html", user, order=order, lines=lines, events=events)


@router.post("/orders/import", response_class=HTMLResponse)
async def import_orders(request: Request, user: UserDep, csrf: Csrf, file: Annotated[UploadFile, File()]) -> Response:
    """Upload an orders.csv: all or nothing, problems listed as FILE:LINE."""
    from microfactory.adapters.files.scenario import parse_orders
    from microfactory.services.intake import import_orders as store

    check_csrf(request, csrf)
    require(user, Role.ADMIN, Role.BRAND)
    raw = await file.read(container(request).settings.max_body_bytes + 1)
    name = file.filename or "orders.csv"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FileError([FileProblem(name, 0, "the file is not UTF-8 text")]) from None
    c = container(request)

    def work(uow: Any) -> dict[str, int]:
        network = uow.network.load()
        catalog = uow.catalog.load(network)
        problems: list[FileProblem] = []
        parsed = parse_orders(name, text, network, catalog, problems)
        if problems:
            raise FileError(problems)
        for order in parsed:
            require_brand(user, order.brand)
        return store(uow, list(parsed), now=c.clock.now(), actor=user.actor)

    try:
        result = run_write(c, work)
    except FileError as exc:
        return page(request, "import_result.html", user, code=422, result=None, problems=exc.problems)
    return page(request, "import_result.html", user, result=result, problems=[])


@router.get("/network", response_class=HTMLResponse)
def network(request: Request, user: UserDep) -> Response:
    c = container(request)
    with c.uow(readonly=True) as uow:
        data = views.network_map(uow, user, c.clock.now())
    return page(request, "network.html", user, **data)


@router.get("/sites", response_class=HTMLResponse)
def sites(request: Request, user: UserDep) -> Response:
    require(user, Role.ADMIN, Role.SITE_OPERATOR)
    with container(request).uow(readonly=True) as uow:
        found = [s for s in uow.network.load().sites if user.site in (None, s.id)]
    return page(request, "sites.html", user, sites=found)


@router.get("/sites/{site_id}", response_class=HTMLResponse)
def site(request: Request, user: UserDep, site_id: str) -> Response:
    c = container(request)
    with c.uow(readonly=True) as uow:
        data = views.site_page(uow, user, site_id, c.clock.now())
    return page(request, "site.html", user, switched=None, **data)


@router.post("/sites/{site_id}/status", response_class=HTMLResponse)
def site_status(request: Request, user: UserDep, site_id: str, csrf: Csrf,
                status: Annotated[str, Form(pattern="^(up|down)$")],
                reason: Annotated[str, Form(max_length=500)] = "") -> Response:
    """Take the site down (its unstarted lines are re-routed) or up; show which lines moved where."""
    from microfactory.services.routing import UNSTARTED, RouteRequest, set_site_status

    check_csrf(request, csrf)
    require(user, Role.ADMIN, Role.SITE_OPERATOR)
    site_id = site_scope(user, site_id) or site_id
    c = container(request)

    def work(uow: Any) -> dict[str, Any]:
        before = [r["line_id"] for r in uow.routing.line_refs(statuses=list(UNSTARTED), site_id=site_id)]
        out = set_site_status(uow, site_id, status, now=c.clock.now(), reason=reason, actor=user.actor,
                              req=RouteRequest(time_limit_s=REROUTE_LIMIT_S))
        return {**out, "lines": views.moved_lines(uow, before) if status == "down" else []}

    switched = run_write(c, work)
    with c.uow(readonly=True) as uow:
        data = views.site_page(uow, user, site_id, c.clock.now())
    return page(request, "site.html", user, switched=switched, **data)


__all__ = ["router"]
