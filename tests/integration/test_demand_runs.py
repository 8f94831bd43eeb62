"""Collaborative runs in the store: fill into one batch, Shapley shares stored, brand isolation, failure."""

from __future__ import annotations

from datetime import timedelta

import pytest

from microfactory.bootstrap import Container
from microfactory.engines.pooling import (
    OnFail,
    Run,
    RunLine,
    RunState,
    SharingParams,
    share_run_cost,
)
from microfactory.errors import NotFound
from microfactory.services.intake import LineRequest, OrderRequest, create_order
from microfactory.services.runs import RunRequest, join, offer_run, resolve, run_view
from tests.integration.demand_support import NOW, load_berlin


@pytest.fixture
def berlin(container: Container) -> Container:
    """The Berlin network, catalog and opening stock (no orders)."""
    return load_berlin(container)


def _line(c: Container, brand: str, product: str, options: dict[str, str], qty: int) -> str:
    with c.uow() as uow:
        res = create_order(uow, OrderRequest(brand, (LineRequest(product, options, qty),), 52.5, 13.4),
                           now=NOW, actor="test")
        uow.commit()
    return res.order.lines[0].id


def _setup(c: Container, min_batch: int) -> tuple[str, str]:
    kiez = _line(c, "kiez", "kiez-jean", {"size": "32", "fabric": "denim-12oz"}, 2)
    nord = _line(c, "nordlicht", "nordlicht-dress", {"size": "M", "fabric": "linen"}, 3)
    with c.uow() as uow:
        offer_run(uow, RunRequest("mf-kreuzberg", "sew-batch", min_batch, NOW + timedelta(days=3), 90.0, 1.0,
                                  run_id="R1"), now=NOW, actor="test")
        uow.commit()
    return kiez, nord


def test_filled_run_becomes_one_batch_with_shapley_shares_equal_to_the_engine(berlin: Container) -> None:
    """Two brands reach the minimum: one planned batch, and the stored shares are the engine's."""
    kiez, nord = _setup(berlin, 5)
    with berlin.uow() as uow:
        join(uow, "R1", "kiez", kiez, now=NOW, actor="test")
        view = join(uow, "R1", "nordlicht", nord, now=NOW, actor="test")
        uow.commit()
        full = run_view(uow, "R1")
        batch = uow.production.get_batch(str(full["batch_id"]))
    assert view["status"] == "scheduled" and batch.status.value == "planned" and batch.units == 5
    state = RunState(Run("R1", "mf-kreuzberg", "sew-batch", 5, 4320, 90.0, 1.0),
                     (RunLine(kiez, "kiez", 2), RunLine(nord, "nordlicht", 3)))
    expected = share_run_cost(state, SharingParams(seed=0))
    assert full["sharing"]["shares"] == pytest.approx(expected.shares)
    assert full["sharing"]["rule"] == "shapley" and full["sharing"]["inputs"]["units"] == {"kiez": 2, "nordlicht": 3}
    assert view["share"] == pytest.approx(expected.shares["nordlicht"])


def test_brand_sees_only_its_own_lines_and_share(berlin: Container) -> None:
    """A member sees its lines and share only; a brand without lines gets NotFound (404)."""
    kiez, nord = _setup(berlin, 10)
    with berlin.uow() as uow:
        join(uow, "R1", "kiez", kiez, now=NOW, actor="test")
        view = join(uow, "R1", "nordlicht", nord, now=NOW, actor="test")
        uow.commit()
        with pytest.raises(NotFound):
            run_view(uow, "R1", "spree")
        assert uow.demand.run_lines("R1", "spree") == []
    assert [ln["brand"] for ln in view["lines"]] == ["nordlicht"]
    assert "kiez" not in str(view) and view["units_to_minimum"] == 5


def test_another_brands_line_cannot_be_joined(berlin: Container) -> None:
    """A brand cannot put another brand's order line in a run."""
    kiez, _ = _setup(berlin, 5)
    with berlin.uow() as uow, pytest.raises(NotFound):
        join(uow, "R1", "nordlicht", kiez, now=NOW, actor="test")


def test_unfilled_run_fails_cleanly_per_brand_choice(berlin: Container) -> None:
    """Past its deadline short of the minimum: the released line is cancelled, the other is routed."""
    kiez, nord = _setup(berlin, 10)
    with berlin.uow() as uow:
        join(uow, "R1", "kiez", kiez, on_fail=OnFail.RELEASE.value, now=NOW, actor="test")
        join(uow, "R1", "nordlicht", nord, now=NOW, actor="test")
        assert resolve(uow, "R1", now=NOW + timedelta(days=1), actor="test")["status"] == "open"
        view = resolve(uow, "R1", now=NOW + timedelta(days=3), actor="test")
        uow.commit()
        k = uow.orders.get(kiez.rsplit("-", 1)[0]).status.value
        n = uow.orders.get(nord.rsplit("-", 1)[0]).status.value
        again = resolve(uow, "R1", now=NOW + timedelta(days=4), actor="test")
    assert view["status"] == "failed" and view["batch_id"] is None
    assert {ln["line_id"]: ln["outcome"] for ln in view["lines"]} == {kiez: "released", nord: "rerouted"}
    assert k == "cancelled" and n == "routed" and again["status"] == "failed"


def test_filled_run_books_its_lines_at_its_site_through_the_routing_service(berlin: Container) -> None:
    """A line routed elsewhere gives its booking back; both lines end with minutes and an assignment at the site."""
    from sqlalchemy import text

    from microfactory.services.routing import place_new_order

    kiez, nord = _setup(berlin, 5)
    with berlin.uow() as uow:
        place_new_order(uow, nord.rsplit("-", 1)[0], now=NOW, actor="test")
        uow.orders.set_line_site(nord, "mf-wedding")       # pretend routing chose another site
        uow.routing.release([nord])
        uow.routing.reserve(nord, "mf-wedding", {("sewing", NOW.date() + timedelta(days=2)): 30.0})
        join(uow, "R1", "kiez", kiez, now=NOW, actor="test")
        view = join(uow, "R1", "nordlicht", nord, now=NOW, actor="test")
        uow.commit()
        booking = run_view(uow, "R1")["sharing"]["booking"]
        reservations = {i: uow.routing.line_reservations(i) for i in (kiez, nord)}
        assigned = uow.routing.assignments([kiez, nord])
    assert view["status"] == "scheduled" and booking["moved"] == 1 and booking["assigned"] == 2
    for i in (kiez, nord):
        assert reservations[i] and {r["site_id"] for r in reservations[i]} == {"mf-kreuzberg"}
        assert assigned[i]["site_id"] == "mf-kreuzberg"
    with berlin.engine.connect() as conn:
        over = conn.execute(text("SELECT COUNT(*) FROM capacity WHERE reserved_min > capacity_min + 1e-6 OR "
                                 "ABS(reserved_min - (SELECT COALESCE(SUM(minutes), 0) FROM capacity_reservations r "
                                 "WHERE r.site_id = capacity.site_id AND r.process = capacity.process "
                                 "AND r.day = capacity.day)) > 1e-6")).scalar_one()
        lines = conn.execute(text("SELECT status, site_id FROM order_lines WHERE id IN (:a, :b)"),
                             {"a": kiez, "b": nord}).all()
    assert over == 0 and set(lines) == {("routed", "mf-kreuzberg")}
