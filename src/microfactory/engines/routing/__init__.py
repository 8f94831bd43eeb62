"""Variant routing: which site makes each order line (batch, online, greedy, rules, re-route)."""

from microfactory.engines.routing.batch import route_batch, route_greedy
from microfactory.engines.routing.capacity import CapacityState
from microfactory.engines.routing.explain import explain
from microfactory.engines.routing.generator import generate
from microfactory.engines.routing.online import RoutingState, initial_state, place_order, state_after
from microfactory.engines.routing.reroute import RerouteResult, reroute
from microfactory.engines.routing.result import RoutingResult
from microfactory.engines.routing.types import (
    REASONS, Assignment, MaterialNeed, RerouteEvent, RoutingLine, RoutingParams, RoutingProblem,
    RoutingSite, Rule, Unassigned,
)

__all__ = [
    "REASONS", "Assignment", "CapacityState", "MaterialNeed", "RerouteEvent", "RoutingLine",
    "RerouteResult", "RoutingParams", "RoutingProblem", "RoutingResult", "RoutingSite", "RoutingState",
    "Rule", "Unassigned", "explain", "generate", "initial_state", "place_order", "reroute", "route_batch",
    "route_greedy", "state_after",
]
