"""The SVG map of a plan."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from microfactory.domain.geo import Location
from microfactory.engines.delivery import (
    DeliveryParams,
    DeliveryProblem,
    DeliveryStop,
    VehicleType,
    plan_same_day,
    routes_svg,
)

NS = "{http://www.w3.org/2000/svg}"


def test_map_has_one_polyline_per_route_and_marks_unserved() -> None:
    """Two routes give two polylines through depot and stops; an impossible stop is a grey dot."""
    stops = (DeliveryStop("a", "o1", Location(0, 0.01), 2), DeliveryStop("b", "o2", Location(0, -0.01), 2),
             DeliveryStop("x", "o3", Location(0.01, 0), 50))
    van = VehicleType("van", "van", 2, 2, 30.0, 1.0, shift_start=0, shift_end=1440)
    problem = DeliveryProblem(Location(0, 0), stops, (van,))
    solution = plan_same_day(problem, DeliveryParams(time_limit_s=1, max_iterations=100))
    root = ET.fromstring(routes_svg(problem, solution))
    lines = root.findall(f".//{NS}polyline")
    assert len(lines) == 2 and all(len(p.get("points", "").split()) == 3 for p in lines)
    assert len(root.findall(f".//{NS}circle[@class='unserved']")) == 1
