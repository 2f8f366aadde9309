"""The worker: claims jobs, dispatches each to the handler registered for its kind, heartbeats its
lease, records failures.

Run with ``flask --app wsgi worker``. Any number of workers may run against one database; a worker
killed mid-job loses nothing: its lease expires, another worker (or its restart) claims the job and the
handler skips the steps already stored.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from qa_app import logs, metrics
from qa_app.db.models import Job, JobState
from qa_app.db.session import transaction
from qa_app.jobs import registry
from qa_app.jobs.backends import Backends
from qa_app.jobs.registry import Deferred, JobContext, LostLease
from qa_app.services import jobs
from qa_app.settings import Settings

log = logging.getLogger("qa_app.worker")

__all__ = ["Deferred", "Heartbeat", "LostLease", "process_job", "run", "worker_id"]


class Heartbeat:
    """Extends the job's lease every lease/3 seconds and carries stage/progress to the row."""

    def __init__(self, factory: sessionmaker[Session], job_id: int, worker: str, lease: int) -> None:
        self.factory, self.job_id, self.worker, self.lease = factory, job_id, worker, lease
        self.stage: str | None = None
        self.progress_value: float | None = None
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{job_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def set(self, stage: str, progress: float = 0.0) -> None:
        self.stage, self.progress_value = stage, progress
        self.beat()

    def progress(self, stage: str, fraction: float) -> None:
        """Progress callback for long steps (cheap; the thread writes it)."""
        self.stage = stage
        self.progress_value = fraction

    def beat(self) -> None:
        with transaction(self.factory) as db:
            if not jobs.heartbeat(
                db, self.job_id, self.worker, self.lease, stage=self.stage, progress=self.progress_value
            ):
                self.lost = True

    def _run(self) -> None:
        interval = max(0.5, self.lease / 3)
        while not self._stop.wait(interval):
            try:
                self.beat()
            except Exception:  # the database may be briefly locked; try again next beat
                log.exception("heartbeat failed for job %s", self.job_id)


def _record_failure(
    factory: sessionmaker[Session],
    job_id: int,
    worker: str,
    error: str,
    *,
    backoff_seconds: int,
    permanent: bool,
) -> str:
    """Record a failure of a job we own (retry later or dead-letter) and tell its kind."""
    with transaction(factory) as db:
        job = db.get(Job, job_id)
        if job is None or not jobs.still_owned(db, job, worker):
            return "lost"
        dead = jobs.fail(db, job, error, backoff_seconds=backoff_seconds, permanent=permanent)
        metrics.job_failed(job.kind, dead)
        kind = registry.get(job.kind)
        if kind is not None and kind.on_failure is not None:
            kind.on_failure(db, job, error, dead)
        return job.state


def process_job(
    factory: sessionmaker[Session], job_id: int, worker: str, backends: Backends, settings: Settings
) -> str:
    """Run one claimed job to the end (or to a recorded failure). Returns its final state."""
    with logs.bound(job_id=job_id):
        return _process_job(factory, job_id, worker, backends, settings)


def _process_job(
    factory: sessionmaker[Session], job_id: int, worker: str, backends: Backends, settings: Settings
) -> str:
    with transaction(factory) as db:
        job = db.get(Job, job_id)
        if job is None or not jobs.still_owned(db, job, worker):
            return "lost"
        name, attempts, max_attempts, last_error = job.kind, job.attempts, job.max_attempts, job.last_error
    logs.bind(job_kind=name)  # undone with the job_id binding by process_job
    kind = registry.get(name)
    if kind is None:
        return _record_failure(
            factory,
            job_id,
            worker,
            f"unknown job kind {name!r}: no handler is registered for it",
            backoff_seconds=0,
            permanent=True,
        )
    if attempts > max_attempts:
        return _record_failure(
            factory, job_id, worker, last_error or "too many attempts", backoff_seconds=0, permanent=True
        )
    try:
        with Heartbeat(factory, job_id, worker, settings.job_lease_seconds) as hb:
            ctx = JobContext(factory, job_id, name, worker, backends, settings, hb)
            kind.handler(ctx)
            if hb.lost:
                raise LostLease(f"job {job_id} lease lost")
            if not ctx.finished:
                with ctx.step() as (db, job):
                    ctx.finish(db, job)
            return JobState.DONE
    except LostLease:
        log.warning("job %s: lease lost, leaving it to its new owner", job_id)
        return "lost"
    except Deferred as wait:
        with transaction(factory) as db:
            job = db.get(Job, job_id)
            if job is None or not jobs.still_owned(db, job, worker):
                return "lost"
            jobs.defer(db, job, wait.seconds, wait.reason)
        log.info("job %s (%s) deferred %gs: %s", job_id, name, wait.seconds, wait.reason)
        return JobState.QUEUED
    except Exception as exc:
        log.exception("job %s (%s) failed", job_id, name)
        return _record_failure(
            factory,
            job_id,
            worker,
            f"{type(exc).__name__}: {exc}",
            backoff_seconds=settings.job_backoff_seconds,
            permanent=isinstance(exc, (jobs.PermanentError, *kind.permanent)),
        )


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run(
    factory: sessionmaker[Session],
    settings: Settings,
    *,
    backends: Backends | None = None,
    once: bool = False,
    poll: float = 2.0,
    stop: threading.Event | None = None,
    on_idle: Callable[[], None] | None = None,
) -> int:
    """Claim and process jobs until ``stop`` is set (or the queue is empty with ``once``). Returns jobs run."""
    backends = backends or Backends(settings)
    registry.load()
    wid = worker_id()
    stop = stop or threading.Event()
    count = 0
    log.info("worker %s started", wid)
    while not stop.is_set():
        with transaction(factory) as db:
            job = jobs.claim(db, wid, settings.job_lease_seconds)
            job_id = job.id if job else None
        if job_id is None:
            if once:
                break
            if on_idle:
                on_idle()
            stop.wait(poll)
            continue
        state = process_job(factory, job_id, wid, backends, settings)
        log.info("job %s -> %s", job_id, state)
        count += 1
    return count
