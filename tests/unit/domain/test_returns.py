"""Returns: reason codes, the state machine, the outcome rule and return rates."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microfactory.domain.returns import (
    RETURN_TRANSITIONS,
    Inspection,
    ReturnedUnits,
    ReturnReason,
    ReturnStatus,
    ShippedUnits,
    authorise,
    decide,
    move,
    receive,
    reject,
    remade,
    restock,
    return_rates,
)
from microfactory.errors import IllegalTransition, InvalidInput

T = datetime(2026, 12, 1, 9, 0)


def test_authorise_records_reason_and_history() -> None:
    """A new return is authorised with its reason and one history entry."""
    ret = authorise("RMA-1", "o-1", "o-1-1", 1, "fit", T)
    assert ret.status is ReturnStatus.AUTHORISED and ret.reason is ReturnReason.FIT
    assert [(c.old, c.new) for c in ret.history] == [(None, ReturnStatus.AUTHORISED)]


def test_unknown_reason_and_bad_quantity_are_refused() -> None:
    """A reason outside the four codes and a zero quantity are invalid input naming the field."""
    with pytest.raises(InvalidInput) as exc:
        authorise("RMA-1", "o-1", "o-1-1", 1, "too_expensive", T)
    assert exc.value.field == "reason"
    with pytest.raises(InvalidInput) as exc:
        authorise("RMA-1", "o-1", "o-1-1", 0, "fit", T)
    assert exc.value.field == "quantity"


def test_receive_then_restock() -> None:
    """Received with a resellable inspection, then restocked at a store: history has three steps."""
    ret = receive(authorise("RMA-1", "o", "o-1", 1, "changed_mind", T), Inspection.of(True, "as new"), T)
    done = restock(ret, "st-mitte", T)
    assert done.status is ReturnStatus.RESTOCKED and done.store == "st-mitte"
    assert [c.new.value for c in done.history] == ["authorised", "received", "restocked"]


def test_restock_refused_when_not_resellable() -> None:
    """An item the inspection found damaged cannot be restocked."""
    ret = receive(authorise("RMA-1", "o", "o-1", 1, "changed_mind", T), Inspection.of(False, "stained"), T)
    with pytest.raises(InvalidInput):
        restock(ret, "st-mitte", T)
    assert reject(ret, T).status is ReturnStatus.REJECTED


def test_remade_records_the_new_order() -> None:
    """A remake keeps the id of the replacement order."""
    ret = receive(authorise("RMA-1", "o", "o-1", 1, "fit", T), Inspection.of(False, measurements={"chest_cm": 101}), T)
    done = remade(ret, "o-R1", T)
    assert done.status is ReturnStatus.REMADE and done.remake_order_id == "o-R1"
    assert done.inspection is not None and dict(done.inspection.measurements) == {"chest_cm": 101}


def test_illegal_moves_raise() -> None:
    """Restocking before receipt and any move out of a final state are illegal transitions."""
    ret = authorise("RMA-1", "o", "o-1", 1, "fit", T)
    with pytest.raises(IllegalTransition):
        restock(ret, "st", T)
    final = reject(ret, T)
    for status in ReturnStatus:
        with pytest.raises(IllegalTransition):
            move(final, status, T)


def test_inspection_measurements_validated() -> None:
    """Measurements must be positive."""
    with pytest.raises(InvalidInput):
        Inspection.of(True, measurements={"chest_cm": -3})


def test_decision_rule() -> None:
    """Made-to-measure is remade unless the customer changed their mind; defects are remade; others restock if resellable."""
    assert decide(ReturnReason.FIT, True, True) is ReturnStatus.REMADE
    assert decide(ReturnReason.CHANGED_MIND, True, True) is ReturnStatus.REJECTED
    assert decide(ReturnReason.DEFECT, False, True) is ReturnStatus.REMADE
    assert decide(ReturnReason.FIT, False, True) is ReturnStatus.RESTOCKED
    assert decide(ReturnReason.NOT_AS_DESCRIBED, False, False) is ReturnStatus.REJECTED


@given(st.lists(st.sampled_from(list(ReturnStatus)), max_size=6))
def test_random_walks_only_follow_transitions(path: list[ReturnStatus]) -> None:
    """Any sequence of moves either follows the transition table or raises without changing the return."""
    ret = authorise("RMA-1", "o", "o-1", 1, "fit", T)
    for new in path:
        if new in RETURN_TRANSITIONS[ret.status]:
            ret = move(ret, new, T)
            assert ret.status is new
        else:
            with pytest.raises(IllegalTransition):
                move(ret, new, T)
    assert len(ret.history) >= 1


def test_return_rates_hand_computed() -> None:
    """10 shirts from A and 10 tees from B shipped; 2 shirts back for fit, 1 tee for defect."""
    shipped = [ShippedUnits("shirt", "A", 10), ShippedUnits("tee", "B", 10)]
    returned = [ReturnedUnits("shirt", "A", "fit", 2), ReturnedUnits("tee", "B", "defect", 1)]
    rates = return_rates(shipped, returned)
    assert rates["shipped"] == 20 and rates["returned"] == 3 and rates["rate"] == 0.15
    by_reason = {r["key"]: r["rate"] for r in rates["by_reason"]}  # type: ignore[attr-defined]
    assert by_reason == {"fit": 0.1, "defect": 0.05, "not_as_described": 0.0, "changed_mind": 0.0}
    by_product = {r["key"]: r["rate"] for r in rates["by_product"]}  # type: ignore[attr-defined]
    assert by_product == {"shirt": 0.2, "tee": 0.1}
    assert return_rates([], [])["rate"] is None
