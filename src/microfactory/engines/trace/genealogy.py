"""Batch genealogy as a pure graph: material lots -> batches -> units and orders.

A batch consumes material lots (or the output lot of another batch, for sub-assemblies),
is made at one site by some workers, is inspected, and yields units that go to orders.
:func:`trace_forward` follows a material lot to every batch, unit and order downstream
(a recall list); :func:`trace_back` follows a unit or a batch to every lot, site, worker
and inspection upstream.
"""

from __future__ import annotations

from dataclasses import dataclass

from microfactory.errors import InvalidInput, NotFound


@dataclass(frozen=True, slots=True)
class LotUse:
    """A quantity of one material lot consumed by a batch."""

    lot_id: str
    quantity: float
    uom: str = "MTR"

    def __post_init__(self) -> None:
        if not self.lot_id or not self.quantity > 0:
            raise InvalidInput("a lot use needs a lot id and a positive quantity",
                               field="lot_id")


@dataclass(frozen=True, slots=True)
class BatchRecord:
    """One batch: where, by whom, from which lots, checked by which inspections."""

    batch_id: str
    site_id: str
    inputs: tuple[LotUse, ...]
    output_lot: str
    workers: tuple[str, ...] = ()
    inspections: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.batch_id or not self.site_id or not self.output_lot:
            raise InvalidInput("batch_id, site_id and output_lot are required", field="batch_id")


@dataclass(frozen=True, slots=True)
class UnitRecord:
    """A made unit (serial or position in the batch) and the order line it went to."""

    unit_id: str
    batch_id: str
    order_id: str | None = None


@dataclass(frozen=True, slots=True)
class Genealogy:
    """The whole graph; build it with :func:`build_genealogy` to get it checked."""

    batches: tuple[BatchRecord, ...]
    units: tuple[UnitRecord, ...]
    order_batches: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class ForwardTrace:
    """Everything downstream of a lot."""

    lot_id: str
    batches: tuple[str, ...]
    units: tuple[str, ...]
    orders: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BackTrace:
    """Everything upstream of a unit or batch."""

    start: str
    batches: tuple[str, ...]
    lots: tuple[str, ...]
    sites: tuple[str, ...]
    workers: tuple[str, ...]
    inspections: tuple[str, ...]


def build_genealogy(batches: tuple[BatchRecord, ...], units: tuple[UnitRecord, ...] = (),
                    order_batches: tuple[tuple[str, str], ...] = ()) -> Genealogy:
    """Check ids are unique and references resolve; ``order_batches`` are (order, batch)."""
    ids = [b.batch_id for b in batches]
    if len(set(ids)) != len(ids):
        raise InvalidInput("batch ids must be unique", field="batches")
    outputs = [b.output_lot for b in batches]
    if len(set(outputs)) != len(outputs):
        raise InvalidInput("two batches cannot produce the same lot", field="output_lot")
    unit_ids = [u.unit_id for u in units]
    if len(set(unit_ids)) != len(unit_ids):
        raise InvalidInput("unit ids must be unique", field="units")
    known = set(ids)
    for ref in [u.batch_id for u in units] + [b for _, b in order_batches]:
        if ref not in known:
            raise InvalidInput(f"unknown batch {ref!r}", field="batch_id")
    graph = Genealogy(tuple(batches), tuple(units), tuple(order_batches))
    for b in batches:
        _upstream_batches(graph, b.batch_id)  # refuses cycles
    return graph


def _batch(graph: Genealogy, batch_id: str) -> BatchRecord:
    for b in graph.batches:
        if b.batch_id == batch_id:
            return b
    raise NotFound(f"no batch {batch_id!r}", field="batch_id")


def _upstream_batches(graph: Genealogy, batch_id: str) -> list[BatchRecord]:
    """The batch and every batch whose output lot it (transitively) consumed."""
    producer = {b.output_lot: b for b in graph.batches}
    found: list[BatchRecord] = []
    stack = [(_batch(graph, batch_id), 0)]
    path: list[str] = []
    while stack:
        batch, depth = stack.pop()
        del path[depth:]
        if batch.batch_id in path:
            raise InvalidInput(f"batch {batch.batch_id} consumes its own output", field="inputs")
        path.append(batch.batch_id)
        if batch not in found:
            found.append(batch)
        stack += [(producer[u.lot_id], depth + 1) for u in batch.inputs if u.lot_id in producer]
    return found


def trace_forward(graph: Genealogy, lot_id: str) -> ForwardTrace:
    """Batches made from the lot (through sub-assemblies), their units and the orders."""
    reached: list[str] = []
    frontier = {lot_id}
    while frontier:
        users = [b for b in graph.batches if b.batch_id not in reached
                 and any(u.lot_id in frontier for u in b.inputs)]
        reached += [b.batch_id for b in users]
        frontier = {b.output_lot for b in users}
    if not reached and all(b.output_lot != lot_id for b in graph.batches):
        raise NotFound(f"lot {lot_id!r} was not used by any batch", field="lot_id")
    units = tuple(u.unit_id for u in graph.units if u.batch_id in reached)
    orders = {u.order_id for u in graph.units if u.batch_id in reached and u.order_id}
    orders |= {o for o, b in graph.order_batches if b in reached}
    return ForwardTrace(lot_id, tuple(reached), units, tuple(sorted(orders)))


def trace_back(graph: Genealogy, unit_or_batch: str) -> BackTrace:
    """Lots, sites, workers and inspections behind a unit id or a batch id."""
    unit = next((u for u in graph.units if u.unit_id == unit_or_batch), None)
    start_batch = unit.batch_id if unit is not None else unit_or_batch
    batches = _upstream_batches(graph, start_batch)
    own_outputs = {b.output_lot for b in batches}
    lots = [u.lot_id for b in batches for u in b.inputs if u.lot_id not in own_outputs]
    return BackTrace(
        start=unit_or_batch,
        batches=tuple(b.batch_id for b in batches),
        lots=tuple(dict.fromkeys(lots)),
        sites=tuple(dict.fromkeys(b.site_id for b in batches)),
        workers=tuple(dict.fromkeys(w for b in batches for w in b.workers)),
        inspections=tuple(dict.fromkeys(i for b in batches for i in b.inspections)),
    )
