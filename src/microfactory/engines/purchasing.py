"""Material requirements and purchase suggestions to local suppliers.

**Netting.** Gross requirements are plain ``(site, material, quantity, need_date)`` lines
(the exploded BOMs of planned batches, campaigns and stock policies, built by the
services). Per site and material::

    net = max(0, sum(gross) - on_hand - on_order + reserved)

``reserved`` stock is already promised elsewhere, so it adds back. The net line's need
date is the date of the first gross line the available stock no longer covers when
lines are taken in date order (on-order stock is assumed to arrive in time).

**Buying.** For each net line every supplier offering the material is priced at the
quantity ``max(net, minimum order)`` and at every larger price-break threshold (buying
up to a break can cost less in total); each option orders on ``need_date - lead_time``.
Options that can still arrive in time are preferred, then the lowest total cost. When
the material is *short* (nobody offers it, or no offer arrives in time) or its best unit
price *jumps* above ``reference_price * (1 + price_jump_threshold)``, an approved
substitute (1:1) that arrives in time at a normal price is bought instead. A line that
can only arrive late is ordered today and flagged ``late``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from microfactory.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class GrossRequirement:
    site: str
    material: str
    quantity: float
    need_date: date

    def __post_init__(self) -> None:
        if not (self.quantity >= 0 and math.isfinite(self.quantity)):
            raise InvalidInput(f"{self.site}/{self.material}: quantity must be >= 0", field="quantity")


@dataclass(frozen=True, slots=True)
class MaterialStock:
    site: str
    material: str
    on_hand: float = 0.0
    on_order: float = 0.0
    reserved: float = 0.0

    def __post_init__(self) -> None:
        if min(self.on_hand, self.on_order, self.reserved) < 0:
            raise InvalidInput(f"{self.site}/{self.material}: stock must be >= 0", field="on_hand")

    @property
    def available(self) -> float:
        return self.on_hand + self.on_order - self.reserved


@dataclass(frozen=True, slots=True)
class NetRequirement:
    site: str
    material: str
    quantity: float
    need_date: date


def net_requirements(gross: Iterable[GrossRequirement],
                     stock: Iterable[MaterialStock]) -> tuple[NetRequirement, ...]:
    """Net requirement per site and material (module doc), sorted by site then material."""
    available = {(s.site, s.material): s.available for s in stock}
    lines: dict[tuple[str, str], list[GrossRequirement]] = defaultdict(list)
    for line in gross:
        lines[(line.site, line.material)].append(line)
    out = []
    for key in sorted(lines):
        left = available.get(key, 0.0)
        first_short: date | None = None
        for line in sorted(lines[key], key=lambda g: g.need_date):
            left -= line.quantity
            if left < -1e-9 and first_short is None:
                first_short = line.need_date
        if first_short is not None:
            out.append(NetRequirement(key[0], key[1], -left, first_short))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class PriceBreak:
    min_quantity: float
    unit_price: float


@dataclass(frozen=True, slots=True)
class SupplierOffer:
    material: str
    lead_time_days: int
    min_order: float
    price_breaks: tuple[PriceBreak, ...]

    def __post_init__(self) -> None:
        if self.lead_time_days < 0 or self.min_order < 0 or not self.price_breaks:
            raise InvalidInput(f"{self.material}: lead time, minimum order >= 0 and a price needed",
                               field="price_breaks")
        if any(b.unit_price < 0 or b.min_quantity < 0 for b in self.price_breaks):
            raise InvalidInput(f"{self.material}: price breaks must be >= 0", field="price_breaks")

    def unit_price(self, quantity: float) -> float | None:
        """Price of the largest break whose threshold ``quantity`` reaches (None below all)."""
        reached = [b for b in self.price_breaks if b.min_quantity <= quantity + 1e-9]
        return max(reached, key=lambda b: b.min_quantity).unit_price if reached else None


@dataclass(frozen=True, slots=True)
class Supplier:
    id: str
    location: tuple[float, float] | None
    offers: tuple[SupplierOffer, ...]


@dataclass(frozen=True, slots=True)
class MaterialInfo:
    """Catalogue facts purchasing needs: a reference price and approved substitutes."""

    id: str
    reference_price: float | None = None
    substitutes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PurchaseSuggestion:
    site: str
    material: str
    supplier: str
    quantity: float
    unit_price: float
    total: float
    order_date: date
    arrival_date: date
    need_date: date
    late: bool
    reason: str
    substitute_for: str | None = None


@dataclass(frozen=True, slots=True)
class PurchasePlan:
    suggestions: tuple[PurchaseSuggestion, ...]
    unfilled: tuple[NetRequirement, ...] = field(default=())

    @property
    def total_cost(self) -> float:
        return sum(s.total for s in self.suggestions)


def _options(supplier: Supplier, offer: SupplierOffer, need: NetRequirement,
             material: str, today: date) -> list[PurchaseSuggestion]:
    base = max(need.quantity, offer.min_order)
    quantities = {base} | {b.min_quantity for b in offer.price_breaks if b.min_quantity > base}
    order_date = need.need_date - timedelta(days=offer.lead_time_days)
    late = order_date < today
    order_date = max(order_date, today)
    out = []
    for q in sorted(quantities):
        price = offer.unit_price(q)
        if price is not None:
            out.append(PurchaseSuggestion(need.site, material, supplier.id, q, price, q * price,
                                          order_date, order_date + timedelta(days=offer.lead_time_days),
                                          need.need_date, late, "cheapest"))
    return out


def _best(suppliers: Iterable[Supplier], need: NetRequirement, material: str,
          today: date) -> PurchaseSuggestion | None:
    options = [opt for s in suppliers for o in s.offers if o.material == material
               for opt in _options(s, o, need, material, today)]
    return min(options, key=lambda o: (o.late, o.total, o.quantity, o.supplier), default=None)


def _jumps(option: PurchaseSuggestion, info: MaterialInfo | None, threshold: float) -> bool:
    ref = info.reference_price if info else None
    return ref is not None and option.unit_price > ref * (1 + threshold) + 1e-9


def _substitute(suppliers: list[Supplier], need: NetRequirement, info: MaterialInfo | None,
                materials: Mapping[str, MaterialInfo], today: date,
                threshold: float) -> PurchaseSuggestion | None:
    candidates = []
    for sub in info.substitutes if info else ():
        option = _best(suppliers, need, sub, today)
        if option is not None and not option.late and not _jumps(option, materials.get(sub), threshold):
            candidates.append(option)
    return min(candidates, key=lambda o: (o.total, o.material), default=None)


def suggest_purchases(needs: Iterable[NetRequirement], suppliers: Iterable[Supplier],
                      materials: Mapping[str, MaterialInfo], today: date,
                      price_jump_threshold: float = 0.2) -> PurchasePlan:
    """One purchase suggestion per net requirement (module doc); ``unfilled`` when nobody sells it."""
    if price_jump_threshold < 0:
        raise InvalidInput("price_jump_threshold must be >= 0", field="price_jump_threshold")
    suppliers = sorted(suppliers, key=lambda s: s.id)
    suggestions, unfilled = [], []
    for need in needs:
        info = materials.get(need.material)
        option = _best(suppliers, need, need.material, today)
        short = option is None or option.late
        jump = option is not None and _jumps(option, info, price_jump_threshold)
        if short or jump:
            sub = _substitute(suppliers, need, info, materials, today, price_jump_threshold)
            if sub is not None:
                why = "substitute: material short" if short else "substitute: price jump"
                option = replace(sub, reason=why, substitute_for=need.material)
        if option is None:
            unfilled.append(need)
        else:
            suggestions.append(option)
    return PurchasePlan(tuple(suggestions), tuple(unfilled))
