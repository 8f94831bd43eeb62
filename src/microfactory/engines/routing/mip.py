"""Exact batch routing as a MIP (OR-Tools linear solver: SCIP, else CBC) for small problems.

Binary x[i, s, δ]: line i at site s finishing δ days late at most; capacity by cumulative
minutes per (site, process, day); materials pooled over approved substitutes; the shared linear
cost per line (setup spread over the site's minimum batch, as every policy and ``explain``
count it) plus the minimum-batch shortfall per (site, setup key) and missing unit;
keep-together groups share one site.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from ortools.linear_solver import pywraplp

from microfactory.engines.routing.capacity import cumulative_capacity
from microfactory.engines.routing.tables import Tables


def _solver(integer: bool) -> pywraplp.Solver:
    for name in (("SCIP", "CBC") if integer else ("GLOP",)):
        s = pywraplp.Solver.CreateSolver(name)
        if s is not None:
            return s
    raise RuntimeError("no OR-Tools MIP solver available")


def _materials(t: Tables, m: pywraplp.Solver, xs: dict[tuple[int, int, int], pywraplp.Variable]) -> None:
    sites, lines = t.problem.sites, t.problem.lines
    demand: dict[tuple[int, tuple[str, ...]], list[tuple[float, pywraplp.Variable]]] = defaultdict(list)
    for (i, s, _), v in xs.items():
        if sites[s].materials is not None:
            for need in lines[i].materials:
                demand[(s, need.acceptable)].append((need.qty_per_unit * lines[i].qty, v))
    supply: dict[tuple[int, str], list[pywraplp.Variable]] = defaultdict(list)
    for (s, acc), terms in demand.items():
        ys = [m.NumVar(0, m.infinity(), "") for _ in acc]
        m.Add(sum(ys) == sum(q * v for q, v in terms))
        for mat, y in zip(acc, ys):
            supply[(s, mat)].append(y)
    for (s, mat), ys in supply.items():
        m.Add(sum(ys) <= (sites[s].materials or {}).get(mat, 0.0))


def _options(t: Tables, max_late: int) -> list[tuple[int, int, int, int]]:
    """(line, site, days late, planned deadline) of every allowed option within the horizon."""
    out = []
    n, _ = t.cost.shape
    for i in range(n):
        sites = np.nonzero(np.isfinite(t.cost[i]))[0]
        base, first = t.deadline(i, sites), t.first(i, sites)
        for s, b, f in zip(sites.tolist(), base.tolist(), first.tolist()):
            for dl in range(max_late + 1):
                if f <= b + dl < t.horizon:
                    out.append((i, s, dl, b + dl))
    return out


def _capacity(t: Tables, m: pywraplp.Solver, opts: list[tuple[int, int, int, int]],
              xs: list[pywraplp.Variable]) -> None:
    """Cumulative capacity per (site, process, day): one pass per calendar, days in order."""
    ccum = cumulative_capacity(t)
    rows: dict[tuple[int, int], dict[int, list[tuple[float, pywraplp.Variable]]]] = defaultdict(
        lambda: defaultdict(list))
    for (i, s, _, d), v in zip(opts, xs):
        for p in np.nonzero(t.minutes[i])[0].tolist():
            rows[(s, p)][d].append((float(t.minutes[i, p]), v))
    for (s, p), by_day in rows.items():
        terms: list[tuple[float, pywraplp.Variable]] = []
        for d in sorted(by_day):
            terms.extend(by_day[d])
            m.Add(m.Sum([a * v for a, v in terms]) <= float(ccum[s, p, d]))


def solve_mip(t: Tables, groups: NDArray[np.int64], max_late: int, time_limit_s: float, gap: float,
              integer: bool = True, deadline: float | None = None, clock: Callable[[], float] | None = None
              ) -> tuple[str, float, float, NDArray[np.int64], NDArray[np.int64]]:
    """Status, objective, bound, site per line (-1 unassigned) and planned deadline per line.

    The objective is the shared linear one (``t.cost`` with setup spread over the minimum batch,
    lateness, unassigned) plus the minimum-batch shortfall per (site, setup key). Model building
    counts against ``time_limit_s`` when ``deadline`` and ``clock`` are given.
    """
    m = _solver(integer)
    n, s_count = t.cost.shape
    new = m.BoolVar if integer else (lambda name: m.NumVar(0, 1, name))
    opts = _options(t, max_late)
    xs = [new("") for _ in opts]
    obj = [(float(t.cost[i, s]) + t.late_cost * dl) * v for (i, s, dl, _), v in zip(opts, xs)]
    u = [new("") for _ in range(n)]
    by_line: dict[int, list[pywraplp.Variable]] = defaultdict(list)
    by_line_site: dict[tuple[int, int], list[pywraplp.Variable]] = defaultdict(list)
    for (i, s, _, _), v in zip(opts, xs):
        by_line[i].append(v)
        by_line_site[(i, s)].append(v)
    for i in range(n):
        m.Add(m.Sum(by_line[i]) + u[i] == 1)
    _capacity(t, m, opts, xs)
    _materials(t, m, dict(zip([(i, s, dl) for i, s, dl, _ in opts], xs)))
    for g in set(groups[groups >= 0].tolist()):
        members = np.nonzero(groups == g)[0]
        for s in range(s_count):
            first = m.Sum(by_line_site.get((int(members[0]), s), []))
            for i in members[1:]:
                m.Add(m.Sum(by_line_site.get((int(i), s), [])) == first)
    obj.extend(_shortfall(t, m, opts, xs, new))
    m.Minimize(m.Sum(obj) + m.Sum([t.unassigned_cost * x for x in u]))
    left = time_limit_s if deadline is None or clock is None else deadline - clock()
    m.SetTimeLimit(max(1, int(left * 1000)))
    return _solve(t, m, opts, xs, integer, gap, n)


def _shortfall(t: Tables, m: pywraplp.Solver, opts: list[tuple[int, int, int, int]],
               xs: list[pywraplp.Variable], new: Callable[[str], pywraplp.Variable]) -> list[object]:
    """Minimum-batch shortfall terms: one batch indicator per (site, setup key) used."""
    key_terms: dict[tuple[int, int], list[tuple[int, pywraplp.Variable]]] = defaultdict(list)
    for (i, s, _, _), v in zip(opts, xs):
        key_terms[(s, int(t.setup_key[i]))].append((i, v))
    out: list[object] = []
    for (s, _), terms in key_terms.items():
        site = t.problem.sites[s]
        if site.min_batch <= 1 or site.min_batch_shortfall_cost == 0:
            continue
        b = new("")
        for _, v in terms:
            m.Add(v <= b)
        short = m.NumVar(0, m.infinity(), "")
        m.Add(short >= site.min_batch * b - m.Sum([float(t.qty[i]) * v for i, v in terms]))
        out.append(site.min_batch_shortfall_cost * short)
    return out


def _solve(t: Tables, m: pywraplp.Solver, opts: list[tuple[int, int, int, int]], xs: list[pywraplp.Variable],
           integer: bool, gap: float, n: int) -> tuple[str, float, float, NDArray[np.int64], NDArray[np.int64]]:
    if integer:
        params = pywraplp.MPSolverParameters()
        params.SetDoubleParam(params.RELATIVE_MIP_GAP, gap)
        code = m.Solve(params)
    else:
        code = m.Solve()
    status = {pywraplp.Solver.OPTIMAL: "optimal", pywraplp.Solver.FEASIBLE: "feasible",
              pywraplp.Solver.INFEASIBLE: "infeasible"}.get(code, "unknown")
    site_of = np.full(n, -1, dtype=np.int64)
    planned = np.zeros(n, dtype=np.int64)
    if status in ("optimal", "feasible"):
        for (i, s, _, d), v in zip(opts, xs):
            if v.solution_value() > 0.5:
                site_of[i], planned[i] = s, d
    bound = m.Objective().BestBound() if integer else m.Objective().Value()
    value = m.Objective().Value() if status in ("optimal", "feasible") else float("inf")
    return status, value, bound, site_of, planned
