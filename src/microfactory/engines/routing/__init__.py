"""Variant routing: which site makes each order line (batch, online, greedy, rules, re-route)."""

from microfactory.engines.routing.batch import route_batch, route_greedy
from microfactory.engines.routing.capacity import CapacityState
from microfactory.engines.routing.result import RoutingResult
from microfactory.engines.routing.types import (
    REASONS, Assignment, MaterialNeed, RerouteEvent, RoutingLine, RoutingParams, RoutingProblem,
    RoutingSite, Rule, Unassigned,
)

__all__ = [
    "REASONS", "Assignment", "CapacityState", "MaterialNeed", "RerouteEvent", "RoutingLine",
    "RoutingParams", "RoutingProblem", "RoutingResult", "RoutingSite", "Rule", "Unassigned",
    "route_batch", "route_greedy",
]
