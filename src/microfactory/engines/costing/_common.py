"""Small shared helpers of the costing engines: validation and the normal loss function."""

from __future__ import annotations

import math
from statistics import NormalDist

from microfactory.errors import InvalidInput

_STD_NORMAL = NormalDist()


def require_non_negative(value: float, field: str) -> None:
    """Raise :class:`InvalidInput` unless ``value`` is a finite number >= 0."""
    if not math.isfinite(value) or value < 0:
        raise InvalidInput(f"{field} must be a finite number >= 0, got {value!r}", field=field)


def require_positive(value: float, field: str) -> None:
    """Raise :class:`InvalidInput` unless ``value`` is a finite number > 0."""
    if not math.isfinite(value) or value <= 0:
        raise InvalidInput(f"{field} must be a finite number > 0, got {value!r}", field=field)


def require_fraction(value: float, field: str, *, upper_open: bool = False) -> None:
    """Raise :class:`InvalidInput` unless ``0 <= value <= 1`` (``< 1`` when ``upper_open``)."""
    bad = not math.isfinite(value) or value < 0 or value > 1 or (upper_open and value >= 1)
    if bad:
        upper = "< 1" if upper_open else "<= 1"
        raise InvalidInput(f"{field} must be >= 0 and {upper}, got {value!r}", field=field)


def normal_loss(z: float) -> float:
    """Standard normal first-order loss ``L(z) = E[(Z - z)+] = phi(z) - z (1 - Phi(z))``."""
    return _STD_NORMAL.pdf(z) - z * (1.0 - _STD_NORMAL.cdf(z))


def normal_quantile(p: float) -> float:
    """Inverse standard normal CDF, with ``p`` clamped to [1e-6, 1 - 1e-6]."""
    return _STD_NORMAL.inv_cdf(min(max(p, 1e-6), 1.0 - 1e-6))


def carbon_cost(kg_co2e: float, carbon_price_per_kg: float) -> float:
    """Cost of ``kg_co2e`` at a carbon price per kg CO2e (as in the cost model)."""
    return kg_co2e * carbon_price_per_kg
