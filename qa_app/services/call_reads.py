"""The call page's read model: its job, transcript, automated scorecard and progress."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from qa_app.db.models import (
    AutoScorecard,
    Call,
    Job,
    JobState,
    RubricVersion,
    TranscriptRecord,
)
from qa_app.services import jobs, rubrics
from qa_app.settings import Settings


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
    """The default rubric's automated scorecard of each call (one query for a page of calls). Lists show
    its flags and total only: the scorecard JSON (~12 kB a call) is loaded if something reads it."""
    if not call_ids:
        return {}
    rows = db.scalars(
        select(AutoScorecard)
        .options(defer(AutoScorecard.data))
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
