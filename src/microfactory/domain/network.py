"""Brands, sites, resources, workers, calendars and suppliers (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import Protocol, TypeVar

from microfactory.domain.geo import Location
from microfactory.errors import InvalidInput, NotFound


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


_T = TypeVar("_T", bound=_HasId)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class SiteKind(str, Enum):
    MICROFACTORY = "microfactory"
    STORE = "store"
    WAREHOUSE = "warehouse"


class Operator(str, Enum):
    IN_HOUSE = "in_house"
    PARTNER = "partner"
    FRANCHISE = "franchise"
    ON_DEMAND = "on_demand"


class SiteStatus(str, Enum):
    UP = "up"
    DOWN = "down"


@dataclass(frozen=True, slots=True)
class Brand:
    """A tenant: owns products, orders and campaigns."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Calendar:
    """Working days and one daily shift, with days off."""

    weekdays: frozenset[int] = frozenset(range(5))  # 0 = Monday
    start: time = time(8, 0)
    end: time = time(17, 0)
    days_off: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise InvalidInput("calendar: shift end must be after start", field="hours")
        if not self.weekdays or not self.weekdays <= frozenset(range(7)):
            raise InvalidInput("calendar: weekdays must be a non-empty subset of 0 (Monday) to 6", field="weekdays")

    @property
    def shift_minutes(self) -> int:
        return (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)

    def is_open(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in self.days_off

    def minutes_on(self, day: date) -> int:
        return self.shift_minutes if self.is_open(day) else 0

    def open_interval(self, day: date) -> tuple[datetime, datetime] | None:
        if not self.is_open(day):
            return None
        return datetime.combine(day, self.start), datetime.combine(day, self.end)

    def open_days(self, first: date, days: int) -> list[date]:
        return [d for d in (first + timedelta(n) for n in range(days)) if self.is_open(d)]

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th open day after ``day`` (n = 0: ``day`` itself if open, else the next open day)."""
        current = day
        while not self.is_open(current):
            current += timedelta(1)
        for _ in range(n):
            current += timedelta(1)
            while not self.is_open(current):
                current += timedelta(1)
        return current


@dataclass(frozen=True, slots=True)
class Resource:
    """A machine or station performing one process; ``units`` identical copies."""

    id: str
    process: str
    units: int = 1
    cost_per_hour: float = 0.0
    setup_minutes: float = 0.0
    automated: bool = False

    def __post_init__(self) -> None:
        if self.units < 1:
            raise InvalidInput(f"resource {self.id}: units must be at least 1", field="units")
        if self.cost_per_hour < 0 or self.setup_minutes < 0:
            raise InvalidInput(f"resource {self.id}: costs and setup must not be negative", field="cost_per_hour")


@dataclass(frozen=True, slots=True)
class Worker:
    """A person with skills (processes) and an optional own calendar."""

    id: str
    skills: frozenset[str]
    cost_per_hour: float = 0.0
    name: str = ""
    calendar: Calendar | None = None

    def __post_init__(self) -> None:
        if not self.skills:
            raise InvalidInput(f"worker {self.id}: needs at least one skill", field="skills")


@dataclass(frozen=True, slots=True)
class Site:
    """A place in the network: a microfactory, a store or a warehouse."""

    id: str
    name: str
    kind: SiteKind
    operator: Operator
    location: Location
    calendar: Calendar = field(default_factory=Calendar)
    resources: tuple[Resource, ...] = ()
    workers: tuple[Worker, ...] = ()
    min_batch: int = 1
    uptime: float = 1.0
    lead_time_days: int = 0
    brands: frozenset[str] | None = None  # None: serves every brand
    status: SiteStatus = SiteStatus.UP
    delivery_mode: str = "van"
    same_day_radius_km: float = 0.0
    secondary: bool = False
    gln: str = ""

    def __post_init__(self) -> None:
        if not 0.0 < self.uptime <= 1.0:
            raise InvalidInput(f"site {self.id}: uptime must be in (0, 1]", field="uptime")
        if self.min_batch < 1 or self.lead_time_days < 0:
            raise InvalidInput(f"site {self.id}: min_batch >= 1 and lead_time_days >= 0", field="min_batch")
        ids = [r.id for r in self.resources] + [w.id for w in self.workers]
        if len(set(ids)) != len(ids):
            raise InvalidInput(f"site {self.id}: resource and worker ids must be unique", field="resources")

    @property
    def processes(self) -> frozenset[str]:
        return frozenset(r.process for r in self.resources)

    @property
    def is_up(self) -> bool:
        return self.status is SiteStatus.UP

    def serves(self, brand: str) -> bool:
        return self.brands is None or brand in self.brands

    def with_status(self, status: SiteStatus) -> Site:
        return replace(self, status=status)

    def process_minutes(self, process: str, day: date) -> float:
        """Capacity in minutes of ``process`` on ``day``: machine time, capped by skilled staff time.

        Automated resources need no worker while they run; staffed ones are limited by the
        minutes of the workers who have the skill. A multi-skilled worker's day is split evenly
        over the staffed processes they can do at this site, so the same person is never counted
        twice (a conservative aggregate; the scheduler assigns people exactly).
        """
        open_min = self.calendar.minutes_on(day)
        if open_min == 0:
            return 0.0
        staffed = sum(r.units for r in self.resources if r.process == process and not r.automated)
        automated = sum(r.units for r in self.resources if r.process == process and r.automated)
        machine_staffed = staffed * open_min
        if self.workers and staffed:
            staffed_here = self.staffed_processes
            staff = 0.0
            for w in self.workers:
                share = w.skills & staffed_here
                if process in share:
                    staff += (w.calendar or self.calendar).minutes_on(day) / len(share)
            capped = min(float(machine_staffed), staff)
        else:
            capped = float(machine_staffed)
        return (capped + automated * open_min) * self.uptime

    @property
    def staffed_processes(self) -> frozenset[str]:
        """Processes with at least one resource that needs a worker while it runs."""
        return frozenset(r.process for r in self.resources if not r.automated)

    def rate_per_minute(self, process: str) -> float:
        """Cost per minute of ``process``: mean machine rate plus mean skilled labour rate."""
        res = [r for r in self.resources if r.process == process]
        if not res:
            raise NotFound(f"site {self.id} has no resource for {process}", field="process")
        machine = sum(r.cost_per_hour for r in res) / len(res)
        staffed = any(not r.automated for r in res)
        skilled = [w.cost_per_hour for w in self.workers if process in w.skills]
        labour = (sum(skilled) / len(skilled)) if (skilled and staffed) else 0.0
        return (machine + labour) / 60.0

    def setup_minutes(self, process: str) -> float:
        res = [r.setup_minutes for r in self.resources if r.process == process]
        return max(res) if res else 0.0


@dataclass(frozen=True, slots=True)
class SupplierOffer:
    """A material a supplier sells: lead time, minimum order and price breaks (min qty, unit price)."""

    material: str
    lead_time_days: int
    min_order: float
    price_breaks: tuple[tuple[float, float], ...]

    def unit_price(self, qty: float) -> float:
        price = self.price_breaks[0][1]
        for min_qty, p in sorted(self.price_breaks):
            if qty >= min_qty:
                price = p
        return price


@dataclass(frozen=True, slots=True)
class Supplier:
    """A local source of materials."""

    id: str
    name: str
    location: Location
    offers: tuple[SupplierOffer, ...] = ()


@dataclass(frozen=True, slots=True)
class Network:
    """Every site, brand and supplier of a network, with lookups."""

    name: str
    brands: tuple[Brand, ...]
    sites: tuple[Site, ...]
    suppliers: tuple[Supplier, ...] = ()
    currency: str = "EUR"
    timezone: str = "UTC"

    def site(self, site_id: str) -> Site:
        return _find(self.sites, site_id, "site")

    def brand(self, brand_id: str) -> Brand:
        return _find(self.brands, brand_id, "brand")

    @property
    def factories(self) -> tuple[Site, ...]:
        return tuple(s for s in self.sites if s.kind is SiteKind.MICROFACTORY)

    @property
    def stores(self) -> tuple[Site, ...]:
        return tuple(s for s in self.sites if s.kind is SiteKind.STORE)

    @property
    def processes(self) -> frozenset[str]:
        return frozenset(p for s in self.sites for p in s.processes)

    def with_site(self, site: Site) -> Network:
        return replace(self, sites=tuple(site if s.id == site.id else s for s in self.sites))


def _find(items: Iterable[_T], key: str, what: str) -> _T:
    for item in items:
        if item.id == key:
            return item
    raise NotFound(f"{what} {key!r} does not exist", field=what)


def index(items: Iterable[Site]) -> Mapping[str, Site]:
    return {s.id: s for s in items}
