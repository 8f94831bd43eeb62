"""Materials, products with option groups, variants and modular BOM explosion (pure)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from microfactory.domain.formula import Formula, FormulaError
from microfactory.errors import InvalidInput

_TEMPLATE = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
NONE_VALUES = frozenset({"", "none", "no"})


@dataclass(frozen=True, slots=True)
class Material:
    """Fabric, trim, thread, label...: stocked in lots, with approved substitutes."""

    id: str
    unit: str
    cost: float
    name: str = ""
    substitutes: tuple[str, ...] = ()
    weight_kg_per_unit: float = 0.0
    origin: str = ""

    def __post_init__(self) -> None:
        if self.cost < 0:
            raise InvalidInput(f"material {self.id}: cost must not be negative", field="cost")
        if self.id in self.substitutes:
            raise InvalidInput(f"material {self.id} cannot substitute itself", field="substitutes")


class OptionKind(str, Enum):
    CHOICE = "choice"
    NUMBER = "number"


@dataclass(frozen=True, slots=True)
class OptionGroup:
    """One option of a product: a choice among values, or a number in a range (made to measure)."""

    name: str
    kind: OptionKind = OptionKind.CHOICE
    values: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    unit: str = ""
    default: str | None = None

    def __post_init__(self) -> None:
        if self.kind is OptionKind.CHOICE and not self.values:
            raise InvalidInput(f"option {self.name}: a choice needs values", field="values")
        if self.kind is OptionKind.NUMBER and (self.min is None or self.max is None or self.min > self.max):
            raise InvalidInput(f"option {self.name}: a number needs min <= max", field="min")
        if self.default is not None:  # canonical, so a defaulted choice gives the same SKU as an explicit one
            object.__setattr__(self, "default", self.normalise(self.default))

    @property
    def required(self) -> bool:
        return self.default is None

    def normalise(self, raw: str) -> str:
        """The canonical text of a value for this option, or InvalidInput."""
        value = raw.strip()
        if self.kind is OptionKind.CHOICE:
            if value not in self.values:
                raise InvalidInput(f"option {self.name}: {value!r} is not one of {', '.join(self.values)}",
                                   field=self.name)
            return value
        try:
            number = float(value)
        except ValueError:
            raise InvalidInput(f"option {self.name}: {value!r} is not a number", field=self.name) from None
        assert self.min is not None and self.max is not None
        if not self.min <= number <= self.max:
            raise InvalidInput(f"option {self.name}: {value} is outside {self.min:g}-{self.max:g} {self.unit}".rstrip(),
                               field=self.name)
        return f"{number:g}"


@dataclass(frozen=True, slots=True)
class Condition:
    """``when``: the option has any value (``values`` empty) or one of ``values``."""

    option: str
    values: tuple[str, ...] = ()

    def holds(self, choices: Mapping[str, str]) -> bool:
        value = choices.get(self.option, "")
        if not self.values:
            return value.lower() not in NONE_VALUES
        return value in self.values


@dataclass(frozen=True, slots=True)
class BomLine:
    """Per-unit material need; ``material`` may be a template such as ``{fabric}``."""

    material: str
    qty: float | None = None
    formula: Formula | None = None
    scale_with_size: bool = False
    when: tuple[Condition, ...] = ()

    def __post_init__(self) -> None:
        if (self.qty is None) == (self.formula is None):
            raise InvalidInput(f"bom line {self.material}: give exactly one of qty or formula", field="qty")
        if self.qty is not None and self.qty <= 0:
            raise InvalidInput(f"bom line {self.material}: qty must be positive", field="qty")


@dataclass(frozen=True, slots=True)
class Operation:
    """A production step: a process, minutes per unit, a setup key (template allowed), a condition."""

    id: str
    process: str
    minutes_per_unit: float
    setup_key: str = ""
    when: tuple[Condition, ...] = ()

    def __post_init__(self) -> None:
        if self.minutes_per_unit <= 0:
            raise InvalidInput(f"operation {self.id}: minutes_per_unit must be positive", field="minutes_per_unit")


@dataclass(frozen=True, slots=True)
class Product:
    """A style: a base pattern, option groups, a modular BOM and operations."""

    id: str
    brand: str
    name: str
    price: float
    weight_kg: float
    options: tuple[OptionGroup, ...]
    bom: tuple[BomLine, ...]
    operations: tuple[Operation, ...]
    size_option: str | None = None
    size_scale: Mapping[str, float] = field(default_factory=dict)
    family: str = ""
    gtin: str = ""
    care: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        names = [o.name for o in self.options]
        if len(set(names)) != len(names):
            raise InvalidInput(f"product {self.id}: option names repeat", field="options")
        if not self.operations:
            raise InvalidInput(f"product {self.id}: needs at least one operation", field="operations")

    def option(self, name: str) -> OptionGroup:
        for o in self.options:
            if o.name == name:
                return o
        raise InvalidInput(f"product {self.id} has no option {name!r}", field=name)

    @property
    def processes(self) -> frozenset[str]:
        return frozenset(op.process for op in self.operations)


@dataclass(frozen=True, slots=True)
class Variant:
    """A product with every option chosen; its SKU is derived from the choices."""

    product_id: str
    choices: tuple[tuple[str, str], ...]
    measured: frozenset[str] = frozenset()  # names of numeric (made-to-measure) options

    @property
    def sku(self) -> str:
        """Stable: product id, then each choice in option order; measurements carry their name."""
        parts = [self.product_id.upper()]
        for name, value in self.choices:
            code = re.sub(r"[^A-Za-z0-9.]+", "", value).upper() or "X"
            parts.append(f"{name[:3].upper()}{code}" if name in self.measured else code)
        return "-".join(parts)

    def as_dict(self) -> dict[str, str]:
        return dict(self.choices)


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def make_variant(product: Product, raw: Mapping[str, str]) -> Variant:
    """Validate raw choices against the product's options; fill defaults; order canonically."""
    known = {o.name for o in product.options}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise InvalidInput(f"product {product.id} has no option {unknown[0]!r}", field=unknown[0])
    chosen: list[tuple[str, str]] = []
    for group in product.options:
        if group.name in raw:
            chosen.append((group.name, group.normalise(raw[group.name])))
        elif group.default is not None:
            chosen.append((group.name, group.default))
        else:
            raise InvalidInput(f"product {product.id}: option {group.name!r} is required", field=group.name)
    measured = frozenset(o.name for o in product.options if o.kind is OptionKind.NUMBER)
    return Variant(product.id, tuple(chosen), measured)


def parse_options(text: str) -> dict[str, str]:
    """``size=M;fabric=linen`` → {"size": "M", "fabric": "linen"}."""
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        if "=" not in part:
            raise InvalidInput(f"option {part!r} is not name=value", field="options")
        name, value = (s.strip() for s in part.split("=", 1))
        if not name or name in out:
            raise InvalidInput(f"option {name!r} is empty or repeated", field="options")
        out[name] = value
    return out


def format_options(choices: Mapping[str, str]) -> str:
    return ";".join(f"{k}={v}" for k, v in choices.items())


@dataclass(frozen=True, slots=True)
class MaterialNeed:
    """One exploded material line for one unit of a variant."""

    material: str
    qty: float
    unit: str
    unit_cost: float
    substitutes: tuple[str, ...]

    @property
    def cost(self) -> float:
        return self.qty * self.unit_cost


@dataclass(frozen=True, slots=True)
class OperationNeed:
    """One exploded operation for one unit of a variant."""

    id: str
    process: str
    minutes_per_unit: float
    setup_key: str


@dataclass(frozen=True, slots=True)
class ExplodedBom:
    """What one unit of a variant needs: materials and operations, options resolved."""

    sku: str
    product_id: str
    materials: tuple[MaterialNeed, ...]
    operations: tuple[OperationNeed, ...]

    @property
    def material_cost(self) -> float:
        return sum(m.cost for m in self.materials)

    @property
    def minutes(self) -> float:
        return sum(o.minutes_per_unit for o in self.operations)

    @property
    def setup_key(self) -> str:
        """The batch setup key: the first operation's key (cutting decides the batch)."""
        return next((o.setup_key for o in self.operations if o.setup_key), self.product_id)

    def minutes_by_process(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for o in self.operations:
            out[o.process] = out.get(o.process, 0.0) + o.minutes_per_unit
        return out


def fill_template(template: str, choices: Mapping[str, str]) -> str:
    """Replace ``{option}`` with the chosen value."""
    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in choices:
            raise InvalidInput(f"template {template!r} needs option {name!r}", field=name)
        return choices[name]
    return _TEMPLATE.sub(repl, template)


def template_names(template: str) -> set[str]:
    return set(_TEMPLATE.findall(template))


def explode(product: Product, variant: Variant, materials: Mapping[str, Material]) -> ExplodedBom:
    """Resolve the modular BOM of one unit of ``variant``: templates, size scaling, formulas, conditions."""
    choices = variant.as_dict()
    numbers = {k: float(v) for k, v in choices.items() if _is_number(v)}
    scale = product.size_scale.get(choices.get(product.size_option or "", ""), 1.0)
    needs: list[MaterialNeed] = []
    for line in product.bom:
        if not all(c.holds(choices) for c in line.when):
            continue
        material_id = fill_template(line.material, choices)
        material = materials.get(material_id)
        if material is None:
            raise InvalidInput(f"product {product.id}: material {material_id!r} is not in the catalog",
                               field="material")
        try:
            qty = line.qty if line.qty is not None else line.formula.evaluate(numbers)  # type: ignore[union-attr]
        except FormulaError as exc:
            raise InvalidInput(f"product {product.id}: {exc}", field="formula") from exc
        qty = qty * scale if line.scale_with_size else qty
        needs.append(MaterialNeed(material_id, round(qty, 6), material.unit, material.cost, material.substitutes))
    ops = tuple(
        OperationNeed(op.id, op.process, op.minutes_per_unit, fill_template(op.setup_key, choices))
        for op in product.operations if all(c.holds(choices) for c in op.when)
    )
    return ExplodedBom(variant.sku, product.id, tuple(needs), ops)


@dataclass(frozen=True, slots=True)
class Catalog:
    """Every material and product, with lookups."""

    materials: Mapping[str, Material]
    products: Mapping[str, Product]

    def product(self, product_id: str) -> Product:
        found = self.products.get(product_id)
        if found is None:
            raise InvalidInput(f"product {product_id!r} is not in the catalog", field="product")
        return found

    def explode(self, product_id: str, raw_choices: Mapping[str, str]) -> ExplodedBom:
        product = self.product(product_id)
        return explode(product, make_variant(product, raw_choices), self.materials)

    def variants(self, product_id: str, limit: int = 1000) -> list[Variant]:
        """Every combination of the choice options (numeric options left at their default or min)."""
        product = self.product(product_id)
        combos: list[list[tuple[str, str]]] = [[]]
        for group in product.options:
            if group.kind is OptionKind.CHOICE:
                values = list(group.values)
            else:
                values = [group.default if group.default is not None else f"{group.min:g}"]
            combos = [c + [(group.name, v)] for c in combos for v in values][:limit]
        measured = frozenset(o.name for o in product.options if o.kind is OptionKind.NUMBER)
        return [Variant(product.id, tuple(c), measured) for c in combos]
