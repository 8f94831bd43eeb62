"""Dashboard helpers: signed sessions, the job registry, SVG charts and the map projection."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microfactory.domain.access import Principal, Role
from microfactory.entrypoints.web import (
    Flow,
    JobRegistry,
    Place,
    Projection,
    SessionCodec,
    bar_chart,
    network_svg,
    p_chart,
)
from microfactory.errors import InvalidInput, NotFound

NOW = datetime(2026, 12, 1, 9, 0)
CODEC = SessionCodec(b"k" * 32)


def test_session_round_trip() -> None:
    """A cookie issued for a brand user reads back as the same principal."""
    p = Principal(Role.BRAND, name="ann", brand="spree")
    assert CODEC.read(CODEC.issue(p, NOW), NOW + timedelta(hours=1)) == p


def test_session_refuses_tampering_expiry_and_other_secrets() -> None:
    """A changed payload, an expired cookie or another process's secret gives no principal."""
    value = CODEC.issue(Principal(Role.BRAND, name="ann", brand="spree"), NOW)
    payload, mac = value.split(".")
    forged = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + mac
    assert CODEC.read(forged, NOW) is None
    assert CODEC.read(value, NOW + timedelta(hours=13)) is None
    assert SessionCodec(b"x" * 32).read(value, NOW) is None
    assert CODEC.read("garbage", NOW) is None and CODEC.read(None, NOW) is None


def test_session_secret_must_be_long() -> None:
    """A short secret is refused."""
    try:
        SessionCodec(b"short")
    except InvalidInput as exc:
        assert exc.field == "session_secret"
    else:
        raise AssertionError("a short secret was accepted")


def test_job_registry_reports_progress_and_result() -> None:
    """A job reports progress, ends done with its result, and is hidden from another owner."""
    reg = JobRegistry()
    job = reg.start("routing", "admin:a", "route", lambda report: (report(0.5, "half"), {"assigned": 3})[1])
    deadline = time.monotonic() + 5
    while reg.get(job.id, None).status == "running" and time.monotonic() < deadline:
        time.sleep(0.01)
    view = reg.get(job.id, "admin:a").view()
    assert view["status"] == "done" and view["progress"] == 1.0 and view["result"] == {"assigned": 3}
    with pytest.raises(NotFound):
        reg.get(job.id, "brand:b")


def test_job_failure_is_reported() -> None:
    """A job that raises ends failed with the error message."""
    reg = JobRegistry()

    def boom(_report: object) -> dict[str, object]:
        raise InvalidInput("no lines", field="x")

    job = reg.start("planning", "o", "plan", boom)  # type: ignore[arg-type]
    deadline = time.monotonic() + 5
    while job.status == "running" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert job.status == "failed" and job.error == "no lines"


def test_charts_escape_labels_and_handle_empty() -> None:
    """Labels are escaped and an empty series draws a 'no data yet' picture."""
    svg = bar_chart([("<b>", 2.0), ("x", 1.0)], "t")
    assert "&lt;b&gt;" in svg and "<b>" not in svg
    assert "no data yet" in bar_chart([], "t") and "no data yet" in p_chart([], "p")


def test_p_chart_marks_points_outside_limits() -> None:
    """A point above its upper limit is drawn larger and red."""
    pts = [{"batch_id": "B1", "n": 50, "p": 0.02, "center": 0.02, "lcl": 0.0, "ucl": 0.08, "z": 0.0},
           {"batch_id": "B2", "n": 50, "p": 0.2, "center": 0.02, "lcl": 0.0, "ucl": 0.08, "z": 9.0}]
    svg = p_chart(pts, "p")
    assert svg.count('fill="#c53030"><title>B2') == 1 and 'r="5"' in svg


def test_p_chart_axis_stops_at_100_percent() -> None:
    """A batch with every sampled unit defective is drawn at the top of an axis that ends at 100 %."""
    import re

    pts = [{"batch_id": "B1", "n": 1, "p": 1.0, "center": 0.025, "lcl": 0.0, "ucl": 0.49, "z": 6.2},
           {"batch_id": "B2", "n": 1, "p": 0.0, "center": 0.025, "lcl": 0.0, "ucl": 1.3, "z": -0.2}]
    svg = p_chart(pts, "p", height=240)
    assert ">100%<" in svg and "110" not in svg
    ys = [float(v) for v in re.findall(r'<circle cx="[\d.]+" cy="([\d.]+)"', svg)]
    ucl = [float(xy.split(",")[1]) for xy in re.findall(r'<polyline points="([^"]*)"', svg)[0].split()]
    assert min(ys) >= 16 and min(ucl) >= 16  # nothing drawn above the axis top (y grows downwards)


@given(st.lists(st.tuples(st.floats(47, 55), st.floats(5, 15)), min_size=1, max_size=20))
def test_projection_keeps_points_in_the_box(points: list[tuple[float, float]]) -> None:
    """Every projected point lies inside the drawing box (margin included)."""
    proj = Projection(points, 900, 600, margin=30)
    for lat, lon in points:
        x, y = proj(lat, lon)
        assert 29.99 <= x <= 870.01 and 29.99 <= y <= 570.01


def test_projection_puts_north_up_and_east_right() -> None:
    """A point north-east of another is drawn above and to the right of it."""
    proj = Projection([(52.4, 13.3), (52.6, 13.5)], 900, 600)
    (x1, y1), (x2, y2) = proj(52.4, 13.3), proj(52.6, 13.5)
    assert x2 > x1 and y2 < y1


def test_network_svg_draws_places_flows_and_legend() -> None:
    """The map has one group per place, one line per flow to a known site and a legend."""
    places = [Place("a", "A & Co", "microfactory", 52.5, 13.4), Place("s", "Shop", "store", 52.52, 13.41, down=True)]
    flows = [Flow("a", 52.51, 13.45, "ship", True, "L1"), Flow("missing", 52.0, 13.0, "ship")]
    svg = network_svg(places, flows)
    assert svg.count('class="place"') == 2 and "A &amp; Co" in svg and "(down)" in svg
    assert svg.count("<title>L1</title></line>") == 1 and 'class="legend"' in svg


def test_network_svg_keeps_labels_inside_the_map() -> None:
    """A place at the right edge has its label to the left of its mark; others to the right."""
    import re

    places = [Place("w", "West", "microfactory", 52.5, 13.0),
              Place("e", "Boxhagener Platz Shop", "store", 52.5, 13.6)]
    svg = network_svg(places, [], width=900, height=600)
    texts = {name: (float(x), "text-anchor=\"end\"" in attrs)
             for attrs, x, name in re.findall(r'<text (.*?x="([\d.]+)".*?)>([^<]+)</text>', svg) if name in ("West", "Boxhagener Platz Shop")}
    assert texts["West"][1] is False
    x, left = texts["Boxhagener Platz Shop"]
    assert left and x < 900
