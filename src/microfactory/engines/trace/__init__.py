"""Traceability engine: GS1 identifiers, EPCIS 2.0 events, hash chain, genealogy, labels."""

from microfactory.engines.trace.chain import (
    Anchor,
    ChainEntry,
    ChainProblem,
    ChainReport,
    anchor,
    append,
    canonical_json,
    verify_chain,
)
from microfactory.engines.trace.epcis import (
    BizTransaction,
    QuantityItem,
    TraceEvent,
    biz_transaction_uri,
    document_from_jsonld,
    epcis_document,
    event_to_jsonld,
    export_batch,
    export_order,
    select_events,
)
from microfactory.engines.trace.genealogy import (
    BackTrace,
    BatchRecord,
    ForwardTrace,
    Genealogy,
    LotUse,
    UnitRecord,
    build_genealogy,
    trace_back,
    trace_forward,
)
from microfactory.engines.trace.gs1 import (
    DigitalLink,
    check_digit,
    gtin14,
    is_valid_gtin,
    lgtin_urn,
    make_gln,
    make_gtin,
    parse_digital_link,
    sgln_urn,
    sgtin_urn,
    sscc_urn,
)
from microfactory.engines.trace.labels import (
    CareInstruction,
    LabelContent,
    care_catalogue,
    care_instructions,
    label_pdf,
    label_svg,
    qr_matrix,
    qr_svg,
)
from microfactory.engines.trace.provenance import (
    ProvenanceInput,
    ProvenanceView,
    PublicInspection,
    PublicMaterialLot,
    PublicSite,
    TransportLeg,
    provenance_view,
)

__all__ = [
    "Anchor", "BackTrace", "BatchRecord", "BizTransaction", "CareInstruction", "ChainEntry",
    "ChainProblem", "ChainReport", "DigitalLink", "ForwardTrace", "Genealogy", "LabelContent",
    "LotUse", "ProvenanceInput", "ProvenanceView", "PublicInspection", "PublicMaterialLot",
    "PublicSite", "QuantityItem", "TraceEvent", "TransportLeg", "UnitRecord", "anchor",
    "append", "biz_transaction_uri", "build_genealogy", "canonical_json", "care_catalogue",
    "care_instructions", "check_digit", "document_from_jsonld", "epcis_document", "event_to_jsonld", "export_batch",
    "export_order", "gtin14", "is_valid_gtin", "label_pdf", "label_svg", "lgtin_urn",
    "make_gln", "make_gtin", "parse_digital_link", "provenance_view", "qr_matrix", "qr_svg",
    "select_events", "sgln_urn", "sgtin_urn", "sscc_urn", "trace_back", "trace_forward", "verify_chain",
]
