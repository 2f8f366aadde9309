"""Retention (PIPL: personal data kept no longer than needed): audio and transcripts older than N days.

``QA_RETENTION_AUDIO_DAYS`` / ``QA_RETENTION_TRANSCRIPT_DAYS`` (0 or unset = keep) count from the call's
start. The daily ``retention`` duty (qa_app/jobs/tasks/retention.py) calls :func:`purge_batch` until it
finds nothing; each batch is one transaction.

What is deleted
* audio: the stored original and every file derived from it (playback copies, waveform peaks, their
  unfinished temporary files); ``audio_path`` is cleared. The audio's sha256 stays (it is not content and
  keeps a re-import of the same file from creating a second call).
* transcript: the transcript row, its search index rows (and so the FTS index entries), and every quote of
  the words kept elsewhere: the ``text``/``note`` of evidence in automated scorecards, in evaluations (the
  current items and every history snapshot) and the ``quote`` of comments anchored to a selection; the
  title of coaching-plan exemplar items (the quote they were created with).

What is kept: the call row with its metadata and KPI fields, scorecards and evaluations with their results,
points, totals, criterion notes, reviewers' own comments and the evidence *times* (start/end/speaker) —
so every dashboard, statistic and coaching figure is unchanged. The transcript-reliability verdict was
stored on the call when it was scored (``transcript_unreliable``, ``transcript_reasons``) and is left as
it is, so the statistics count its machine verdicts as before.

Each purged call gets one content-free audit record (``retention_purged``: what kind was purged, the
number of files and search rows removed, the retention days; no names, no text).

Crash safety: in a batch the rows are changed and flushed first, then the files are unlinked, then the
caller commits. A crash before the commit leaves the rows as they were (the files maybe gone): the next run
selects the same calls again and finishes (unlinking a missing file is fine). Nothing that should be kept
is touched, and a re-run after success finds nothing to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from qa_app.db.base import utcnow
from qa_app.db.models import (
    AutoScorecard,
    Call,
    CallStatus,
    Evaluation,
    EvaluationEvent,
    ItemKind,
    PlanItem,
    TranscriptRecord,
    TranscriptSegment,
)
from qa_app.services import audit
from qa_app.settings import Settings

BATCH = 200
BUSY = (CallStatus.UPLOADED, CallStatus.QUEUED, CallStatus.PROCESSING)  # left alone until processed


@dataclass
class BatchResult:
    audio_calls: list[int] = field(default_factory=list)
    transcript_calls: list[int] = field(default_factory=list)
    files: int = 0

    @property
    def empty(self) -> bool:
        return not self.audio_calls and not self.transcript_calls


def _cutoff(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


def audio_files(settings: Settings, call: Call) -> list[Path]:
    """The stored recording and everything derived from it (qa_app/services/playback.py names them)."""
    out: list[Path] = []
    if call.audio_path:
        out.append(settings.data_dir / call.audio_path)
    folder = settings.data_dir / "playback" / f"{call.id % 256:02x}"
    if folder.is_dir():
        out.extend(folder.glob(f"call{call.id}-*"))
        out.extend(folder.glob(f".call{call.id}-*.part"))
    return out


def _scrub_evidence(evidence: object) -> object:
    """Evidence entries keep their times and speaker; the words (text, note) go."""
    if not isinstance(evidence, list):
        return evidence
    out = []
    for e in evidence:
        if isinstance(e, dict):
            e = {k: v for k, v in e.items() if k not in ("text", "note", "note_message", "quote")}
            e["text"] = ""  # the scorecard contract requires the key
        out.append(e)
    return out


def _scrub_items(items: object) -> object:
    if not isinstance(items, dict):
        return items
    return {
        k: (
            {**v, "evidence": _scrub_evidence(v["evidence"])}
            if isinstance(v, dict) and "evidence" in v
            else v
        )
        for k, v in items.items()
    }


def _scrub_quotes(db: Session, call_id: int) -> None:
    for card in db.scalars(select(AutoScorecard).where(AutoScorecard.call_id == call_id)):
        data = dict(card.data or {})
        data["criteria"] = [
            {**c, "evidence": _scrub_evidence(c.get("evidence", []))} if isinstance(c, dict) else c
            for c in data.get("criteria", [])
        ]
        card.data = data
        flag_modified(card, "data")
    evaluations = list(db.scalars(select(Evaluation).where(Evaluation.call_id == call_id)))
    for ev in evaluations:
        ev.items = _scrub_items(ev.items)
        ev.comments = [
            {**c, "quote": ""} if isinstance(c, dict) and c.get("quote") else c for c in (ev.comments or [])
        ]
        flag_modified(ev, "items")
        flag_modified(ev, "comments")
    if evaluations:
        ids = [ev.id for ev in evaluations]
        for event in db.scalars(select(EvaluationEvent).where(EvaluationEvent.evaluation_id.in_(ids))):
            snap = dict(event.snapshot or {})
            if "items" in snap:
                snap["items"] = _scrub_items(snap["items"])
                event.snapshot = snap
                flag_modified(event, "snapshot")
    for item in db.scalars(select(PlanItem).where(PlanItem.call_id == call_id, PlanItem.title != "")):
        if item.kind == ItemKind.EXEMPLAR_CALL:
            item.title = ""


def _audio_due(db: Session, cutoff: datetime, limit: int) -> list[Call]:
    return list(
        db.scalars(
            select(Call)
            .where(Call.audio_path.is_not(None), Call.started_at < cutoff, Call.status.not_in(BUSY))
            .order_by(Call.started_at, Call.id)
            .limit(limit)
        )
    )


def _transcripts_due(db: Session, cutoff: datetime, limit: int) -> list[Call]:
    """Calls past the cutoff whose transcript has not been purged yet."""
    return list(
        db.scalars(
            select(Call)
            .where(Call.transcript_purged_at.is_(None), Call.started_at < cutoff, Call.status.not_in(BUSY))
            .order_by(Call.started_at, Call.id)
            .limit(limit)
        )
    )


def purge_batch(
    db: Session, settings: Settings, *, now: datetime | None = None, batch: int = BATCH
) -> BatchResult:
    """Purge up to ``batch`` calls' audio and ``batch`` calls' transcripts that are past their retention.
    Flushes, unlinks the files last; the caller commits (see the module docstring on crashes)."""
    now = now or utcnow()
    result = BatchResult()
    files: list[Path] = []
    purged: dict[int, dict[str, object]] = {}
    if settings.retention_transcript_days > 0:
        for call in _transcripts_due(db, _cutoff(now, settings.retention_transcript_days), batch):
            segments = db.execute(
                delete(TranscriptSegment).where(TranscriptSegment.call_id == call.id)
            ).rowcount
            db.execute(delete(TranscriptRecord).where(TranscriptRecord.call_id == call.id))
            _scrub_quotes(db, call.id)
            call.transcript_purged_at = now
            result.transcript_calls.append(call.id)
            purged.setdefault(call.id, {})["transcript"] = {
                "segments": segments,
                "days": settings.retention_transcript_days,
            }
    if settings.retention_audio_days > 0:
        for call in _audio_due(db, _cutoff(now, settings.retention_audio_days), batch):
            mine = audio_files(settings, call)
            files.extend(mine)
            call.audio_path = None
            call.audio_purged_at = now
            result.audio_calls.append(call.id)
            purged.setdefault(call.id, {})["audio"] = {
                "files": len(mine),
                "days": settings.retention_audio_days,
            }
    for call_id, what in purged.items():
        audit.record(db, "retention_purged", target=f"call:{call_id}", **what)
    db.flush()
    for path in files:  # last: a failure here rolls the rows back and the next run tries again
        path.unlink(missing_ok=True)
        result.files += 1
    return result
