"""Dashboard jobs are stored: a job started by one worker is polled, to its end, through another."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from microfactory.adapters.db.jobs_repo import JobStore
from microfactory.entrypoints.api.deps import Container
from microfactory.entrypoints.web.jobs import LOST_AFTER_S, Job, JobRegistry, Report, _wall
from microfactory.errors import NotFound


def _wait(reg: JobRegistry, job_id: str, status: str, timeout: float = 10.0) -> Job:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        job = reg.get(job_id, None)
        if job.status == status:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never reached {status}")


def test_another_worker_sees_progress_and_result(container: Container) -> None:
    """Registry A runs the job; registry B (another worker: same database, no shared memory) sees it
    running with its progress, then done with its result; a third owner does not see it at all."""
    a, b = JobRegistry(JobStore(container.engine)), JobRegistry(JobStore(container.engine))
    gate = threading.Event()

    def work(report: Report) -> dict[str, object]:
        report(0.4, "solving")
        gate.wait(10)
        return {"assigned": 7, "costs": {"lines": 12.5}}

    job = a.start("routing", "admin:a", "route open lines", work)
    seen = b.get(job.id, "admin:a")  # written before start() returned
    assert seen.status == "running" and seen.label == "route open lines"
    deadline = time.monotonic() + 5
    while b.get(job.id, None).progress < 0.4 and time.monotonic() < deadline:
        time.sleep(0.1)  # the heartbeat carries the progress over
    assert b.get(job.id, None).view()["message"] == "solving"
    assert [j.id for j in b.recent("admin:a")] == [job.id]
    gate.set()
    done = _wait(b, job.id, "done")
    assert done.progress == 1.0 and done.result == {"assigned": 7, "costs": {"lines": 12.5}}
    with pytest.raises(NotFound):
        b.get(job.id, "brand:other")
    assert b.recent("brand:other") == []


def test_failed_job_reads_failed_everywhere(container: Container) -> None:
    from microfactory.errors import InvalidInput

    a, b = JobRegistry(JobStore(container.engine)), JobRegistry(JobStore(container.engine))

    def boom(_report: Report) -> dict[str, object]:
        raise InvalidInput("no open lines", field="lines")

    job = a.start("routing", "o", "route", boom)
    failed = _wait(b, job.id, "failed")
    assert failed.error == "no open lines"


def test_a_job_whose_worker_stopped_reads_as_lost(container: Container) -> None:
    """A running job not written for longer than LOST_AFTER_S is shown failed, with why."""
    store = JobStore(container.engine)
    stale = _wall() - timedelta(seconds=LOST_AFTER_S + 5)
    row = Job("deadbeef0001", "planning", "o", "plan site", 0.0, 0.3, "solving").row()
    store.save({**row, "started_at": stale, "updated_at": stale})
    job = JobRegistry(store).get("deadbeef0001", "o")
    assert job.status == "failed" and job.message == "lost" and "stopped" in (job.error or "")
    fresh = {**row, "id": "deadbeef0002", "updated_at": _wall()}
    store.save(fresh)
    assert JobRegistry(store).get("deadbeef0002", "o").status == "running"
