"""Registries of job kinds and scheduled duties.

Each area registers its own kinds and duties in a module of ``qa_app.jobs.tasks`` (found
automatically): adding a kind or a duty touches that one module and its tests.

    @job_kind("process_call", subject="call")
    def process_call(ctx: JobContext) -> None: ...

    duty("daily-maintenance", kind="maintenance", every="day")

The worker dispatches by ``Job.kind``; an unknown kind is dead-lettered with its reason. A duty fires at
most once per period across every scheduler (``qa_app.jobs.duties``) by enqueueing one job of its kind.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy.orm import Session, sessionmaker

from qa_app.db.models import Job
from qa_app.db.session import transaction
from qa_app.services import jobs

if TYPE_CHECKING:
    from qa_app.jobs.backends import Backends
    from qa_app.jobs.worker import Heartbeat
    from qa_app.settings import Settings

Period = Literal["hour", "day", "week", "month"]


class LostLease(Exception):
    """Another worker took the job over (our lease expired); stop without writing."""


class Deferred(Exception):  # noqa: N818  (a control-flow signal, not an error)
    """Raised by a handler whose prerequisites are not met yet (e.g. calls still being transcribed):
    the job goes back to the queue to run again after ``seconds``; the attempt is not counted."""

    def __init__(self, seconds: float, reason: str = "") -> None:
        super().__init__(reason or f"deferred for {seconds:g} s")
        self.seconds = seconds
        self.reason = reason


@dataclass
class JobContext:
    """What a handler gets: the job's id and kind, and ways to work on it safely."""

    factory: sessionmaker[Session]
    job_id: int
    kind: str
    worker: str
    backends: Backends
    settings: Settings
    heartbeat: Heartbeat
    finished: bool = False

    @contextmanager
    def step(self) -> Iterator[tuple[Session, Job]]:
        """One transaction in which we still own the job (else ``LostLease``, nothing written)."""
        with transaction(self.factory) as db:
            job = db.get(Job, self.job_id)
            if job is None or not jobs.still_owned(db, job, self.worker):
                raise LostLease(f"job {self.job_id} is no longer ours")
            yield db, job

    def finish(self, db: Session, job: Job) -> None:
        """Mark the job done inside the step that stores its last result (exactly once)."""
        jobs.complete(db, job)
        self.finished = True


Handler = Callable[[JobContext], None]
FailureHook = Callable[[Session, Job, str, bool], None]


@dataclass(frozen=True)
class JobKind:
    name: str
    handler: Handler
    subject: str | None = None  # the subject_type its jobs carry (None: no subject)
    max_attempts: int | None = None  # None: QA_JOB_MAX_ATTEMPTS
    permanent: tuple[type[BaseException], ...] = ()  # errors a retry cannot fix: dead-letter at once
    on_failure: FailureHook | None = None  # (db, job, error, dead) after the failure is recorded


@dataclass(frozen=True)
class Duty:
    """Enqueue one job of ``kind`` per ``every`` period (in the configured time zone), once the period
    is ``after`` old; ``payload(period)`` builds the job's payload."""

    name: str
    kind: str
    every: Period
    after: timedelta = timedelta(0)
    payload: Callable[[str], dict[str, Any]] = field(default=lambda period: {"period": period})


_KINDS: dict[str, JobKind] = {}
_DUTIES: dict[str, Duty] = {}


def job_kind(
    name: str,
    *,
    subject: str | None = None,
    max_attempts: int | None = None,
    permanent: tuple[type[BaseException], ...] = (),
    on_failure: FailureHook | None = None,
) -> Callable[[Handler], Handler]:
    """Register ``handler`` for jobs of ``name``."""
    if len(name) > 32:
        raise ValueError(f"job kind name too long: {name!r}")

    def deco(handler: Handler) -> Handler:
        if name in _KINDS and _KINDS[name].handler is not handler:
            raise ValueError(f"job kind {name!r} is registered twice")
        _KINDS[name] = JobKind(name, handler, subject, max_attempts, permanent, on_failure)
        return handler

    return deco


def duty(
    name: str,
    *,
    kind: str,
    every: Period,
    after: timedelta = timedelta(0),
    payload: Callable[[str], dict[str, Any]] | None = None,
) -> Duty:
    """Register a scheduled duty."""
    if name in _DUTIES and (_DUTIES[name].kind, _DUTIES[name].every) != (kind, every):
        raise ValueError(f"duty {name!r} is registered twice")
    d = Duty(name, kind, every, after, payload or (lambda period: {"period": period}))
    _DUTIES[name] = d
    return d


def load() -> None:
    """Import every module of qa_app.jobs.tasks (each registers its area's kinds and duties)."""
    from qa_app.jobs import tasks

    for info in pkgutil.iter_modules(tasks.__path__):
        importlib.import_module(f"{tasks.__name__}.{info.name}")


def get(name: str) -> JobKind | None:
    load()
    return _KINDS.get(name)


def kinds() -> dict[str, JobKind]:
    load()
    return dict(_KINDS)


def duties() -> dict[str, Duty]:
    load()
    return dict(_DUTIES)
