"""Readiness checks and the job-queue figures of the metrics endpoint.

Each check returns a :class:`Check` whose ``error`` is a short fixed phrase (never an exception text,
a path or a URL: ``/readyz`` is public); the reason in full goes to the log.
"""

from __future__ import annotations

import functools
import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, select, text

from qa_app.db.base import utcnow
from qa_app.db.models import Job, JobState
from qa_app.metrics import QueueStats
from qa_app.settings import REPO_ROOT, Settings

log = logging.getLogger("qa_app.health")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    error: str = ""

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok} if self.ok else {"ok": False, "error": self.error}


def _guard(name: str, fn: Callable[[], str | None]) -> Check:
    """Run one check: None = fine, a string = the public error; an exception is logged, named generically."""
    try:
        error = fn()
    except Exception:
        log.exception("readiness check %s failed", name)
        return Check(name, False, "check failed")
    return Check(name, error is None, error or "")


@functools.cache  # the migrations of a running release do not change
def head_revisions() -> frozenset[str]:
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory(str(REPO_ROOT / "migrations")).get_heads())


def database_check(engine: Engine) -> Check:
    """The database answers and is migrated to the head revision."""

    def run() -> str | None:
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
                try:
                    current = {r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))}
                except Exception:
                    return "not migrated"
        except Exception:
            log.warning("readiness: database does not answer", exc_info=True)
            return "does not answer"
        if current != head_revisions():
            return "not migrated to head"
        return None

    return _guard("database", run)


def audio_store_check(settings: Settings) -> Check:
    """The audio store exists and a file can be created and removed in it."""

    def run() -> str | None:
        folder = settings.audio_dir
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / f".ready-{uuid.uuid4().hex}"
            fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.close(fd)
            probe.unlink()
        except OSError:
            log.warning("readiness: audio store %s is not writable", folder, exc_info=True)
            return "not writable"
        return None

    return _guard("audio_store", run)


def _model_dirs(settings: Settings) -> list[Path]:
    """The local model directories the speech pipeline will load (hub names are not local: skipped)."""
    speech = settings.speech
    out = []
    if speech.asr_is_local:
        out.append(Path(speech.asr_model))
    if speech.diarization_is_local:
        out.append(Path(speech.diarization_pipeline))
    return out


def models_check(settings: Settings) -> Check:
    """Model files present for the configured speech backend (a plug-in backend brings its own)."""

    def run() -> str | None:
        if settings.speech_backend:
            return None  # a "module:callable" plug-in (e.g. a remote GPU service): nothing local to check
        for path in _model_dirs(settings):
            if not path.is_dir() or not any(path.iterdir()):
                log.warning("readiness: model directory %s is missing or empty", path)
                return "model files missing"
        return None

    return _guard("models", run)


def broker_check(ping: Callable[[], object]) -> Check:
    """The job broker answers (``ping`` raises or returns False when it does not)."""

    def run() -> str | None:
        return None if ping() is not False else "does not answer"

    return _guard("broker", run)


def queue_stats(engine: Engine) -> QueueStats:
    """Jobs waiting / running / dead per kind, and when the oldest waiting job became due."""
    from sqlalchemy.orm import Session

    waiting = (JobState.QUEUED, JobState.FAILED)
    queued: dict[str, int] = {}
    running: dict[str, int] = {}
    dead: dict[str, int] = {}
    oldest: dict = {}
    with Session(engine) as db:
        rows = db.execute(
            select(Job.kind, Job.state, func.count(), func.min(Job.run_after))
            # IN, not "!= done": the (state, run_after) index then skips the millions of finished jobs
            .where(Job.state.in_((JobState.QUEUED, JobState.FAILED, JobState.RUNNING, JobState.DEAD)))
            .group_by(Job.kind, Job.state)
        )
        for kind, state, n, first_due in rows:
            if state in waiting:
                queued[kind] = queued.get(kind, 0) + n
                if first_due is not None and (kind not in oldest or first_due < oldest[kind]):
                    oldest[kind] = first_due
            elif state == JobState.RUNNING:
                running[kind] = n
            elif state == JobState.DEAD:
                dead[kind] = n
    now = utcnow()
    # a job due in the future (a retry's back-off) is not waiting yet: age 0
    oldest = {k: min(v, now) for k, v in oldest.items()}
    return QueueStats(queued, running, dead, oldest, now)
