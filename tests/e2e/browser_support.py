"""Helpers of the browser tests: a live server in a thread, Debian's Chromium, seeded users, screenshots.

Playwright drives ``/usr/bin/chromium`` (``playwright install`` cannot download browsers here);
when Chromium is missing the tests fail with the command that installs it.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from microfactory.bootstrap import Container, Settings, bootstrap
from microfactory.services.clock import FixedClock

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = ROOT / "tests" / "artifacts" / "screenshots"
NOW = datetime(2026, 12, 1, 9, 0)
PHONE = {"width": 390, "height": 844}
USERS = {"admin": ("admin", "admin-pass-1", {}), "spree": ("brand", "spree-pass-1", {"brand": "spree"}),
         "kb": ("site_operator", "kb-pass-123", {"site": "mf-kreuzberg"})}


def require_chromium() -> str:
    """The Chromium binary, or a test failure that says how to install it (never a silent skip)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: run `make browser` (scripts/ensure-chromium.sh) "
                    "or `apt-get install chromium`", pytrace=False)
    return CHROMIUM


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_container(template: Path, folder: Path, port: int) -> Container:
    """A copy of the Berlin template database with dashboard users, served at ``port``."""
    from microfactory.services.auth import create_user

    path = folder / "browser.db"
    shutil.copyfile(template, path)
    settings = Settings(database_url=f"sqlite:///{path}", public_base_url=f"http://127.0.0.1:{port}")
    c = bootstrap(settings, clock=FixedClock(NOW))
    with c.uow() as uow:
        for name, (role, password, bound) in USERS.items():
            create_user(uow, username=name, password=password, role=role, now=NOW, **bound)
        uow.commit()
    return c


def open_campaign(c: Container) -> str:
    """A spree tote campaign at Neukölln closing 10 Dec (Berlin time), minimum 10."""
    from microfactory.services.campaigns import CampaignRequest, VariantRequest
    from microfactory.services.campaigns import open_campaign as open_

    req = CampaignRequest(brand="spree", name="Bear tote drop", campaign_id="CMP-TOTE",
                          variants=(VariantRequest("spree-tote", {"design": "bear"}),
                                    VariantRequest("spree-tote", {"design": "wave"})),
                          deadline=datetime(2026, 12, 10, 0, 0), time_zone="Europe/Berlin", unit_price=25.0,
                          sites=("mf-neukoelln",), window_start=date(2026, 12, 10), window_end=date(2026, 12, 18),
                          minimum_total=10)
    with c.uow() as uow:
        view = open_(uow, req, now=NOW, actor="test")
        uow.commit()
    return str(view["id"])


@contextmanager
def live_server(c: Container, port: int) -> Iterator[str]:
    """The real app under uvicorn in a thread on 127.0.0.1:``port``."""
    import uvicorn

    from microfactory.entrypoints.api.app import create_app

    server = uvicorn.Server(uvicorn.Config(create_app(c), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    path = require_chromium()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def shot(page: Any, name: str) -> Path:
    """Save a full-page screenshot under tests/artifacts/screenshots (git-ignored)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def signed_in(page: Any, base: str, user: str = "admin") -> None:
    """Sign in unless the page's context already holds a session (tests need not run in order)."""
    page.goto(f"{base}/ui")
    if "/ui/login" in page.url:
        sign_in(page, base, user)


def routed(c: Container) -> None:
    """Route the open lines (greedy) unless some are routed already."""
    from microfactory.services.routing import RouteRequest, route_stored

    with c.uow() as uow:
        if not uow.routing.line_refs(statuses=["routed", "scheduled"]):
            route_stored(uow, RouteRequest("greedy", None, 5.0), now=NOW)
            uow.commit()


def sign_in(page: Any, base: str, user: str) -> None:
    page.goto(f"{base}/ui/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", USERS[user][1])
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/ui")
