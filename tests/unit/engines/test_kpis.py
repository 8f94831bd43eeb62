"""KPIs on a small hand-computed week."""

from __future__ import annotations

import pytest

from microfactory.engines.kpis import (
    ChangeoverRecord,
    KpiFilter,
    KpiRecords,
    OrderRecord,
    ReturnRecord,
    UtilisationRecord,
    compute_kpis,
    kpi_rows,
    percentile,
)

DAY = 1440


def _order(oid: str, brand: str, site: str, created_day: int, lead_days: float | None,
           due_day: int, cost: float, kg: float, items: int) -> OrderRecord:
    delivered = None if lead_days is None else created_day * DAY + int(lead_days * DAY)
    return OrderRecord(oid, brand, site, created_day * DAY, due_day * DAY, delivered, cost, kg, items)


WEEK = KpiRecords(
    orders=(_order("o1", "b1", "s1", 0, 1, 2, 10.0, 1.0, 1),
            _order("o2", "b1", "s1", 1, 2, 3, 20.0, 2.0, 2),
            _order("o3", "b2", "s2", 2, 4, 5, 30.0, 3.0, 1),
            _order("o4", "b2", "s2", 3, 3, 6, 40.0, 4.0, 4),
            _order("o5", "b1", "s2", 6, None, 9, 50.0, 0.0, 2)),
    returns=(ReturnRecord("o2", "fit", 1), ReturnRecord("o4", "fit", 1),
             ReturnRecord("o4", "damaged", 2), ReturnRecord("o5", "fit", 1)),
    utilisation=(UtilisationRecord("s1", "sewing", 0, 240, 480),
                 UtilisationRecord("s1", "cutting", 0, 120, 480),
                 UtilisationRecord("s2", "sewing", DAY, 480, 480)),
    changeovers=(ChangeoverRecord("s1", 0, 15), ChangeoverRecord("s1", DAY, 20),
                 ChangeoverRecord("s2", 8 * DAY, 30)),
)


def test_lead_time_distribution_of_the_week() -> None:
    """Lead times 1, 2, 4, 3 days give p50 2.5, p90 3.7 and p95 3.85 by interpolation."""
    lt = compute_kpis(WEEK).lead_time
    assert lt.count == 4 and lt.mean == pytest.approx(2.5)
    assert (lt.p50, lt.p90, lt.p95) == pytest.approx((2.5, 3.7, 3.85))
    assert dict(lt.histogram)["3-5"] == 2 and dict(lt.histogram)["1-2"] == 1


def test_on_time_cost_and_emissions() -> None:
    """Three of four deliveries are on time; cost 150 over 5 orders; 10 kg over 10 items."""
    r = compute_kpis(WEEK)
    assert r.on_time_rate == pytest.approx(0.75)
    assert r.cost_per_order == pytest.approx(30.0)
    assert r.kg_co2e_per_order == pytest.approx(2.0)
    assert r.kg_co2e_per_item == pytest.approx(1.0)


def test_returns_rate_by_reason_counts_delivered_items() -> None:
    """Two fit and two damaged items of eight delivered; the undelivered order's return is ignored."""
    r = compute_kpis(WEEK)
    assert r.returns_rate_by_reason == pytest.approx({"damaged": 0.25, "fit": 0.25})
    assert r.returns_rate == pytest.approx(0.5)


def test_utilisation_and_changeovers() -> None:
    """s1 is busy 360 of 960 minutes; its changeovers add to 35 minutes."""
    r = compute_kpis(WEEK, KpiFilter(start_min=0, end_min=7 * DAY))
    assert r.utilisation_by_site == pytest.approx({"s1": 0.375, "s2": 1.0})
    assert r.utilisation_by_site_process[("s1", "sewing")] == pytest.approx(0.5)
    assert r.changeover_minutes_by_site == {"s1": 35}


def test_filters_by_brand_site_and_period() -> None:
    """Brand b2 at s2 has two orders; the first two days hold o1 and o2 only."""
    assert compute_kpis(WEEK, KpiFilter(brand="b2", site="s2")).orders == 2
    assert compute_kpis(WEEK, KpiFilter(start_min=0, end_min=2 * DAY)).orders == 2


def test_csv_rows_are_flat() -> None:
    """Every CSV row has exactly kpi, key and value."""
    rows = kpi_rows(compute_kpis(WEEK))
    assert all(set(r) == {"kpi", "key", "value"} for r in rows)
    assert {"kpi": "on_time_rate", "key": "", "value": 0.75} in rows


def test_percentile_endpoints() -> None:
    """The 0th and 100th percentiles are the minimum and the maximum."""
    assert percentile([1.0, 5.0, 9.0], 0) == 1.0 and percentile([1.0, 5.0, 9.0], 100) == 9.0
