"""Seeded generator of microfactory site instances (for benchmarks and tests).

A cut-and-sew / print site: cutting (one automated cutter, one staffed table), sewing
(two lines, one with two machines), printing (automated), finishing, pressing and
packing; two 8-hour shifts a day (06:00-22:00), multi-skilled workers (some on the early
shift only). Lines belong to setup keys (product x material x design); cutting changes
over by material, sewing by thread colour, printing by design screen.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from microfactory.engines.scheduling.batching import BatchRules, form_batches
from microfactory.engines.scheduling.problem import (
    Line,
    OpSpec,
    Resource,
    SchedulingProblem,
    Worker,
)
from microfactory.errors import InvalidInput

DAY = 1440
SHIFT_START, SHIFT_END, EARLY_END = 6 * 60, 22 * 60, 14 * 60

_RESOURCES = (
    Resource("cutter-auto", "cutting", 1, 40.0, 30, automated=True),
    Resource("cut-table", "cutting", 1, 25.0, 20),
    Resource("sew-line-a", "sewing", 2, 20.0, 15),
    Resource("sew-line-b", "sewing", 1, 20.0, 15),
    Resource("printer", "printing", 1, 35.0, 40, automated=True),
    Resource("finishing", "finishing", 1, 18.0, 10),
    Resource("press", "finishing", 1, 15.0, 10),
    Resource("packing", "packing", 1, 15.0, 0),
)

_SKILLS = ("cutting", "sewing", "printing", "finishing", "packing")


@dataclass(frozen=True, slots=True)
class SiteSpec:
    """Size of a generated site."""

    lines: int = 300
    setup_keys: int = 40
    workers: int = 12
    days: int = 5
    materials: int = 8
    colours: int = 6
    load: float = 0.75

    def __post_init__(self) -> None:
        if min(self.lines, self.setup_keys, self.workers, self.days, self.materials, self.colours) < 1:
            raise InvalidInput("every size must be >= 1", field="spec")
        if self.load <= 0:
            raise InvalidInput("load must be > 0", field="load")


def site_calendar(days: int) -> tuple[tuple[int, int], ...]:
    """Open intervals: 06:00-22:00 on each day."""
    return tuple((d * DAY + SHIFT_START, d * DAY + SHIFT_END) for d in range(days))


def _workers(rng: random.Random, n: int, days: int) -> tuple[Worker, ...]:
    out = []
    for i in range(n):
        primary = _SKILLS[i % len(_SKILLS)] if i >= 3 else "sewing"
        extra = rng.sample([s for s in _SKILLS if s != primary], rng.choice((0, 1, 1, 2)))
        early = i % 4 == 3
        avail = tuple((d * DAY + SHIFT_START, d * DAY + EARLY_END) for d in range(days)) if early else None
        out.append(Worker(f"W{i + 1:02d}", frozenset([primary, *extra]), 18.0 + i % 3, avail))
    return tuple(out)


def _lines(rng: random.Random, spec: SiteSpec) -> tuple[Line, ...]:
    families = []
    for k in range(spec.setup_keys):
        kind = ("tee", "bag", "poster")[k % 3]
        material, colour = f"mat{rng.randrange(spec.materials)}", f"col{rng.randrange(spec.colours)}"
        scale = spec.load
        ops = {"tee": (OpSpec("cutting", 1.5 * scale, material), OpSpec("printing", 1.2 * scale, f"K{k:02d}"),
                       OpSpec("sewing", 8.0 * scale, colour), OpSpec("packing", 1.0 * scale)),
               "bag": (OpSpec("cutting", 2.0 * scale, material), OpSpec("sewing", 10.0 * scale, colour),
                       OpSpec("finishing", 3.0 * scale, colour), OpSpec("packing", 1.0 * scale)),
               "poster": (OpSpec("printing", 2.5 * scale, f"K{k:02d}"), OpSpec("finishing", 1.5 * scale, "trim"),
                          OpSpec("packing", 0.5 * scale))}[kind]
        families.append((f"K{k:02d}-{kind}-{material}", kind, ops))
    lines = []
    for i in range(spec.lines):
        key, kind, ops = families[rng.randrange(len(families))]
        release_day = rng.randrange(max(1, spec.days - 2))
        due_day = min(spec.days - 1, release_day + rng.choice((1, 1, 2, 3)))
        lines.append(Line(f"L{i + 1:04d}", f"O{i // 2 + 1:04d}", kind, rng.choice((1, 2, 2, 3, 4, 5, 6, 8)),
                          key, due_day * DAY + SHIFT_END, ops, release_day * DAY + SHIFT_START,
                          float(rng.choice((1, 1, 1, 2, 3)))))
    return tuple(lines)


def generate_site(seed: int, spec: SiteSpec | None = None, rules: BatchRules | None = None) -> SchedulingProblem:
    """A seeded microfactory site with its lines formed into batches."""
    spec = spec or SiteSpec()
    rng = random.Random(seed)
    workers = _workers(rng, spec.workers, spec.days)
    lines = _lines(rng, spec)
    rules = rules or BatchRules(min_batch=2, max_batch=24, due_window=DAY, max_batch_minutes=8 * 60)
    batches = form_batches(lines, rules).batches
    return SchedulingProblem(f"site-{seed}", _RESOURCES, workers, batches, spec.days * DAY,
                             site_calendar(spec.days))
