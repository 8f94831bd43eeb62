"""The public provenance page's view model (what ``/01/{gtin}/10/{lot}`` shows).

Public means anybody holding the garment can read it, so the view is built from an
explicit allow-list of fields: site and operator *organisation* names, the town or region
of the site, dates, materials and their origin, inspection outcomes and transport
emissions. Worker names, customers, orders, addresses and coordinates are never read.
The inputs are the genealogy and small public-facing records the services fill in;
:func:`provenance_view` copies only the allowed fields.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from microfactory.engines.trace.genealogy import Genealogy, trace_back
from microfactory.engines.trace.gs1 import DigitalLink
from microfactory.errors import InvalidInput, NotFound


@dataclass(frozen=True, slots=True)
class PublicSite:
    """A site as the public may see it: names and town, no address or coordinates."""

    site_id: str
    name: str
    operator: str
    operator_kind: str
    town: str
    country: str


@dataclass(frozen=True, slots=True)
class PublicMaterialLot:
    """A material lot's public description."""

    lot_id: str
    material: str
    composition: str
    origin_country: str
    supplier: str


@dataclass(frozen=True, slots=True)
class PublicInspection:
    """An inspection's outcome (no inspector names)."""

    inspection_id: str
    date: str
    plan: str
    passed: bool
    defects_per_hundred_units: float


@dataclass(frozen=True, slots=True)
class TransportLeg:
    """A transport leg of the item or its materials, summarised."""

    stage: str
    mode: str
    distance_km: float
    kg_co2e: float


@dataclass(frozen=True, slots=True)
class ProvenanceView:
    """Everything the public page renders, nothing more."""

    uri: str
    gtin: str
    lot: str
    brand: str
    product: str
    made_from: str
    made_to: str
    sites: tuple[PublicSite, ...]
    people_involved: int
    materials: tuple[PublicMaterialLot, ...]
    inspections: tuple[PublicInspection, ...]
    inspections_passed: bool
    transport: tuple[TransportLeg, ...]
    transport_kg_co2e: float
    product_kg_co2e: float | None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict for the page template and the API."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ProvenanceInput:
    """What the service gathers for one batch; the records may hold more than is shown."""

    link: DigitalLink
    batch_id: str
    brand: str
    product: str
    made_from: str
    made_to: str
    sites: tuple[PublicSite, ...]
    materials: tuple[PublicMaterialLot, ...]
    inspections: tuple[PublicInspection, ...]
    transport: tuple[TransportLeg, ...] = ()
    product_kg_co2e: float | None = None

    def __post_init__(self) -> None:
        if self.link.lot is None:
            raise InvalidInput("the provenance page is per lot: the link needs a lot",
                               field="link")


def _public_site(s: PublicSite) -> PublicSite:
    return PublicSite(s.site_id, s.name, s.operator, s.operator_kind, s.town, s.country)


def _public_lot(m: PublicMaterialLot) -> PublicMaterialLot:
    return PublicMaterialLot(m.lot_id, m.material, m.composition, m.origin_country, m.supplier)


def _public_leg(leg: TransportLeg) -> TransportLeg:
    """A leg as shown to the public: whole kilometres, emissions to 0.1 g."""
    return TransportLeg(leg.stage, leg.mode, round(leg.distance_km), round(leg.kg_co2e, 4))


def provenance_view(graph: Genealogy, inp: ProvenanceInput) -> ProvenanceView:
    """The public view of one batch: sites, materials, inspections and emissions upstream."""
    back = trace_back(graph, inp.batch_id)
    sites = {s.site_id: s for s in inp.sites}
    lots = {m.lot_id: m for m in inp.materials}
    checks = {i.inspection_id: i for i in inp.inspections}
    missing = [s for s in back.sites if s not in sites]
    if missing:
        raise NotFound(f"no public record for sites {missing}", field="sites")
    inspections = tuple(checks[i] for i in back.inspections if i in checks)
    # legs to customers belong to orders, not to the lot, and would hint at addresses
    legs = tuple(_public_leg(leg) for leg in inp.transport if leg.stage != "to_customer")
    assert inp.link.lot is not None
    return ProvenanceView(
        uri=inp.link.uri(), gtin=inp.link.gtin, lot=inp.link.lot, brand=inp.brand,
        product=inp.product, made_from=inp.made_from, made_to=inp.made_to,
        sites=tuple(_public_site(sites[s]) for s in back.sites),
        people_involved=len(back.workers),
        materials=tuple(_public_lot(lots[lot]) for lot in back.lots if lot in lots),
        inspections=tuple(PublicInspection(i.inspection_id, i.date, i.plan, i.passed,
                                           round(i.defects_per_hundred_units, 1))
                          for i in inspections),
        inspections_passed=bool(inspections) and all(i.passed for i in inspections),
        transport=legs,
        transport_kg_co2e=round(sum(leg.kg_co2e for leg in legs), 4),
        product_kg_co2e=inp.product_kg_co2e,
    )
