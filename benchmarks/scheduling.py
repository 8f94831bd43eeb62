"""Scheduling benchmark: public job shops against best-known makespans, and microfactory sites
against dispatch rules. Writes section "scheduling" of benchmarks/RESULTS.md.

(a) Brandimarte MK01-MK10 (FJSP) solved by our engine (``solve_jobshop``: CP-SAT from the
    best dispatch rule 20% of the time, compiled tabu search over sequences and machines 50%
    in 2 threads, LNS for the rest) at 30 s / 2 workers, side by side with the plain CP-SAT
    model of ``plain_cpsat.py`` at 10 s / 2 workers; ft06, ft10, ft20, la01-la40 (JSP) by our
    engine (the same, with CP-SAT on the whole model instead of LNS in the last phase).
    The tabu code and the site decoder are compiled (numba) before the first instance's clock starts.
(b) generated microfactory sites (8 resources, 12 workers, 300 lines, 40 setup keys, 5 days)
    planned by ``plan_site`` (dispatch warm start, late-acceptance local search over batch
    orders with grouping modes and home units, CP-SAT, LNS, then the changeover polish with
    the tardiness held) against EDD, SPT and FIFO on the same batches; every schedule goes
    through the checker; changeovers per process beside ``changeover_lower_bound``. The
    tardiness cut is a median over the sites where the best rule is late (a site where it is
    already 0 is listed apart).

Run: ``.venv/bin/python benchmarks/scheduling.py [--quick] [--only fjsp,jsp,sites]``; a part left
out keeps its sub-section from the last recorded run. ``--instances mk10,la29 [--time 30]`` is a
trial that prints and records nothing; so is ``--quick`` (a smoke run).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import RESULTS, machine_line, md_table, record
from jobshop_reader import best_known, read_fjs, read_jsp, shared_dir
from plain_cpsat import solve_plain

from microfactory.engines.scheduling import (
    JobShop,
    Schedule,
    ScheduleParams,
    SiteSpec,
    check_schedule,
    dispatch_schedule,
    generate_site,
    plan_site,
    solve_jobshop,
)
from microfactory.engines.scheduling.core import TaskSol, compile_problem
from microfactory.engines.scheduling.jobshop import to_core
from microfactory.engines.scheduling.shoptabu import improve_shop
from microfactory.engines.scheduling.site import changeover_lower_bound, weights_of
from microfactory.engines.scheduling.sitesearch import Decoder

JSP = ["ft06", "ft10", "ft20"] + [f"la{i:02d}" for i in range(1, 41)]
FJSP = [f"mk{i:02d}" for i in range(1, 11)]


def gap(value: float, ub: int) -> float:
    """Percentage gap of ``value`` to the best-known upper bound."""
    return 100.0 * (value - ub) / ub


def warm_up() -> None:
    """Compile (or load from numba's cache) the tabu search before any instance's clock starts."""
    solve_jobshop(JobShop("warm-up", 2, ((((0, 3),), ((1, 2),)), (((1, 2),), ((0, 4),)))), 1.0, tabu_share=0.5)
    improve_shop(to_core(JobShop("warm-up", 1, ((((0, 1),),),))), {0: TaskSol(0, 0, 0, 1, None)}, 0.1)
    small = compile_problem(generate_site(0, SiteSpec(lines=6, setup_keys=2)), weights_of(ScheduleParams()))
    Decoder(small).decode(list(range(len(small.jobs))))  # the site decoder (sitedecode)


def run_fjsp(names: list[str], t_ours: float, t_plain: float) -> tuple[str, dict[str, float]]:
    """MK instances: ours and the plain model side by side (``t_plain`` 0: ours only)."""
    folder = shared_dir() / "fjsp"
    bk = best_known(folder)
    rows, g_ours, g_plain = [], [], []
    if not names:
        return "", {}
    for name in names:
        shop = read_fjs(folder / f"{name}.fjs")
        ours = solve_jobshop(shop, t_ours, seed=0, workers=2)
        if not t_plain:
            print(f"{name}: ours {ours.makespan} ({gap(ours.makespan, bk[name][1]):.2f}%) {ours.status} "
                  f"{ours.runtime_s:.1f}s iters {ours.lns_iterations}", flush=True)
            continue
        plain = solve_plain(shop, t_plain, seed=0, workers=2)
        ub = bk[name][1]
        g_ours.append(gap(ours.makespan, ub))
        g_plain.append(gap(plain.makespan, ub))
        rows.append([name, ub, ours.makespan, f"{g_ours[-1]:.2f}", ours.status, f"{ours.bound:.0f}",
                     f"{ours.runtime_s:.1f}", ours.lns_iterations, plain.makespan, f"{g_plain[-1]:.2f}",
                     f"{plain.runtime_s:.1f}"])
        print(f"{name}: ours {ours.makespan} ({g_ours[-1]:.2f}%) plain {plain.makespan} ({g_plain[-1]:.2f}%)",
              flush=True)
    if not t_plain:
        return "", {}
    table = md_table(["instance", "best known", "ours", "gap %", "status", "bound", "s", "tabu iters + LNS steps",
                      "plain", "plain gap %", "plain s"], rows)
    summary = {"mean": statistics.mean(g_ours), "max": max(g_ours), "plain_mean": statistics.mean(g_plain),
               "plain_max": max(g_plain)}
    return table, summary


def run_jsp(names: list[str], t_ours: float) -> tuple[str, dict[str, float]]:
    """Classic job shops with our engine."""
    folder = shared_dir() / "jsp"
    bk = best_known(folder)
    rows, gaps, off = [], [], 0.0
    if not names:
        return "", {}
    for name in names:
        res = solve_jobshop(read_jsp(folder / f"{name}.txt"), t_ours, seed=0, workers=2)
        ub = bk[name][1]
        gaps.append(gap(res.makespan, ub))
        off += res.makespan != ub
        rows.append([name, ub, res.makespan, f"{gaps[-1]:.2f}", res.status, f"{res.bound:.0f}", f"{res.runtime_s:.1f}",
                     res.lns_iterations])
        print(f"{name}: {res.makespan} vs {ub} ({gaps[-1]:.2f}%) {res.status} {res.runtime_s:.1f}s", flush=True)
    table = md_table(["instance", "optimum", "ours", "gap %", "status", "bound", "s", "tabu iters"], rows)
    return table, {"mean": statistics.mean(gaps), "max": max(gaps), "off": off, "n": len(names)}


def by_process(schedule: Schedule) -> dict[str, int]:
    """Changeover minutes of ``schedule`` per process."""
    out: dict[str, int] = {}
    for op in schedule.ops:
        out[op.process] = out.get(op.process, 0) + op.setup
    return out


def run_sites(seeds: list[int], spec: SiteSpec, t_ours: float) -> tuple[str, dict[str, float]]:
    """Generated sites: our plan against EDD, SPT and FIFO; changeovers per process against a lower bound."""
    params = ScheduleParams(time_limit_s=t_ours, seed=0, workers=2)
    rows, split, tard_cut, co_cut, tard_zero = [], [], [], [], []
    for seed in seeds:
        p = generate_site(seed, spec)
        plans = {r: dispatch_schedule(p, r, params) for r in ("edd", "spt", "fifo")}
        plans["group (our warm-start rule)"] = dispatch_schedule(p, "group", params)
        plans["ours"] = plan_site(p, params)
        for name, s in plans.items():
            errors = check_schedule(p, s)
            if errors:
                raise SystemExit(f"site {seed} {name}: infeasible schedule: {errors[:3]}")
            rows.append([seed, len(p.batches), name, s.status, f"{s.weighted_tardiness:.0f}", s.changeover_minutes,
                         s.makespan, f"{s.runtime_s:.1f}"])
        best_rule = min(plans[r].weighted_tardiness for r in ("edd", "spt", "fifo"))
        ours = plans["ours"]
        if best_rule:
            tard_cut.append(100.0 * (best_rule - ours.weighted_tardiness) / best_rule)
        else:  # nothing to cut: a percentage would read as a miss; reported apart
            tard_zero.append(f"{seed} (ours {ours.weighted_tardiness:.0f})")
        co_cut.append(100.0 * (plans["fifo"].changeover_minutes - ours.changeover_minutes)
                      / max(1, plans["fifo"].changeover_minutes))
        bound = changeover_lower_bound(p)
        fifo_p, ours_p = by_process(plans["fifo"]), by_process(ours)
        split += [[seed, proc, fifo_p.get(proc, 0), ours_p.get(proc, 0), lb] for proc, lb in bound.items() if lb]
        split.append([seed, "total", plans["fifo"].changeover_minutes, ours.changeover_minutes, sum(bound.values())])
        cut = f"-{tard_cut[-1]:.1f}% vs best rule" if best_rule else "best rule already at 0"
        print(f"site {seed}: tardiness {cut} (ours {ours.weighted_tardiness:.0f}), changeover -{co_cut[-1]:.1f}% vs FIFO "
              f"(lower bound {sum(bound.values())})", flush=True)
    table = md_table(["seed", "batches", "method", "status", "weighted tardiness", "changeover min", "makespan",
                      "s"], rows)
    table += ("\n\nChangeover minutes per process; lower bound: each setup key a process needs is set up at "
              "least once, at its cheapest unit (``changeover_lower_bound``)\n\n"
              + md_table(["seed", "process", "FIFO", "ours", "lower bound"], split))
    return table, {"tard_cut": statistics.median(tard_cut) if tard_cut else float("nan"),
                   "co_cut": statistics.median(co_cut), "tard_cut_min": min(tard_cut, default=float("nan")),
                   "co_cut_min": min(co_cut), "co_cuts": co_cut, "tard_n": len(tard_cut), "tard_zero": tard_zero}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="a short smoke run (printed, not recorded)")
    ap.add_argument("--only", default="fjsp,jsp,sites")
    ap.add_argument("--instances", default="", help="comma-separated fjsp/jsp instances (a trial: prints, records nothing)")
    ap.add_argument("--time", type=float, default=0.0, help="seconds per instance for --instances (default 30)")
    args = ap.parse_args()
    parts = set(args.only.split(","))
    warm_up()
    if args.instances:
        names = args.instances.split(",")
        t = args.time or 30.0
        run_fjsp([n for n in names if n in FJSP], t, 0.0)
        run_jsp([n for n in names if n not in FJSP], t)
        return
    if args.quick:
        fjsp, jsp, t, tp, seeds, spec, ts = FJSP[:2], JSP[:1] + ["la01"], 3.0, 2.0, [1], SiteSpec(lines=60, setup_keys=10), 5.0
    else:
        fjsp, jsp, t, tp, seeds, spec, ts = FJSP, JSP, 30.0, 10.0, [1, 2, 3], SiteSpec(), 30.0
    out = [f"### Scheduling\n\n{machine_line()}; ours {t:g} s, plain CP-SAT {tp:g} s, 2 workers each"
           + (" (quick run)" if args.quick else "")]
    if "fjsp" in parts:
        table, s = run_fjsp(fjsp, t, tp)
        out.append(f"#### Brandimarte FJSP\n\nours: mean gap **{s['mean']:.2f}%**, max {s['max']:.2f}%; plain CP-SAT "
                   f"({tp:g} s): mean {s['plain_mean']:.2f}%, max {s['plain_max']:.2f}% (target: mean <= 2%, "
                   f"none > 5%)\n\n{table}")
    if "jsp" in parts:
        table, s = run_jsp(jsp, t)
        out.append(f"#### JSP (ft, la)\n\nours: mean gap **{s['mean']:.3f}%**, max {s['max']:.2f}%, "
                   f"{s['off']:.0f} of {s['n']:.0f} off the optimum (target: mean <= 0.05%, at most 2 off)\n\n{table}")
    if "sites" in parts:
        table, s = run_sites(seeds, spec, ts)
        zero = (f"; sites where the best rule is already at 0, left out of the %: {', '.join(s['tard_zero'])}"
                if s["tard_zero"] else "")
        per_seed = " / ".join(f"-{c:.1f}%" for c in s["co_cuts"])
        out.append(f"#### Microfactory sites ({spec.lines} lines, {spec.setup_keys} setup keys, 8 resources, "
                   f"{spec.workers} workers, {spec.days} days; {ts:g} s)\n\nmedian weighted tardiness "
                   f"**{s['tard_cut']:.1f}%** below the best dispatch rule over the {s['tard_n']} sites where that "
                   f"rule is late (worst {s['tard_cut_min']:.1f}%){zero}; median changeover minutes "
                   f"**{s['co_cut']:.1f}%** below FIFO (seeds {per_seed}; worst {s['co_cut_min']:.1f}%) "
                   f"(targets: 30% and 30%)\n\n{table}")
    text = merge_previous("\n\n".join(out), parts)
    print(text)
    if args.quick:  # a smoke run's figures are not the benchmark's: RESULTS.md keeps the last full run
        print("quick run: benchmarks/RESULTS.md left as it is")
        return
    record("scheduling", text)


def merge_previous(text: str, parts: set[str]) -> str:
    """Keep the sub-sections of the last recorded run for the parts not rerun now (``--only``)."""
    if parts >= {"fjsp", "jsp", "sites"}:
        return text
    old = RESULTS.read_text() if RESULTS.exists() else ""
    m = re.search(r"<!-- scheduling:start -->(.*?)<!-- scheduling:end -->", old, re.DOTALL)
    if not m:
        return text
    blocks = {b.split("\n", 1)[0]: "#### " + b for b in m.group(1).split("#### ")[1:]}
    new = {b.split("\n", 1)[0]: "#### " + b for b in text.split("#### ")[1:]}
    head = text.split("#### ")[0].rstrip() + f" (parts rerun: {', '.join(sorted(parts))})"
    merged = [new.get(title, block).strip() for title, block in blocks.items()]
    merged += [b.strip() for t, b in new.items() if t not in blocks]
    return "\n\n".join([head, *merged])


if __name__ == "__main__":
    main()
