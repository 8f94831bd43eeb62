"""Browser flows of the coordinator and a site operator: sign in, import, route, plan, take a site down.

One live server and one browser per module; the tests are steps of one working day and run in
file order on one xdist worker (the group keeps them together).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from microfactory.domain.access import Principal, Role
from tests.e2e.browser_support import (
    chromium,
    free_port,
    live_server,
    make_container,
    routed,
    shot,
    sign_in,
    signed_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-operations")]
CSV = """order_id,brand,product,options,quantity,customer_lat,customer_lon,delivery,due,created,channel
WEB-UI-1,spree,spree-tote,design=bear,2,52.5,13.42,ship,2026-12-09,2026-12-01T08:00,csv
WEB-UI-2,spree,spree-tote,design=wave,1,52.47,13.38,pickup:st-mitte,2026-12-10,2026-12-01T08:10,csv
"""


@pytest.fixture(scope="module")
def env(templates: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    port = free_port()
    c = make_container(templates.sqlite(True), tmp_path_factory.mktemp("browser-ops"), port)
    with live_server(c, port) as base, chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(20_000)
        yield {"c": c, "base": base, "browser": browser, "page": page}
        context.close()
    c.engine.dispose()


def test_login_then_overview(env: dict[str, Any]) -> None:
    """An anonymous visit goes to the login; a wrong password is refused; the admin lands on the KPI overview."""
    page, base = env["page"], env["base"]
    page.goto(f"{base}/ui/orders")
    assert "/ui/login" in page.url
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    assert "wrong user name or password" in page.inner_text(".error")
    shot(page, "01-login")
    sign_in(page, base, "admin")
    assert page.locator("svg.chart").count() >= 4
    assert "240" in page.inner_text(".tiles")
    shot(page, "02-overview")


def test_import_orders_csv(env: dict[str, Any], tmp_path: Path) -> None:
    """Uploading an orders CSV through the board imports its orders, which then show as validated."""
    page, base = env["page"], env["base"]
    csv = tmp_path / "orders.csv"
    csv.write_text(CSV)
    signed_in(page, base)
    page.goto(f"{base}/ui/orders")
    shot(page, "03-order-board")
    page.set_input_files("input[type=file]", str(csv))
    page.click("text=Import CSV")
    assert "Imported" in page.inner_text("#import-result")
    page.goto(f"{base}/ui/orders?status=validated&q=WEB-UI")
    assert page.locator("table.list tbody tr").count() == 2
    assert "WEB-UI-1" in page.inner_text("table.list")
    with env["c"].uow(readonly=True) as uow:
        assert uow.orders.get("WEB-UI-1").status.value == "validated"


def test_route_job_shows_progress_and_routes_lines(env: dict[str, Any]) -> None:
    """Starting routing runs a background job whose progress page reaches done, and the lines are routed."""
    page, base = env["page"], env["base"]
    signed_in(page, base)
    page.goto(f"{base}/ui/jobs")
    page.select_option("select[name=policy]", "greedy")
    page.click("#start-routing")
    page.wait_for_url(re.compile(r".*/ui/jobs/[0-9a-f]+/watch$"))
    seen = page.get_attribute("[data-job]", "data-status")
    page.wait_for_selector("[data-job][data-status=done]", timeout=45_000)
    assert seen in ("running", "done")
    assert page.get_attribute(".progress", "aria-valuenow") == "100"
    assert re.search(r"assigned\s+\d+", page.inner_text(".job-result"))
    page.wait_for_selector("#job-summary")  # the finished page is rendered with its summary
    placed, of = page.inner_text("#job-summary .tile:first-child").split("\n", 1)
    shot(page, "04-routing-job")
    with env["c"].uow(readonly=True) as uow:
        assert uow.orders.count().get("routed", 0) > 200
        routed_lines = sum(1 for r in uow.routing.line_refs(statuses=("routed",)))
    total = re.fullmatch(r"of (\d+) lines placed", of.strip())
    assert int(placed) == routed_lines and total is not None and int(total.group(1)) >= 295  # + imported ones
    page.goto(f"{base}/ui/orders?status=routed")
    assert page.locator("table.list tbody tr").count() == 25
    page.click("a[rel=next]")
    assert "cursor=" in page.url
    page.goto(f"{base}/ui/network")
    assert page.locator("svg.map line").count() > 100
    assert page.locator("svg.map g.place").count() == 8
    shot(page, "05-network-map")
    from microfactory.services.routing_views import assignment_view

    with env["c"].uow(readonly=True) as uow:  # an order whose line had a cheaper-looking site it could not use
        orders, _ = uow.orders.list(limit=300)
        views = [assignment_view(uow, o.id) for o in orders]
    view, item = next((v, i) for v in views for i in v["items"] if i["routed"] and i["candidates"] and i["rejected"])
    page.goto(f"{base}/ui/orders/{view['order_id']}")
    why = page.locator(f"details#why-{item['line_id']}")
    if why.get_attribute("open") is None:
        why.locator("summary").click()
    assert item["site_id"] in why.locator("summary").inner_text()
    totals = why.locator("tr.total td").all_inner_texts()
    assert totals[0] == f"{item['breakdown']['total']:,.2f}"
    assert len(totals) == 1 + len(item["candidates"])
    assert all(site in why.locator(".rejected").inner_text() for site in item["rejected"])
    shot(page, "05b-order-why")
    from microfactory.entrypoints.web.views import booked

    with env["c"].uow(readonly=True) as uow:  # the overview shows each site's booked share after routing
        rows = booked(uow, Principal(Role.ADMIN, "admin"), env["c"].clock.now().date())
    page.goto(f"{base}/ui")
    text = page.inner_text("#booked")
    assert rows and any(r["share"] > 0 for r in rows)
    for r in rows:
        assert f"{r['site']} {r['process']} {r['share']:.1%}" in text
    shot(page, "02b-overview-booked")


def test_site_schedule(env: dict[str, Any]) -> None:
    """Planning a site from its page runs a job, after which the page shows the Gantt chart of the plan."""
    page, base = env["page"], env["base"]
    routed(env["c"])
    signed_in(page, base)
    page.goto(f"{base}/ui/sites/mf-kreuzberg")
    page.fill("input[name=time_limit_s]", "2")
    page.click("#plan")
    page.wait_for_selector("[data-job][data-status=done]", timeout=30_000)
    page.goto(f"{base}/ui/sites/mf-kreuzberg")
    assert page.locator("#gantt svg rect").count() > 10
    assert page.locator("table.heat td[title]").count() > 0
    from microfactory.services.planning_views import schedule_view

    with env["c"].uow(readonly=True) as uow:
        summary = schedule_view(uow, "mf-kreuzberg")["plan"]["summary"]
    from microfactory.entrypoints.web.views import first_work_day

    with env["c"].uow(readonly=True) as uow:
        day, work = first_work_day(schedule_view(uow, "mf-kreuzberg")["work_orders"], env["c"].clock.now())
    page.click("#work-orders summary")
    assert day is not None and day in page.inner_text("#work-orders summary")
    assert page.locator("#work-orders tbody tr").count() == len(work) > 0
    starts = page.locator("#work-orders tbody tr td:first-child").all_inner_texts()
    assert starts == sorted(starts)
    figures = page.locator("#plan-figures .tile b").all_inner_texts()
    assert figures[:2] == [str(summary["batches"]), str(len(summary["late_batches"]))]
    assert summary["batches"] > 0
    shot(page, "06-site-schedule")


def test_site_down_moves_work(env: dict[str, Any]) -> None:
    """Marking the site down re-routes its unstarted lines to other sites and lists where each went."""
    page, base, c = env["page"], env["base"], env["c"]
    routed(c)
    signed_in(page, base)
    with c.uow(readonly=True) as uow:
        before = len(uow.routing.line_refs(statuses=["routed", "scheduled"], site_id="mf-kreuzberg"))
    assert before > 0
    page.goto(f"{base}/ui/sites/mf-kreuzberg")
    page.once("dialog", lambda d: d.accept())
    page.click("#switch", timeout=60_000)  # the re-route solves; slower when the other worker is busy
    result = page.inner_text("#switch-result")
    assert "down" in page.inner_text("#site-status")
    moved = int(re.search(r"(\d+) lines? moved", result).group(1))  # type: ignore[union-attr]
    assert moved > 0
    targets = page.locator("table.moved tbody tr td:nth-child(3)").all_inner_texts()
    assert len(targets) == before and "mf-kreuzberg" not in targets
    with c.uow(readonly=True) as uow:
        assert uow.routing.line_refs(statuses=["routed", "scheduled"], site_id="mf-kreuzberg") == []
    shot(page, "07-site-down")


def test_brand_sees_only_its_own_work(env: dict[str, Any]) -> None:
    """A brand user's board lists only its orders and a site page is forbidden to it."""
    base = env["base"]
    routed(env["c"])
    context = env["browser"].new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, base, "spree")
    page.goto(f"{base}/ui/orders?status=routed")
    brands = set(page.locator("table.list tbody tr td:nth-child(2)").all_inner_texts())
    assert brands == {"spree"}
    page.goto(f"{base}/ui")
    assert page.locator("#booked").count() == 0  # sites' bookings sum every brand's work
    response = page.goto(f"{base}/ui/sites/mf-kreuzberg")
    assert response is not None and response.status == 403
    context.close()
