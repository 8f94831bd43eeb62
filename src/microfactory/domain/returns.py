"""Returns: an authorisation with a reason code, inspection on receipt, then restock,
remake or reject; and return rates as a KPI (pure).

State machine::

    authorised -> received -> restocked | remade | rejected
    authorised -> rejected            (never arrived / refused before receipt)

The decision after inspection (:func:`decide`) is a rule, overridable by the caller:

* a made-to-measure item is never restocked (nobody else fits it): ``fit``, ``defect``
  and ``not_as_described`` are remade, ``changed_mind`` is rejected;
* a ``defect`` return is remade (a replacement with the same options);
* otherwise a resellable item is restocked at a store, a damaged one is rejected.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum

from microfactory.errors import IllegalTransition, InvalidInput


class ReturnReason(str, Enum):
    FIT = "fit"
    DEFECT = "defect"
    NOT_AS_DESCRIBED = "not_as_described"
    CHANGED_MIND = "changed_mind"


class ReturnStatus(str, Enum):
    AUTHORISED = "authorised"
    RECEIVED = "received"
    RESTOCKED = "restocked"
    REMADE = "remade"
    REJECTED = "rejected"


R = ReturnStatus
RETURN_TRANSITIONS: dict[ReturnStatus, frozenset[ReturnStatus]] = {
    R.AUTHORISED: frozenset({R.RECEIVED, R.REJECTED}),
    R.RECEIVED: frozenset({R.RESTOCKED, R.REMADE, R.REJECTED}),
    R.RESTOCKED: frozenset(),
    R.REMADE: frozenset(),
    R.REJECTED: frozenset(),
}
#: Final outcomes after which the original line counts as returned.
LINE_RETURNED = frozenset({R.RESTOCKED, R.REMADE})


@dataclass(frozen=True, slots=True)
class Inspection:
    """What the receiving store found: can the item be sold again, notes, adjusted measurements."""

    resellable: bool
    notes: str = ""
    measurements: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        names = [n for n, _ in self.measurements]
        if len(set(names)) != len(names):
            raise InvalidInput("each measurement may be given once", field="measurements")
        for name, value in self.measurements:
            if not name or not value > 0:
                raise InvalidInput(f"measurement {name!r} must be a positive number", field="measurements")

    @classmethod
    def of(cls, resellable: bool, notes: str = "", measurements: Mapping[str, float] | None = None) -> Inspection:
        return cls(resellable, notes, tuple(sorted((measurements or {}).items())))


@dataclass(frozen=True, slots=True)
class ReturnChange:
    """Event: a return moved from one status to another."""

    return_id: str
    old: ReturnStatus | None
    new: ReturnStatus
    at: datetime
    note: str = ""


@dataclass(frozen=True, slots=True)
class Return:
    """A return of ``quantity`` units of one order line."""

    id: str
    order_id: str
    line_id: str
    quantity: int
    reason: ReturnReason
    created: datetime
    status: ReturnStatus = ReturnStatus.AUTHORISED
    inspection: Inspection | None = None
    store: str | None = None
    remake_order_id: str | None = None
    history: tuple[ReturnChange, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.id or not self.order_id or not self.line_id:
            raise InvalidInput("a return needs an id, an order and a line", field="line_id")
        if self.quantity < 1:
            raise InvalidInput("a return needs at least one unit", field="quantity")


def authorise(return_id: str, order_id: str, line_id: str, quantity: int, reason: str,
              at: datetime, note: str = "") -> Return:
    """A new return authorisation (the reason must be one of :class:`ReturnReason`)."""
    try:
        code = ReturnReason(reason)
    except ValueError:
        allowed = ", ".join(r.value for r in ReturnReason)
        raise InvalidInput(f"return reason {reason!r} is not one of {allowed}", field="reason") from None
    event = ReturnChange(return_id, None, R.AUTHORISED, at, note)
    return Return(return_id, order_id, line_id, quantity, code, at, history=(event,))


def move(ret: Return, new: ReturnStatus, at: datetime, note: str = "") -> Return:
    """``ret`` in status ``new``; IllegalTransition unless the move is allowed."""
    if new not in RETURN_TRANSITIONS[ret.status]:
        allowed = ", ".join(sorted(s.value for s in RETURN_TRANSITIONS[ret.status])) or "none (final)"
        raise IllegalTransition(f"return {ret.id}: cannot go from {ret.status.value} to {new.value}; "
                                f"allowed: {allowed}", field="status",
                                details={"from": ret.status.value, "to": new.value})
    return replace(ret, status=new, history=(*ret.history, ReturnChange(ret.id, ret.status, new, at, note)))


def receive(ret: Return, inspection: Inspection, at: datetime) -> Return:
    """The item arrived and was inspected."""
    return replace(move(ret, R.RECEIVED, at, inspection.notes), inspection=inspection)


def decide(reason: ReturnReason, made_to_measure: bool, resellable: bool) -> ReturnStatus:
    """The default outcome after inspection (see the module docstring)."""
    if made_to_measure:
        return R.REJECTED if reason is ReturnReason.CHANGED_MIND else R.REMADE
    if reason is ReturnReason.DEFECT:
        return R.REMADE
    return R.RESTOCKED if resellable else R.REJECTED


def restock(ret: Return, store: str, at: datetime) -> Return:
    """The received item goes back into finished-goods stock at ``store``."""
    if ret.inspection is not None and not ret.inspection.resellable:
        raise InvalidInput(f"return {ret.id}: the inspection found the item not resellable", field="outcome")
    return replace(move(ret, R.RESTOCKED, at, f"restocked at {store}"), store=store)


def remade(ret: Return, new_order_id: str, at: datetime) -> Return:
    """A replacement is made as order ``new_order_id``."""
    return replace(move(ret, R.REMADE, at, f"remake order {new_order_id}"), remake_order_id=new_order_id)


def reject(ret: Return, at: datetime, note: str = "") -> Return:
    return move(ret, R.REJECTED, at, note)


@dataclass(frozen=True, slots=True)
class ShippedUnits:
    """Units that reached customers (the denominator of a return rate)."""

    product: str
    site: str
    quantity: int


@dataclass(frozen=True, slots=True)
class ReturnedUnits:
    """Units returned (rejected returns are not counted)."""

    product: str
    site: str
    reason: str
    quantity: int


def _rates(num: Mapping[str, int], den: Mapping[str, int]) -> list[dict[str, object]]:
    return [{"key": k, "shipped": den.get(k, 0), "returned": num.get(k, 0),
             "rate": round(num.get(k, 0) / den[k], 6) if den.get(k) else None}
            for k in sorted(set(num) | set(den))]


def return_rates(shipped: Iterable[ShippedUnits], returned: Iterable[ReturnedUnits]) -> dict[str, object]:
    """Return rate = returned units / shipped units, overall and by reason, product and site.

    A reason's rate is over all shipped units (so the reasons' rates add up to the total).
    """
    den_product: dict[str, int] = defaultdict(int)
    den_site: dict[str, int] = defaultdict(int)
    for s in shipped:
        den_product[s.product] += s.quantity
        den_site[s.site] += s.quantity
    total = sum(den_product.values())
    by: dict[str, dict[str, int]] = {"reason": defaultdict(int), "product": defaultdict(int), "site": defaultdict(int)}
    for r in returned:
        by["reason"][r.reason] += r.quantity
        by["product"][r.product] += r.quantity
        by["site"][r.site] += r.quantity
    returned_total = sum(by["reason"].values())
    reasons = {k: total for k in (*by["reason"], *(x.value for x in ReturnReason))}
    return {"shipped": total, "returned": returned_total,
            "rate": round(returned_total / total, 6) if total else None,
            "by_reason": _rates(by["reason"], reasons),
            "by_product": _rates(by["product"], den_product),
            "by_site": _rates(by["site"], den_site)}
