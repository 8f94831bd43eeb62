"""Public pages on a phone: pledging on a campaign page, and the scan path from a label to provenance."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.browser_support import (
    NOW,
    PHONE,
    chromium,
    free_port,
    live_server,
    make_container,
    open_campaign,
    shot,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-public")]


@pytest.fixture(scope="module")
def env(templates: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The Berlin example routed (greedy) and Neukölln planned, a spree campaign open, served live."""
    from microfactory.services.planning import PlanRequest, plan_stored
    from microfactory.services.routing import RouteRequest, route_stored

    port = free_port()
    c = make_container(templates.sqlite(True), tmp_path_factory.mktemp("browser-public"), port)
    with c.uow() as uow:
        route_stored(uow, RouteRequest("greedy", None, 5.0), now=NOW)
        plan = plan_stored(uow, PlanRequest(time_limit_s=2.0, processes=1), now=NOW, site="mf-neukoelln")
        uow.commit()
    campaign = open_campaign(c)
    with live_server(c, port) as base, chromium() as browser:
        yield {"c": c, "base": base, "browser": browser, "campaign": campaign, "plan": plan}
    c.engine.dispose()


def _phone(env: dict[str, Any]) -> Any:
    context = env["browser"].new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def test_pledge_on_public_campaign_page(env: dict[str, Any]) -> None:
    """Without signing in, a phone visitor pledges two totes and the page's tally rises by two."""
    context, page = _phone(env)
    page.goto(f"{env['base']}/c/{env['campaign']}")
    before = int(page.inner_text("#units"))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert "refunded in full" in page.inner_text("#terms") and page.inner_text("#brand").strip()
    shot(page, "08-campaign-phone")
    page.select_option("select[name=sku]", index=0)
    page.fill("input[name=quantity]", "2")
    page.click("#pledge")
    assert "Thank you" in page.inner_text("#pledged")
    assert int(page.inner_text("#units")) == before + 2
    shot(page, "09-campaign-pledged")
    with env["c"].uow(readonly=True) as uow:
        assert uow.demand.count_pledges(env["campaign"]) == 1
    context.close()


def test_brand_sees_campaign_progress(env: dict[str, Any]) -> None:
    """The brand's campaign list shows the campaign with its pledged units and a link to the public page."""
    context = env["browser"].new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    sign_in(page, env["base"], "spree")
    page.goto(f"{env['base']}/ui/campaigns")
    row = page.inner_text("table.list tbody")
    assert "Bear tote drop" in row and f"/c/{env['campaign']}" in row
    shot(page, "10-campaigns")
    context.close()


def test_scan_path_to_provenance_on_phone(env: dict[str, Any]) -> None:
    """The trace viewer gives a batch's label link; opened on a phone it shows provenance and no personal data."""
    from microfactory.services import production, quality

    c = env["c"]
    with c.uow() as uow:  # the batch is made and inspected: its materials are issued from lots
        batch = next(b for b in uow.production.list_batches(site="mf-neukoelln", limit=50) if b.lines)
        started = production.start_batch(uow, batch.id, now=NOW)
        production.finish_batch(uow, batch.id, now=NOW)
        inspected = quality.inspect_batch(uow, batch.id, [], inspector="qc-1", now=NOW)
        uow.commit()
    assert started["lots"] and inspected["accepted"]
    with c.uow(readonly=True) as uow:
        orders = [uow.orders.get(ln.order_id) for ln in batch.lines]
        workers = [w.name or w.id for w in uow.network.get_site("mf-neukoelln").workers]
    context = env["browser"].new_context(viewport={"width": 1280, "height": 800})
    desk = context.new_page()
    sign_in(desk, env["base"], "admin")
    desk.goto(f"{env['base']}/ui/trace?batch={batch.id}")
    shot(desk, "11-trace-viewer")
    link = desk.get_attribute("#public-link", "href")
    assert link is not None and f"/10/{batch.lot}" in link
    desk.click("a.lot-forward >> nth=0")  # recall path: from one of its material lots to every batch using it
    desk.wait_for_selector("#trace-forward")
    assert batch.id in desk.inner_text("#trace-forward table")
    context.close()
    context, page = _phone(env)
    response = page.goto(link)
    assert response is not None and response.status == 200
    text = page.inner_text("body")
    assert batch.lot in text
    assert "No material lots recorded" not in text and "Not inspected yet" not in text
    assert page.locator("#materials li").count() >= len({u["item"] for u in started["lots"]})
    assert page.locator("#inspections li").count() == 1
    # the tote's canvas and ink have no supplier in the example network: the page says they are not counted
    assert "Cotton canvas" in page.inner_text("#not-counted") and "Recycled polyester thread from" in text
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for o in orders:
        assert o.id not in text
        if o.customer_ref:
            assert o.customer_ref not in text
        assert f"{o.customer_location.lat}" not in text
    for name in workers:
        assert name not in text
    shot(page, "12-provenance-phone")
    context.close()


def test_quality_page_shows_chart_and_alerts(env: dict[str, Any]) -> None:
    """Batches inspected with a run of defective units: the p-chart plots each inspection and lists the alert."""
    from microfactory.domain.production import BatchStatus
    from microfactory.services import production, quality

    c = env["c"]
    with c.uow() as uow:  # the first batch with lines is left to the provenance flow
        batches = [b for b in uow.production.list_batches(site="mf-neukoelln", limit=50) if b.lines][1:]
        batches = [b for b in batches if b.status is BatchStatus.PLANNED][:5]
        family = quality.family_of(uow, batches[0])
        batches = [b for b in batches if quality.family_of(uow, b) == family]
        for k, b in enumerate(batches):
            production.start_batch(uow, b.id, now=NOW)
            production.finish_batch(uow, b.id, now=NOW)
            defects = [{"class": "minor", "type": "print smudge", "unit": 0}] if k >= 2 else []
            quality.inspect_batch(uow, b.id, defects, inspector="qc-1", now=NOW, action="hold")
        uow.commit()
        expected = quality.chart(uow, "mf-neukoelln", family)
    assert len(batches) >= 3 and expected["alerts"]
    context = env["browser"].new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, env["base"], "admin")
    page.goto(f"{env['base']}/ui/quality?site=mf-neukoelln&family={family}")
    assert page.locator("section.card svg circle").count() == len(expected["points"])
    alerts = page.inner_text("ul.alerts")
    assert "No alerts" not in alerts and "mf-neukoelln" in alerts
    assert all(a["message"].split(": ", 1)[-1] in alerts for a in expected["alerts"])
    shot(page, "13-quality")
    context.close()
