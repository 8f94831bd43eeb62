"""Clocks: the real one for the service, a fixed one for tests and simulations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


class SystemClock:
    """UTC wall clock, naive (the store keeps naive UTC)."""

    def now(self) -> datetime:
        return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


@dataclass
class FixedClock:
    """A clock that says what it is told."""

    at: datetime

    def now(self) -> datetime:
        return self.at
