"""The dashboard over a stored network: login, role scopes, CSRF, and pages rendering from the store."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from microfactory.bootstrap import Container
from microfactory.entrypoints.api.app import create_app
from microfactory.services.auth import create_user
from tests.conftest import NOW

PAGES = ["/ui", "/ui/orders", "/ui/orders?status=validated", "/ui/network", "/ui/sites", "/ui/sites/mf-kreuzberg",
         "/ui/jobs", "/ui/quality", "/ui/trace", "/ui/campaigns", "/ui/runs", "/ui/orders/BER-000002"]


@pytest.fixture
def app(loaded: Container) -> Any:
    with loaded.uow() as uow:
        create_user(uow, username="admin", password="admin-pass-1", role="admin", now=NOW)
        create_user(uow, username="nord", password="nord-pass-1", role="brand", brand="nordlicht", now=NOW)
        create_user(uow, username="kb", password="kb-pass-123", role="site_operator", site="mf-kreuzberg", now=NOW)
        uow.commit()
    return create_app(loaded)


def _client(app: Any, user: str | None = None, password: str = "") -> TestClient:
    client = TestClient(app)
    if user:
        r = client.post("/ui/login", data={"username": user, "password": password, "next": "/ui"},
                        follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/ui"
    return client


def test_every_page_needs_a_session_and_renders_for_the_admin(app: Any) -> None:
    """Without a session each page redirects to the login; the admin gets every page."""
    anon = _client(app)
    for path in PAGES:
        r = anon.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/ui/login?next=")
    admin = _client(app, "admin", "admin-pass-1")
    for path in PAGES:
        assert admin.get(path).status_code == 200, path


def test_wrong_password_and_open_redirect_are_refused(app: Any) -> None:
    """A wrong password gives 401 and a login's next pointing elsewhere lands on /ui."""
    client = TestClient(app)
    assert client.post("/ui/login", data={"username": "admin", "password": "nope-nope"}).status_code == 401
    r = client.post("/ui/login", data={"username": "admin", "password": "admin-pass-1", "next": "//evil.example"},
                    follow_redirects=False)
    assert r.headers["location"] == "/ui"


def test_brand_sees_only_its_orders(app: Any) -> None:
    """A brand's board holds only its orders; another brand's order is not found; site pages are forbidden."""
    nord = _client(app, "nord", "nord-pass-1")
    page = nord.get("/ui/orders?status=validated").text
    assert "nordlicht" in page and ">spree<" not in page and ">kiez<" not in page
    assert nord.get("/ui/orders/BER-000002").status_code == 404  # a spree order
    assert nord.get("/ui/sites/mf-kreuzberg").status_code == 403
    assert nord.get("/ui/quality").status_code == 403


def test_site_operator_only_on_its_site(app: Any) -> None:
    """An operator opens its own site and is refused another one."""
    kb = _client(app, "kb", "kb-pass-123")
    assert kb.get("/ui/sites/mf-kreuzberg").status_code == 200
    assert kb.get("/ui/sites/mf-wedding").status_code == 403


def test_forms_without_csrf_token_change_nothing(app: Any, loaded: Container) -> None:
    """Taking a site down without the page's token is refused and the site stays up."""
    admin = _client(app, "admin", "admin-pass-1")
    r = admin.post("/ui/sites/mf-kreuzberg/status", data={"status": "down", "csrf": "forged"})
    assert r.status_code == 403
    with loaded.uow(readonly=True) as uow:
        assert uow.network.get_site("mf-kreuzberg").status.value == "up"


def test_public_campaign_page_unknown_is_404(app: Any) -> None:
    """An unknown campaign's public page is a 404 page, without a login."""
    r = TestClient(app).get("/c/NOPE")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]


def test_static_files_are_served_and_paths_refused(app: Any) -> None:
    """The stylesheet is served from the package; other names are not found."""
    client = TestClient(app)
    assert client.get("/ui/static/dashboard.css").headers["content-type"].startswith("text/css")
    assert client.get("/ui/static/..%2Fpages.py").status_code == 404
    assert client.get("/ui/static/nothing.css").status_code == 404


def test_a_sign_in_holds_across_workers_sharing_the_store(app: Any, loaded: Container,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Two apps on one database (two workers) accept each other's session cookie; a third app with
    its own secret from the environment does not."""
    monkeypatch.delenv("MICROFACTORY_SESSION_SECRET", raising=False)
    first = _client(app, "admin", "admin-pass-1")
    cookie = first.cookies.get("mf_session")
    assert cookie
    other = TestClient(create_app(loaded))
    other.cookies.set("mf_session", cookie)
    assert other.get("/ui", follow_redirects=False).status_code == 200
    monkeypatch.setenv("MICROFACTORY_SESSION_SECRET", "ab" * 32)
    foreign = TestClient(create_app(loaded))
    foreign.cookies.set("mf_session", cookie)
    r = foreign.get("/ui", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/ui/login")
