"""Evaluations as criterion verdicts: the input of the coaching statistics (``coaching.Verdict``).

Per call, the evaluation that counts is the one ``evaluations.current_for_call`` picks: the latest
completed, non-superseded human review, else the current machine evaluation (highest rubric version,
then newest). Only that evaluation's items become verdicts, so a reviewer's answer always replaces the
machine's on the same call. Only evaluations of one rubric (``rubric_key``) are read: criterion ids are
only comparable within a rubric.

**Unreliable transcripts** (:func:`unreliable_transcript` / :func:`is_unreliable`, the one definition):
a transcript whose automated verdicts should not count, because the scorer read something doubtful —

* the agent/customer labels are a guess: ``role_confidence`` below ``MIN_ROLE_CONFIDENCE`` (0.5; on the
  labelled JDDC/STC-3 dialogues role accuracy is 1.000/0.936 at ≥ 0.5, see docs/MEASUREMENTS.md) and
  nobody confirmed the roles by hand (``roles_swapped_by_id`` set means a person fixed them), or
* very little text for the audio: fewer than ``MIN_CHARS_PER_MINUTE`` (40) transcribed characters per
  minute on a call of at least ``MIN_SECONDS_FOR_DENSITY`` (30 s) — comfortable Mandarin is 200–280
  characters a minute per speaker, so 40 means recognition mostly failed (noise, wrong language).

The flag is passed on as ``Verdict.reliable``; ``coaching.verdicts.effective`` drops machine verdicts on
unreliable transcripts and keeps human ones (the reviewer listened to the recording). A call without a
stored transcript has nothing the machine could have read and is treated as unreliable.

Everything is read in one query (plus none per call), so thousands of calls stay cheap.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from coaching import Verdict
from qa_app.db.models import (
    COMPLETED,
    Agent,
    Call,
    Evaluation,
    Purpose,
    RaterType,
    RubricVersion,
    TranscriptRecord,
)

MIN_ROLE_CONFIDENCE = 0.5
MIN_CHARS_PER_MINUTE = 40
MIN_SECONDS_FOR_DENSITY = 30.0
RESULTS = ("pass", "fail", "na")


def is_unreliable(
    role_confidence: float | None, text_chars: int | None, duration: float | None, roles_confirmed: bool = False
) -> bool:
    """The rule of the module docstring for one transcript (``text_chars`` None: no transcript)."""
    if text_chars is None:
        return True
    if role_confidence is not None and role_confidence < MIN_ROLE_CONFIDENCE and not roles_confirmed:
        return True
    if duration and duration >= MIN_SECONDS_FOR_DENSITY:
        return text_chars < MIN_CHARS_PER_MINUTE * duration / 60.0
    return False


def unreliable_transcript() -> ColumnElement[bool]:
    """SQL: the same rule, for a query that joins ``Call`` and (outer) ``TranscriptRecord``."""
    return or_(
        TranscriptRecord.id.is_(None),
        and_(
            TranscriptRecord.role_confidence.is_not(None),
            TranscriptRecord.role_confidence < MIN_ROLE_CONFIDENCE,
            TranscriptRecord.roles_swapped_by_id.is_(None),
        ),
        and_(
            Call.duration >= MIN_SECONDS_FOR_DENSITY,
            func.length(TranscriptRecord.search_text) < MIN_CHARS_PER_MINUTE * Call.duration / 60.0,
        ),
    )


@dataclass(frozen=True, slots=True)
class CurrentEvaluation:
    """The evaluation that counts for one call, with what the coaching pages need about the call."""

    evaluation_id: int
    call_id: int
    agent_id: int
    started_at: datetime
    queue: str
    hire_date: date
    source: str  # machine | human
    reliable: bool
    items: dict


@dataclass(frozen=True, slots=True)
class VerdictRow:
    """One criterion verdict plus the call's queue, the agent's hire month and the local call date."""

    verdict: Verdict
    queue: str
    hire_month: str  # YYYY-MM
    day: date
    evaluation_id: int


def current_evaluations(
    db: Session,
    *,
    rubric_key: str,
    since: datetime | None = None,
    until: datetime | None = None,
    agent_ids: Iterable[int] | None = None,
    call_ids: Iterable[int] | None = None,
    exclude_agent_ids: Iterable[int] | None = None,
    hired_on_or_before: date | None = None,
) -> list[CurrentEvaluation]:
    """The counting evaluation of every matching call (one query), ordered by call start."""
    stmt = (
        select(
            Evaluation.id,
            Evaluation.call_id,
            Evaluation.rater_type,
            Evaluation.rubric_version_id,
            Evaluation.items,
            Call.agent_id,
            Call.started_at,
            Call.queue,
            Call.duration,
            Agent.hire_date,
            TranscriptRecord.role_confidence,
            func.length(TranscriptRecord.search_text),
            TranscriptRecord.roles_swapped_by_id,
        )
        .join(Call, Call.id == Evaluation.call_id)
        .join(Agent, Agent.id == Call.agent_id)
        .join(RubricVersion, RubricVersion.id == Evaluation.rubric_version_id)
        .outerjoin(TranscriptRecord, TranscriptRecord.call_id == Call.id)
        .where(
            Evaluation.purpose == Purpose.REVIEW,
            Evaluation.superseded.is_(False),
            or_(
                Evaluation.rater_type == RaterType.MACHINE,
                and_(Evaluation.rater_type == RaterType.HUMAN, Evaluation.state.in_(COMPLETED)),
            ),
            RubricVersion.rubric_key == rubric_key,
        )
    )
    if since is not None:
        stmt = stmt.where(Call.started_at >= since)
    if until is not None:
        stmt = stmt.where(Call.started_at < until)
    if agent_ids is not None:
        stmt = stmt.where(Call.agent_id.in_(list(agent_ids)))
    if call_ids is not None:
        stmt = stmt.where(Call.id.in_(list(call_ids)))
    if exclude_agent_ids:
        stmt = stmt.where(Call.agent_id.not_in(list(exclude_agent_ids)))
    if hired_on_or_before is not None:
        stmt = stmt.where(Agent.hire_date <= hired_on_or_before)
    best: dict[int, tuple[tuple, CurrentEvaluation]] = {}
    for (
        ev_id,
        call_id,
        rater_type,
        version_id,
        items,
        agent_id,
        started_at,
        queue,
        duration,
        hire_date,
        role_conf,
        chars,
        swapped_by,
    ) in db.execute(stmt):
        human = rater_type == RaterType.HUMAN
        # current_for_call: the latest human review wins; else the machine's newest rubric version
        rank = (1, ev_id, 0) if human else (0, version_id, ev_id)
        held = best.get(call_id)
        if held is not None and held[0] >= rank:
            continue
        best[call_id] = (
            rank,
            CurrentEvaluation(
                evaluation_id=ev_id,
                call_id=call_id,
                agent_id=agent_id,
                started_at=started_at,
                queue=queue or "",
                hire_date=hire_date,
                source="human" if human else "machine",
                reliable=not is_unreliable(role_conf, chars, duration, swapped_by is not None),
                items=items or {},
            ),
        )
    return sorted((c for _, c in best.values()), key=lambda c: (c.started_at, c.call_id))


def cohort_of(hire_date: date, today: date, new_hire_days: int) -> str:
    """Agent.cohort for a bare hire date."""
    return "new_hire" if (today - hire_date).days < new_hire_days else "veteran"


def to_verdicts(
    rows: Iterable[CurrentEvaluation],
    *,
    today: date,
    new_hire_days: int,
    tz: ZoneInfo,
    criteria: Sequence[str] | None = None,
) -> list[VerdictRow]:
    """Split counting evaluations into criterion verdicts (cohort as of ``today``)."""
    wanted = set(criteria) if criteria is not None else None
    out: list[VerdictRow] = []
    for c in rows:
        cohort = cohort_of(c.hire_date, today, new_hire_days)
        for criterion, item in c.items.items():
            result = item.get("result") if isinstance(item, dict) else None
            if result not in RESULTS or (wanted is not None and criterion not in wanted):
                continue
            out.append(
                VerdictRow(
                    verdict=Verdict(
                        agent_id=c.agent_id,
                        cohort=cohort,
                        criterion=criterion,
                        result=result,
                        at=c.started_at,
                        call_id=c.call_id,
                        source=c.source,  # type: ignore[arg-type]
                        reliable=c.reliable,
                    ),
                    queue=c.queue,
                    hire_month=f"{c.hire_date:%Y-%m}",
                    day=c.started_at.astimezone(tz).date(),
                    evaluation_id=c.evaluation_id,
                )
            )
    return out


def load(
    db: Session,
    *,
    rubric_key: str,
    today: date,
    new_hire_days: int,
    tz: ZoneInfo,
    since: datetime | None = None,
    until: datetime | None = None,
    agent_ids: Iterable[int] | None = None,
    criteria: Sequence[str] | None = None,
) -> list[VerdictRow]:
    """Verdict rows for the gap model, follow-up and effect measurement (see the module docstring)."""
    rows = current_evaluations(db, rubric_key=rubric_key, since=since, until=until, agent_ids=agent_ids)
    return to_verdicts(rows, today=today, new_hire_days=new_hire_days, tz=tz, criteria=criteria)


def window(today: date, days: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """``[local midnight days-1 days ago, local midnight tomorrow)`` as aware datetimes."""
    start = datetime.combine(today - timedelta(days=days - 1), datetime.min.time(), tz)
    end = datetime.combine(today + timedelta(days=1), datetime.min.time(), tz)
    return start, end
