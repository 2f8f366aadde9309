"""The transcript-reliability gate on a call: judged once when the call is scored, stored on the call,
confirmed by a reviewer.

:func:`judge` runs the one definition (:mod:`scoring.reliability`, README "Unreliable transcripts") on
the call's transcript when it is scored and stores the verdict on the call — ``transcript_unreliable``
and the reasons as message dicts — so lists, averages, releases and sampling read a column. While a call
is flagged, all its automated verdicts need review, its machine evaluation is not released to the agent
and is left out of averages, cohort statistics, KPI shares and the machine-vs-human report (a
reviewer's submitted review counts: they listened). :func:`confirm` is the reviewer's "transcript OK":
audited with a reason, it clears the flag (the reasons stay for the record) and re-scores the call, so
the release rule then applies as on any call.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from qa_app.db.base import utcnow
from qa_app.db.models import Call, Job, Role, TranscriptRecord, User
from qa_app.services import audit, jobs
from qa_app.services.errors import Forbidden, Invalid
from qa_app.services.queueing import SCORE
from rubrics.messages import Message, from_stored
from scoring import reliability
from transcription.types import Transcript

CONFIRMERS = (Role.ADMIN, Role.TRAINER, Role.QA_REVIEWER)
MAX_REASON = 2000


def judge(db: Session, call: Call, transcript: Transcript | None) -> tuple[Message, ...]:
    """Run the rule on ``transcript`` (the stored one, ``None`` when there is none), store the verdict on
    the call and return the reasons. A confirmed call stays confirmed (its reasons are refreshed)."""
    swapped = db.scalar(
        select(TranscriptRecord.roles_swapped_by_id).where(TranscriptRecord.call_id == call.id)
    )
    facts = reliability.facts_of(
        transcript, call.duration, has_recording=call.has_audio, roles_confirmed=swapped is not None
    )
    reasons = reliability.assess(facts)
    call.transcript_reasons = [m.to_dict() for m in reasons]
    call.transcript_unreliable = bool(reasons) and not call.transcript_confirmed
    db.flush()
    return reasons


def reasons_of(call: Call) -> list[Message]:
    """The stored reasons (rendered with ``|msg`` in the reader's language)."""
    return [m for m in (from_stored(r) for r in call.transcript_reasons or ()) if isinstance(m, Message)]


def may_confirm(user: User, call: Call, agent_user_id: int | None) -> bool:
    """Reviewers, trainers and admins — never the call's own agent."""
    return user.role in CONFIRMERS and user.id != agent_user_id


def confirm(
    db: Session, call: Call, *, actor: User, reason: str, agent_user_id: int | None, max_attempts: int
) -> Job:
    """A reviewer listened and says the transcript is good enough to score: clear the flag, record who,
    when and why (audited), and re-score the call so its verdicts lose the gate's review flags."""
    if not may_confirm(actor, call, agent_user_id):
        raise Forbidden("reliability.not_allowed")
    if not call.transcript_unreliable:
        raise Invalid("reliability.not_flagged")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("reliability.reason_required", field="reason")
    if len(reason) > MAX_REASON:
        raise Invalid("reliability.reason_too_long", field="reason", limit=MAX_REASON)
    call.transcript_unreliable = False
    call.transcript_confirmed_by_id = actor.id
    call.transcript_confirmed_at = utcnow()
    call.transcript_confirmed_reason = reason
    audit.record(
        db,
        "transcript_confirmed",
        user=actor,
        target=f"call:{call.id}",
        reason=reason[:200],
        reasons=[m.code for m in reasons_of(call)],
    )
    db.flush()
    return jobs.enqueue(db, SCORE, subject=("call", call.id), max_attempts=max_attempts)
