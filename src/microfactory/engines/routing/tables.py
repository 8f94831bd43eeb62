"""Vectorised cost and feasibility tables of a routing problem (lines x sites).

Costs follow ``engines.cost_model`` exactly (``breakdown`` is the scalar reference, and tests
check the two agree). Time is in whole days relative to ``problem.start_day``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from microfactory.domain.geo import EARTH_RADIUS_KM
from microfactory.engines.cost_model import (
    BomLine, CostBreakdown, ProductionInput, production_cost, total_cost, transport_cost,
)
from microfactory.engines.emissions import GCD_UPLIFT, g_per_tkm
from microfactory.engines.routing.types import REASONS, RoutingLine, RoutingParams, RoutingProblem, RoutingSite, Rule

OK = 0
STEPS_ONLINE = (0, 1, 2, 3, 4, 5, 7, 10, 14, 21, 30, 60)
CODE = {name: i + 1 for i, name in enumerate(REASONS)}


@dataclass(frozen=True, slots=True)
class Tables:
    """Arrays the solvers share. ``reason[i, s] == 0`` means site s may make line i."""

    problem: RoutingProblem
    processes: tuple[str, ...]
    horizon: int
    cap: NDArray[np.float64]        # (S, P, H) minutes per day
    earliest: NDArray[np.int64]     # (S,) first working day for new work
    minutes: NDArray[np.float64]    # (N, P) total minutes of the line
    due: NDArray[np.int64]          # (N,) due day
    delivery: NDArray[np.int64]     # (S,) delivery days
    cost: NDArray[np.float64]       # (N, S) cost when on time (inf where not allowed)
    reason: NDArray[np.int8]        # (N, S) static reason code
    qty: NDArray[np.float64]        # (N,)
    setup_key: NDArray[np.int64]    # (N,) index into setup_keys
    setup_keys: tuple[str, ...]
    late_cost: float
    unassigned_cost: float
    setup_counted_per_batch: bool
    release: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # (N,)
    dl_key: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))   # i * S + s
    dl_val: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))   # delivery days

    def delivery_of(self, i: NDArray[np.int64] | int, s: NDArray[np.int64] | int) -> NDArray[np.int64]:
        """Delivery days of line i from site s (per-line overrides first, else the site's)."""
        i_a, s_a = np.asarray(i, dtype=np.int64), np.asarray(s, dtype=np.int64)
        days = self.delivery[s_a]
        if len(self.dl_key) == 0:
            return np.asarray(np.broadcast_to(days, np.broadcast_shapes(i_a.shape, s_a.shape)))
        key = i_a * len(self.delivery) + s_a
        pos = np.minimum(np.searchsorted(self.dl_key, key), len(self.dl_key) - 1)
        return np.asarray(np.where(self.dl_key[pos] == key, self.dl_val[pos], days))

    def deadline(self, i: NDArray[np.int64] | int, s: NDArray[np.int64] | int) -> NDArray[np.int64]:
        """Last working day at site s for line i to be delivered by its due day."""
        return np.asarray(self.due[i] - self.delivery_of(i, s))

    def first(self, i: NDArray[np.int64] | int, s: NDArray[np.int64] | int) -> NDArray[np.int64]:
        """First day line i can be worked at site s: its release day plus the site's lead time."""
        rel = self.release[i] if len(self.release) else np.zeros_like(np.asarray(i))
        return np.asarray(rel + self.earliest[s])


def _rule_match(line: RoutingLine, rules: tuple[Rule, ...]) -> Rule | None:
    from microfactory.domain.geo import haversine_km_raw

    for r in rules:
        if r.brand not in (None, line.brand) or r.product not in (None, line.product):
            continue
        if r.channel not in (None, line.channel):
            continue
        if r.area is not None and haversine_km_raw(r.area[0], r.area[1], line.lat, line.lon) > r.area[2]:
            continue
        return r
    return None


def _material_ok(line: RoutingLine, site: RoutingSite) -> bool:
    if site.materials is None:
        return True
    stock = dict(site.materials)
    for need in line.materials:
        want = need.qty_per_unit * line.qty
        for m in need.acceptable:
            if stock.get(m, 0.0) >= want - 1e-9:
                stock[m] -= want
                break
        else:
            return False
    return True


def _distances(lat: NDArray[np.float64], lon: NDArray[np.float64], slat: NDArray[np.float64],
               slon: NDArray[np.float64]) -> NDArray[np.float64]:
    p1, p2 = np.radians(lat)[:, None], np.radians(slat)[None, :]
    dl = np.radians(slon)[None, :] - np.radians(lon)[:, None]
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h))))


def _static_reasons(problem: RoutingProblem, params: RoutingParams, processes: tuple[str, ...],
                    minutes: NDArray[np.float64]) -> tuple[NDArray[np.int8], list[Rule | None]]:
    sites, lines = problem.sites, problem.lines
    n, s_count = len(lines), len(sites)
    reason = np.zeros((n, s_count), dtype=np.int8)
    has = np.array([[p in s.capacity and max(s.capacity[p]) > 0 for p in processes] for s in sites],
                   dtype=bool).reshape(s_count, len(processes))
    needs = minutes > 0
    missing = (needs[:, None, :] & ~has[None, :, :]).any(axis=2)
    reason[missing] = CODE["no_capability"]
    brands = sorted({ln.brand for ln in lines})
    b_index = np.array([brands.index(ln.brand) for ln in lines], dtype=np.int64)
    allowed = np.array([[s.brands_allowed is None or b in s.brands_allowed for s in sites] for b in brands],
                       dtype=bool).reshape(len(brands), s_count)
    reason[~allowed[b_index]] = CODE["brand_not_allowed"]
    tracked = [j for j, s in enumerate(sites) if s.materials is not None]
    memo: dict[tuple[object, ...], bool] = {}
    for i, ln in enumerate(lines):
        if not ln.materials:
            continue
        for j in tracked:
            key = (ln.materials, ln.qty, j)
            if key not in memo:
                memo[key] = _material_ok(ln, sites[j])
            if not memo[key] and reason[i, j] == OK:
                reason[i, j] = CODE["no_material"]
    matched: list[Rule | None] = [_rule_match(ln, params.rules) for ln in lines] if params.rules else [None] * n
    if params.rules_as_hard:
        index = {s.id: j for j, s in enumerate(sites)}
        for i, r in enumerate(matched):
            if r is not None:
                keep = np.zeros(s_count, dtype=bool)
                keep[[index[x] for x in (r.site_id, r.fallback_site_id) if x in index]] = True
                reason[i, ~keep & (reason[i] == OK)] = CODE["rule_excluded"]
    down = np.array([s.status == "down" for s in sites], dtype=bool)
    reason[:, down] = CODE["site_down"]
    return reason, matched


def _cost_matrix(problem: RoutingProblem, minutes: NDArray[np.float64], per_batch: bool) -> NDArray[np.float64]:
    sites, lines, cp = problem.sites, problem.lines, problem.cost
    qty = np.array([ln.qty for ln in lines], dtype=np.float64)
    material = np.array([sum(m.qty_per_unit * m.unit_cost for m in ln.materials) for ln in lines]) * qty
    rate = np.array([(s.staff_rate_per_hour + s.machine_rate_per_hour) / 60.0 for s in sites])
    setup = np.zeros(len(sites)) if per_batch else np.array([s.setup_cost / s.min_batch for s in sites])
    modes = [s.delivery_mode for s in sites]
    km_factor = np.array([cp.distance_factor(m) for m in modes])
    price = np.array([cp.price_per_km(m) for m in modes])
    gtkm = np.array([g_per_tkm(m) * GCD_UPLIFT.get(m, 1.0) for m in modes])
    tonnes = qty * np.array([ln.weight_kg for ln in lines]) / 1000.0
    slat = np.array([s.lat for s in sites]), np.array([s.lon for s in sites])
    lat, lon = np.array([ln.lat for ln in lines]), np.array([ln.lon for ln in lines])
    out = np.empty((len(lines), len(sites)))
    step = 8192
    for a in range(0, len(lines), step):
        b = min(a + step, len(lines))
        km = _distances(lat[a:b], lon[a:b], slat[0], slat[1]) * km_factor
        kg = km * tonnes[a:b, None] * gtkm / 1000.0
        out[a:b] = (material[a:b, None] + minutes[a:b].sum(axis=1)[:, None] * rate + qty[a:b, None] * setup
                    + km * price + kg * cp.carbon_price_per_kg)
    return out


def _adjust(cost: NDArray[np.float64], problem: RoutingProblem, params: RoutingParams,
            matched: list[Rule | None]) -> None:
    index = {s.id: j for j, s in enumerate(problem.sites)}
    if params.operator_bonus:
        bonus = np.array([params.operator_bonus.get(s.operator, 0.0) for s in problem.sites])
        cost -= bonus[None, :]
    if not params.rules_as_hard:
        for i, r in enumerate(matched):
            if r is not None and r.site_id in index:
                cost[i, index[r.site_id]] -= params.rule_bonus
            if r is not None and r.fallback_site_id in index:
                cost[i, index[r.fallback_site_id or ""]] -= params.rule_bonus / 2
    _penalties(cost, problem, index)


def _penalties(cost: NDArray[np.float64], problem: RoutingProblem, index: dict[str, int]) -> None:
    """Add the per-(line, site) and per-(site, family) money adjustments (quality penalties)."""
    if problem.site_penalty:
        lindex = {ln.id: i for i, ln in enumerate(problem.lines)}
        for (lid, sid), money in problem.site_penalty.items():
            if lid in lindex and sid in index:
                cost[lindex[lid], index[sid]] += money
    if problem.family_penalty:
        fams = sorted({ln.family for ln in problem.lines})
        f_of = np.array([fams.index(ln.family) for ln in problem.lines], dtype=np.int64)
        table = np.zeros((len(fams), len(problem.sites)))
        for (sid, fam), money in problem.family_penalty.items():
            if sid in index and fam in fams:
                table[fams.index(fam), index[sid]] += money
        cost += table[f_of]


def _overrides(problem: RoutingProblem) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Sorted keys (line index x sites + site index) and values of the per-line delivery days."""
    if not problem.delivery_days:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    lindex = {ln.id: i for i, ln in enumerate(problem.lines)}
    sindex = {s.id: j for j, s in enumerate(problem.sites)}
    pairs = sorted((lindex[a] * len(sindex) + sindex[b], d) for (a, b), d in problem.delivery_days.items()
                   if a in lindex and b in sindex)
    return (np.array([k for k, _ in pairs], dtype=np.int64).reshape(len(pairs)),
            np.array([d for _, d in pairs], dtype=np.int64).reshape(len(pairs)))


def build_tables(problem: RoutingProblem, params: RoutingParams, per_batch: bool = False) -> Tables:
    """Cost and feasibility of every (line, site) pair, plus the capacity calendar."""
    lines, sites = problem.lines, problem.sites
    processes = tuple(sorted({p for ln in lines for p in ln.minutes} | {p for s in sites for p in s.capacity}))
    pidx = {p: k for k, p in enumerate(processes)}
    minutes = np.zeros((len(lines), len(processes)))
    for i, ln in enumerate(lines):
        for p, m in ln.minutes.items():
            minutes[i, pidx[p]] = m * ln.qty
    due = np.array([ln.due_day - problem.start_day for ln in lines], dtype=np.int64).reshape(len(lines))
    release = np.array([max(0, ln.created_day - problem.start_day) for ln in lines],
                       dtype=np.int64).reshape(len(lines))
    dl_key, dl_val = _overrides(problem)
    lead = max((s.lead_time_days for s in sites), default=0)
    horizon = int(max(due.max(initial=0), release.max(initial=0) + lead, 0) + params.max_late_days + 1)
    cap = np.zeros((len(sites), len(processes), horizon))
    for j, s in enumerate(sites):
        for p, days in s.capacity.items():
            row = np.asarray(days[:horizon], dtype=np.float64)
            cap[j, pidx[p], :len(row)] = row
            cap[j, pidx[p], len(row):] = days[-1]
    reason, matched = _static_reasons(problem, params, processes, minutes)
    cost = _cost_matrix(problem, minutes, per_batch)
    _adjust(cost, problem, params, matched)
    keys = tuple(sorted({ln.setup_key for ln in lines}))
    kidx = {k: j for j, k in enumerate(keys)}
    return Tables(
        problem=problem, processes=processes, horizon=horizon, cap=cap,
        earliest=np.array([s.lead_time_days for s in sites], dtype=np.int64).reshape(len(sites)),
        minutes=minutes, due=due,
        delivery=np.array([s.delivery_days for s in sites], dtype=np.int64).reshape(len(sites)),
        cost=np.where(reason == OK, cost, np.inf), reason=reason,
        qty=np.array([ln.qty for ln in lines], dtype=np.float64).reshape(len(lines)),
        setup_key=np.array([kidx[ln.setup_key] for ln in lines], dtype=np.int64).reshape(len(lines)),
        setup_keys=keys, late_cost=problem.cost.lateness_penalty_per_day,
        unassigned_cost=problem.cost.unassigned_penalty, setup_counted_per_batch=per_batch,
        release=release, dl_key=dl_key, dl_val=dl_val)


def breakdown(problem: RoutingProblem, line: RoutingLine, site: RoutingSite, days_late: int,
              batch_units: int | None = None, adjustments: tuple[tuple[str, float], ...] = ()) -> CostBreakdown:
    """The cost-model breakdown of making ``line`` at ``site`` (setup spread over ``batch_units``)."""
    bom = tuple(BomLine(m.material_id, m.qty_per_unit * line.qty, m.unit_cost) for m in line.materials)
    minutes = sum(line.minutes.values())
    job = ProductionInput(units=line.qty, bom=bom, staffed_minutes_per_unit=minutes,
                          machine_minutes_per_unit=minutes, staff_rate_per_hour=site.staff_rate_per_hour,
                          machine_rate_per_hour=site.machine_rate_per_hour,
                          setup_cost=site.setup_cost if batch_units is None or batch_units > 0 else 0.0,
                          batch_units=batch_units or site.min_batch)
    leg = transport_cost((site.lat, site.lon), (line.lat, line.lon), site.delivery_mode,
                         line.qty * line.weight_kg, problem.cost)
    return total_cost(production_cost(job, "spread"), leg, days_late, problem.cost, adjustments)
