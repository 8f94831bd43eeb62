"""QR receipts and sewn-in labels: the batch's GS1 Digital Link, care text and carbon footprint.

The QR code is made with segno; both the SVG and the PDF are drawn from segno's module
matrix, so the two outputs carry the same symbol. The PDF is a minimal single-page PDF 1.4
written here (Helvetica, WinAnsi encoding, no embedded font). Care instructions follow the
ISO 3758 categories by name and meaning (``microfactory/data/care``); no symbol artwork.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from xml.sax.saxutils import escape

import segno

from microfactory.engines.trace.gs1 import DigitalLink
from microfactory.errors import InvalidInput

CARE_ORDER: tuple[str, ...] = ("washing", "bleaching", "drying", "ironing", "professional_care")
MM = 72 / 25.4
#: label widths in points: sewn-in label 50 mm, receipt 80 mm; the height follows the text
PAGE_WIDTHS: dict[str, float] = {"sewn_in": 50 * MM, "receipt": 80 * MM}
FONT_SIZE = 7.0
LINE_HEIGHT = 9.0
#: Helvetica's average advance is about 0.5 em on mixed text; used only to wrap lines
_AVG_ADVANCE = 0.5


@dataclass(frozen=True, slots=True)
class CareInstruction:
    """One care treatment by its code, ISO 3758 category and meaning."""

    code: str
    category: str
    meaning: str


@lru_cache(maxsize=1)
def care_catalogue() -> dict[str, CareInstruction]:
    """Every care treatment known to microfactory, by code."""
    text = resources.files("microfactory.data").joinpath("care", "care_symbols.csv") \
        .read_text("utf-8")
    return {r["code"]: CareInstruction(r["code"], r["category"], r["meaning"])
            for r in csv.DictReader(text.splitlines())}


def care_instructions(codes: tuple[str, ...]) -> tuple[CareInstruction, ...]:
    """The named treatments in ISO 3758 order; at most one per category."""
    catalogue = care_catalogue()
    unknown = [c for c in codes if c not in catalogue]
    if unknown:
        raise InvalidInput(f"unknown care codes {unknown}; known: {sorted(catalogue)}",
                           field="care")
    chosen = [catalogue[c] for c in codes]
    categories = [c.category for c in chosen]
    if len(set(categories)) != len(categories):
        raise InvalidInput("give at most one care instruction per category", field="care")
    return tuple(sorted(chosen, key=lambda c: CARE_ORDER.index(c.category)))


@dataclass(frozen=True, slots=True)
class LabelContent:
    """What goes on a receipt or sewn-in label for one batch (or one serialised unit)."""

    link: DigitalLink
    brand: str
    product: str
    care: tuple[str, ...]
    carbon_kg_co2e: float
    made_at: str

    def __post_init__(self) -> None:
        if self.link.lot is None:
            raise InvalidInput("a batch label needs a Digital Link with a lot", field="link")
        if self.carbon_kg_co2e < 0:
            raise InvalidInput("carbon footprint cannot be negative", field="carbon_kg_co2e")
        care_instructions(self.care)

    def lines(self) -> tuple[str, ...]:
        """The text lines printed under the QR code."""
        lines = [self.brand, self.product, f"GTIN {self.link.gtin}  Lot {self.link.lot}"]
        if self.link.serial is not None:
            lines.append(f"Serial {self.link.serial}")
        lines.append(f"Made at {self.made_at}")
        lines += [c.meaning for c in care_instructions(self.care)]
        lines.append(f"Carbon footprint: {self.carbon_kg_co2e:.1f} kg CO2e")
        return tuple(lines)


def qr_matrix(uri: str) -> tuple[tuple[bool, ...], ...]:
    """The QR module matrix (True = dark) of a URI, error correction level M."""
    qr = segno.make(uri, error="m", micro=False, boost_error=False)
    return tuple(tuple(bool(v) for v in row) for row in qr.matrix)


def qr_svg(uri: str, scale: int = 4) -> str:
    """segno's own SVG of the QR code alone."""
    qr = segno.make(uri, error="m", micro=False, boost_error=False)
    return str(qr.svg_inline(scale=scale, border=4))


def _wrap(line: str, width: float) -> list[str]:
    """Greedy word wrap to an approximate text width in points."""
    limit = max(8, int(width / (FONT_SIZE * _AVG_ADVANCE)))
    out: list[str] = []
    current = ""
    for word in line.split():
        if current and len(current) + 1 + len(word) > limit:
            out.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    return out + [current] if current else out


@dataclass(frozen=True, slots=True)
class _Layout:
    width: float
    height: float
    margin: float
    module: float
    matrix: tuple[tuple[bool, ...], ...]
    lines: tuple[str, ...]

    @property
    def text_top(self) -> float:
        """Distance from the top edge to the first text baseline."""
        return self.margin + len(self.matrix) * self.module + 12


def _layout(content: LabelContent, kind: str) -> _Layout:
    """Page size, QR module size and wrapped text for a label kind, in points."""
    if kind not in PAGE_WIDTHS:
        raise InvalidInput(f"label kind is one of {sorted(PAGE_WIDTHS)}", field="kind")
    width, margin = PAGE_WIDTHS[kind], 5 * MM
    matrix = qr_matrix(content.link.uri())
    module = min(width - 2 * margin, 45 * MM) / (len(matrix) + 2)
    lines = tuple(w for line in content.lines() for w in _wrap(line, width - 2 * margin))
    height = margin + (len(matrix) + 2) * module + 12 + LINE_HEIGHT * len(lines) + margin
    return _Layout(width, height, margin + module, module, matrix, lines)


def _dark_modules(matrix: tuple[tuple[bool, ...], ...]) -> list[tuple[int, int]]:
    return [(x, y) for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark]


def label_svg(content: LabelContent, kind: str = "sewn_in") -> str:
    """The label as an SVG document (QR on top, text below)."""
    lay = _layout(content, kind)
    path = "".join(f"M{x} {y}h1v1h-1z" for x, y in _dark_modules(lay.matrix))
    texts = "".join(
        f'<text x="{lay.margin:.1f}" y="{lay.text_top + LINE_HEIGHT * i:.1f}">'
        f"{escape(line)}</text>" for i, line in enumerate(lay.lines))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{lay.width / MM:.1f}mm" '
        f'height="{lay.height / MM:.1f}mm" viewBox="0 0 {lay.width:.1f} {lay.height:.1f}">'
        f"<title>{escape(content.link.uri())}</title>"
        f'<rect width="100%" height="100%" fill="#fff"/>'
        f'<g transform="translate({lay.margin:.2f} {lay.margin:.2f}) scale({lay.module:.4f})">'
        f'<path fill="#000" d="{path}"/></g>'
        f'<g font-family="Helvetica, Arial, sans-serif" font-size="{FONT_SIZE:g}" '
        f'fill="#000">{texts}</g></svg>')


def _pdf_text(line: str) -> str:
    """A PDF string literal in WinAnsi encoding with escapes for ( ) \\ and non-ASCII bytes."""
    out = []
    for byte in line.encode("cp1252", errors="replace"):
        char = chr(byte)
        if char in "()\\":
            out.append("\\" + char)
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\{byte:03o}")
    return "(" + "".join(out) + ")"


def _pdf_content(lay: _Layout) -> bytes:
    top = lay.height - lay.margin
    ops = ["0 g"]
    for x, y in _dark_modules(lay.matrix):
        ops.append(f"{lay.margin + x * lay.module:.2f} {top - (y + 1) * lay.module:.2f} "
                   f"{lay.module:.2f} {lay.module:.2f} re")
    ops.append("f")
    for i, line in enumerate(lay.lines):
        baseline = lay.height - lay.text_top - LINE_HEIGHT * i
        ops.append(f"BT /F1 {FONT_SIZE:g} Tf {lay.margin:.1f} {baseline:.1f} Td "
                   f"{_pdf_text(line)} Tj ET")
    return "\n".join(ops).encode("latin-1")


def label_pdf(content: LabelContent, kind: str = "sewn_in") -> bytes:
    """The label as a one-page PDF 1.4 document."""
    lay = _layout(content, kind)
    width, height = lay.width, lay.height
    stream = _pdf_content(lay)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width:.1f} {height:.1f}] "
         "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>").encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream
        + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n"
            f"startxref\n{xref}\n%%EOF\n").encode()
    return bytes(out)
