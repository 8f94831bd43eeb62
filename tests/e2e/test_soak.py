"""Fault soak, short version: retrying clients, SIGKILLed workers and server, then the store is checked.

The harness is ``benchmarks/soak.py`` (its long version runs for minutes); here about 12 s of
traffic per backend with one worker kill and one whole-server kill and restart in between.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parents[2]


def _soak() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mf_soak", ROOT / "benchmarks" / "soak.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["mf_soak"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"] + (["postgresql"] if PG_URL else []))
def test_orders_survive_sigkilled_workers_without_loss_duplicates_or_over_booking(backend: str) -> None:
    """Every acknowledged order is stored once, none twice, and capacity is never over-booked."""
    soak = _soak()
    with tempfile.TemporaryDirectory(prefix="mf-soak-") as tmp:
        kw = {"seconds": 12.0, "clients": 6, "kill_worker_at": (0.3,), "kill_server_at": (0.6,),
              "order_deadline_s": 40.0, "log_dir": Path(tmp)}
        if backend == "sqlite":
            res = soak.run_soak(soak.SoakConfig(db_url=f"sqlite:///{tmp}/soak.db", **kw))
        else:
            with soak.postgres_database(PG_URL) as url:
                res = soak.run_soak(soak.SoakConfig(db_url=url, **kw))
        log = Path(res["log"]).read_text(errors="replace")[-3000:]
    print(backend, {k: v for k, v in res.items() if k not in ("log", "statuses")}, res["statuses"])  # shown with -rP
    assert len(res["kills"]) == 2 and res["server_starts"] == 2, res["kills"]
    assert res["orders_acked"] >= 30, res
    assert res["connection_errors"] + res["retries"] > 0, "the kills should have cost some requests a retry"
    assert not res["lost"] and not res["duplicates"] and not res["missing_idempotency_rows"], res
    assert not res["given_up"] and not res["refused"], (res, log)
    assert res["reserved_lines"] > 0, "no order was routed: the capacity check would prove nothing"
    assert not res["over_booked"] and not res["reserved_mismatch"], res
    assert not res["orphan_reservations"] and not res["routed_lines_without_reservation"], res
    assert any(200 <= s < 300 for s in res["routing_runs"]) and all(s in (201, 409) for s in res["routing_runs"]), res


def test_the_store_check_sees_a_lost_and_a_duplicated_order(tmp_path: Path) -> None:
    """The soak's checker flags a missing acknowledged order, a key stored twice and an over-booked day."""
    from sqlalchemy import create_engine, text

    soak = _soak()
    url = f"sqlite:///{tmp_path}/check.db"
    soak.prepare_database(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        for oid in ("ORD-A", "ORD-B"):
            conn.execute(text("INSERT INTO orders (id, brand_id, channel, status, customer_lat, customer_lon, "
                              "customer_ref, delivery, due, created_at, keep_together, version) VALUES "
                              "(:id, 'spree', 'api', 'validated', 52.5, 13.4, 'soak-t-0-1', 'ship', '2026-12-09', "
                              "'2026-12-01 09:00:00', 0, 1)"), {"id": oid})
        conn.execute(text("INSERT INTO capacity (site_id, process, day, capacity_min, reserved_min) VALUES "
                          "('mf-kreuzberg', 'sewing', '2026-12-02', 100, 150)"))
    engine.dispose()
    tally = soak.Tally(acked={"soak-t-0-0": (201, "ORD-X"), "soak-t-0-1": (201, "ORD-A")})
    res = soak.check_store(url, tally, "t")
    assert res["lost"] == ["soak-t-0-0", "soak-t-0-1"] and res["duplicates"] == ["soak-t-0-1"]
    assert len(res["over_booked"]) == 1 and len(res["reserved_mismatch"]) == 1
