"""Long jobs started from the dashboard (routing, planning, simulation) with progress.

Jobs run in background threads of the serving process; the registry lives in that process's
memory, so a job is visible only to the worker that started it and is forgotten on restart.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from microfactory.errors import MicrofactoryError, NotFound

Report = Callable[[float, str], None]
MAX_JOBS = 200


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

    def view(self) -> dict[str, Any]:
        end = self.finished or time.monotonic()
        return {"id": self.id, "kind": self.kind, "label": self.label, "status": self.status,
                "progress": round(self.progress, 3), "message": self.message, "error": self.error,
                "elapsed_s": round(end - self.started, 1), "result": self.result}


@dataclass
class JobRegistry:
    """The jobs of this process, newest last (bounded: the oldest finished ones are dropped)."""

    jobs: dict[str, Job] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, kind: str, owner: str, label: str, work: Callable[[Report], dict[str, Any]]) -> Job:
        """Run ``work(report)`` in a daemon thread; ``report(fraction, message)`` updates the job."""
        job = Job(uuid.uuid4().hex[:12], kind, owner, label, time.monotonic())
        with self.lock:
            self._trim()
            self.jobs[job.id] = job

        def report(fraction: float, message: str) -> None:
            job.progress = max(job.progress, min(1.0, max(0.0, fraction)))
            job.message = message

        def run() -> None:
            try:
                job.result = work(report)
                job.progress, job.status, job.message = 1.0, "done", "done"
            except MicrofactoryError as exc:
                job.status, job.error, job.message = "failed", exc.message, "failed"
            except Exception as exc:  # reported on the page and logged, never swallowed silently
                import logging

                logging.getLogger("microfactory.web").exception("job %s failed", job.id)
                job.status, job.error, job.message = "failed", f"{type(exc).__name__}: {exc}", "failed"
            job.finished = time.monotonic()

        threading.Thread(target=run, name=f"job-{job.id}", daemon=True).start()
        return job

    def get(self, job_id: str, owner: str | None) -> Job:
        """A job by id; another user's job is not found (``owner`` None: any job)."""
        job = self.jobs.get(job_id)
        if job is None or (owner is not None and job.owner != owner):
            raise NotFound(f"no job {job_id!r} in this process", field="job_id")
        return job

    def recent(self, owner: str | None, n: int = 10) -> list[Job]:
        mine = [j for j in self.jobs.values() if owner is None or j.owner == owner]
        return mine[-n:][::-1]

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


__all__ = ["Job", "JobRegistry", "Report", "ticking"]
