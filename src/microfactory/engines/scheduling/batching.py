"""Batch formation: a site's lines grouped by setup key (and routing) into batches.

Lines of one setup key and the same routing are sorted by due date and filled into
batches up to ``max_batch`` units, ``max_batch_minutes`` of work on any operation, and a
due-date window (a batch never holds lines due more than ``due_window`` minutes after
its first line). A batch under ``min_batch`` is merged into a neighbour of its group
when that stays within the limits; otherwise it is still made and reported. A line
larger than ``max_batch`` is split into parts ``LINE#1``, ``LINE#2``...
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from microfactory.engines.scheduling.problem import Batch, Line, OpSpec
from microfactory.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class BatchRules:
    """Limits of batch formation."""

    min_batch: int = 1
    max_batch: int = 50
    due_window: int = 1440
    max_batch_minutes: int | None = None

    def __post_init__(self) -> None:
        if self.min_batch < 1 or self.max_batch < self.min_batch:
            raise InvalidInput("need 1 <= min_batch <= max_batch", field="max_batch")
        if self.due_window < 0:
            raise InvalidInput("due_window must be >= 0", field="due_window")
        if self.max_batch_minutes is not None and self.max_batch_minutes <= 0:
            raise InvalidInput("max_batch_minutes must be > 0", field="max_batch_minutes")


@dataclass(frozen=True, slots=True)
class BatchFormation:
    """The batches and the ids of batches left under the minimum size."""

    batches: tuple[Batch, ...]
    under_min: tuple[str, ...]


@dataclass(slots=True)
class _Part:
    line: Line
    qty: int
    name: str


def _cap(line: Line, rules: BatchRules) -> int:
    cap = rules.max_batch
    if rules.max_batch_minutes is not None:
        mpu = max((op.minutes_per_unit for op in line.ops), default=0.0)
        if mpu > 0:
            cap = min(cap, max(1, int(rules.max_batch_minutes // mpu)))
    return cap


def _parts(line: Line, rules: BatchRules) -> list[_Part]:
    cap = _cap(line, rules)
    if line.qty <= cap:
        return [_Part(line, line.qty, line.id)]
    n = math.ceil(line.qty / cap)
    sizes = [line.qty // n + (1 if i < line.qty % n else 0) for i in range(n)]
    return [_Part(line, q, f"{line.id}#{i + 1}") for i, q in enumerate(sizes)]


def _fits(group: list[_Part], part: _Part, rules: BatchRules) -> bool:
    qty = sum(p.qty for p in group) + part.qty
    if qty > min(_cap(p.line, rules) for p in [*group, part]):
        return False
    return part.line.due_min - group[0].line.due_min <= rules.due_window and _timely([*group, part])


def _timely(parts: list[_Part]) -> bool:
    """A batch must be able to finish by its due date: latest release + its work <= earliest due,
    unless one of its lines alone already cannot (then joining does not make it worse)."""
    def slack(ps: list[_Part]) -> float:
        work = sum(op.minutes_per_unit * p.qty for p in ps for op in p.line.ops)
        return min(p.line.due_min for p in ps) - max(p.line.release_min for p in ps) - work
    return slack(parts) >= min(0.0, min(slack([p]) for p in parts))


def _make(bid: str, parts: list[_Part]) -> Batch:
    first = parts[0].line
    qty = sum(p.qty for p in parts)
    ops = tuple(OpSpec(op.process, sum(p.line.ops[k].minutes_per_unit * p.qty for p in parts) / qty, op.setup_key)
                for k, op in enumerate(first.ops))
    return Batch(bid, first.setup_key, tuple(p.name for p in parts), ops,
                 release=max(p.line.release_min for p in parts), due=min(p.line.due_min for p in parts),
                 weight=sum(p.line.weight * p.qty / p.line.qty for p in parts), qty=qty)


def _fill(parts: list[_Part], rules: BatchRules) -> list[list[_Part]]:
    groups: list[list[_Part]] = []
    for part in sorted(parts, key=lambda p: (p.line.due_min, p.name)):
        if groups and _fits(groups[-1], part, rules):
            groups[-1].append(part)
        else:
            groups.append([part])
    merged: list[list[_Part]] = []
    for g in groups:
        small = sum(p.qty for p in g) < rules.min_batch
        if merged and (small or sum(p.qty for p in merged[-1]) < rules.min_batch) and \
                sum(p.qty for p in merged[-1] + g) <= min(_cap(p.line, rules) for p in merged[-1] + g) and \
                _timely(merged[-1] + g):
            merged[-1].extend(g)
        else:
            merged.append(g)
    return merged


def form_batches(lines: tuple[Line, ...] | list[Line], rules: BatchRules, prefix: str = "B") -> BatchFormation:
    """Group ``lines`` into batches by setup key and routing under ``rules``."""
    ids = [ln.id for ln in lines]
    if len(ids) != len(set(ids)):
        raise InvalidInput("duplicate line ids", field="lines")
    by_key: dict[tuple[str, tuple[tuple[str, str | None], ...]], list[_Part]] = {}
    for ln in lines:
        sig = tuple((op.process, op.setup_key) for op in ln.ops)
        by_key.setdefault((ln.setup_key, sig), []).extend(_parts(ln, rules))
    batches: list[Batch] = []
    under: list[str] = []
    for key in sorted(by_key):
        for group in _fill(by_key[key], rules):
            batch = _make(f"{prefix}{len(batches) + 1:03d}-{key[0]}", group)
            batches.append(batch)
            if batch.qty < rules.min_batch:
                under.append(batch.id)
    return BatchFormation(tuple(batches), tuple(under))
