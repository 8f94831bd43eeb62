"""Fault soak: order intake with client retries while the server's workers are SIGKILLed and restarted.

The real service runs under uvicorn with 2 workers on a free 127.0.0.1 port against a file SQLite
database (and PostgreSQL with ``--postgres`` / ``$MICROFACTORY_TEST_POSTGRES_URL``). Client threads
send orders, each with its own Idempotency-Key (every third also ``?route=true``, so capacity is
reserved), and retry each one until it gets a 2xx. Meanwhile one worker is SIGKILLed (uvicorn's
supervisor starts a new one), and later the whole server is SIGKILLed and started again. Then two
routing runs are posted at once. Afterwards the database must show:

- zero lost orders: every key that got a 2xx has exactly one order (tagged with the key);
- zero duplicates: no key, external id or Idempotency-Key stored twice;
- no over-booking: per (site, process, day) ``capacity.reserved_min`` equals the sum of
  ``capacity_reservations.minutes`` and never exceeds ``capacity_min``; every reservation belongs to
  a line routed to that site, and every routed line has its reservations.

    .venv/bin/python benchmarks/soak.py [--seconds 300] [--clients 8] [--postgres] [--quick]

Every loop is bounded in count and time; traffic goes only to 127.0.0.1; every process started
is in its own process group and is killed on the way out, even on failure.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "berlin"
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
PRODUCTS = [("spree-tee", {"size": "M", "colour": "black", "design": "bear"}), ("spree-tote", {"design": "wave"}),
            ("spree-tee", {"size": "L", "colour": "sand", "design": "wave"})]


@dataclass(frozen=True)
class SoakConfig:
    """One soak run: where, how long, how many clients, when to kill."""

    db_url: str
    seconds: float = 20.0
    clients: int = 6
    route_every: int = 3  # every n-th order is sent with ?route=true
    order_deadline_s: float = 60.0  # an order still without a 2xx after this is given up (and reported)
    kill_worker_at: tuple[float, ...] = (0.25,)  # shares of `seconds` at which one worker is SIGKILLed
    kill_server_at: tuple[float, ...] = (0.6,)  # shares at which the whole server is SIGKILLed and restarted
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    log_dir: Path | None = None

    def __post_init__(self) -> None:
        if self.seconds <= 0 or self.clients < 1 or self.route_every < 1 or self.order_deadline_s <= 0:
            raise ValueError("seconds, clients, route_every and order_deadline_s must be positive")


@dataclass
class Tally:
    """What the clients saw."""

    acked: dict[str, tuple[int, str]] = field(default_factory=dict)  # key -> (status, order id)
    given_up: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # a definitive 4xx: a bug in the soak or the service
    requests: int = 0
    retries: int = 0
    connection_errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, status: int | None) -> None:
        with self.lock:
            self.requests += 1
            if status is None:
                self.connection_errors += 1
            else:
                self.statuses[status] = self.statuses.get(status, 0) + 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare_database(url: str) -> str:
    """Migrate ``url``, load the Berlin example and return an admin API token."""
    from microfactory.adapters.db import SqlUnitOfWork, make_engine, migrate
    from microfactory.services import auth
    from microfactory.services.scenario import load_folder

    engine = make_engine(url)
    try:
        migrate(engine)
        from datetime import datetime

        stamp = datetime(*time.gmtime()[:6])  # naive UTC, like the server's clock
        with SqlUnitOfWork(engine) as uow:
            load_folder(uow, EXAMPLE, now=stamp)
        with SqlUnitOfWork(engine) as uow:
            secret, _ = auth.create_token(uow, name="soak", role="admin", now=stamp)
            uow.commit()
        return secret
    finally:
        engine.dispose()


class Server:
    """``uvicorn --workers 2`` in its own process group; SIGKILL a worker or the whole group."""

    def __init__(self, db_url: str, port: int, log: Path) -> None:
        self.db_url, self.port, self.log = db_url, port, log
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, timeout: float = 90.0) -> None:
        env = dict(os.environ, MICROFACTORY_DATABASE_URL=self.db_url, MICROFACTORY_WEBHOOK_INTERVAL_S="0",
                   MICROFACTORY_REQUIRE_AUTH="1")
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "microfactory.entrypoints.api.app:app_from_env", "--factory",
                 "--workers", "2", "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.starts += 1
        self.wait_up(timeout)

    def wait_up(self, timeout: float) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {self.log}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/v1/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server did not come up in {timeout:.0f} s; see {self.log}")

    def workers(self) -> list[int]:
        """Pids of the worker processes (children of the supervisor, not its resource tracker)."""
        assert self.proc is not None
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.proc.pid and "resource_tracker" not in cmd:
                found.append(int(entry.name))
        return sorted(found)

    def kill_worker(self) -> int:
        """SIGKILL one worker; uvicorn's supervisor starts a replacement."""
        pids = self.workers()
        if not pids:
            raise RuntimeError("no worker process found")
        os.kill(pids[0], signal.SIGKILL)
        return pids[0]

    def kill_all(self) -> None:
        """SIGKILL the whole process group (supervisor and workers) and reap it."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass

    def stop(self) -> None:
        """SIGTERM the group, then SIGKILL whatever is left."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        self.kill_all()
        self.proc = None


def order_body(key: str, n: int) -> dict[str, Any]:
    """A valid spree order tagged with its key (``customer.ref``); every other one has an external id."""
    product, options = PRODUCTS[n % len(PRODUCTS)]
    body: dict[str, Any] = {"brand": "spree", "delivery": "ship", "customer": {"lat": 52.5, "lon": 13.4, "ref": key},
                            "lines": [{"product": product, "options": options, "quantity": 1 + n % 2}]}
    if n % 2 == 0:
        body["external_id"] = key
    return body


def send_until_acked(client: httpx.Client, url: str, key: str, n: int, route: bool, cfg: SoakConfig,
                     tally: Tally) -> None:
    """POST one order, retrying the same key and body until a 2xx, a definitive 4xx or the deadline."""
    body, end, attempt = order_body(key, n), time.monotonic() + cfg.order_deadline_s, 0
    params = {"route": "true"} if route else {}
    while time.monotonic() < end:
        attempt += 1
        try:
            r = client.post(url, json=body, params=params, headers={"Idempotency-Key": key})
        except httpx.HTTPError:
            tally.count(None)
        else:
            tally.count(r.status_code)
            if 200 <= r.status_code < 300:
                with tally.lock:
                    tally.acked[key] = (r.status_code, r.json()["id"])
                    tally.retries += attempt - 1
                return
            retryable = r.status_code >= 500 or (r.status_code == 409 and r.json().get("code") == "conflict")
            if not retryable:
                with tally.lock:
                    tally.refused.append(f"{key}: {r.status_code} {r.text[:200]}")
                return
        time.sleep(min(0.05 * 2 ** min(attempt, 5), 1.0))
    with tally.lock:
        tally.given_up.append(key)


def client_loop(i: int, base: str, token: str, cfg: SoakConfig, stop_at: float, tally: Tally) -> None:
    """One client: new orders one after the other until ``stop_at`` (bounded by count too)."""
    with httpx.Client(timeout=10.0, headers={"Authorization": f"Bearer {token}"}) as client:
        for n in range(100_000):
            if time.monotonic() >= stop_at:
                return
            key = f"soak-{cfg.tag}-{i}-{n}"
            send_until_acked(client, f"{base}/v1/orders", key, n, n % cfg.route_every == 0, cfg, tally)


def chaos(server: Server, cfg: SoakConfig, start: float, done: threading.Event, events: list[str]) -> None:
    """Kill a worker and the whole server at the planned moments (restarting the server at once)."""
    plan = sorted([(s * cfg.seconds, "worker") for s in cfg.kill_worker_at] +
                  [(s * cfg.seconds, "server") for s in cfg.kill_server_at])
    for at, what in plan:
        if done.wait(max(0.0, start + at - time.monotonic())):
            return
        if what == "worker":
            events.append(f"{time.monotonic() - start:.1f}s SIGKILL worker {server.kill_worker()}")
            continue
        server.kill_all()
        t0 = time.monotonic()
        server.start()
        events.append(f"{t0 - start:.1f}s SIGKILL server, back after {time.monotonic() - t0:.1f}s")


def concurrent_routing(base: str, token: str, tag: str) -> list[int]:
    """Two routing runs posted at the same moment (they land on the two workers, or queue)."""
    statuses: list[int] = []
    barrier = threading.Barrier(2, timeout=30)

    def post(k: int) -> None:
        barrier.wait()
        try:
            r = httpx.post(f"{base}/v1/routing/runs", json={"policy": "greedy", "time_limit_s": 5},
                           headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"run-{tag}-{k}"},
                           timeout=120)
            statuses.append(r.status_code)
        except httpx.HTTPError:
            statuses.append(0)

    threads = [threading.Thread(target=post, args=(k,)) for k in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(150)
    return statuses


def check_store(db_url: str, tally: Tally, tag: str) -> dict[str, Any]:
    """The invariants after the soak, read straight from the database."""
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT customer_ref, id, external_id, brand_id FROM orders "
                                     "WHERE customer_ref LIKE :p"), {"p": f"soak-{tag}-%"}).all()
            by_key: dict[str, list[str]] = {}
            for ref, oid, _ext, _brand in rows:
                by_key.setdefault(ref, []).append(oid)
            ext_dupes = conn.execute(text("SELECT brand_id, external_id FROM orders WHERE external_id IS NOT NULL "
                                          "GROUP BY brand_id, external_id HAVING COUNT(*) > 1")).all()
            idem = dict(conn.execute(text("SELECT key, COUNT(*) FROM idempotency_keys WHERE key LIKE :p "
                                          "GROUP BY key"), {"p": f"soak-{tag}-%"}).all())
            capacity = capacity_problems(conn)
    finally:
        engine.dispose()
    lost = [k for k, (_s, oid) in tally.acked.items() if by_key.get(k) != [oid]]
    dupes = [k for k, ids in by_key.items() if len(ids) > 1] + [f"{b}/{e}" for b, e in ext_dupes]
    dupes += [k for k, n in idem.items() if n > 1]
    unacked = sorted(set(by_key) - set(tally.acked))
    missing_keys = [k for k in tally.acked if idem.get(k) != 1]
    return {"stored": len(rows), "lost": lost, "duplicates": dupes, "unacknowledged_stored": unacked,
            "missing_idempotency_rows": missing_keys, **capacity}


def capacity_problems(conn: Any) -> dict[str, Any]:
    """Over-booking and bookkeeping checks of the capacity tables."""
    mismatch = conn.execute(text(
        "SELECT c.site_id, c.process, c.day, c.reserved_min, COALESCE(SUM(r.minutes), 0) FROM capacity c "
        "LEFT JOIN capacity_reservations r ON r.site_id = c.site_id AND r.process = c.process AND r.day = c.day "
        "GROUP BY c.site_id, c.process, c.day, c.reserved_min "
        "HAVING ABS(c.reserved_min - COALESCE(SUM(r.minutes), 0)) > 0.001")).all()
    over = conn.execute(text("SELECT site_id, process, day, reserved_min, capacity_min FROM capacity "
                             "WHERE reserved_min > capacity_min + 0.001")).all()
    orphans = conn.execute(text(
        "SELECT r.line_id, r.site_id FROM capacity_reservations r LEFT JOIN order_lines l ON l.id = r.line_id "
        "WHERE l.id IS NULL OR l.site_id IS NULL OR l.site_id <> r.site_id")).all()
    unbooked = conn.execute(text(
        "SELECT l.id FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE l.site_id IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM capacity_reservations r WHERE r.line_id = l.id)")).all()
    outside = conn.execute(text(
        "SELECT r.line_id FROM capacity_reservations r LEFT JOIN capacity c ON c.site_id = r.site_id "
        "AND c.process = r.process AND c.day = r.day WHERE c.site_id IS NULL")).all()
    counts = conn.execute(text("SELECT COUNT(DISTINCT line_id), COALESCE(SUM(minutes), 0) FROM capacity_reservations")).one()
    return {"reserved_mismatch": [tuple(map(str, r)) for r in mismatch], "over_booked": [tuple(map(str, r)) for r in over],
            "orphan_reservations": [tuple(map(str, r)) for r in orphans + outside],
            "routed_lines_without_reservation": [r[0] for r in unbooked],
            "reserved_lines": int(counts[0]), "reserved_minutes": round(float(counts[1]), 1)}


def run_soak(cfg: SoakConfig) -> dict[str, Any]:
    """Prepare the database, run the server under chaos with retrying clients, check the store."""
    token = prepare_database(cfg.db_url)
    log_dir = cfg.log_dir or Path(tempfile.mkdtemp(prefix="mf-soak-"))
    server = Server(cfg.db_url, free_port(), log_dir / "server.log")
    tally, events, done = Tally(), [], threading.Event()
    try:
        server.start()
        base = f"http://127.0.0.1:{server.port}"
        start = time.monotonic()
        stop_at = start + cfg.seconds
        monkey = threading.Thread(target=chaos, args=(server, cfg, start, done, events), daemon=True)
        monkey.start()
        clients = [threading.Thread(target=client_loop, args=(i, base, token, cfg, stop_at, tally), daemon=True)
                   for i in range(cfg.clients)]
        for th in clients:
            th.start()
        for th in clients:
            th.join(cfg.seconds + cfg.order_deadline_s + 30)
        done.set()
        monkey.join(120)
        elapsed = time.monotonic() - start
        routing = concurrent_routing(base, token, cfg.tag)
    finally:
        done.set()
        server.stop()
    store = check_store(cfg.db_url, tally, cfg.tag)
    return {"seconds": round(elapsed, 1), "orders_acked": len(tally.acked), "requests": tally.requests,
            "retries": tally.retries, "connection_errors": tally.connection_errors, "statuses": tally.statuses,
            "given_up": tally.given_up, "refused": tally.refused[:10], "server_starts": server.starts,
            "kills": events, "routing_runs": routing, "log": str(server.log), **store}


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one soak, dropped afterwards."""
    from sqlalchemy.engine import make_url

    name = f"mf_soak_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def verdict(res: dict[str, Any]) -> bool:
    """True when nothing was lost, duplicated, refused, given up or over-booked."""
    keys = ("lost", "duplicates", "given_up", "refused", "reserved_mismatch", "over_booked", "orphan_reservations",
            "routed_lines_without_reservation", "missing_idempotency_rows")
    return all(not res[k] for k in keys) and any(200 <= s < 300 for s in res["routing_runs"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=300.0, help="traffic duration per backend")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--kills", type=int, default=4, help="worker kills and server kills, each, spread over the run")
    ap.add_argument("--postgres", action="store_true", help="also run on $MICROFACTORY_TEST_POSTGRES_URL")
    ap.add_argument("--quick", action="store_true", help="20 s on SQLite only")
    args = ap.parse_args()
    seconds = 20.0 if args.quick else args.seconds
    kills = 1 if args.quick else max(1, args.kills)
    worker_at = tuple((2 * k + 1) / (2 * kills + 1) for k in range(kills))
    server_at = tuple((2 * k + 2) / (2 * kills + 1) for k in range(kills))
    backends = ["sqlite"] + (["postgresql"] if args.postgres and not args.quick else [])
    results = {}
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix="mf-soak-") as tmp:
            cfg_kw = {"seconds": seconds, "clients": args.clients, "kill_worker_at": worker_at,
                      "kill_server_at": server_at, "log_dir": Path(tmp)}
            if backend == "sqlite":
                res = run_soak(SoakConfig(db_url=f"sqlite:///{tmp}/soak.db", **cfg_kw))  # type: ignore[arg-type]
            else:
                with postgres_database(os.environ.get("MICROFACTORY_TEST_POSTGRES_URL", PG_DEFAULT)) as url:
                    res = run_soak(SoakConfig(db_url=url, **cfg_kw))  # type: ignore[arg-type]
        results[backend] = res
        print(backend, json.dumps({k: v for k, v in res.items() if k != "log"}, default=str), flush=True)
    record_results(results, seconds, args.clients)
    if not all(verdict(r) for r in results.values()):
        sys.exit("soak found lost, duplicated, refused or over-booked orders")


def record_results(results: dict[str, dict[str, Any]], seconds: float, clients: int) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from _results import machine_line, md_table, record

    rows = [[b, f"{r['seconds']:.0f}", r["orders_acked"], r["requests"], r["retries"], r["connection_errors"],
             len(r["kills"]), r["server_starts"], len(r["lost"]), len(r["duplicates"]), len(r["given_up"]),
             len(r["over_booked"]) + len(r["reserved_mismatch"]), r["reserved_lines"],
             "/".join(map(str, r["routing_runs"]))] for b, r in results.items()]
    table = md_table(["backend", "s", "orders acked", "requests", "retries", "conn. errors", "kills", "server starts",
                      "lost", "duplicates", "given up", "over-booked cells", "reserved lines", "2 routing runs"], rows)
    kills = "; ".join(f"{b}: " + ", ".join(r["kills"]) for b, r in results.items())
    record("soak", f"{machine_line()}\n\nuvicorn 2 workers on 127.0.0.1, {clients} retrying clients, {seconds:.0f} s "
                   f"per backend; every third order with ?route=true.\n\n{table}\n\nKills: {kills}\n")


if __name__ == "__main__":
    main()
