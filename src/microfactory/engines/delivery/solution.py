"""Result types of the delivery engine (plain frozen values, ready for JSON)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

#: Solver statuses shared by every microfactory engine.
STATUSES = ("optimal", "feasible", "infeasible", "unknown")


@dataclass(frozen=True, slots=True)
class RouteStop:
    """One visit on a route; times in minutes from horizon start."""

    stop_id: str
    order_id: str
    sequence: int
    arrival: float
    service_start: float
    departure: float
    load_before: int


@dataclass(frozen=True, slots=True)
class DeliveryRoute:
    """One vehicle's run from the depot and back, with its distance, cost and emissions."""

    route_id: str
    vehicle_type: str
    mode: str
    stops: tuple[RouteStop, ...]
    start: float
    end: float
    distance_km: float
    duration_minutes: float
    load: int
    cost: float
    kg_co2e: float

    @property
    def stop_ids(self) -> tuple[str, ...]:
        return tuple(s.stop_id for s in self.stops)


@dataclass(frozen=True, slots=True)
class UnservedStop:
    """A stop left out of every route, and why."""

    stop_id: str
    order_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class DeliverySolution:
    """A same-day plan: status, objective, bound (None: heuristic), runtime, seed and routes."""

    status: str
    objective: float
    bound: float | None
    runtime_s: float
    seed: int
    iterations: int
    routes: tuple[DeliveryRoute, ...]
    unserved: tuple[UnservedStop, ...]

    @property
    def distance_km(self) -> float:
        return sum(r.distance_km for r in self.routes)

    @property
    def cost(self) -> float:
        return sum(r.cost for r in self.routes)

    @property
    def kg_co2e(self) -> float:
        return sum(r.kg_co2e for r in self.routes)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary, totals included."""
        body = asdict(self)
        body.update(distance_km=round(self.distance_km, 3), cost=round(self.cost, 2),
                    kg_co2e=round(self.kg_co2e, 4))
        return body


@dataclass(frozen=True, slots=True)
class CvrpSolution:
    """A plain CVRP result: routes as client indices (1-based, depot 0) and integer cost."""

    status: str
    objective: int
    bound: float | None
    runtime_s: float
    seed: int
    iterations: int
    routes: tuple[tuple[int, ...], ...]
