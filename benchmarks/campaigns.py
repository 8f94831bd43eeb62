"""Campaign benchmark: close a campaign of 10,000 pledges (convert and route) on SQLite and PostgreSQL.

Run ``.venv/bin/python benchmarks/campaigns.py`` (``--quick``: 1,000 pledges). Writes the
"campaigns" section of benchmarks/RESULTS.md. PostgreSQL runs too when
``MICROFACTORY_TEST_POSTGRES_URL`` is set (a private schema, dropped afterwards).

Setup (not timed): the Berlin network and catalog, a receipt of N white tee blanks and
18 N ml of DTG ink at each printing site (the example holds 800 blanks and ink for 3,333
tees; the routing service reserves materials and no supplier of the example sells them), a Spree Print
capsule of printed tees over the two printing sites that serve spree and a 60-day window,
capped at N units (its capacity hold), and N one-unit pledges stored through the pledge use
case (the campaign row locked for each). Timed: ``close_campaign`` in one unit of work and its
commit: N pledged orders to received to validated (bulk writes), the campaign's hold released
and the lines routed by the routing service's bulk path (one greedy solve; capacity, stock,
assignments, statuses and events written in bulk under the service's locks), promise events.
Target: <= 10 s for 10,000 pledges on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import machine_line, md_table, record
from sqlalchemy import create_engine, text

from microfactory.adapters.db import normalise_url
from microfactory.bootstrap import Settings, bootstrap
from microfactory.services.campaigns import (
    CampaignRequest,
    PledgeRequest,
    VariantRequest,
    close_campaign,
    open_campaign,
    place_pledge,
)
from microfactory.services.clock import FixedClock
from microfactory.services.scenario import load_folder

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 12, 1, 9, 0)
DESIGNS = ("wave", "bear", "tower")
SIZES = ("S", "M", "L", "XL")


def _setup(url: str, pledges: int) -> tuple[object, float]:
    c = bootstrap(Settings(database_url=url), clock=FixedClock(NOW))
    with c.uow() as uow:
        load_folder(uow, ROOT / "examples" / "berlin", now=NOW, with_orders=False)
    variants = tuple(VariantRequest("spree-tee", {"size": s, "colour": "white", "design": d})
                     for s in SIZES for d in DESIGNS)
    with c.uow() as uow:
        network = uow.network.load()
    sites = tuple(s.id for s in network.sites
                  if s.kind.value == "microfactory" and s.serves("spree") and "printing" in s.processes)
    with c.uow() as uow:
        for n, site in enumerate(sites):
            for item, qty in (("tee-blank-white", pledges), ("ink-dtg", 18 * pledges)):
                uow.inventory.apply([(site, item)], lambda inv, site=site, item=item, qty=qty, n=n: inv.receive(
                    site, item, f"BENCH-{n}-{item[:3].upper()}", qty, NOW))
        uow.commit()
    req = CampaignRequest("spree", "Bench capsule", variants, datetime(2026, 12, 20), "Europe/Berlin", 35.0, sites,
                          date(2026, 12, 21), date(2027, 2, 18), minimum_total=pledges // 2, campaign_id="CMP-B",
                          max_units=pledges)
    start = time.perf_counter()
    with c.uow() as uow:
        view = open_campaign(uow, req, now=NOW)
        if view["cap"] < pledges:
            raise SystemExit(f"cap {view['cap']} below {pledges} pledges")
        for n in range(pledges):
            v = variants[n % len(variants)]
            place_pledge(uow, PledgeRequest("CMP-B", 1, product="spree-tee", options=v.options, customer_ref=f"c{n}",
                                            customer_lat=52.45 + (n % 97) / 1000, customer_lon=13.3 + (n % 89) / 1000),
                         now=NOW)
        uow.commit()
    return c, time.perf_counter() - start


def _close(c: object) -> tuple[float, dict[str, object]]:
    start = time.perf_counter()
    with c.uow() as uow:  # type: ignore[attr-defined]
        view = close_campaign(uow, "CMP-B", now=datetime(2026, 12, 20, 9, 0))
        uow.commit()
    return time.perf_counter() - start, view["outcome"]


def _pg_url() -> tuple[str, str] | None:
    base = os.environ.get("MICROFACTORY_TEST_POSTGRES_URL")
    if not base:
        return None
    schema = f"mf_bench_{uuid.uuid4().hex[:10]}"
    with create_engine(normalise_url(base), isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    return f"{normalise_url(base)}{sep}options=-csearch_path%3D{schema}", schema


def _drop(schema: str) -> None:
    base = os.environ["MICROFACTORY_TEST_POSTGRES_URL"]
    with create_engine(normalise_url(base), isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def run(backend: str, url: str, pledges: int) -> list[object]:
    c, setup_s = _setup(url, pledges)
    close_s, outcome = _close(c)
    routing = outcome["routing"]  # type: ignore[index]
    print(f"{backend}: {pledges} pledges stored in {setup_s:.1f} s; close {close_s:.2f} s; "
          f"converted {outcome['converted']}, routed {routing['routed']}, unassigned {routing['unassigned']}")  # type: ignore[index]
    c.engine.dispose()  # type: ignore[attr-defined]
    target = "met" if close_s <= 10 else "missed"
    return [backend, pledges, f"{setup_s:.1f}", f"{close_s:.2f}", outcome["converted"], routing["routed"],  # type: ignore[index]
            routing["unassigned"], routing.get("method", ""), f"<= 10 s: {target}" if pledges >= 10_000 else "-"]  # type: ignore[union-attr]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    pledges = 1_000 if args.quick else 10_000
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(run("sqlite", f"sqlite:///{tmp}/bench.db", pledges))
    pg = _pg_url()
    if pg is not None:
        try:
            rows.append(run("postgresql", pg[0], pledges))
        finally:
            _drop(pg[1])
    body = (f"{machine_line()}{' (quick)' if args.quick else ''}\n\n"
            "Closing a campaign (one-unit pledges of printed tees, two sites, capped at the pledge count): convert "
            "pledged orders to validated, release the campaign's capacity hold and route the lines through the "
            "routing service's bulk path (one greedy solve; capacity, stock, assignments and events written in "
            "bulk), in one transaction:\n\n"
            + md_table(["backend", "pledges", "setup s (pledging, untimed)", "close s", "converted", "routed",
                        "unassigned", "routing", "target"], rows))
    record("campaigns", body)


if __name__ == "__main__":
    main()
