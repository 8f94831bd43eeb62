"""The class LP: units of each class to sites and lateness levels under capacity in time.

Variables ``x[c, s, k]`` (units of class c made at site s with planned deadline ``due_c −
delivery_s + k``, for k in ``LEVELS``; the k cheapest allowed sites of the class only), an
unassigned slack per class, and per (site, process, day) a *carry* of unused minutes to the
next day. Capacity row (s, p, d): ``Σ minutes × x with deadline d + carry_d − carry_{d−1} <=
minutes added on day d``; summed up to D it is the cumulative (EDF) constraint of
``capacity.py``, with one matrix entry per (variable, process) instead of one per later day.
Its duals ``μ[s, p, d] >= 0`` (non-increasing in d) price a minute of work due by day d; the
line-level bound (``bound.py``) is valid for any such prices, so the LP is only a guide.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from ortools.linear_solver import linear_solver_pb2, pywraplp

from microfactory.engines.routing.capacity import cumulative_capacity
from microfactory.engines.routing.classes import Classes
from microfactory.engines.routing.tables import Tables

_SPECIFIC = {"HIGHS": "output_flag=false"}
LEVELS = (0, 1, 3, 7, 14, 30, 60)
_STATUS = {linear_solver_pb2.MPSOLVER_OPTIMAL: "optimal", linear_solver_pb2.MPSOLVER_FEASIBLE: "feasible",
           linear_solver_pb2.MPSOLVER_INFEASIBLE: "infeasible"}


@dataclass(frozen=True, slots=True)
class LPSolution:
    """Positive flows of the class LP and the capacity prices μ (S, P, H)."""

    status: str
    objective: float
    flow_class: NDArray[np.int64]
    flow_site: NDArray[np.int64]
    flow_deadline: NDArray[np.int64]
    flow_units: NDArray[np.float64]
    mu: NDArray[np.float64]
    columns: int


@dataclass(frozen=True, slots=True)
class _Options:
    cls: NDArray[np.int64]
    site: NDArray[np.int64]
    deadline: NDArray[np.int64]
    obj: NDArray[np.float64]


def levels(max_late: int) -> NDArray[np.int64]:
    """Lateness levels (days) up to ``max_late``, always including ``max_late`` itself."""
    return np.array(sorted({k for k in LEVELS if k <= max_late} | {max_late}), dtype=np.int64)


def _options(t: Tables, cl: Classes, k: int, max_late: int) -> _Options:
    c_count, s_count = cl.cost_pu.shape
    k = min(k, s_count)
    if k < s_count:
        cand = np.argpartition(cl.cost_pu, k - 1, axis=1)[:, :k]
    else:
        cand = np.broadcast_to(np.arange(s_count), (c_count, s_count))
    cc = np.take_along_axis(cl.cost_pu, cand, axis=1)
    lv = levels(max_late)
    dl = (cl.due[:, None] - t.delivery[cand])[:, :, None] + lv[None, None, :]
    ok = np.isfinite(cc)[:, :, None] & (dl >= t.earliest[cand][:, :, None]) & (dl < t.horizon)
    late_pu = t.late_cost * cl.lines / np.maximum(cl.units, 1e-12)
    obj = cc[:, :, None] + late_pu[:, None, None] * lv[None, None, :]
    cls = np.broadcast_to(np.arange(c_count)[:, None, None], ok.shape)
    site = np.broadcast_to(cand[:, :, None], ok.shape)
    return _Options(cls[ok].astype(np.int64), site[ok].astype(np.int64), dl[ok].astype(np.int64), obj[ok])


def _entries(t: Tables, cl: Classes, o: _Options, row_id: NDArray[np.int64]
             ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """(row, variable, coefficient) of the capacity and class rows."""
    n_opt, c_count, h = len(o.cls), len(cl.units), t.horizon
    rows, cols, vals = [o.cls, np.arange(c_count)], [np.arange(n_opt), n_opt + np.arange(c_count)], \
        [np.ones(n_opt), np.ones(c_count)]
    for p in range(len(t.processes)):
        a = cl.minutes_pu[o.cls, p]
        on = np.nonzero(a > 0)[0]
        rows.append(c_count + row_id[o.site[on], p] * h + o.deadline[on])
        cols.append(on)
        vals.append(a[on])
    pairs = int(row_id.max(initial=-1)) + 1
    carry = np.arange(pairs * h)
    base = n_opt + c_count
    rows += [c_count + carry, c_count + carry[(carry % h) < h - 1] + 1]
    cols += [base + carry, base + carry[(carry % h) < h - 1]]
    vals += [np.ones(len(carry)), -np.ones(int(((carry % h) < h - 1).sum()))]
    return (np.concatenate(rows).astype(np.int64), np.concatenate(cols).astype(np.int64),
            np.concatenate(vals).astype(np.float64))


def _model(t: Tables, cl: Classes, o: _Options) -> tuple[linear_solver_pb2.MPModelProto, NDArray[np.int64]]:
    s_count, p_count, h = t.cap.shape
    used = np.zeros((s_count, p_count), dtype=bool)
    for p in range(p_count):
        used[o.site[cl.minutes_pu[o.cls, p] > 0], p] = True
    row_id = np.full((s_count, p_count), -1, dtype=np.int64)
    row_id[used] = np.arange(int(used.sum()))
    inc = np.diff(cumulative_capacity(t), axis=2, prepend=0.0)
    upper = np.concatenate([cl.units, inc[used].reshape(-1)])
    lower = np.concatenate([cl.units, np.full(int(used.sum()) * h, -np.inf)])
    unassigned_pu = t.unassigned_cost * cl.lines / np.maximum(cl.units, 1e-12)
    obj = np.concatenate([o.obj, unassigned_pu, np.zeros(int(used.sum()) * h)])
    m = linear_solver_pb2.MPModelProto()
    var = linear_solver_pb2.MPVariableProto
    m.variable.extend([var(lower_bound=0.0, objective_coefficient=c) for c in obj.tolist()])
    r, c, v = _entries(t, cl, o, row_id)
    order = np.argsort(r, kind="stable")
    r, c, v = r[order], c[order], v[order]
    cuts = np.searchsorted(r, np.arange(len(upper) + 1)).tolist()
    c_list, v_list = c.tolist(), v.tolist()
    for j, (lo, up) in enumerate(zip(lower.tolist(), upper.tolist())):
        ct = m.constraint.add(lower_bound=lo, upper_bound=up)
        ct.var_index.extend(c_list[cuts[j]:cuts[j + 1]])
        ct.coefficient.extend(v_list[cuts[j]:cuts[j + 1]])
    return m, row_id


def solve_class_lp(t: Tables, cl: Classes, candidates: int, max_late: int, time_limit_s: float,
                   solver: str = "GLOP") -> LPSolution:
    """Solve the class LP (GLOP dual simplex by default; ``PDLP`` for very large ones)."""
    o = _options(t, cl, candidates, max_late)
    model, row_id = _model(t, cl, o)
    kind = getattr(linear_solver_pb2.MPModelRequest, f"{solver}_LINEAR_PROGRAMMING")
    request = linear_solver_pb2.MPModelRequest(model=model, solver_type=kind, solver_specific_parameters=_SPECIFIC.get(solver, ""),
                                               solver_time_limit_seconds=max(time_limit_s, 0.1))
    response = linear_solver_pb2.MPSolutionResponse()
    pywraplp.Solver.SolveWithProto(request, response)
    status = _STATUS.get(response.status, "unknown")
    s_count, p_count, h = t.cap.shape
    mu = np.zeros((s_count, p_count, h))
    if status not in ("optimal", "feasible"):
        empty = np.zeros(0, dtype=np.int64)
        return LPSolution(status, float("inf"), empty, empty, empty, np.zeros(0), mu, len(o.cls))
    x = np.asarray(response.variable_value)[: len(o.cls)]
    duals = np.asarray(response.dual_value)[len(cl.units):]
    if len(duals):
        mu[row_id >= 0] = np.maximum(-duals.reshape(-1, h), 0.0)
    mu = np.maximum.accumulate(mu[:, :, ::-1], axis=2)[:, :, ::-1]
    on = np.nonzero(x > 1e-9)[0]
    return LPSolution(status, float(response.objective_value), o.cls[on], o.site[on], o.deadline[on], x[on],
                      np.ascontiguousarray(mu), len(o.cls))
