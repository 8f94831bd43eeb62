"""The campaign cap as a per-site capacity hold (engines/campaign_capacity.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microfactory.engines.campaign_capacity import site_cap
from microfactory.errors import InvalidInput

MPU = {"tee": {"printing": 4.0, "packing": 1.0}, "tote": {"printing": 2.0, "packing": 2.0}}


def test_units_per_site_come_from_the_bottleneck_over_the_worst_variant() -> None:
    """Worst is printing 4, packing 2: a site with 100 printing and 60 packing minutes makes 25 of any mix."""
    cap = site_cap({"a": {"printing": (60.0, 40.0), "packing": (30.0, 30.0)}}, MPU)
    assert cap.per_site == {"a": 25} and cap.units == 25 and cap.bottleneck == {"a": "printing"}
    assert cap.hold["a"] == {"printing": (60.0, 40.0), "packing": (30.0, 20.0)}
    assert (cap.status, cap.objective, cap.bound) == ("optimal", 25.0, 25.0)


def test_a_site_missing_a_process_adds_nothing() -> None:
    """A sewing-and-packing site cannot print: it adds 0 units, not its packing minutes to another's print."""
    free = {"print-only": {"printing": (400.0,)}, "pack-only": {"packing": (400.0,)},
            "both": {"printing": (40.0,), "packing": (40.0,)}}
    cap = site_cap(free, MPU)
    assert cap.per_site == {"both": 10, "pack-only": 0, "print-only": 0}
    assert cap.units == 10 and set(cap.hold) == {"both"}


def test_max_units_limits_the_hold_filling_sites_in_id_order() -> None:
    """A brand limit of 12 takes 10 from site a and 2 from site b, and holds only those minutes."""
    free = {"a": {"printing": (40.0,), "packing": (20.0,)}, "b": {"printing": (40.0,), "packing": (20.0,)}}
    cap = site_cap(free, MPU, max_units=12)
    assert cap.per_site == {"a": 10, "b": 2}
    assert cap.hold["b"] == {"printing": (8.0,), "packing": (4.0,)}


def test_bad_inputs_are_refused() -> None:
    """Negative free minutes or a product with no minutes are typed errors."""
    with pytest.raises(InvalidInput):
        site_cap({"a": {"printing": (-1.0,)}}, MPU)
    with pytest.raises(InvalidInput):
        site_cap({"a": {"printing": (10.0,)}}, {"x": {"printing": 0.0}})


@given(st.lists(st.tuples(st.floats(0, 500), st.floats(0, 500)), min_size=1, max_size=4),
       st.lists(st.tuples(st.sampled_from(["tee", "tote"]), st.integers(0, 50)), max_size=30))
def test_any_mix_up_to_a_sites_units_fits_its_hold(sites: list[tuple[float, float]],
                                                   mix: list[tuple[str, int]]) -> None:
    """Whatever the mix of products, units[s] of them never need more than the minutes held at s."""
    free = {f"s{i}": {"printing": (p,), "packing": (k,)} for i, (p, k) in enumerate(sites)}
    cap = site_cap(free, MPU)
    for s, n in cap.per_site.items():
        held = cap.hold.get(s, {"printing": (0.0,), "packing": (0.0,)})
        assert sum(held["printing"]) <= sum(free[s]["printing"]) + 1e-6
        units, taken = 0, {"printing": 0.0, "packing": 0.0}
        for product, q in mix:
            q = min(q, n - units)
            units += q
            for k, m in MPU[product].items():
                taken[k] += m * q
        assert all(taken[k] <= sum(held[k]) + 1e-6 for k in taken)
