"""Stored routing on SQLite and PostgreSQL: reservations, explanations, site down, online placement."""

from __future__ import annotations

import time
from collections import defaultdict

import pytest
from sqlalchemy import select

from microfactory.adapters.db import tables as t
from microfactory.bootstrap import Container
from microfactory.domain.orders import OrderStatus, advance_line
from microfactory.errors import CapacityExceeded, InvalidInput, NotFound
from microfactory.services.intake import LineRequest, OrderRequest, create_order
from microfactory.services.routing import (
    RouteRequest,
    place_new_order,
    route_stored,
    set_site_status,
)
from microfactory.services.routing_views import assignment_view, capacity_view, explain_line
from tests.conftest import NOW


def _route(c: Container, **kw: object) -> dict[str, object]:
    with c.uow() as uow:
        out = route_stored(uow, RouteRequest(**kw), now=NOW, actor="test")  # type: ignore[arg-type]
        uow.commit()
    return out


def _rows(c: Container, table: t.Table) -> list[object]:  # type: ignore[name-defined]
    with c.engine.connect() as conn:
        return list(conn.execute(select(table)))


def _line_minutes(c: Container, *line_ids: str) -> list[float]:
    with c.uow() as uow:
        catalog = uow.catalog.load(uow.network.load())
        rows = {r.id: r for r in uow.conn.execute(select(t.order_lines).where(t.order_lines.c.id.in_(line_ids)))}
    return [catalog.explode(rows[i].product_id, rows[i].options).minutes * rows[i].quantity for i in line_ids]


def _invariants(c: Container) -> None:
    per_key: dict[tuple[object, ...], float] = defaultdict(float)
    for r in _rows(c, t.capacity_reservations):
        per_key[(r.site_id, r.process, r.day)] += r.minutes  # type: ignore[attr-defined]
    for r in _rows(c, t.capacity):
        assert r.reserved_min == pytest.approx(per_key.get((r.site_id, r.process, r.day), 0.0), abs=1e-6)  # type: ignore[attr-defined]
        assert r.reserved_min <= r.capacity_min + 1e-6  # type: ignore[attr-defined]


def test_stored_routing_reserves_exactly_what_routed_lines_need(loaded: Container) -> None:
    """Every line is routed (site set, reservations = its minutes) or keeps a reason; rows sum up."""
    summary = _route(loaded, policy="greedy")
    lines = _rows(loaded, t.order_lines)
    routed = [ln for ln in lines if ln.status == "routed"]  # type: ignore[attr-defined]
    assert summary["assigned"] == len(routed) and summary["assigned"] + summary["unassigned"] == len(lines) == 295
    per_line: dict[str, float] = defaultdict(float)
    for r in _rows(loaded, t.capacity_reservations):
        per_line[r.line_id] += r.minutes  # type: ignore[attr-defined]
    expected = _line_minutes(loaded, *[ln.id for ln in routed])  # type: ignore[attr-defined]
    for ln, minutes in zip(routed, expected):
        assert ln.site_id is not None and per_line[ln.id] == pytest.approx(minutes)  # type: ignore[attr-defined]
    reasons = {a.line_id: a.detail.get("reason") for a in _rows(loaded, t.assignments) if a.site_id is None}  # type: ignore[attr-defined]
    assert all(reasons.values()) and len(reasons) == summary["unassigned"]
    _invariants(loaded)
    with loaded.uow() as uow:
        run = uow.routing.get_run(str(summary["id"]))
        events = uow.orders.events(routed[0].order_id)  # type: ignore[attr-defined]
    assert run["assigned"] == summary["assigned"] and run["policy"] == "greedy"
    assert any(e["new"] == "routed" and "routed to" in e["reason"] for e in events)


def test_explanation_names_candidates_and_rejections(loaded: Container) -> None:
    """A spree print line: chosen site with a breakdown, next best candidates, brand-rejected Kreuzberg."""
    _route(loaded, policy="optimal", brand="spree", time_limit_s=5)
    with loaded.uow() as uow:
        view = explain_line(uow, "BER-000002-1")
        order = assignment_view(uow, "BER-000002")
        with pytest.raises(NotFound):
            explain_line(uow, "BER-000001-1")  # nordlicht: not routed in this run
    assert view["site_id"] in ("mf-neukoelln", "mf-spandau-ondemand")
    assert view["cost"] > 0 and view["run_id"] and view["policy"] == "optimal"
    assert set(view["breakdown"]) == {"production", "transport", "carbon", "lateness", "adjustments", "total"}
    assert view["rejected"]["mf-kreuzberg"] == "brand_not_allowed"
    assert view["rejected"]["mf-wedding"] == "no_capability"  # Wedding has no printing
    assert all("total" in a["cost"] for a in view["alternatives"])
    assert sum(r["minutes"] for r in view["reservations"]) == pytest.approx(_line_minutes(loaded, "BER-000002-1")[0])
    assert order["items"][0]["site_id"] == view["site_id"] and order["items"][0]["rejected"]


def test_site_down_moves_unstarted_lines_and_keeps_started_work(loaded: Container) -> None:
    """Kreuzberg goes down: its started line stays, the others move (or wait) with a rerouted event each."""
    _route(loaded, policy="greedy", brand="kiez")
    at_kb = [ln for ln in _rows(loaded, t.order_lines) if ln.site_id == "mf-kreuzberg"]  # type: ignore[attr-defined]
    assert len(at_kb) >= 3
    started = at_kb[0]
    with loaded.uow() as uow:
        order = uow.orders.get(started.order_id)  # type: ignore[attr-defined]
        for status in (OrderStatus.SCHEDULED, OrderStatus.IN_PRODUCTION):
            order, events = advance_line(order, started.id, status, NOW)  # type: ignore[attr-defined]
            uow.orders.save_status(order, events)
        uow.commit()
    with loaded.uow() as uow:
        out = set_site_status(uow, "mf-kreuzberg", "down", now=NOW, reason="sewing machines flooded", actor="test",
                              req=RouteRequest("greedy"))
        uow.commit()
    assert out["kept_started"] == 1 and out["moved"] + out["unassigned"] == len(at_kb) - 1
    after = {ln.id: ln for ln in _rows(loaded, t.order_lines)}  # type: ignore[attr-defined]
    assert after[started.id].site_id == "mf-kreuzberg" and after[started.id].status == "in_production"  # type: ignore[attr-defined]
    for ln in at_kb[1:]:
        now_at = after[ln.id]  # type: ignore[attr-defined]
        assert now_at.site_id != "mf-kreuzberg"  # type: ignore[attr-defined]
        assert (now_at.status == "routed") == (now_at.site_id is not None)  # type: ignore[attr-defined]
    kb_lines = {r.line_id for r in _rows(loaded, t.capacity_reservations) if r.site_id == "mf-kreuzberg"}  # type: ignore[attr-defined]
    assert kb_lines == {started.id}  # type: ignore[attr-defined]
    with loaded.uow() as uow:
        events = uow.orders.events(at_kb[1].order_id)  # type: ignore[attr-defined]
    assert any(e["reason"].startswith("rerouted: site mf-kreuzberg down → ") and e["line_id"] == at_kb[1].id
               for e in events)  # type: ignore[attr-defined]
    _invariants(loaded)


def test_online_placement_of_a_new_order(loaded: Container) -> None:
    """A new order is placed against the reserved state in well under a second, with its reservation."""
    _route(loaded, policy="greedy", brand="spree")
    req = OrderRequest("spree", (LineRequest("spree-tote", {"design": "bear"}, 2),), 52.50, 13.42, order_id="NEW-1")
    with loaded.uow() as uow:
        create_order(uow, req, now=NOW)
        began = time.perf_counter()
        out = place_new_order(uow, "NEW-1", now=NOW, actor="test")
        elapsed = time.perf_counter() - began
        uow.commit()
    assert out["assigned"] == 1 and elapsed < 2.0
    with loaded.uow() as uow:
        order = uow.orders.get("NEW-1")
        view = explain_line(uow, "NEW-1-1")
        with pytest.raises(InvalidInput):
            place_new_order(uow, "NEW-1", now=NOW)  # nothing validated is left to route
    assert order.lines[0].status is OrderStatus.ROUTED and view["reservations"]
    _invariants(loaded)


def test_capacity_check_refuses_over_booking(loaded: Container) -> None:
    """Reserving more than a row's capacity raises CapacityExceeded; the view shows capacity vs reserved."""
    _route(loaded, policy="greedy", brand="spree")
    with loaded.uow() as uow:
        view = capacity_view(uow, "mf-neukoelln", NOW.date(), 7)
        busy = next(r for r in view["items"] if r["reserved_min"] > 0)
        uow.routing.lock_capacity(["mf-neukoelln"], NOW.date(), NOW.date())
        from datetime import date

        uow.routing.reserve("X-1", "mf-neukoelln", {(busy["process"], date.fromisoformat(busy["day"])):
                                                    busy["free_min"] + 5.0})
        with pytest.raises(CapacityExceeded):
            uow.routing.check(["mf-neukoelln"])
    assert busy["capacity_min"] >= busy["reserved_min"] and busy["free_min"] >= 0


def test_overview_booked_shares_match_each_sites_capacity_view(loaded: Container) -> None:
    """The overview reads every site's bookings in one query; its busiest-process shares are the
    ones each site's own capacity view gives, and brands see none (they sum every brand's work)."""
    from microfactory.domain.access import Principal, Role
    from microfactory.entrypoints.web.views import booked

    _route(loaded, policy="greedy")
    with loaded.uow(readonly=True) as uow:
        rows = booked(uow, Principal(Role.ADMIN, "admin"), NOW.date())
        expected = {}
        for r in rows:
            cap: dict[str, float] = defaultdict(float)
            res: dict[str, float] = defaultdict(float)
            for item in capacity_view(uow, r["site"], NOW.date(), 7)["items"]:
                cap[item["process"]] += item["capacity_min"]
                res[item["process"]] += item["reserved_min"]
            expected[r["site"]] = max(res[q] / c for q, c in cap.items() if c > 0)
        assert booked(uow, Principal(Role.BRAND, "spree", brand="spree"), NOW.date()) == []
    assert any(r["share"] > 0 for r in rows)
    assert {r["site"]: r["share"] for r in rows} == pytest.approx(expected)
