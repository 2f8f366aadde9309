"""Durable jobs: the row is the source of truth for long work.

A job names a registered *kind* (``qa_app.jobs.registry``) and, optionally, a *subject*: any area's
object as ``(subject_type, subject_id)`` — a call, a sampling plan, a coaching plan, an export.
``dedupe_key`` makes enqueueing idempotent: while a job with the same key is pending (queued, running
or waiting to retry) a second one is never created; a partial unique index guarantees it in the database.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Float, Index, String, Text, and_, case, text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from qa_app.db.base import Base, TimestampMixin, UTCDateTime, utcnow


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # waits for a retry (run_after)
    DEAD = "dead"  # gave up after max attempts


ACTIVE_STATES = (JobState.QUEUED, JobState.RUNNING, JobState.FAILED)
_ACTIVE_SQL = text("state IN ('queued', 'running', 'failed')")


class Job(TimestampMixin, Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_state_run_after", "state", "run_after"),
        Index("ix_jobs_subject", "subject_type", "subject_id"),
        Index(
            "uq_jobs_active_dedupe_key",
            "dedupe_key",
            unique=True,
            sqlite_where=_ACTIVE_SQL,
            postgresql_where=_ACTIVE_SQL,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # a name in qa_app.jobs.registry
    subject_type: Mapped[str | None] = mapped_column(String(32), default=None)
    subject_id: Mapped[int | None] = mapped_column(default=None)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), default=None)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(12), default=JobState.QUEUED)
    stage: Mapped[str] = mapped_column(String(32), default="")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=4)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    worker: Mapped[str | None] = mapped_column(String(80), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # With a broker (QA_JOB_BROKER): when the latest message carrying this id is due; empty = never sent.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    @hybrid_property
    def call_id(self) -> int | None:
        """The call this job is about, when its subject is a call."""
        return self.subject_id if self.subject_type == "call" else None

    @call_id.inplace.expression
    @classmethod
    def _call_id_expression(cls):  # noqa: ANN206
        return case((cls.subject_type == "call", cls.subject_id), else_=None)

    @classmethod
    def for_call(cls, call_id: int):  # noqa: ANN206
        """SQL condition: jobs whose subject is this call (uses the subject index)."""
        return and_(cls.subject_type == "call", cls.subject_id == call_id)


class DutyRun(Base):
    """One row per (duty, period) a scheduled duty fired for: the primary key makes it fire once,
    however many schedulers tick at the same moment."""

    __tablename__ = "duty_runs"

    duty: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(32), primary_key=True)
    job_id: Mapped[int | None] = mapped_column(default=None)
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    worker: Mapped[str | None] = mapped_column(String(80), default=None)
