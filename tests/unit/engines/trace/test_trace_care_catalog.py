"""Every care code of the example catalogue is known, and SSCCs are well formed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from microfactory.engines.trace import care_catalogue, care_instructions, sscc_urn
from microfactory.errors import InvalidInput

CATALOG = Path(__file__).resolve().parents[4] / "examples" / "berlin" / "catalog.yaml"


def test_every_care_code_of_the_berlin_catalogue_is_known() -> None:
    """Each product's care list resolves to one instruction per ISO 3758 category."""
    products = yaml.safe_load(CATALOG.read_text("utf-8"))["products"]
    for product in products:
        codes = tuple(product.get("care", ()))
        assert set(codes) <= set(care_catalogue()), product["id"]
        assert len(care_instructions(codes)) == len(codes)


def test_sscc_urn_pads_the_serial_to_seventeen_digits() -> None:
    """Company prefix plus extension and serial make 17 digits."""
    urn = sscc_urn("9521234", 42)
    assert urn == "urn:epc:id:sscc:9521234.0000000042"
    assert len(urn.split(":")[-1].replace(".", "")) == 17
    with pytest.raises(InvalidInput):
        sscc_urn("9521234", 10**9)
