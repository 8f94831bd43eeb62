"""Costing: unit cost with breakdown, local against offshore, material swings, partner quotes."""

from microfactory.engines.costing.breakeven import (
    BreakEven,
    CurvePoint,
    LinearCost,
    break_even,
    closed_form_break_even,
    cost_curves,
    linear_cost,
    log_volumes,
    numeric_break_even,
)
from microfactory.engines.costing.cases import case_from_dict
from microfactory.engines.costing.compare import (
    MODE_SPEED_KM_PER_DAY,
    CompareParams,
    Comparison,
    ComparisonCase,
    Demand,
    Leg,
    OptionOutcome,
    SupplyOption,
    compare,
    evaluate,
)
from microfactory.engines.costing.materials import (
    HedgeSuggestion,
    MaterialSensitivity,
    PriceMove,
    SubstituteOffer,
    forward_fraction,
    material_sensitivity,
    scenario_moments,
    suggest_hedge,
)
from microfactory.engines.costing.plot import svg_cost_curves
from microfactory.engines.costing.quotes import (
    Quote,
    RankedQuote,
    SiteOffer,
    compare_quotes,
    manual_quote,
    quote,
)
from microfactory.engines.costing.unit_cost import (
    MaterialChoice,
    MaterialLine,
    PriceSuggestion,
    ProductSpec,
    Shipment,
    SiteRates,
    Substitute,
    UnitCost,
    choose_material,
    cost_curve,
    suggest_price,
    unit_cost,
)

__all__ = [
    "MODE_SPEED_KM_PER_DAY", "BreakEven", "CompareParams", "Comparison", "ComparisonCase",
    "CurvePoint", "Demand", "HedgeSuggestion", "Leg", "LinearCost", "MaterialChoice",
    "MaterialLine", "MaterialSensitivity", "OptionOutcome", "PriceMove", "PriceSuggestion",
    "ProductSpec", "Quote", "RankedQuote", "Shipment", "SiteOffer", "SiteRates", "Substitute",
    "SubstituteOffer", "SupplyOption", "UnitCost", "break_even", "case_from_dict",
    "choose_material", "closed_form_break_even", "compare", "compare_quotes", "cost_curve",
    "cost_curves", "evaluate", "forward_fraction", "linear_cost", "log_volumes",
    "manual_quote", "material_sensitivity", "numeric_break_even", "quote", "scenario_moments",
    "suggest_hedge", "suggest_price", "svg_cost_curves", "unit_cost",
]
