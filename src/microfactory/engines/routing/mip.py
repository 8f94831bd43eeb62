"""Exact batch routing as a MIP (OR-Tools linear solver: SCIP, else CBC) for small problems.

Binary x[i, s, δ]: line i at site s finishing δ days late at most; capacity by cumulative
minutes per (site, process, day); materials pooled over approved substitutes; one setup per
(site, setup key) counted per batch, with the minimum-batch shortfall charged per missing unit;
keep-together groups share one site.
"""

from __future__ import annotations

from collections import defaultdict

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


def solve_mip(t: Tables, groups: NDArray[np.int64], max_late: int, time_limit_s: float, gap: float,
              integer: bool = True) -> tuple[str, float, float, NDArray[np.int64], NDArray[np.int64]]:
    """Status, objective, bound, site per line (-1 unassigned) and planned deadline per line."""
    m = _solver(integer)
    n, s_count = t.cost.shape
    new = m.BoolVar if integer else (lambda name: m.NumVar(0, 1, name))
    xs: dict[tuple[int, int, int], pywraplp.Variable] = {}
    obj = []
    for i in range(n):
        for s in np.nonzero(np.isfinite(t.cost[i]))[0]:
            for dl in range(max_late + 1):
                d = int(t.due[i] - t.delivery[s] + dl)
                if t.earliest[s] <= d < t.horizon:
                    xs[(i, int(s), dl)] = v = new("")
                    obj.append((t.cost[i, s] + t.late_cost * dl) * v)
    u = [new("") for _ in range(n)]
    by_line: dict[int, list[pywraplp.Variable]] = defaultdict(list)
    by_line_site: dict[tuple[int, int], list[pywraplp.Variable]] = defaultdict(list)
    for (i, s, _), v in xs.items():
        by_line[i].append(v)
        by_line_site[(i, s)].append(v)
    for i in range(n):
        m.Add(sum(by_line[i]) + u[i] == 1)
    ccum = cumulative_capacity(t)
    rows: dict[tuple[int, int, int], list[tuple[float, pywraplp.Variable]]] = defaultdict(list)
    for (i, s, dl), v in xs.items():
        d = int(t.due[i] - t.delivery[s] + dl)
        for p in np.nonzero(t.minutes[i])[0]:
            rows[(s, int(p), d)].append((t.minutes[i, p], v))
    for (s, p, d) in rows:
        terms = [tv for (s2, p2, d2), tl in rows.items() if s2 == s and p2 == p and d2 <= d for tv in tl]
        m.Add(sum(a * v for a, v in terms) <= float(ccum[s, p, d]))
    _materials(t, m, xs)
    for g in set(groups[groups >= 0].tolist()):
        members = np.nonzero(groups == g)[0]
        for s in range(s_count):
            first = sum(by_line_site.get((int(members[0]), s), []))
            for i in members[1:]:
                m.Add(sum(by_line_site.get((int(i), s), [])) == first)
    key_terms: dict[tuple[int, int], list[tuple[int, pywraplp.Variable]]] = defaultdict(list)
    for (i, s, _), v in xs.items():
        key_terms[(s, int(t.setup_key[i]))].append((i, v))
    for (s, k), terms in key_terms.items():
        site = t.problem.sites[s]
        b = new("")
        for _, v in terms:
            m.Add(v <= b)
        short = m.NumVar(0, m.infinity(), "")
        m.Add(short >= site.min_batch * b - sum(t.qty[i] * v for i, v in terms))
        obj.append(site.setup_cost * b + site.min_batch_shortfall_cost * short)
    m.Minimize(sum(obj) + sum(t.unassigned_cost * x for x in u))
    m.SetTimeLimit(int(time_limit_s * 1000))
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
        for (i, s, dl), v in xs.items():
            if v.solution_value() > 0.5:
                site_of[i], planned[i] = s, int(t.due[i] - t.delivery[s] + dl)
    bound = m.Objective().BestBound() if integer else m.Objective().Value()
    value = m.Objective().Value() if status in ("optimal", "feasible") else float("inf")
    return status, value, bound, site_of, planned
