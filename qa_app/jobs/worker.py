"""The worker: claims jobs, runs their stages, heartbeats its lease, records failures.

Run with ``flask --app wsgi worker``. Any number of workers may run against one database; a worker
killed mid-job loses nothing: its lease expires, another worker (or its restart) claims the job and
skips the stages already stored.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from qa_app.db.models import Call, Job, JobState
from qa_app.db.session import transaction
from qa_app.jobs.backends import Backends
from qa_app.services import jobs, processing
from qa_app.settings import Settings
from transcription.audio import AudioError, mute_file
from transcription.errors import BadAudioError

log = logging.getLogger("qa_app.worker")


class LostLease(Exception):
    """Another worker took the job over (our lease expired); stop without writing."""


def _permanent(exc: BaseException) -> bool:
    """Failures a retry cannot fix: the job is dead-lettered at once."""
    return isinstance(exc, jobs.PermanentError | AudioError | BadAudioError | FileNotFoundError)


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
        """Progress callback for the speech pipeline (cheap; the thread writes it)."""
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


def _owned(db: Session, job_id: int, worker: str) -> Job:
    job = db.get(Job, job_id)
    if job is None or not jobs.still_owned(db, job, worker):
        raise LostLease(f"job {job_id} is no longer ours")
    return job


def process_job(
    factory: sessionmaker[Session], job_id: int, worker: str, backends: Backends, settings: Settings
) -> str:
    """Run one claimed job to the end (or to a recorded failure). Returns its final state."""
    try:
        with transaction(factory) as db:
            job = _owned(db, job_id, worker)
            if job.attempts > job.max_attempts:
                processing.fail(
                    db, job, job.last_error or "too many attempts", backoff_seconds=0, permanent=True
                )
                return job.state
            if job.kind == processing.RESCORE_RANGE:
                processing.expand_rescore_range(db, job)
                processing.finish(db, job, None)
                return job.state
            call = processing.start(db, job)
            kind, done = job.kind, list(job.payload.get("done", []))
            audio = settings.data_dir / call.audio_path
            layout, language = call.channel_layout, call.language
            rubric_version_id = job.payload.get("rubric_version_id")
    except LostLease:
        return "lost"
    except jobs.PermanentError as exc:
        with transaction(factory) as db:
            processing.fail(db, db.get(Job, job_id), str(exc), backoff_seconds=0, permanent=True)
        return JobState.DEAD
    try:
        with Heartbeat(factory, job_id, worker, settings.job_lease_seconds) as hb:
            if kind == processing.PROCESS and "transcribe" not in done:
                hb.set("transcribe", 0.0)
                result = backends.speech.run_detailed(
                    audio,
                    channels="mono" if layout == "mono" else "stereo",
                    layout=layout,
                    language=None if language == "auto" else language,
                    progress=hb.progress,
                )
                if hb.lost:
                    raise LostLease(f"job {job_id} lease lost during transcription")
                transcript = result.transcript
                if settings.mute_redacted_audio and result.redactions:
                    mute_file(audio, [(s.start, s.end) for s in result.redactions])
                with transaction(factory) as db:
                    job = _owned(db, job_id, worker)
                    processing.store_transcript(db, db.get(Call, job.call_id), transcript)
                    job.payload = {**job.payload, "done": [*done, "transcribe"]}
                    job.stage, job.progress = "score", 0.9
            hb.set("score", 0.9)
            with transaction(factory) as db:
                job = _owned(db, job_id, worker)
                call = db.get(Call, job.call_id)
                processing.score_call(db, call, backends.scorer, rubric_version_id=rubric_version_id)
                processing.finish(db, job, call)
                return job.state
    except LostLease:
        log.warning("job %s: lease lost, leaving it to its new owner", job_id)
        return "lost"
    except Exception as exc:
        log.exception("job %s failed", job_id)
        with transaction(factory) as db:
            job = db.get(Job, job_id)
            if job is None or not jobs.still_owned(db, job, worker):
                return "lost"
            processing.fail(
                db,
                job,
                f"{type(exc).__name__}: {exc}",
                backoff_seconds=settings.job_backoff_seconds,
                permanent=_permanent(exc),
            )
            return job.state


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
