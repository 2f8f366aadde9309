"""Call processing steps run by the worker: start, store the (redacted) transcript, score, finish,
record failures; expanding a range re-score; a reviewer's role swap (re-stored, then re-scored).

The worker (qa_app.jobs.worker) owns the transactions; each function here does one step in the
session it is given. Steps are idempotent: a re-run replaces the transcript / scorecard rows.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from qa_app.db.models import (
    AutoScorecard,
    Call,
    CallStatus,
    Job,
    TranscriptRecord,
    User,
)
from qa_app.services import audit, evaluations, jobs, reliability, rubrics, search
from qa_app.services.errors import Invalid
from qa_app.services.queueing import PROCESS, RESCORE_RANGE, SCORE
from qa_app.settings import Settings
from rubrics import RubricValidationError
from scoring.reliability import gate
from transcription.redact import redact_transcript
from transcription.types import Transcript

__all__ = ["PROCESS", "RESCORE_RANGE", "SCORE"]  # the kinds, for the job handlers


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
    # the transcript-reliability gate: judged here, once, and stored on the call (services.reliability)
    reasons = reliability.judge(db, call, transcript)
    card = scorer(transcript, rubric)
    if call.transcript_unreliable:
        card = gate(card, reasons)
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
