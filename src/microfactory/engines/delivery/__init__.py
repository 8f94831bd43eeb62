"""Delivery engine: same-day runs (PyVRP), feasibility checking, maps, options, cadence, transfers."""

from microfactory.engines.delivery.cadence import (
    Cadence,
    CadenceLine,
    ShipGroup,
    group_lines,
    ship_date,
)
from microfactory.engines.delivery.checker import check_routes
from microfactory.engines.delivery.cvrp import (
    CvrpInstance,
    euclidean_rounded,
    route_cost,
    solve_cvrp,
)
from microfactory.engines.delivery.options import (
    CarrierQuote,
    DeliveryOption,
    LocalRate,
    OptionsRequest,
    Store,
    Unavailable,
    consolidated_option,
    delivery_options,
    parcel_option,
    pickup_option,
    same_day_option,
)
from microfactory.engines.delivery.problem import (
    DeliveryParams,
    DeliveryProblem,
    DeliveryStop,
    VehicleType,
)
from microfactory.engines.delivery.sameday import plan_same_day, road_km_matrix
from microfactory.engines.delivery.solution import (
    CvrpSolution,
    DeliveryRoute,
    DeliverySolution,
    RouteStop,
    UnservedStop,
)
from microfactory.engines.delivery.svg import routes_svg
from microfactory.engines.delivery.transfers import (
    SitePoint,
    TransferLeg,
    TransferRate,
    transfer_leg,
)

__all__ = [
    "Cadence", "CadenceLine", "CarrierQuote", "CvrpInstance", "CvrpSolution", "DeliveryOption",
    "DeliveryParams", "DeliveryProblem", "DeliveryRoute", "DeliverySolution", "DeliveryStop", "LocalRate",
    "OptionsRequest", "RouteStop", "ShipGroup", "SitePoint", "Store", "TransferLeg", "TransferRate",
    "Unavailable", "UnservedStop", "VehicleType", "check_routes", "consolidated_option", "delivery_options",
    "euclidean_rounded", "group_lines", "parcel_option", "pickup_option", "plan_same_day", "road_km_matrix",
    "route_cost", "routes_svg", "same_day_option", "ship_date", "solve_cvrp", "transfer_leg",
]
