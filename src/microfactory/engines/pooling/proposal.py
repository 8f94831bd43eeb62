"""Proposing collaborative runs: which open lines of different brands to pool, and where.

Each open line already has a site and a setup key (routing chose them). Without pooling
every brand makes its lines of one (site, setup key) as its own batch and pays
``fixed_cost + shortfall_cost_per_unit * max(0, min_batch - Q_b)``. A proposed run pools
lines of at least two brands, reaches ``min_batch`` (and stays within ``max_batch``) and
costs ``fixed_cost`` once; lines left out stay in their brand's own batch.

A small CP-SAT model per offer chooses the runs (up to ``min(brands // 2, units //
min_batch)`` runs per offer) and the lines in each to minimise the total cost, i.e. to
save the most against the all-alone baseline. Money is scaled to cents inside the model.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from microfactory.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class OpenLine:
    """A brand's open order line waiting for a batch at a site."""

    id: str
    brand: str
    site: str
    setup_key: str
    quantity: int

    def __post_init__(self) -> None:
        if self.quantity < 1:
            raise InvalidInput(f"line {self.id}: quantity must be >= 1", field="quantity")


@dataclass(frozen=True, slots=True)
class RunOffer:
    """A site's terms for one setup key."""

    site: str
    setup_key: str
    min_batch: int
    fixed_cost: float
    shortfall_cost_per_unit: float = 0.0
    max_batch: int | None = None

    def __post_init__(self) -> None:
        if self.min_batch < 1:
            raise InvalidInput("min_batch must be >= 1", field="min_batch")
        if self.max_batch is not None and self.max_batch < self.min_batch:
            raise InvalidInput("max_batch must be >= min_batch", field="max_batch")
        if min(self.fixed_cost, self.shortfall_cost_per_unit) < 0:
            raise InvalidInput("costs must be >= 0", field="fixed_cost")

    def alone(self, units: int) -> float:
        """Cost of one brand's own batch of ``units`` units (0 when nothing to make)."""
        if units <= 0:
            return 0.0
        return self.fixed_cost + self.shortfall_cost_per_unit * max(self.min_batch - units, 0)


@dataclass(frozen=True, slots=True)
class ProposalParams:
    time_limit_s: float = 5.0
    seed: int = 0
    workers: int = 1

    def __post_init__(self) -> None:
        if self.time_limit_s <= 0 or self.workers < 1:
            raise InvalidInput("time_limit_s must be > 0 and workers >= 1", field="time_limit_s")


@dataclass(frozen=True, slots=True)
class ProposedRun:
    site: str
    setup_key: str
    line_ids: tuple[str, ...]
    brands: tuple[str, ...]
    units: int


@dataclass(frozen=True, slots=True)
class RunProposal:
    """Proposed runs; ``objective`` is the pooled cost, ``saving`` = baseline - objective."""

    runs: tuple[ProposedRun, ...]
    baseline_cost: float
    saving: float
    status: str
    objective: float
    bound: float
    runtime_s: float
    seed: int


def _cents(x: float) -> int:
    return round(x * 100)


class _OfferModel:
    """Variables and constraints of one offer inside the shared CP-SAT model."""

    def __init__(self, m: cp_model.CpModel, offer: RunOffer, lines: list[OpenLine]) -> None:
        self.offer, self.lines = offer, lines
        by_brand: dict[str, list[int]] = defaultdict(list)
        for i, line in enumerate(lines):
            by_brand[line.brand].append(i)
        units = sum(ln.quantity for ln in lines)
        k_max = min(len(by_brand) // 2, units // offer.min_batch)
        self.z = [m.new_bool_var(f"z{k}") for k in range(k_max)]
        self.x = [[m.new_bool_var(f"x{i}_{k}") for k in range(k_max)] for i in range(len(lines))]
        for i in range(len(lines)):
            m.add(sum(self.x[i]) <= 1)
        for k, zk in enumerate(self.z):
            load = sum(lines[i].quantity * self.x[i][k] for i in range(len(lines)))
            m.add(load >= offer.min_batch * zk)
            m.add(load <= (offer.max_batch or units) * zk)
            in_run = []
            for members in by_brand.values():
                w = m.new_bool_var("w")
                m.add(w <= sum(self.x[i][k] for i in members))
                in_run.append(w)
            m.add(sum(in_run) >= 2 * zk)
            if k:
                m.add(self.z[k - 1] >= zk)
        terms: list[cp_model.LinearExprT] = [_cents(offer.fixed_cost) * sum(self.z)]
        terms += [self._leftover_cost(m, members) for members in by_brand.values()]
        self.cost = cp_model.LinearExpr.sum(terms)

    def _leftover_cost(self, m: cp_model.CpModel, members: list[int]) -> cp_model.LinearExprT:
        offer = self.offer
        y = m.new_bool_var("y")
        left = sum(self.lines[i].quantity * (1 - sum(self.x[i])) for i in members)
        for i in members:
            m.add(y >= 1 - sum(self.x[i]))
        short = m.new_int_var(0, offer.min_batch, "short")
        m.add(short >= offer.min_batch * y - left)
        return _cents(offer.fixed_cost) * y + _cents(offer.shortfall_cost_per_unit) * short

    def runs(self, solver: cp_model.CpSolver) -> list[ProposedRun]:
        out = []
        for k, zk in enumerate(self.z):
            if not solver.value(zk):
                continue
            chosen = [ln for i, ln in enumerate(self.lines) if solver.value(self.x[i][k])]
            out.append(ProposedRun(self.offer.site, self.offer.setup_key,
                                   tuple(ln.id for ln in chosen),
                                   tuple(sorted({ln.brand for ln in chosen})),
                                   sum(ln.quantity for ln in chosen)))
        return out


def _baseline(offer: RunOffer, lines: list[OpenLine]) -> float:
    per_brand: dict[str, int] = defaultdict(int)
    for line in lines:
        per_brand[line.brand] += line.quantity
    return sum(offer.alone(q) for q in per_brand.values())


def propose_runs(lines: list[OpenLine], offers: list[RunOffer],
                 params: ProposalParams | None = None) -> RunProposal:
    """Pool open lines of different brands into runs that reach the minimum and save the most."""
    params = params or ProposalParams()
    start = time.perf_counter()
    offer_of = {(o.site, o.setup_key): o for o in offers}
    if len(offer_of) != len(offers):
        raise InvalidInput("two offers for the same site and setup key", field="offers")
    groups: dict[tuple[str, str], list[OpenLine]] = defaultdict(list)
    for line in sorted(lines, key=lambda ln: ln.id):
        if (line.site, line.setup_key) in offer_of:
            groups[(line.site, line.setup_key)].append(line)
    baseline = sum(_baseline(offer_of[key], group) for key, group in groups.items())
    model = cp_model.CpModel()
    parts = [_OfferModel(model, offer_of[key], group) for key, group in sorted(groups.items())]
    model.minimize(sum(p.cost for p in parts))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = params.time_limit_s
    solver.parameters.random_seed = params.seed
    solver.parameters.num_workers = params.workers
    code = solver.solve(model)
    status = {cp_model.OPTIMAL: "optimal", cp_model.FEASIBLE: "feasible",
              cp_model.INFEASIBLE: "infeasible"}.get(code, "unknown")
    if status not in ("optimal", "feasible"):
        return RunProposal((), baseline, 0.0, status, math.nan, math.nan,
                           time.perf_counter() - start, params.seed)
    runs = tuple(r for p in parts for r in p.runs(solver))
    pooled = solver.objective_value / 100
    return RunProposal(runs, baseline, baseline - pooled, status, pooled,
                       solver.best_objective_bound / 100, time.perf_counter() - start, params.seed)
