"""QR labels (SVG, PDF) with care text, and the public provenance view."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import segno

from microfactory.engines.trace import (
    BatchRecord,
    DigitalLink,
    Genealogy,
    LabelContent,
    LotUse,
    ProvenanceInput,
    PublicInspection,
    PublicMaterialLot,
    PublicSite,
    TransportLeg,
    UnitRecord,
    build_genealogy,
    care_instructions,
    label_pdf,
    label_svg,
    provenance_view,
    qr_matrix,
)
from microfactory.errors import InvalidInput

LINK = DigitalLink("09521234000105", lot="J32-250412")
CARE = ("iron_medium", "wash_30_gentle", "do_not_bleach", "line_dry", "dry_clean_p")


def _content() -> LabelContent:
    return LabelContent(LINK, "Nordjeans", "Straight jeans W32", CARE, 7.84, "Atelier Nord, Leeds")


def test_care_instructions_in_iso_3758_order() -> None:
    """Care codes come out washing, bleaching, drying, ironing, professional care."""
    got = care_instructions(CARE)
    assert [c.category for c in got] == ["washing", "bleaching", "drying", "ironing",
                                         "professional_care"]
    assert got[0].meaning == "Wash at 30 °C maximum gentle cycle"
    with pytest.raises(InvalidInput):
        care_instructions(("wash_30", "wash_40"))
    with pytest.raises(InvalidInput):
        care_instructions(("wash_cold_with_love",))


def test_label_lines_carry_link_care_and_carbon() -> None:
    """The text names the GTIN, lot, care in words and the carbon footprint."""
    lines = _content().lines()
    assert "GTIN 09521234000105  Lot J32-250412" in lines
    assert "Do not bleach" in lines and "Carbon footprint: 7.8 kg CO2e" in lines


def test_svg_label_is_valid_xml_with_the_qr_modules() -> None:
    """The SVG parses, names the Digital Link and draws one square per dark QR module."""
    svg = label_svg(_content(), "sewn_in")
    root = ET.fromstring(svg)
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert root.find("s:title", ns).text == LINK.uri()  # type: ignore[union-attr]
    path = root.find(".//s:path", ns).get("d")  # type: ignore[union-attr]
    dark = sum(v for row in qr_matrix(LINK.uri()) for v in row)
    assert path.count("h1v1h-1z") == dark
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Line dry" in texts


def test_qr_matrix_is_segnos_symbol_for_the_link() -> None:
    """The drawn matrix is segno's encoding of the Digital Link URI."""
    expected = segno.make(LINK.uri(), error="m", micro=False, boost_error=False)
    assert qr_matrix(LINK.uri()) == tuple(tuple(bool(v) for v in r) for r in expected.matrix)


def test_pdf_structure_is_consistent() -> None:
    """The PDF's xref offsets point at its objects and startxref at the xref table."""
    pdf = label_pdf(_content(), "receipt")
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    startxref = int(re.search(rb"startxref\n(\d+)", pdf).group(1))  # type: ignore[union-attr]
    assert pdf[startxref:].startswith(b"xref\n0 6\n")
    offsets = re.findall(rb"(\d{10}) 00000 n ", pdf[startxref:])
    for number, offset in enumerate(offsets, start=1):
        assert pdf[int(offset):].startswith(f"{number} 0 obj".encode())
    length = int(re.search(rb"/Length (\d+)", pdf).group(1))  # type: ignore[union-attr]
    start = pdf.index(b"stream\n") + len(b"stream\n")
    assert pdf[start + length:].startswith(b"\nendstream")
    assert b"(Wash at 30 \\260C maximum gentle cycle) Tj" in pdf


def test_pdf_renders_and_its_qr_scans_to_the_link(tmp_path: Path) -> None:
    """pdftoppm renders the label and zbarimg reads the Digital Link back from the image."""
    missing = [tool for tool in ("pdftoppm", "zbarimg") if shutil.which(tool) is None]
    assert not missing, f"{missing} missing: `make test` installs poppler-utils and zbar-tools (scripts/ensure-chromium.sh)"
    (tmp_path / "label.pdf").write_bytes(label_pdf(_content(), "sewn_in"))
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(tmp_path / "label.pdf"),
                    str(tmp_path / "page")], check=True, timeout=30)
    (png,) = tmp_path.glob("page*.png")
    out = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True, text=True,
                         timeout=30, check=False)
    assert out.stdout.strip() == LINK.uri()


def _public_inputs() -> tuple[Genealogy, ProvenanceInput]:
    batches = (BatchRecord("B1", "leeds", (LotUse("DNM-A", 58.5), LotUse("PKT-7", 9.0)),
                           "J32-250412", workers=("Alice Worker", "Bob Stitcher"),
                           inspections=("I-1",)),)
    units = (UnitRecord("u1", "B1", "ORD-Jane-Customer"),)
    graph = build_genealogy(batches, units, (("ORD-Jane-Customer", "B1"),))
    inp = ProvenanceInput(
        link=LINK, batch_id="B1", brand="Nordjeans", product="Straight jeans W32",
        made_from="2025-04-12", made_to="2025-04-12",
        sites=(PublicSite("leeds", "Atelier Nord", "Nord Collective Ltd", "partner", "Leeds",
                          "GB"),),
        materials=(PublicMaterialLot("DNM-A", "denim 12 oz", "98% cotton, 2% elastane", "IT",
                                     "Tessitura Alta"),
                   PublicMaterialLot("PKT-7", "pocketing", "100% cotton", "PT", "Fios Lda")),
        inspections=(PublicInspection("I-1", "2025-04-12", "AQL 2.5 level II n=50 3/4", True,
                                      4.0),),
        transport=(TransportLeg("materials", "truck", 1210.4, 3.1234),
                   TransportLeg("to_customer", "cargo_bike", 3.7, 0.0004)),
        product_kg_co2e=7.84)
    return graph, inp


def test_provenance_view_shows_where_when_what() -> None:
    """The view names the site, its operator, both materials and origins, and the passed inspection."""
    graph, inp = _public_inputs()
    view = provenance_view(graph, inp)
    assert view.uri == LINK.uri() and view.sites[0].name == "Atelier Nord"
    assert [m.origin_country for m in view.materials] == ["IT", "PT"]
    assert view.inspections_passed and view.people_involved == 2
    assert view.transport_kg_co2e == pytest.approx(3.1234)  # to 0.1 g


def test_provenance_view_leaks_no_personal_or_customer_data() -> None:
    """No worker or customer names, order ids, emails, addresses or coordinates reach the page."""
    graph, inp = _public_inputs()
    text = json.dumps(provenance_view(graph, inp).to_dict())
    for secret in ("Alice", "Bob", "Jane", "ORD-", "u1", "cargo_bike", "3.7"):
        assert secret not in text
    assert not re.search(r"[\w.]+@[\w.]+", text)
    assert not re.search(r"\b(lat|lon|latitude|longitude|address|email|customer)\b", text)
