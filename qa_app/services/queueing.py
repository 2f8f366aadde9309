"""Queueing call work: processing a new call, retries, explicit re-scores (one call, many, a date range).

The job kinds named here are run by the handlers in qa_app/jobs/tasks/calls.py (steps in
qa_app/services/processing.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from qa_app.db.models import (
    Call,
    CallStatus,
    Job,
    TranscriptRecord,
    User,
)
from qa_app.services import audit, jobs
from qa_app.settings import Settings

PROCESS = "process_call"
SCORE = "score_call"
RESCORE_RANGE = "rescore_range"  # expanded by the worker into one SCORE job per call
IN_CHUNK = 5000


def enqueue_call(db: Session, call: Call, *, settings: Settings) -> Job:
    job = jobs.enqueue(db, PROCESS, subject=("call", call.id), max_attempts=settings.job_max_attempts)
    call.status = CallStatus.QUEUED
    call.failure_reason = None
    db.flush()
    return job


def retry_call(db: Session, call: Call, *, actor: User, settings: Settings) -> Job:
    """Admin action: run a failed (or stuck) call again from the start."""
    job = enqueue_call(db, call, settings=settings)
    audit.record(db, "job_retried", user=actor, target=f"call:{call.id}", job=job.id)
    return job


def request_rescore(
    db: Session,
    call_ids: list[int],
    *,
    actor: User | None,
    rubric_version_id: int | None = None,
    max_attempts: int = 3,
) -> list[Job]:
    """Explicit, logged re-score of calls that already have a transcript."""
    have: set[int] = set()
    for i in range(0, len(call_ids), IN_CHUNK):  # stay under the database's bound-parameter limit
        chunk = call_ids[i : i + IN_CHUNK]
        have.update(db.scalars(select(TranscriptRecord.call_id).where(TranscriptRecord.call_id.in_(chunk))))
    out = [
        jobs.enqueue(
            db,
            SCORE,
            subject=("call", cid),
            max_attempts=max_attempts,
            payload={"rubric_version_id": rubric_version_id} if rubric_version_id else None,
        )
        for cid in call_ids
        if cid in have
    ]
    audit.record(
        db, "rescore_requested", user=actor, target=f"{len(out)} calls", rubric_version_id=rubric_version_id
    )
    return out


def request_rescore_range(
    db: Session,
    start: datetime,
    end: datetime,
    *,
    actor: User | None,
    rubric_version_id: int | None = None,
    max_attempts: int = 3,
) -> Job:
    """Explicit, logged re-score of every call started in [start, end): one durable job that the
    worker expands, so a request for 100k calls returns at once and survives a restart."""
    job = jobs.enqueue(
        db,
        RESCORE_RANGE,
        max_attempts=max_attempts,
        payload={"from": start.isoformat(), "to": end.isoformat(), "rubric_version_id": rubric_version_id},
    )
    audit.record(
        db,
        "rescore_requested",
        user=actor,
        target=f"{start.date()}..{end.date()}",
        rubric_version_id=rubric_version_id,
    )
    return job
