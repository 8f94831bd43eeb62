"""Unit cost of a variant at a site and batch size, with its breakdown, cost curve and price.

Built on :mod:`microfactory.engines.cost_model` (materials, staff and machine minutes x rates,
setup per batch, transport and carbon are priced there, once). This module adds:

* the **material choice**: each BOM line may use an approved substitute; the cheapest approved
  alternative (unit cost x quantity factor) is chosen unless substitutes are switched off;
* **setup spread over the batch**: one setup for a batch of ``batch_units`` (``per_batch``);
* **overhead**: ``overhead_rate`` x conversion cost (staff + machine + setup), the usual
  absorption of site overhead on the work done there;
* **logistics**: the delivery shipment priced by the cost model and split over the units
  that travel together;
* **carbon**: carbon price x (delivery emissions + production emissions per unit).

``unit total = materials + staff + machine + setup/batch + overhead + logistics + carbon``.
A price for a target margin is ``cost / (1 - margin)`` (margin on price, not markup on cost).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from microfactory.engines.cost_model import (
    BomLine,
    CostParams,
    ProductionInput,
    carbon_cost,
    production_cost,
    transport_cost,
)
from microfactory.engines.costing._common import (
    require_fraction,
    require_non_negative,
    require_positive,
)
from microfactory.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Substitute:
    """An approved substitute: its unit cost and the quantity needed per unit of the original."""

    material_id: str
    unit_cost: float
    qty_factor: float = 1.0

    def __post_init__(self) -> None:
        require_non_negative(self.unit_cost, "unit_cost")
        require_positive(self.qty_factor, "qty_factor")


@dataclass(frozen=True, slots=True)
class MaterialLine:
    """One BOM line per unit of product, with its approved substitutes."""

    material_id: str
    qty_per_unit: float
    unit_cost: float
    substitutes: tuple[Substitute, ...] = ()

    def __post_init__(self) -> None:
        if not self.material_id:
            raise InvalidInput("material_id must not be empty", field="material_id")
        require_non_negative(self.qty_per_unit, "qty_per_unit")
        require_non_negative(self.unit_cost, "unit_cost")
        object.__setattr__(self, "substitutes", tuple(self.substitutes))


@dataclass(frozen=True, slots=True)
class ProductSpec:
    """What one unit of a variant needs: materials, minutes, weight."""

    materials: tuple[MaterialLine, ...]
    staffed_minutes_per_unit: float = 0.0
    machine_minutes_per_unit: float = 0.0
    weight_kg: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "materials", tuple(self.materials))
        require_non_negative(self.staffed_minutes_per_unit, "staffed_minutes_per_unit")
        require_non_negative(self.machine_minutes_per_unit, "machine_minutes_per_unit")
        require_non_negative(self.weight_kg, "weight_kg")
        ids = [m.material_id for m in self.materials]
        if len(set(ids)) != len(ids):
            raise InvalidInput("a material appears twice in the BOM", field="materials")


@dataclass(frozen=True, slots=True)
class SiteRates:
    """A site's rates: staff and machine per hour, one setup, overhead, production emissions."""

    staff_rate_per_hour: float
    machine_rate_per_hour: float = 0.0
    setup_cost: float = 0.0
    overhead_rate: float = 0.0
    production_kg_co2e_per_unit: float = 0.0

    def __post_init__(self) -> None:
        for name in ("staff_rate_per_hour", "machine_rate_per_hour", "setup_cost",
                     "overhead_rate", "production_kg_co2e_per_unit"):
            require_non_negative(getattr(self, name), name)


@dataclass(frozen=True, slots=True)
class Shipment:
    """The delivery leg: from the site to the customer (lat, lon), by mode, units per shipment.

    ``units_per_shipment`` None means the whole batch travels together.
    """

    origin: tuple[float, float]
    destination: tuple[float, float]
    mode: str
    units_per_shipment: int | None = 1

    def __post_init__(self) -> None:
        if self.units_per_shipment is not None and self.units_per_shipment < 1:
            raise InvalidInput("units_per_shipment must be >= 1", field="units_per_shipment")


@dataclass(frozen=True, slots=True)
class MaterialChoice:
    """The material used for one BOM line and its cost per unit of product."""

    line_id: str
    material_id: str
    qty_per_unit: float
    unit_price: float

    @property
    def cost_per_unit(self) -> float:
        return self.qty_per_unit * self.unit_price

    @property
    def substituted(self) -> bool:
        return self.line_id != self.material_id


@dataclass(frozen=True, slots=True)
class UnitCost:
    """Cost of one unit of a variant at a site, for a batch size, by part."""

    batch_units: int
    materials: float
    staff: float
    machine: float
    setup: float
    overhead: float
    logistics: float
    carbon: float
    kg_co2e: float
    choices: tuple[MaterialChoice, ...]

    @property
    def total(self) -> float:
        return (self.materials + self.staff + self.machine + self.setup + self.overhead
                + self.logistics + self.carbon)

    def as_dict(self) -> dict[str, object]:
        parts = ("materials", "staff", "machine", "setup", "overhead", "logistics", "carbon",
                 "kg_co2e")
        out: dict[str, object] = {"batch_units": self.batch_units}
        out.update({p: round(getattr(self, p), 6) for p in parts})
        out["total"] = round(self.total, 6)
        out["choices"] = [{"line": c.line_id, "material": c.material_id, "qty": c.qty_per_unit,
                           "cost": round(c.cost_per_unit, 6)} for c in self.choices]
        return out


@dataclass(frozen=True, slots=True)
class PriceSuggestion:
    """A price for a target margin on price: ``price = cost / (1 - margin)``."""

    cost: float
    margin: float
    price: float

    @property
    def markup(self) -> float:
        return self.price / self.cost - 1.0 if self.cost > 0 else 0.0


def choose_material(line: MaterialLine, use_substitutes: bool = True) -> MaterialChoice:
    """The cheapest approved alternative for ``line`` (the original wins ties)."""
    best = MaterialChoice(line.material_id, line.material_id, line.qty_per_unit, line.unit_cost)
    if not use_substitutes:
        return best
    for sub in line.substitutes:
        qty = line.qty_per_unit * sub.qty_factor
        if qty * sub.unit_cost < best.cost_per_unit:
            best = MaterialChoice(line.material_id, sub.material_id, qty, sub.unit_cost)
    return best


def unit_cost(product: ProductSpec, site: SiteRates, batch_units: int, params: CostParams,
              shipment: Shipment | None = None, use_substitutes: bool = True) -> UnitCost:
    """Unit cost of ``product`` at ``site`` made in batches of ``batch_units``."""
    if batch_units < 1:
        raise InvalidInput("batch_units must be >= 1", field="batch_units")
    choices = tuple(choose_material(m, use_substitutes) for m in product.materials)
    job = ProductionInput(
        units=batch_units,
        bom=tuple(BomLine(c.material_id, c.qty_per_unit * batch_units, c.unit_price)
                  for c in choices),
        staffed_minutes_per_unit=product.staffed_minutes_per_unit,
        machine_minutes_per_unit=product.machine_minutes_per_unit,
        staff_rate_per_hour=site.staff_rate_per_hour,
        machine_rate_per_hour=site.machine_rate_per_hour,
        setup_cost=site.setup_cost, batch_units=batch_units)
    prod = production_cost(job, setup_mode="per_batch")
    logistics, transport_kg = 0.0, 0.0
    if shipment is not None:
        per = shipment.units_per_shipment or batch_units
        leg = transport_cost(shipment.origin, shipment.destination, shipment.mode,
                             product.weight_kg * per, params)
        logistics, transport_kg = leg.total / per, leg.kg_co2e / per
    kg = transport_kg + site.production_kg_co2e_per_unit
    conversion = (prod.staff + prod.machine + prod.setup) / batch_units
    return UnitCost(
        batch_units=batch_units, materials=prod.materials / batch_units,
        staff=prod.staff / batch_units, machine=prod.machine / batch_units,
        setup=prod.setup / batch_units, overhead=site.overhead_rate * conversion,
        logistics=logistics, carbon=carbon_cost(kg, params).total, kg_co2e=kg, choices=choices)


def cost_curve(product: ProductSpec, site: SiteRates, batch_sizes: list[int], params: CostParams,
               shipment: Shipment | None = None) -> list[UnitCost]:
    """Unit cost at each batch size (setup per unit falls as ``setup_cost / batch``)."""
    return [unit_cost(product, site, b, params, shipment) for b in batch_sizes]


def suggest_price(cost: float, margin: float) -> PriceSuggestion:
    """Price giving ``margin`` of the price as profit: ``cost / (1 - margin)``."""
    require_non_negative(cost, "cost")
    require_fraction(margin, "margin", upper_open=True)
    return PriceSuggestion(cost=cost, margin=margin, price=cost / (1.0 - margin))


def with_material_price(product: ProductSpec, material_id: str, unit_cost_: float) -> ProductSpec:
    """``product`` with a new unit cost for ``material_id`` wherever it appears (line or substitute)."""
    lines = []
    for line in product.materials:
        subs = tuple(replace(s, unit_cost=unit_cost_) if s.material_id == material_id else s
                     for s in line.substitutes)
        cost = unit_cost_ if line.material_id == material_id else line.unit_cost
        lines.append(replace(line, unit_cost=cost, substitutes=subs))
    return replace(product, materials=tuple(lines))
