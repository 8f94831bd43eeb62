"""Where the routing gap is: bound weakness versus plan weakness, on the small benchmark scenarios.

Run: .venv/bin/python benchmarks/routing_gap.py [--sizes 20x1000,200x1000] [--loads loose,tight]
     [--mip-s 240] [--decomp-s 120] [--lns-s 120]

Per scenario (the seeds and generator of ``benchmarks/routing.py``):

* **ascent bound**: the capacity-Lagrangian bound after the benchmark's ascent share of the time
  limit, and after a long ascent (``--ascent-s``): how far better multipliers move it.
* **site-decomposition bound** (``sitebound.py``): assignment rows relaxed, exact capacity and
  minimum batches per site (CP-SAT per site), multipliers π improved by subgradient steps for
  ``--decomp-s``. Valid for any π; it includes the minimum-batch shortfall and line integrality.
* **restricted CP-SAT**: the exact model (CP-SAT, hinted with the benchmark plan) over each line's cheapest priced sites and all
  late days up to ``max_late_days``; its incumbent, priced by the same ``evaluate`` as every plan,
  is a feasible plan (an upper bound on the optimum); its own dual bound is *not* a bound for
  the full problem (sites were dropped) and is not used.
* **exact LNS** (``--lns-s``): from the better of those two plans, repeatedly free every line of a
  random site and its nearest sites (``LNS_LINES`` lines on average, at least two sites) and re-solve those lines over those sites
  exactly (the same CP-SAT model on the sub-problem, 1 s each, hinted); a sub-plan is kept when
  ``evaluate`` prices it lower. Every sub-problem is the whole cost of its sites (their capacity,
  batches and lateness are theirs alone), so a kept sub-plan lowers the total by what it saves.

The optimum lies between the best valid bound and the best plan known; the benchmark plan's
distance to the restricted-MIP plan is plan weakness that is certainly there, and the distance
from the long-run bound to the benchmark's bound is bound weakness that is certainly there.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _results import machine_line, md_table, record

from microfactory.engines.routing import RoutingParams, generate, route_batch
from microfactory.engines.routing.capacity import cumulative_capacity
from microfactory.engines.routing.lagrange import ascend
from microfactory.engines.routing.result import evaluate
from microfactory.engines.routing.sitebound import decomposition_bound
from microfactory.engines.routing.tables import Tables, build_tables
from microfactory.engines.routing.types import RoutingProblem

LOADS = {"loose": 0.6, "tight": 0.95}
LIMITS = {1000: 10.0, 10_000: 20.0}


def restricted_cpsat(t: Tables, prices: np.ndarray, keep: int, max_late: int, limit_s: float,
                     hint: tuple[np.ndarray, np.ndarray]) -> tuple[str, np.ndarray, np.ndarray]:
    """CP-SAT over each line's ``keep`` cheapest priced sites (plus its hinted site) and its late days
    up to ``max_late``, hinted with a plan; (status, site per line, planned day).

    Money is scaled to cents and minutes to 1/1000 and rounded, with a slack of 1/1000 minute per
    term on capacity: the plan it returns is re-priced exactly by ``evaluate`` (EDF), which charges
    any rounding overflow as lateness.
    """
    from ortools.sat.python import cp_model

    from microfactory.engines.routing.lagrange import day_tables, full_bound, work_types

    keep = min(keep, t.cost.shape[1])
    type_of, minutes, late = work_types(t.minutes, np.full(len(t.due), t.late_cost))
    _, top = full_bound(t, prices, type_of, day_tables(prices, minutes, late)[0], keep)
    n, _ = t.cost.shape
    h = t.horizon
    hint_site, hint_day = hint
    m = cp_model.CpModel()
    opts, xs = [], []
    add_day: dict[tuple[int, int, int], list[tuple[int, object]]] = defaultdict(list)
    by_line: dict[int, list[object]] = defaultdict(list)
    by_sk: dict[tuple[int, int], list[tuple[int, object]]] = defaultdict(list)
    obj = []
    for i in range(n):
        sites = set(top[i].tolist()) | ({int(hint_site[i])} if hint_site[i] >= 0 else set())
        for s in sorted(sites):
            if not np.isfinite(t.cost[i, s]):
                continue
            base = int(t.deadline(i, s))
            first = max(base, int(t.first(i, s)))
            hinted = hint_site[i] == s
            last = max(base + max_late, int(hint_day[i]) if hinted else 0)
            days = list(range(first, min(last, h - 1) + 1))
            if not days:
                continue
            z = m.NewBoolVar("")
            m.AddHint(z, bool(hinted))
            by_sk[(s, int(t.setup_key[i]))].append((int(t.qty[i]), z, bool(hinted)))
            xd = []
            for d in days:
                x = m.NewBoolVar("")
                opts.append((i, s, d))
                xs.append(x)
                xd.append(x)
                by_line[i].append(x)
                obj.append((round(100 * (float(t.cost[i, s]) + t.late_cost * (d - base))), x))
                on = bool(hinted and hint_day[i] == d)
                for p in np.nonzero(t.minutes[i])[0].tolist():
                    add_day[(s, p, d)].append((round(1000 * t.minutes[i, p]), x, on))
                m.AddHint(x, on)
            m.Add(sum(xd) == z)
    for i in range(n):
        u = m.NewBoolVar("")
        m.AddHint(u, bool(hint_site[i] < 0))
        m.AddExactlyOne(by_line[i] + [u])
        obj.append((round(100 * t.unassigned_cost), u))
    ccum = cumulative_capacity(t)
    per_sp: dict[tuple[int, int], list[int]] = defaultdict(list)
    for (s, p, d) in add_day:
        per_sp[(s, p)].append(d)
    for (s, p), days_used in per_sp.items():
        prev, used, terms_so_far = None, 0, 0
        for d in sorted(days_used):
            terms_so_far += len(add_day[(s, p, d)])
            cap = round(1000 * ccum[s, p, d]) + terms_so_far  # rounding slack; evaluate() is exact
            cum = m.NewIntVar(0, cap, "")
            m.Add(cum == (prev if prev is not None else 0) + sum(a * x for a, x, _ in add_day[(s, p, d)]))
            used += sum(a for a, _, on in add_day[(s, p, d)] if on)
            m.AddHint(cum, min(used, cap))
            prev = cum
    for (s, _), terms in by_sk.items():
        site = t.problem.sites[s]
        if site.min_batch <= 1 or site.min_batch_shortfall_cost == 0:
            continue
        b = m.NewBoolVar("")
        for _, z, _ in terms:
            m.AddImplication(z, b)
        sh = m.NewIntVar(0, site.min_batch, "")
        m.Add(sh >= site.min_batch * b - sum(q * z for q, z, _ in terms))
        units = sum(q for q, _, on in terms if on)
        m.AddHint(b, units > 0)
        m.AddHint(sh, max(0, site.min_batch - units) if units > 0 else 0)
        obj.append((round(100 * site.min_batch_shortfall_cost), sh))
    m.Minimize(sum(c * v for c, v in obj))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = limit_s
    solver.parameters.num_workers = 2
    code = solver.Solve(m)
    status = {cp_model.OPTIMAL: "optimal", cp_model.FEASIBLE: "feasible"}.get(code, "none")
    site_of = np.full(n, -1, dtype=np.int64)
    planned = np.zeros(n, dtype=np.int64)
    if status != "none":
        for (i, s, d), x in zip(opts, xs):
            if solver.Value(x):
                site_of[i], planned[i] = s, d
    return status, site_of, planned


LNS_LINES = 40


def exact_lns(pb: RoutingProblem, params: RoutingParams, t: Tables, site_of: np.ndarray, planned: np.ndarray,
              limit_s: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Neighbourhoods of nearest sites re-solved exactly (see the module docstring)
    for ``limit_s``; (site per line, planned day, sub-problems solved, kept)."""
    site_of, planned = site_of.copy(), planned.copy()
    rng = np.random.default_rng(seed)
    lat = np.radians([s.lat for s in pb.sites])
    lon = np.radians([s.lon for s in pb.sites])
    k = max(2, min(len(pb.sites), round(LNS_LINES * len(pb.sites) / max(len(pb.lines), 1))))
    t0, tries, kept = time.perf_counter(), 0, 0
    while time.perf_counter() - t0 < limit_s:
        s0 = int(rng.integers(len(pb.sites)))
        near = np.argsort((lat - lat[s0]) ** 2 + ((lon - lon[s0]) * np.cos(lat[s0])) ** 2)[:k]
        idx = np.nonzero(np.isin(site_of, near))[0]
        if len(idx) == 0:
            continue
        sub = dataclasses.replace(pb, sites=tuple(pb.sites[j] for j in near), lines=tuple(pb.lines[i] for i in idx))
        ts = build_tables(sub, params)
        local = {int(j): k for k, j in enumerate(near)}
        hint = (np.array([local[int(site_of[i])] for i in idx], dtype=np.int64), planned[idx])
        before = evaluate(ts, hint[0], hint[1], "x", -np.inf, 0.0, 1, "x").objective
        status, so, pl = restricted_cpsat(ts, np.zeros_like(ts.cap), len(near), params.max_late_days, 1.0, hint)
        tries += 1
        if status == "none" or (so < 0).any():
            continue
        if evaluate(ts, so, pl, "x", -np.inf, 0.0, 1, "x").objective < before - 1e-6:
            site_of[idx], planned[idx] = near[so], pl
            kept += 1
    return site_of, planned, tries, kept


def one(sites: int, lines: int, load: str, ascent_s: float, decomp_s: float, mip_s: float,
        lns_s: float) -> dict[str, object]:
    pb = generate(sites, lines, LOADS[load], seed=1)
    params = RoutingParams(time_limit_s=LIMITS[lines], seed=1, exact_max_lines=0)
    t0 = time.perf_counter()
    res = route_batch(pb, params)
    bench_wall = time.perf_counter() - t0
    t = build_tables(pb, params)
    t0 = time.perf_counter()
    asc = ascend(t, params.candidates_per_line, lambda: time.perf_counter() - t0 > ascent_s, 10**7)
    long_ascent = time.perf_counter() - t0
    t0 = time.perf_counter()
    dec = decomposition_bound(t, asc.prices, t0 + decomp_s, time.perf_counter, upper=res.objective)
    decomp_wall = time.perf_counter() - t0
    t0 = time.perf_counter()
    index = {ln.id: i for i, ln in enumerate(pb.lines)}
    sindex = {st.id: j for j, st in enumerate(pb.sites)}
    hint_site = np.full(len(pb.lines), -1, dtype=np.int64)
    hint_day = np.zeros(len(pb.lines), dtype=np.int64)
    for a in res.assignments:
        i, s = index[a.line_id], sindex[a.site_id]
        hint_site[i] = s
        hint_day[i] = max(int(t.deadline(i, s)), a.finish_day - pb.start_day)
    status, site_of, planned = restricted_cpsat(t, asc.prices, 12, params.max_late_days, mip_s,
                                                (hint_site, hint_day))
    mip_wall = time.perf_counter() - t0
    mip_obj = float("nan")
    if status != "none":
        mip_obj = evaluate(t, site_of, planned, status, -np.inf, 0.0, 1, "mip").objective
    if status == "none" or mip_obj > res.objective:
        site_of, planned = hint_site, hint_day
    site_of, planned, lns_tries, lns_kept = exact_lns(pb, params, t, site_of, planned, lns_s)
    lns_obj = evaluate(t, site_of, planned, "lns", -np.inf, 0.0, 1, "lns").objective
    return {"sites": sites, "lines": lines, "load": load, "objective": res.objective, "bound": res.bound,
            "shortfall": res.costs["min_batch_shortfall"], "bench_wall": bench_wall,
            "long_ascent_bound": asc.bound, "long_ascent_s": long_ascent, "ascent_steps": asc.iterations,
            "decomp_bound": dec.bound, "decomp_rounds": dec.rounds, "decomp_s": decomp_wall,
            "decomp_sites": f"{dec.solved}/{dec.bounded}/{dec.skipped}",
            "mip_status": status, "mip_objective": mip_obj, "mip_s": mip_wall, "lns_objective": lns_obj,
            "lns_tries": lns_tries, "lns_kept": lns_kept}


def _row(r: dict[str, object], ascent_s: str, decomp_s: str, mip_s: str, lns_s: str, stamp: str) -> list[object]:
    obj = float(r["objective"])  # type: ignore[arg-type]
    bound = float(r["bound"])  # type: ignore[arg-type]
    plan = float(r["mip_objective"])  # type: ignore[arg-type]
    lns = float(r.get("lns_objective", "nan"))  # type: ignore[arg-type]
    best_plan = min(obj, plan) if r["mip_status"] != "none" else obj
    best_plan = min(best_plan, lns) if np.isfinite(lns) else best_plan
    best_bound = max(bound, float(r["long_ascent_bound"]), float(r["decomp_bound"]))  # type: ignore[arg-type]

    def pct(x: float) -> str:
        return f"{100 * x / obj:.2f}%"
    return [r["sites"], r["lines"], r["load"], f"{obj:.0f}", f"{bound:.0f}", pct(obj - bound),
            f"{float(r['long_ascent_bound']):.0f} ({ascent_s} s)",  # type: ignore[arg-type]
            f"{float(r['decomp_bound']):.0f} ({decomp_s} s, {r['decomp_rounds']} rounds)",  # type: ignore[arg-type]
            f"{plan:.0f} ({mip_s} s)",
            f"{lns:.0f} ({lns_s} s, {r['lns_kept']} of {r['lns_tries']} kept)" if np.isfinite(lns) else "n/a",
            pct(best_bound - bound), pct(obj - best_plan), pct(best_plan - best_bound), stamp]


def _kept() -> list[list[str]]:
    """Rows of the current routing_gap table (other scenarios keep their earlier figures)."""
    text = (Path(__file__).parent / "RESULTS.md").read_text()
    section = text.split("<!-- routing_gap:start -->", 1)[-1].split("<!-- routing_gap:end -->", 1)[0]
    out = []
    for ln in section.splitlines():
        cells = [c.strip() for c in ln.strip().strip("|").split("|")]
        if len(cells) == 13 and cells[0].isdigit():     # before the exact LNS column
            cells = cells[:9] + ["n/a"] + cells[9:]
        if len(cells) == 14 and cells[0].isdigit():
            out.append(cells)
    return out


def main() -> None:
    arg = dict(zip(sys.argv[1::2], sys.argv[2::2])) if "--one" not in sys.argv else {}
    if "--one" in sys.argv:
        k = sys.argv.index("--one")
        a = sys.argv[k + 1:k + 8]
        print(json.dumps(one(int(a[0]), int(a[1]), a[2], float(a[3]), float(a[4]), float(a[5]), float(a[6]))))
        return
    sizes = [tuple(int(v) for v in x.split("x")) for x in arg.get("--sizes", "20x1000,200x1000").split(",")]
    loads = arg.get("--loads", "loose,tight").split(",")
    ascent_s, decomp_s, mip_s, lns_s = (arg.get(k, v) for k, v in (("--ascent-s", "60"), ("--decomp-s", "120"),
                                                                      ("--mip-s", "240"), ("--lns-s", "120")))
    rows = []
    results: list[dict[str, object]] = []
    if "--from-log" in arg:     # rebuild the table from a run's printed results (one dict per line)
        import ast

        stamp = arg.get("--stamp", "earlier")
        results = [ast.literal_eval(ln) for ln in Path(arg["--from-log"]).read_text().splitlines()
                   if ln.startswith("{")]
        rows = [_row(r, ascent_s, decomp_s, mip_s, lns_s, stamp) for r in results]
    for sites, lines in sizes if "--from-log" not in arg else []:
        for load in loads:
            out = subprocess.run([sys.executable, __file__, "--one", str(sites), str(lines), load, ascent_s,
                                  decomp_s, mip_s, lns_s], check=True, capture_output=True, text=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            print(r, flush=True)
            rows.append(_row(r, ascent_s, decomp_s, mip_s, lns_s, time.strftime("%H:%M UTC", time.gmtime())))
    done = {(str(r[0]), str(r[1]), str(r[2])) for r in rows}
    rows += [r for r in _kept() if tuple(r[:3]) not in done]
    rows.sort(key=lambda c: (int(str(c[0])), int(str(c[1])), str(c[2])))
    head = ["sites", "lines", "capacity", "benchmark objective", "benchmark bound", "benchmark gap",
            "ascent bound (long run)", "site-decomposition bound", "CP-SAT plan (hinted)", "exact LNS plan",
            "bound weakness (certain)", "plan weakness (certain)", "undecided", "run"]
    text = (f"## routing_gap\n\n{machine_line()}\n\nWritten by `benchmarks/routing_gap.py` (see its docstring). "
            "Percentages are of the benchmark objective. Bound weakness (certain) = best valid bound found "
            "here - the benchmark's bound; plan weakness (certain) = benchmark objective - best plan found here; "
            "best plan = the lowest of the benchmark's, the hinted CP-SAT's and the exact LNS's; "
            "undecided = best plan - best bound (the optimum is somewhere in it). The benchmark objective "
            "and bound are from a fresh 10 s run of the current code in the same process (seed 1).\n\n"
            + md_table(head, rows))
    record("routing_gap", text)


if __name__ == "__main__":
    main()
