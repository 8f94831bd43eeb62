"""Catalog and modular BOM explosion: templates, size scaling, formulas, conditions, SKUs."""

from __future__ import annotations

from dataclasses import replace

import pytest

from microfactory.domain.catalog import (
    BomLine,
    Catalog,
    Condition,
    ExplodedBom,
    Material,
    Operation,
    OptionGroup,
    OptionKind,
    Product,
    explode,
    fill_template,
    format_options,
    make_variant,
    parse_options,
)
from microfactory.domain.formula import Formula
from microfactory.errors import ErrorCode, InvalidInput

MATERIALS = {
    "denim": Material("denim", "m", 10.0, substitutes=("organic",)),
    "organic": Material("organic", "m", 14.0, substitutes=("denim",)),
    "linen": Material("linen", "m", 12.0),
    "thread": Material("thread", "m", 0.01),
    "emb-thread": Material("emb-thread", "m", 0.02),
    "tee-white": Material("tee-white", "pc", 3.0),
    "tee-black": Material("tee-black", "pc", 3.5),
}


def jean() -> Product:
    """A jean: size-scaled fabric from an option, an optional monogram."""
    return Product(
        id="jean", brand="kiez", name="Jean", price=100.0, weight_kg=0.7,
        options=(OptionGroup("size", values=("30", "32", "34")),
                 OptionGroup("fabric", values=("denim", "organic")),
                 OptionGroup("monogram", values=("none", "initials"), default="none")),
        bom=(BomLine("{fabric}", qty=1.5, scale_with_size=True),
             BomLine("thread", qty=200),
             BomLine("emb-thread", qty=25, when=(Condition("monogram"),))),
        operations=(Operation("cut", "cutting", 6, setup_key="cut-{fabric}"),
                    Operation("sew", "sewing", 40),
                    Operation("embroider", "embroidery", 5, when=(Condition("monogram", ("initials",)),))),
        size_option="size", size_scale={"30": 0.9, "32": 1.0, "34": 1.2},
    )


def shirt() -> Product:
    """A made-to-measure shirt: fabric quantity from a formula on two measurements."""
    return Product(
        id="shirt", brand="nord", name="MTM shirt", price=150.0, weight_kg=0.3,
        options=(OptionGroup("fabric", values=("linen", "denim")),
                 OptionGroup("chest_cm", OptionKind.NUMBER, min=80, max=130, unit="cm"),
                 OptionGroup("sleeve_cm", OptionKind.NUMBER, min=55, max=70, unit="cm")),
        bom=(BomLine("{fabric}", formula=Formula("0.55 + 0.009 * chest_cm + 0.006 * sleeve_cm")),
             BomLine("thread", qty=160)),
        operations=(Operation("cut", "cutting", 14, setup_key="cut-mtm-{fabric}"), Operation("sew", "sewing", 60)),
    )


def tee() -> Product:
    """A printed tee whose blank depends on the colour option through a template."""
    return Product(
        id="tee", brand="spree", name="Tee", price=30.0, weight_kg=0.2,
        options=(OptionGroup("colour", values=("white", "black")), OptionGroup("design", values=("wave", "bear"))),
        bom=(BomLine("tee-{colour}", qty=1),),
        operations=(Operation("print", "printing", 4, setup_key="print-{design}"),),
    )


def qty_of(bom: ExplodedBom, material: str) -> float:
    return next(m.qty for m in bom.materials if m.material == material)


def test_template_material_takes_the_chosen_fabric() -> None:
    """``{fabric}`` resolves to the material named by the fabric option."""
    bom = explode(jean(), make_variant(jean(), {"size": "32", "fabric": "organic"}), MATERIALS)
    assert [m.material for m in bom.materials] == ["organic", "thread"]
    assert bom.materials[0].unit_cost == 14.0
    assert bom.materials[0].substitutes == ("denim",)


def test_template_builds_a_material_id_from_a_prefix() -> None:
    """``tee-{colour}`` with colour=black needs the black blank."""
    bom = explode(tee(), make_variant(tee(), {"colour": "black", "design": "bear"}), MATERIALS)
    assert [(m.material, m.qty) for m in bom.materials] == [("tee-black", 1.0)]
    assert bom.material_cost == pytest.approx(3.5)


def test_size_scaling_applies_only_to_scaled_lines() -> None:
    """Size 34 (scale 1.2) needs 1.5 × 1.2 = 1.8 m of fabric; thread is not scaled."""
    bom = explode(jean(), make_variant(jean(), {"size": "34", "fabric": "denim"}), MATERIALS)
    assert qty_of(bom, "denim") == pytest.approx(1.8)
    assert qty_of(bom, "thread") == pytest.approx(200)


def test_size_without_scale_entry_counts_as_one() -> None:
    """A size missing from size_scale keeps the base quantity."""
    product = replace(jean(), size_scale={"30": 0.9})
    bom = explode(product, make_variant(product, {"size": "34", "fabric": "denim"}), MATERIALS)
    assert qty_of(bom, "denim") == pytest.approx(1.5)


def test_formula_on_measurements_gives_the_hand_computed_fabric() -> None:
    """Chest 100, sleeve 60: 0.55 + 0.009·100 + 0.006·60 = 1.81 m of linen."""
    bom = explode(shirt(), make_variant(shirt(), {"fabric": "linen", "chest_cm": "100", "sleeve_cm": "60"}), MATERIALS)
    assert qty_of(bom, "linen") == pytest.approx(1.81)
    assert bom.material_cost == pytest.approx(1.81 * 12.0 + 160 * 0.01)


def test_formula_at_range_edges() -> None:
    """Chest 130, sleeve 70: 0.55 + 1.17 + 0.42 = 2.14 m; chest 80, sleeve 55: 0.55 + 0.72 + 0.33 = 1.60 m."""
    big = explode(shirt(), make_variant(shirt(), {"fabric": "linen", "chest_cm": "130", "sleeve_cm": "70"}), MATERIALS)
    small = explode(shirt(), make_variant(shirt(), {"fabric": "linen", "chest_cm": "80", "sleeve_cm": "55"}), MATERIALS)
    assert qty_of(big, "linen") == pytest.approx(2.14)
    assert qty_of(small, "linen") == pytest.approx(1.60)


def test_when_any_value_skips_none() -> None:
    """A line ``when: monogram`` applies for initials and not for the value none."""
    plain = explode(jean(), make_variant(jean(), {"size": "32", "fabric": "denim"}), MATERIALS)
    mono = explode(jean(), make_variant(jean(), {"size": "32", "fabric": "denim", "monogram": "initials"}), MATERIALS)
    assert "emb-thread" not in {m.material for m in plain.materials}
    assert qty_of(mono, "emb-thread") == 25


def test_when_listed_values_selects_operations() -> None:
    """The embroidery operation runs only when monogram is one of the listed values."""
    plain = explode(jean(), make_variant(jean(), {"size": "32", "fabric": "denim"}), MATERIALS)
    mono = explode(jean(), make_variant(jean(), {"size": "32", "fabric": "denim", "monogram": "initials"}), MATERIALS)
    assert [o.process for o in plain.operations] == ["cutting", "sewing"]
    assert [o.process for o in mono.operations] == ["cutting", "sewing", "embroidery"]
    assert mono.minutes == 51 and mono.minutes_by_process() == {"cutting": 6, "sewing": 40, "embroidery": 5}


def test_condition_holds_for_any_value_and_listed_values() -> None:
    """Condition without values means "has a value other than none/no/empty"; with values, one of them."""
    assert Condition("m").holds({"m": "initials"})
    assert not Condition("m").holds({"m": "none"})
    assert not Condition("m").holds({"m": "No"})
    assert not Condition("m").holds({})
    assert Condition("m", ("a", "b")).holds({"m": "b"})
    assert not Condition("m", ("a", "b")).holds({"m": "c"})


def test_setup_key_template_is_filled() -> None:
    """The batch setup key follows the fabric, so two fabrics are two setups."""
    bom = explode(jean(), make_variant(jean(), {"size": "32", "fabric": "organic"}), MATERIALS)
    assert bom.setup_key == "cut-organic"


def test_default_fills_a_missing_choice() -> None:
    """An option with a default may be left out; the variant carries the default."""
    variant = make_variant(jean(), {"size": "30", "fabric": "denim"})
    assert variant.as_dict() == {"size": "30", "fabric": "denim", "monogram": "none"}


def test_required_option_missing_is_invalid_input() -> None:
    """Leaving out an option without default names that option."""
    with pytest.raises(InvalidInput) as err:
        make_variant(jean(), {"fabric": "denim"})
    assert err.value.field == "size"
    assert err.value.code is ErrorCode.INVALID_INPUT


def test_choice_value_not_declared_is_invalid_input() -> None:
    """A fabric that is not among the option's values is refused with the option as field."""
    with pytest.raises(InvalidInput) as err:
        make_variant(jean(), {"size": "32", "fabric": "silk"})
    assert err.value.field == "fabric"


@pytest.mark.parametrize("chest", ["79.9", "130.5", "-5", "nan", "inf"])
def test_numeric_option_out_of_range_is_invalid_input(chest: str) -> None:
    """A chest measurement outside 80–130 cm is refused with the option as field."""
    with pytest.raises(InvalidInput) as err:
        make_variant(shirt(), {"fabric": "linen", "chest_cm": chest, "sleeve_cm": "60"})
    assert err.value.field == "chest_cm"


def test_numeric_option_not_a_number_is_invalid_input() -> None:
    """A measurement that is not a number is refused with the option as field."""
    with pytest.raises(InvalidInput, match="not a number") as err:
        make_variant(shirt(), {"fabric": "linen", "chest_cm": "wide", "sleeve_cm": "60"})
    assert err.value.field == "chest_cm"


def test_unknown_option_is_invalid_input() -> None:
    """An option the product does not have is refused, naming it."""
    with pytest.raises(InvalidInput) as err:
        make_variant(jean(), {"size": "32", "fabric": "denim", "colour": "red"})
    assert err.value.field == "colour"


def test_sku_is_stable_whatever_the_input_order() -> None:
    """The same choices given in any order (and with defaults spelled out) give the same SKU."""
    a = make_variant(jean(), {"size": "32", "fabric": "denim"})
    b = make_variant(jean(), {"monogram": "none", "fabric": "denim", "size": "32"})
    assert a.sku == b.sku == "JEAN-32-DENIM-NONE"
    assert a == b


def test_sku_distinguishes_choices() -> None:
    """Different fabrics give different SKUs."""
    a = make_variant(jean(), {"size": "32", "fabric": "denim"})
    b = make_variant(jean(), {"size": "32", "fabric": "organic"})
    assert a.sku != b.sku


def test_measurements_carry_their_name_in_the_sku() -> None:
    """Made-to-measure values appear as name prefix plus value; 100.0 and 100 are the same size."""
    a = make_variant(shirt(), {"sleeve_cm": "60", "chest_cm": "100.0", "fabric": "linen"})
    b = make_variant(shirt(), {"fabric": "linen", "chest_cm": "100", "sleeve_cm": "60.00"})
    assert a.sku == b.sku == "SHIRT-LINEN-CHE100-SLE60"
    assert make_variant(shirt(), {"fabric": "linen", "chest_cm": "100.5", "sleeve_cm": "60"}).sku == \
        "SHIRT-LINEN-CHE100.5-SLE60"


def test_numeric_default_is_canonical_in_the_sku() -> None:
    """A numeric default written 90.0 gives the same SKU as an explicit 90."""
    product = Product("p", "b", "P", 1.0, 0.1,
                      (OptionGroup("chest_cm", OptionKind.NUMBER, min=80, max=130, default="90.0"),),
                      (BomLine("thread", qty=1),), (Operation("sew", "sewing", 1),))
    assert make_variant(product, {}).sku == make_variant(product, {"chest_cm": "90"}).sku == "P-CHE90"


def test_option_default_outside_values_is_refused() -> None:
    """A choice option whose default is not one of its values cannot be built."""
    with pytest.raises(InvalidInput):
        OptionGroup("monogram", values=("none", "initials"), default="maybe")


def test_option_group_shapes_are_validated() -> None:
    """A choice needs values; a number needs min ≤ max."""
    with pytest.raises(InvalidInput):
        OptionGroup("size")
    with pytest.raises(InvalidInput):
        OptionGroup("chest", OptionKind.NUMBER, min=130, max=80)
    with pytest.raises(InvalidInput):
        OptionGroup("chest", OptionKind.NUMBER, min=80)


def test_bom_line_needs_exactly_one_quantity_rule() -> None:
    """A BOM line has a qty or a formula, not both, not neither, and qty is positive."""
    with pytest.raises(InvalidInput):
        BomLine("thread")
    with pytest.raises(InvalidInput):
        BomLine("thread", qty=1, formula=Formula("2"))
    with pytest.raises(InvalidInput):
        BomLine("thread", qty=0)


def test_product_needs_an_operation_and_unique_option_names() -> None:
    """A product without operations, or with a repeated option name, is refused."""
    with pytest.raises(InvalidInput):
        Product("p", "b", "P", 1, 1, (OptionGroup("size", values=("S",)),), (BomLine("thread", qty=1),), ())
    with pytest.raises(InvalidInput):
        Product("p", "b", "P", 1, 1, (OptionGroup("size", values=("S",)), OptionGroup("size", values=("M",))),
                (BomLine("thread", qty=1),), (Operation("sew", "sewing", 1),))


def test_material_cannot_substitute_itself_or_cost_less_than_nothing() -> None:
    """A material listing itself as substitute, or with a negative cost, is refused."""
    with pytest.raises(InvalidInput):
        Material("denim", "m", 1.0, substitutes=("denim",))
    with pytest.raises(InvalidInput):
        Material("denim", "m", -1.0)


def test_explode_with_material_missing_from_catalog() -> None:
    """A template resolving to a material that does not exist raises InvalidInput."""
    with pytest.raises(InvalidInput, match="not in the catalog"):
        explode(tee(), make_variant(tee(), {"colour": "white", "design": "wave"}), {"tee-black": MATERIALS["tee-black"]})


def test_fill_template_needs_the_named_option() -> None:
    """A template naming an option that was not chosen raises InvalidInput naming it."""
    assert fill_template("cut-{fabric}", {"fabric": "linen"}) == "cut-linen"
    with pytest.raises(InvalidInput) as err:
        fill_template("cut-{fabric}", {})
    assert err.value.field == "fabric"


def test_parse_and_format_options_round_trip() -> None:
    """``size=M; fabric=linen`` parses to a dict and formats back without spaces."""
    parsed = parse_options(" size=M; fabric = linen ;")
    assert parsed == {"size": "M", "fabric": "linen"}
    assert format_options(parsed) == "size=M;fabric=linen"
    assert parse_options("") == {}


@pytest.mark.parametrize("text", ["size", "size=M;size=L", "=M"])
def test_parse_options_refuses_malformed_text(text: str) -> None:
    """A part without ``=``, a repeated name or an empty name is refused."""
    with pytest.raises(InvalidInput):
        parse_options(text)


def test_catalog_explode_and_variants() -> None:
    """Catalog.explode validates choices; variants enumerate every choice combination."""
    catalog = Catalog(MATERIALS, {"jean": jean(), "tee": tee(), "shirt": shirt()})
    assert qty_of(catalog.explode("jean", {"size": "30", "fabric": "denim"}), "denim") == pytest.approx(1.35)
    assert len(catalog.variants("jean")) == 3 * 2 * 2
    assert len({v.sku for v in catalog.variants("tee")}) == 4
    assert [v.as_dict()["chest_cm"] for v in catalog.variants("shirt")] == ["80", "80"]
    with pytest.raises(InvalidInput) as err:
        catalog.product("sofa")
    assert err.value.field == "product"


def test_formula_failing_at_explosion_is_invalid_input() -> None:
    """A BOM formula that divides by zero for the chosen measurement raises InvalidInput on field formula."""
    product = replace(shirt(), bom=(BomLine("linen", formula=Formula("10 / (chest_cm - 100)")),))
    with pytest.raises(InvalidInput) as err:
        explode(product, make_variant(product, {"fabric": "linen", "chest_cm": "100", "sleeve_cm": "60"}), MATERIALS)
    assert err.value.field == "formula"
    fine = explode(product, make_variant(product, {"fabric": "linen", "chest_cm": "105", "sleeve_cm": "60"}), MATERIALS)
    assert qty_of(fine, "linen") == pytest.approx(2.0)
