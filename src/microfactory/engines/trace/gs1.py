"""GS1 identifiers: GTIN check digits, Digital Link URIs, LGTIN / SGTIN / SGLN URNs.

Rules from GS1's machine-readable sources as summarised in the project's reference notes
(GS1 General Specifications check digit; GS1 Barcode Syntax Dictionary and Syntax Engine
for Digital Link): the GTIN is always written with 14 digits in a Digital Link; key
qualifiers come in the order 22, 10, 21; values use GS1 character set 82, 1-20 characters;
on output every character outside ``A-Z a-z 0-9 - . _ ~`` is percent-encoded with
upper-case hex; on input any percent-encoding is accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote, unquote_plus, urlsplit

from microfactory.errors import InvalidInput

CANONICAL_STEM = "https://id.gs1.org"
_CSET82 = re.compile(r"^[A-Za-z0-9!\"%&'()*+,\-./:;<=>?_]{1,20}$")
_QUALIFIERS: tuple[tuple[str, str], ...] = (("22", "cpv"), ("10", "lot"), ("21", "serial"))
_DIGITS = re.compile(r"^[0-9]+$")


def check_digit(data: str) -> int:
    """GS1 check digit for the data digits (everything but the check digit)."""
    if not _DIGITS.match(data or ""):
        raise InvalidInput(f"GS1 data must be digits, got {data!r}", field="gtin")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(data)))
    return (10 - total % 10) % 10


def is_valid_gtin(gtin: str) -> bool:
    """True for an 8, 12, 13 or 14 digit GTIN whose last digit is its check digit."""
    if not isinstance(gtin, str) or len(gtin) not in (8, 12, 13, 14) or not _DIGITS.match(gtin):
        return False
    return check_digit(gtin[:-1]) == int(gtin[-1])


def gtin14(gtin: str) -> str:
    """The GTIN padded to 14 digits with leading zeros, after checking its check digit."""
    if not is_valid_gtin(gtin):
        raise InvalidInput(f"{gtin!r} is not a valid GTIN (8/12/13/14 digits with a correct "
                           "check digit)", field="gtin")
    return gtin.zfill(14)


def make_gtin(company_prefix: str, item_reference: str, indicator: str = "0") -> str:
    """GTIN-14 from indicator digit + GS1 Company Prefix + item reference + check digit."""
    if not (_DIGITS.match(company_prefix or "") and 6 <= len(company_prefix) <= 12):
        raise InvalidInput("company prefix must be 6-12 digits", field="company_prefix")
    if not (_DIGITS.match(indicator or "") and len(indicator) == 1):
        raise InvalidInput("indicator must be one digit", field="indicator")
    if not _DIGITS.match(item_reference or "") or len(company_prefix + item_reference) != 12:
        raise InvalidInput(f"item reference must be {12 - len(company_prefix)} digits for a "
                           f"{len(company_prefix)}-digit company prefix",
                           field="item_reference")
    data = indicator + company_prefix + item_reference
    return data + str(check_digit(data))


def _check_value(name: str, value: str) -> None:
    if not _CSET82.match(value):
        raise InvalidInput(f"{name} {value!r} must be 1-20 characters of GS1 character set 82",
                           field=name)


def _encode(value: str) -> str:
    return quote(value, safe="-._~")


@dataclass(frozen=True, slots=True)
class DigitalLink:
    """The parts of a GS1 Digital Link URI for a trade item."""

    gtin: str
    lot: str | None = None
    serial: str | None = None
    cpv: str | None = None
    stem: str = CANONICAL_STEM
    attributes: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "gtin", gtin14(self.gtin))
        for name in ("cpv", "lot", "serial"):
            value = getattr(self, name)
            if value is not None:
                _check_value(name, value)
        if not re.match(r"^https?://[^/?#]+(/[^?#]*)?$", self.stem, re.IGNORECASE) \
                or self.stem.endswith("/"):
            raise InvalidInput(f"stem {self.stem!r} must be http(s)://domain[/path] without a "
                               "trailing slash", field="stem")
        for ai, value in self.attributes:
            if not _DIGITS.match(ai) or ai in ("01", "10", "21", "22", "235") or not value:
                raise InvalidInput(f"attribute {ai!r} is not a data attribute", field="attributes")

    def uri(self) -> str:
        """The URI: stem, /01/gtin, then 22, 10, 21 in that order, then the query string."""
        parts = [self.stem, "01", self.gtin]
        for ai, name in _QUALIFIERS:
            value = getattr(self, name)
            if value is not None:
                parts += [ai, _encode(value)]
        uri = "/".join(parts)
        if self.attributes:
            uri += "?" + "&".join(f"{ai}={_encode(v)}" for ai, v in self.attributes)
        return uri


def _split_path(path: str) -> tuple[str, list[str]]:
    """Split a path into the stem's own path and the segments from the '01' key onward."""
    segments = path.split("/")
    for i in range(len(segments) - 1, -1, -1):
        if segments[i] == "01" and i + 1 < len(segments) and len(segments) - i - 2 <= 6 \
                and (len(segments) - i) % 2 == 0:
            return "/".join(segments[:i]), segments[i:]
    raise InvalidInput("no /01/{gtin} primary key in the path", field="uri")


def parse_digital_link(uri: str) -> DigitalLink:
    """Parse a Digital Link URI for a trade item; refuses bad order, keys and check digits."""
    parts = urlsplit(uri)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise InvalidInput(f"{uri!r} is not an http(s) URI", field="uri")
    own_path, keys = _split_path(parts.path)
    values: dict[str, str] = {}
    order = [ai for ai, _ in _QUALIFIERS]
    last = -1
    for ai, raw in zip(keys[2::2], keys[3::2]):
        if ai not in order or order.index(ai) <= last:
            raise InvalidInput(f"qualifier /{ai}/ is unknown or out of order (22, 10, 21)",
                               field="uri")
        last = order.index(ai)
        values[ai] = _decode(raw)
    attributes = []
    for pair in filter(None, parts.query.split("&")):
        ai, _, raw = pair.partition("=")
        attributes.append((ai, _decode(raw, query=True)))
    stem = f"{parts.scheme}://{parts.netloc}{own_path}"
    gtin = _decode(keys[1])
    if len(gtin) != 14:
        raise InvalidInput(f"GTIN {gtin!r} in a Digital Link must have 14 digits", field="uri")
    return DigitalLink(gtin=gtin, lot=values.get("10"), serial=values.get("21"),
                       cpv=values.get("22"), stem=stem, attributes=tuple(attributes))


def _decode(raw: str, query: bool = False) -> str:
    value = unquote_plus(raw) if query else unquote(raw)
    if "\x00" in value:
        raise InvalidInput("a value decodes to a NUL byte", field="uri")
    return value


def _split_gtin(gtin: str, company_prefix_length: int) -> tuple[str, str]:
    """(company prefix, indicator + item reference) of a GTIN-14 for EPC URNs."""
    g = gtin14(gtin)
    if not 6 <= company_prefix_length <= 12:
        raise InvalidInput("company prefix length must be 6-12", field="company_prefix_length")
    prefix = g[1: 1 + company_prefix_length]
    return prefix, g[0] + g[1 + company_prefix_length: 13]


def lgtin_urn(gtin: str, lot: str, company_prefix_length: int) -> str:
    """Class-level EPC URN of a GTIN + lot: ``urn:epc:class:lgtin:GCP.IIIII.LOT``."""
    _check_value("lot", lot)
    prefix, item = _split_gtin(gtin, company_prefix_length)
    return f"urn:epc:class:lgtin:{prefix}.{item}.{_encode(lot)}"


def sgtin_urn(gtin: str, serial: str, company_prefix_length: int) -> str:
    """Instance-level EPC URN of a serialised item: ``urn:epc:id:sgtin:GCP.IIIII.SERIAL``."""
    _check_value("serial", serial)
    prefix, item = _split_gtin(gtin, company_prefix_length)
    return f"urn:epc:id:sgtin:{prefix}.{item}.{_encode(serial)}"


def sgln_urn(gln: str, company_prefix_length: int, extension: str = "0") -> str:
    """Location EPC URN for a site (or a line in it): ``urn:epc:id:sgln:GCP.LOCREF.EXT``."""
    if not (isinstance(gln, str) and len(gln) == 13 and _DIGITS.match(gln)
            and check_digit(gln[:-1]) == int(gln[-1])):
        raise InvalidInput(f"{gln!r} is not a valid 13-digit GLN", field="gln")
    if not 6 <= company_prefix_length <= 12:
        raise InvalidInput("company prefix length must be 6-12", field="company_prefix_length")
    _check_value("extension", extension)
    prefix, location = gln[:company_prefix_length], gln[company_prefix_length:12]
    return f"urn:epc:id:sgln:{prefix}.{location}.{_encode(extension)}"


def make_gln(company_prefix: str, location_reference: str) -> str:
    """GLN (13 digits) from a company prefix and location reference, with its check digit."""
    data = company_prefix + location_reference
    if not _DIGITS.match(data) or len(data) != 12 or not 6 <= len(company_prefix) <= 12:
        raise InvalidInput("company prefix + location reference must be 12 digits",
                           field="location_reference")
    return data + str(check_digit(data))


def sscc_urn(company_prefix: str, serial_reference: int, extension: str = "0") -> str:
    """Logistic unit EPC URN ``urn:epc:id:sscc:GCP.EXT+SERIAL`` (17 digits without check digit)."""
    if not (_DIGITS.match(company_prefix) and 6 <= len(company_prefix) <= 12):
        raise InvalidInput("company prefix must be 6-12 digits", field="company_prefix")
    if not (len(extension) == 1 and extension.isdigit()):
        raise InvalidInput("extension digit must be one digit", field="extension")
    width = 16 - len(company_prefix)
    if not 0 <= serial_reference < 10 ** width:
        raise InvalidInput(f"serial reference must have at most {width} digits", field="serial_reference")
    return f"urn:epc:id:sscc:{company_prefix}.{extension}{serial_reference:0{width}d}"
