"""GTIN check digits, Digital Link URIs and EPC URNs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microfactory.engines.trace import (
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
)
from microfactory.errors import InvalidInput

CSET82 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!\"%&'()*+,-./:;<=>?_"


def test_worked_check_digit_examples() -> None:
    """The reference's two worked examples: 0952123454321 -> 3 and 0952123400010 -> 5."""
    assert check_digit("0952123454321") == 3
    assert check_digit("0952123400010") == 5


def test_gtin_validation() -> None:
    """Reference GTINs are valid; a wrong check digit, a letter or 11 digits are not."""
    for gtin in ("09521234543213", "09521234000105", "09521234000013", "09521234000020",
                 "9521234543213"):
        assert is_valid_gtin(gtin)
    for gtin in ("09521234000104", "0952123400010X", "95212345432", ""):
        assert not is_valid_gtin(gtin)


def test_gtin14_pads_with_zeros() -> None:
    """A GTIN-13 is written with a leading zero inside AI (01)."""
    assert gtin14("9521234543213") == "09521234543213"
    with pytest.raises(InvalidInput):
        gtin14("9521234543214")


def test_make_gtin_from_prefix_and_item_reference() -> None:
    """Prefix 9521234 + item reference 00010 + indicator 0 gives 09521234000105."""
    assert make_gtin("9521234", "00010") == "09521234000105"
    with pytest.raises(InvalidInput):
        make_gtin("9521234", "0001")


def test_reference_digital_link_examples() -> None:
    """The URIs of the reference are built exactly, qualifiers in the order 22, 10, 21."""
    base = "https://id.gs1.org/01/09521234000105"
    assert DigitalLink("09521234000105").uri() == base
    assert DigitalLink("09521234000105", lot="J32-250412").uri() == base + "/10/J32-250412"
    assert DigitalLink("09521234000105", lot="J32-250412", cpv="INDIGO").uri() == \
        base + "/22/INDIGO/10/J32-250412"
    assert DigitalLink("09521234000105", lot="J32-250412", serial="0007").uri() == \
        base + "/10/J32-250412/21/0007"
    assert DigitalLink("09521234000105", lot="J32-250412", attributes=(("11", "250412"),)) \
        .uri() == base + "/10/J32-250412?11=250412"


def test_percent_encoding_of_reserved_characters() -> None:
    """Lot A/B&C is written A%2FB%26C and 12+3 as 12%2B3; both parse back."""
    assert DigitalLink("09521234000105", lot="A/B&C").uri().endswith("/10/A%2FB%26C")
    assert DigitalLink("09521234000105", lot="12+3").uri().endswith("/10/12%2B3")
    assert parse_digital_link("https://id.gs1.org/01/09521234000105/10/12%2B3").lot == "12+3"


def test_parse_brand_resolver_with_own_path() -> None:
    """A brand resolver with its own path keeps the path in the stem."""
    link = parse_digital_link("https://dpp.example.com/p/01/09521234000105/10/J32-250412")
    assert (link.stem, link.gtin, link.lot) == ("https://dpp.example.com/p", "09521234000105",
                                                "J32-250412")


@pytest.mark.parametrize("uri", [
    "https://id.gs1.org/01/09521234000105/10/J32-250412/22/INDIGO",
    "https://id.gs1.org/01/9521234000105/10/J32",
    "https://id.gs1.org/01/09521234000104",
    "ftp://id.gs1.org/01/09521234000105",
    "https://id.gs1.org/10/J32",
])
def test_invalid_digital_links_are_refused(uri: str) -> None:
    """Wrong qualifier order, 13 digits, a bad check digit, a non-http scheme, no key."""
    with pytest.raises(InvalidInput):
        parse_digital_link(uri)


def test_value_outside_character_set_82_is_refused() -> None:
    """A space or # is not in GS1 character set 82, and 21 characters are too many."""
    for lot in ("J 32", "J#32", "X" * 21, ""):
        with pytest.raises(InvalidInput):
            DigitalLink("09521234000105", lot=lot)


_values = st.text(alphabet=CSET82, min_size=1, max_size=20)


@given(item=st.from_regex(r"[0-9]{5}", fullmatch=True), lot=st.none() | _values,
       serial=st.none() | _values, cpv=st.none() | _values)
def test_digital_link_round_trip(item: str, lot: str | None, serial: str | None,
                                 cpv: str | None) -> None:
    """Any set-82 values survive build -> URI -> parse unchanged."""
    link = DigitalLink(make_gtin("9521234", item), lot=lot, serial=serial, cpv=cpv)
    assert parse_digital_link(link.uri()) == link


def test_epc_urns() -> None:
    """LGTIN, SGTIN and SGLN URNs split the keys at the company prefix as in the reference."""
    assert lgtin_urn("09521234000105", "J32-250412", 7) == \
        "urn:epc:class:lgtin:9521234.000010.J32-250412"
    assert sgtin_urn("09521234000105", "0007", 7) == "urn:epc:id:sgtin:9521234.000010.0007"
    assert sgln_urn("9521234100010", 7) == "urn:epc:id:sgln:9521234.10001.0"
    assert sgln_urn("9521234100010", 7, "SEW01") == "urn:epc:id:sgln:9521234.10001.SEW01"
    assert make_gln("9521234", "10001") == "9521234100010"
    with pytest.raises(InvalidInput):
        sgln_urn("9521234100011", 7)
