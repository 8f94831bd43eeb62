"""Rendering and access for dashboard pages: the Jinja environment, the signed-in user, CSRF.

Routes of the dashboard use :class:`UiRoute`, which turns typed errors into HTML: a missing
or expired session redirects to the login page; 403, 404, 409 and 422 render an error page.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import lru_cache
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from microfactory.bootstrap import Container
from microfactory.domain.access import Principal, Role
from microfactory.entrypoints.web.jobs import JobRegistry
from microfactory.entrypoints.web.session import COOKIE, SessionCodec, session_secret
from microfactory.errors import HTTP_STATUS, Forbidden, MicrofactoryError, Unauthenticated


@lru_cache(maxsize=1)
def env() -> Environment:
    e = Environment(loader=PackageLoader("microfactory.entrypoints.web", "templates"),
                    autoescape=select_autoescape(["html"]))
    e.filters["svg"] = Markup  # our chart functions escape their own text
    e.filters["pct"] = lambda v: "–" if v is None else f"{float(v):.1%}"
    e.filters["num"] = lambda v, d=1: "–" if v is None else f"{float(v):,.{d}f}"
    return e


def container(request: Request) -> Container:
    return request.app.state.container  # type: ignore[no-any-return]


def codec(request: Request) -> SessionCodec:
    """This app's session codec (its secret is read once per app: see ``session``)."""
    state = request.app.state
    if not hasattr(state, "ui_codec"):
        state.ui_codec = SessionCodec(session_secret(container(request).uow))
    return state.ui_codec  # type: ignore[no-any-return]


def jobs(request: Request) -> JobRegistry:
    state = request.app.state
    if not hasattr(state, "ui_jobs"):
        from microfactory.adapters.db.jobs_repo import JobStore

        state.ui_jobs = JobRegistry(JobStore(container(request).engine))
    return state.ui_jobs  # type: ignore[no-any-return]


def current_user(request: Request) -> Principal:
    """The signed-in dashboard user, or Unauthenticated (the page then redirects to the login)."""
    p = codec(request).read(request.cookies.get(COOKIE), container(request).clock.now())
    if p is None:
        raise Unauthenticated("please sign in", field="session")
    return p


UserDep = Annotated[Principal, Depends(current_user)]


def csrf_token(request: Request) -> str:
    return codec(request).csrf(request.cookies.get(COOKIE, ""))


def check_csrf(request: Request, token: str) -> None:
    """Refuse a form that did not come from one of our pages (SameSite=Lax cookies plus this token)."""
    import hmac

    if not token or not hmac.compare_digest(token, csrf_token(request)):
        raise Forbidden("the form expired or came from another site; reload the page", field="csrf")


def page(request: Request, template: str, user: Principal | None, code: int = 200, **ctx: Any) -> HTMLResponse:
    """Render ``template`` inside the layout with the user, its CSRF token and the navigation."""
    html = env().get_template(template).render(request=request, user=user, csrf=csrf_token(request) if user else "",
                                               nav=nav(user), path=request.url.path, **ctx)
    return HTMLResponse(html, status_code=code)


def nav(user: Principal | None) -> list[tuple[str, str]]:
    """The menu a role sees."""
    if user is None:
        return []
    items = [("/ui", "Overview"), ("/ui/orders", "Orders")]
    if user.role is Role.ADMIN:
        items += [("/ui/network", "Network"), ("/ui/sites", "Sites")]
    if user.role is Role.SITE_OPERATOR:
        items += [(f"/ui/sites/{user.site}", "My site")]
    if user.role in (Role.ADMIN, Role.BRAND):
        items += [("/ui/campaigns", "Campaigns"), ("/ui/runs", "Runs")]
    items += [("/ui/quality", "Quality"), ("/ui/trace", "Trace"), ("/ui/jobs", "Jobs")]
    return items


class UiRoute(APIRoute):
    """A dashboard route: typed errors become a login redirect or an HTML error page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except Unauthenticated:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/ui/login?next={quote(target)}", status_code=303)
            except MicrofactoryError as exc:
                user = codec(request).read(request.cookies.get(COOKIE), container(request).clock.now())
                return page(request, "error.html", user, code=HTTP_STATUS.get(exc.code, 500), error=exc)

        return run


__all__ = ["UiRoute", "UserDep", "check_csrf", "codec", "container", "csrf_token", "current_user", "env", "jobs",
           "nav", "page"]
