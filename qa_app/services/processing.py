"""Call processing use cases: queueing, the transcription and scoring stages, role swaps, views.

The worker (qa_app.jobs.worker) owns the transactions; each function here does one step in the
session it is given. Stages are idempotent: a re-run replaces the transcript / scorecard rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from qa_app.db.models import (
    AutoScorecard,
    Call,
    CallStatus,
    Job,
    JobState,
    RubricVersion,
    TranscriptRecord,
    User,
)
from qa_app.services import audit, evaluations, jobs, rubrics, search
from qa_app.services.errors import Invalid
from qa_app.settings import Settings
from rubrics import RubricValidationError
from transcription.redact import redact_transcript
from transcription.types import Transcript

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


def expand_rescore_range(db: Session, job: Job) -> int:
    """Queue a SCORE job for each transcribed call in the job's range (idempotent: pending ones are reused)."""
    start, end = datetime.fromisoformat(job.payload["from"]), datetime.fromisoformat(job.payload["to"])
    ids = list(
        db.scalars(
            select(Call.id)
            .join(TranscriptRecord, TranscriptRecord.call_id == Call.id)
            .where(Call.started_at >= start, Call.started_at < end)
            .order_by(Call.id)
        )
    )
    version = job.payload.get("rubric_version_id")
    for cid in ids:
        jobs.enqueue(
            db,
            SCORE,
            subject=("call", cid),
            max_attempts=job.max_attempts,
            payload={"rubric_version_id": version} if version else None,
        )
    job.payload = {**job.payload, "queued": len(ids)}
    return len(ids)


# --- stages -------------------------------------------------------------------------------------------


def start(db: Session, job: Job) -> Call:
    call = db.get(Call, job.call_id)
    if call is None:
        raise jobs.PermanentError(f"call {job.call_id} no longer exists")
    if job.kind == PROCESS and not call.has_audio:
        raise jobs.PermanentError(f"call {job.call_id} has no recording to transcribe")
    if job.kind == PROCESS:
        call.status = CallStatus.PROCESSING
    db.flush()
    return call


def store_transcript(db: Session, call: Call, transcript: Transcript) -> TranscriptRecord:
    """Replace the call's transcript (idempotent: one row per call). It is redacted here, whatever
    produced it (a plug-in speech backend may not redact): nothing unredacted is ever stored."""
    transcript, _spans = redact_transcript(transcript)
    data = transcript.to_dict()
    data["call_id"] = str(call.id)
    text = "\n".join(s.text for s in transcript.segments)
    rec = db.scalar(select(TranscriptRecord).where(TranscriptRecord.call_id == call.id))
    if rec is None:
        rec = TranscriptRecord(
            call_id=call.id,
            language=transcript.language,
            data=data,
            search_text=text,
            role_confidence=transcript.role_confidence,
        )
        db.add(rec)
    else:
        rec.language, rec.data, rec.search_text = transcript.language, data, text
        rec.role_confidence = transcript.role_confidence
    db.flush()
    search.index_transcript(db, call.id, transcript)
    return rec


def load_transcript(db: Session, call_id: int) -> Transcript | None:
    rec = db.scalar(select(TranscriptRecord).where(TranscriptRecord.call_id == call_id))
    return None if rec is None else Transcript.from_dict(rec.data)


def score_call(
    db: Session, call: Call, scorer: Any, *, rubric_version_id: int | None = None
) -> AutoScorecard:
    """Score the stored transcript with the default (or given) published rubric; replace any old card."""
    transcript = load_transcript(db, call.id)
    if transcript is None:
        raise jobs.PermanentError("no transcript to score")
    version = rubrics.get_version(db, rubric_version_id) if rubric_version_id else rubrics.default_version(db)
    try:
        rubric = rubrics.to_domain(version)
    except RubricValidationError as exc:
        raise jobs.PermanentError(
            f"rubric {version.rubric_key} v{version.version} no longer validates; fix it in the rubric builder: "
            + "; ".join(exc.messages("en"))
        ) from exc
    card = scorer(transcript, rubric)
    data = card.to_dict()
    db.execute(
        delete(AutoScorecard).where(
            AutoScorecard.call_id == call.id, AutoScorecard.rubric_version_id == version.id
        )
    )
    row = AutoScorecard(
        call_id=call.id,
        rubric_version_id=version.id,
        total=data.get("total"),
        critical_failed=bool(data.get("critical_failed")),
        needs_review=sum(1 for c in data["criteria"] if c.get("needs_review")),
        data=data,
    )
    db.add(row)
    if version.is_default:
        call.auto_score = row.total
    db.flush()
    evaluations.record_machine(db, call, row)
    return row


def mark_ready(db: Session, job: Job, call: Call) -> None:
    """The call's processing is complete (its job is finished in the same transaction)."""
    if job.kind == PROCESS:
        call.status = CallStatus.READY
        call.failure_reason = None
        db.flush()


# An absolute path in an error ("/srv/qa/instance/data/audio/3f/....wav"): shown as its last part.
_SERVER_PATH = re.compile(r"(?<![\w.~:/])/(?:[^\s'\"/:]+/)+([^\s'\":/]+)")


def public_reason(error: str) -> str:
    """An error as the call page may show it: no server paths (the job keeps the full text for admins)."""
    return _SERVER_PATH.sub(r"…/\1", error)[:2000]


def record_failure(db: Session, job: Job, error: str, *, dead: bool) -> None:
    """A processing job failed (its retry or dead-letter is already recorded): show it on the call."""
    call = db.get(Call, job.call_id) if job.call_id else None
    if call is not None and job.kind == PROCESS:
        call.status = CallStatus.FAILED if dead else CallStatus.QUEUED
        call.failure_reason = public_reason(error) if dead else None
    db.flush()


def swap_roles(db: Session, call: Call, *, actor: User, settings: Settings) -> Job:
    """A reviewer says agent and customer are the other way round: swap, store, re-score."""
    transcript = load_transcript(db, call.id)
    if transcript is None:
        raise Invalid("calls.no_transcript")
    flip = {"agent": "customer", "customer": "agent"}
    speakers = {spk: flip.get(role, role) for spk, role in transcript.speakers.items()}
    store_transcript(db, call, transcript.with_roles(speakers, confidence=1.0))
    rec = db.scalar(select(TranscriptRecord).where(TranscriptRecord.call_id == call.id))
    rec.roles_swapped_by_id = actor.id
    audit.record(db, "roles_swapped", user=actor, target=f"call:{call.id}")
    return jobs.enqueue(db, SCORE, subject=("call", call.id), max_attempts=settings.job_max_attempts)


# --- read models ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallView:
    job: Job | None
    transcript: dict | None
    scorecard: AutoScorecard | None
    criteria_titles: dict[str, dict[str, str]]
    pending_jobs: int


def call_view(db: Session, call: Call, settings: Settings) -> CallView:
    rec = db.scalar(select(TranscriptRecord).where(TranscriptRecord.call_id == call.id))
    card = db.scalar(
        select(AutoScorecard)
        .where(AutoScorecard.call_id == call.id)
        .order_by(AutoScorecard.created_at.desc())
    )
    titles = rubrics.criterion_titles(card.rubric_version) if card is not None else {}
    pending = db.scalar(
        select(func.count()).select_from(Job).where(Job.for_call(call.id), Job.state.in_(jobs.ACTIVE))
    )
    return CallView(jobs.latest_for_call(db, call.id), rec.data if rec else None, card, titles, pending)


def default_cards(db: Session, call_ids: list[int]) -> dict[int, AutoScorecard]:
    """The default rubric's automated scorecard of each call (one query for a page of calls)."""
    if not call_ids:
        return {}
    rows = db.scalars(
        select(AutoScorecard)
        .join(AutoScorecard.rubric_version)
        .where(AutoScorecard.call_id.in_(call_ids), RubricVersion.is_default)
    )
    return {row.call_id: row for row in rows}


def status_dict(db: Session, call: Call) -> dict[str, Any]:
    job = jobs.latest_for_call(db, call.id)
    return {
        "call_id": call.id,
        "status": call.status,
        "failure_reason": call.failure_reason,
        "job": None
        if job is None
        else {
            "id": job.id,
            "kind": job.kind,
            "state": job.state,
            "stage": job.stage,
            "progress": job.progress,
            "attempts": job.attempts,
            "max_attempts": job.max_attempts,
            "queue_position": jobs.queue_position(db, job),
            "last_error": job.last_error,
        },
        "pending": job is not None and job.state in (JobState.QUEUED, JobState.RUNNING, JobState.FAILED),
    }
