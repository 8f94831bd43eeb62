"""Long jobs started from the dashboard (routing, planning, simulation) with progress.

A job runs in a background thread of the worker that started it. With a store (the service's
database, ``adapters/db/jobs_repo.JobStore``) that worker writes the job's state about once a
second and when it ends, so a poll that lands on any other worker sees the same job; a job whose
worker stopped (restart, crash) stops getting those heartbeats and reads as failed ("lost").
Without a store (unit tests) the registry is this process's memory only.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from microfactory.errors import MicrofactoryError, NotFound

Report = Callable[[float, str], None]
MAX_JOBS = 200
#: seconds between the running worker's writes of a job's state
HEARTBEAT_S = 1.0
#: a running job not written for this long has lost its worker
LOST_AFTER_S = 30.0
#: finished jobs are kept this long in the store
KEEP_DAYS = 7
log = logging.getLogger("microfactory.web")


def _wall() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class JobStoreLike(Protocol):
    def save(self, row: dict[str, Any]) -> None: ...
    def get(self, job_id: str) -> dict[str, Any] | None: ...
    def recent(self, owner: str | None, n: int) -> list[dict[str, Any]]: ...
    def prune(self, before: datetime) -> None: ...


@dataclass
class Job:
    """One background job and what it has reported."""

    id: str
    kind: str
    owner: str
    label: str
    started: float
    progress: float = 0.0
    message: str = "queued"
    status: str = "running"  # running | done | failed
    result: dict[str, Any] | None = None
    error: str | None = None
    finished: float | None = None
    started_at: datetime = field(default_factory=_wall)
    stored_elapsed: float | None = None  # a job read back from the store: its elapsed time as written

    def elapsed(self) -> float:
        if self.stored_elapsed is not None:
            return self.stored_elapsed
        return (self.finished or time.monotonic()) - self.started

    def view(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "label": self.label, "status": self.status,
                "progress": round(self.progress, 3), "message": self.message, "error": self.error,
                "elapsed_s": round(self.elapsed(), 1), "result": self.result}

    def row(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "owner": self.owner, "label": self.label[:300],
                "status": self.status, "progress": self.progress, "message": self.message[:300],
                "result": self.result, "error": self.error, "elapsed_s": self.elapsed(),
                "started_at": self.started_at, "updated_at": _wall()}

    @classmethod
    def from_row(cls, row: dict[str, Any], now: datetime) -> Job:
        job = cls(row["id"], row["kind"], row["owner"], row["label"], 0.0, float(row["progress"]), row["message"],
                  row["status"], row["result"], row["error"], None, row["started_at"], float(row["elapsed_s"]))
        if job.status == "running" and now - row["updated_at"] > timedelta(seconds=LOST_AFTER_S):
            job.status, job.message = "failed", "lost"
            job.error = ("the worker running this job stopped (a restart or a crash) before it ended; "
                         "start it again")
        return job


@dataclass
class JobRegistry:
    """The jobs of this process, newest last (bounded: the oldest finished ones are dropped), and,
    with a ``store``, every worker's jobs."""

    store: JobStoreLike | None = None
    jobs: dict[str, Job] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, kind: str, owner: str, label: str, work: Callable[[Report], dict[str, Any]]) -> Job:
        """Run ``work(report)`` in a daemon thread; ``report(fraction, message)`` updates the job."""
        job = Job(uuid.uuid4().hex[:12], kind, owner, label, time.monotonic())
        with self.lock:
            self._trim()
            self.jobs[job.id] = job
        saving = threading.Lock()  # one write at a time, and none of a running state after the last
        if self.store is not None:
            self.store.save(job.row())  # before the page that polls it is sent
            self.store.prune(_wall() - timedelta(days=KEEP_DAYS))

        def save(final: bool) -> None:
            if self.store is None:
                return
            with saving:
                if job.finished is not None and not final:
                    return
                try:
                    self.store.save(job.row())
                except Exception:  # the job goes on; other workers see its state late
                    log.exception("could not store the state of job %s", job.id)

        def report(fraction: float, message: str) -> None:
            job.progress = max(job.progress, min(1.0, max(0.0, fraction)))
            job.message = message

        def heartbeat() -> None:
            while job.finished is None and not stopped.wait(HEARTBEAT_S):
                save(final=False)

        def run() -> None:
            try:
                job.result = work(report)
                job.progress, job.status, job.message = 1.0, "done", "finished"
            except MicrofactoryError as exc:
                job.status, job.error, job.message = "failed", exc.message, "failed"
            except Exception as exc:  # reported on the page and logged, never swallowed silently
                log.exception("job %s failed", job.id)
                job.status, job.error, job.message = "failed", f"{type(exc).__name__}: {exc}", "failed"
            with saving:
                job.finished = time.monotonic()
            stopped.set()
            save(final=True)

        stopped = threading.Event()
        if self.store is not None:
            threading.Thread(target=heartbeat, name=f"job-{job.id}-beat", daemon=True).start()
        threading.Thread(target=run, name=f"job-{job.id}", daemon=True).start()
        return job

    def get(self, job_id: str, owner: str | None) -> Job:
        """A job by id; another user's job is not found (``owner`` None: any job)."""
        job = self.jobs.get(job_id)
        if job is None and self.store is not None:
            row = self.store.get(job_id)
            job = Job.from_row(row, _wall()) if row is not None else None
        if job is None or (owner is not None and job.owner != owner):
            raise NotFound(f"no job {job_id!r}", field="job_id")
        return job

    def recent(self, owner: str | None, n: int = 10) -> list[Job]:
        if self.store is None:
            mine = [j for j in self.jobs.values() if owner is None or j.owner == owner]
            return mine[-n:][::-1]
        now = _wall()  # this worker's own jobs are fresher than their last write
        return [self.jobs.get(r["id"]) or Job.from_row(r, now) for r in self.store.recent(owner, n)]

    def _trim(self) -> None:
        done = [k for k, j in self.jobs.items() if j.status != "running"]
        while len(self.jobs) >= MAX_JOBS and done:
            del self.jobs[done.pop(0)]


def ticking(report: Report, low: float, high: float, seconds: float, message: str) -> threading.Event:
    """Advance the bar from ``low`` towards ``high`` over an expected ``seconds`` until the event is set.

    For solver phases with a time limit but no callback: the bar shows elapsed time against the
    limit, never reaching ``high`` before the phase really ends.
    """
    stop = threading.Event()
    start = time.monotonic()

    def loop() -> None:
        while not stop.wait(0.25):
            share = min(0.95, (time.monotonic() - start) / max(seconds, 0.1))
            report(low + (high - low) * share, message)

    threading.Thread(target=loop, daemon=True).start()
    return stop


__all__ = ["HEARTBEAT_S", "LOST_AFTER_S", "Job", "JobRegistry", "JobStoreLike", "Report", "ticking"]
