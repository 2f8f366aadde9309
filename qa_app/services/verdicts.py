"""Which verdicts count: evaluated calls as ``coaching.Verdict`` rows, the input of every coaching statistic
(skill gaps, follow-up re-checks, the coaching effect) and of the dashboards (heat map, cohort gaps, time
to proficiency). One loader for all of them.

**The counting evaluation** of a call is the one ``evaluations.current_for_call`` picks: the latest
completed (submitted or later), non-superseded human review, else the current machine evaluation (highest
rubric version, then newest). Drafts and calibration scores never count. Only that evaluation's answered
criteria (pass / fail / N/A) become verdicts, so a reviewer's answer always replaces the machine's.
``rubric_key`` keeps to one rubric (criterion ids are only comparable within a rubric); without it every
rubric counts.

**Reliability**: ``Verdict.reliable`` is False on an unreliable transcript — the one definition in
:mod:`scoring.reliability` (README "Unreliable transcripts"), decided when the call was scored and read
from ``calls.transcript_unreliable`` (False again once a reviewer confirmed the transcript).
``coaching.effective`` drops machine verdicts on an unreliable transcript and keeps human ones (the reviewer listened to the recording).

**Cohort** (``Verdict.cohort``, new_hire / veteran by ``new_hire_days``): with ``cohort_on=None`` the
agent's cohort **on the day of the call**, so a veteran's first weeks are new-hire calls (the dashboards'
new hires vs veterans); with a date, everyone's cohort on that date (the coaching pages: today).

``at`` is the call's start (aware UTC). Points scales carry ``points``/``max_points`` (shifted so the
scale starts at 0) for the mean-score metric; pass/fail criteria carry none.

:func:`load` reads only the columns it needs — each criterion's result (and points on point scales) is
extracted in SQL from the evaluation's JSON, so evidence and comments never leave the database: one query
(one per 5,000 agents on PostgreSQL's parameter limit) for a quarter of a 100k-call center.
:func:`current_evaluations` returns the counting evaluation of a few calls with its items (evidence
included), for exemplar calls and the evaluations that motivate a coaching plan.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import Session

from coaching import Verdict
from coaching.periods import local_date
from qa_app.db.models import (
    COMPLETED,
    Agent,
    Call,
    Evaluation,
    Purpose,
    RaterType,
    RubricVersion,
)
from qa_app.services import rubrics, timeparse
from rubrics import Scale

__all__ = [
    "CurrentEvaluation",
    "cohort_of",
    "current_evaluation_condition",
    "current_evaluations",
    "load",
    "rank",
    "window",
]

RESULTS = frozenset(("pass", "fail", "na"))
_CHUNK = 5000  # ids per IN (...): PostgreSQL takes at most 65535 bound parameters


def current_evaluation_condition() -> ColumnElement[bool]:
    """SQL: a review evaluation that may count (machine not superseded, or a completed, not superseded
    human review); :func:`rank` picks the one per call. Join it to ``Call`` on ``Evaluation.call_id``."""
    return and_(
        Evaluation.purpose == Purpose.REVIEW,
        Evaluation.superseded.is_(False),
        or_(Evaluation.rater_type == RaterType.MACHINE, Evaluation.state.in_(COMPLETED)),
    )


def rank(rater_type: str, rubric_version_id: int, evaluation_id: int) -> tuple[int, int, int]:
    """Order of the evaluations that may count for one call; the highest counts (as
    ``evaluations.current_for_call``): a completed human review (the latest) over the machine's (the
    latest rubric version, then the latest)."""
    human = rater_type == RaterType.HUMAN
    return (1, evaluation_id, 0) if human else (0, rubric_version_id, evaluation_id)


def cohort_of(hire_date: date, day: date, new_hire_days: int) -> str:
    """``Agent.cohort`` for a bare hire date: new_hire when hired fewer than ``new_hire_days`` before ``day``."""
    return "new_hire" if (day - hire_date).days < new_hire_days else "veteran"


def window(today: date, days: int, tz: str | tzinfo) -> tuple[datetime, datetime]:
    """The last ``days`` local calendar days up to and including ``today``, as ``[since, until)``."""
    return timeparse.local_days(today - timedelta(days=days - 1), today, tz)


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


def _filtered(
    db: Session,
    stmt: Select[Any],
    *,
    since: datetime | None,
    until: datetime | None,
    agent_ids: Collection[int] | None,
    team_ids: Collection[int] | None,
) -> list[Any]:
    """Run ``stmt`` (over ``Call``) in the time range and for the agents / teams given (chunked)."""
    if since is not None:
        stmt = stmt.where(Call.started_at >= since)
    if until is not None:
        stmt = stmt.where(Call.started_at < until)
    if team_ids is not None:
        stmt = stmt.where(Call.team_id.in_(sorted(team_ids)))
    if agent_ids is None:
        return list(db.execute(stmt))
    rows: list[Any] = []
    for chunk in _chunks(sorted(agent_ids)):
        rows.extend(db.execute(stmt.where(Call.agent_id.in_(chunk))))
    return rows


def _counting_select(*columns: Any) -> Select[Any]:
    """The evaluations that may count, with what picking one per call and flagging its transcript needs
    (the first :data:`_FIXED` columns), then ``columns``."""
    return (
        select(
            Evaluation.id.label("ev_id"),
            Evaluation.call_id,
            Evaluation.rater_type,
            Evaluation.rubric_version_id,
            Call.agent_id,
            Call.started_at,
            Agent.hire_date,
            Call.transcript_unreliable.label("unreliable"),
            *columns,
        )
        .join(Call, Call.id == Evaluation.call_id)
        .join(Agent, Agent.id == Call.agent_id)
        .where(current_evaluation_condition())
    )


_FIXED = 8  # columns of _counting_select before the caller's


def _counting(rows: Iterable[Any]) -> list[Any]:
    """The row of each call's counting evaluation (by :func:`rank`), ordered by call start."""
    best: dict[int, tuple[tuple[int, int, int], Any]] = {}
    for r in rows:
        key = rank(r.rater_type, r.rubric_version_id, r.ev_id)
        held = best.get(r.call_id)
        if held is None or key > held[0]:
            best[r.call_id] = (key, r)
    return sorted((r for _, r in best.values()), key=lambda r: (r.started_at, r.call_id))


# --- verdicts for the statistics ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Criterion:
    id: str
    scales: dict[int, Scale]  # rubric version id -> scale of this criterion in that version


def _criteria(
    db: Session, wanted: Collection[str] | None, rubric_key: str | None
) -> tuple[list[_Criterion], list[int]]:
    """The criteria of the stored rubric versions (of ``rubric_key``), and those versions' ids."""
    stmt = select(RubricVersion).order_by(RubricVersion.id)
    if rubric_key is not None:
        stmt = stmt.where(RubricVersion.rubric_key == rubric_key)
    found: dict[str, dict[int, Scale]] = {}
    versions = []
    for version in db.scalars(stmt):
        versions.append(version.id)
        for c in rubrics.to_domain(version, strict=False).criteria():
            if wanted is None or c.id in wanted:
                found.setdefault(c.id, {})[version.id] = c.scale
    return [_Criterion(cid, scales) for cid, scales in sorted(found.items())], versions


def load(
    db: Session,
    *,
    new_hire_days: int,
    tz: str | tzinfo,
    since: datetime | None = None,
    until: datetime | None = None,
    rubric_key: str | None = None,
    agent_ids: Collection[int] | None = None,
    team_ids: Collection[int] | None = None,
    criteria: Collection[str] | None = None,
    cohort_on: date | None = None,
) -> list[Verdict]:
    """The verdicts of the counting evaluation of every call started in ``[since, until)`` (see the module
    docstring), ordered by call start. ``agent_ids`` / ``team_ids`` narrow to those agents / the calls taken
    in those teams (an empty collection means nothing); ``criteria`` to those criterion ids; ``cohort_on``
    None: cohort on the day of each call, else on that date. ``tz`` is the center's time zone
    (``settings.timezone``) for the local day of a call."""
    if (agent_ids is not None and not agent_ids) or (team_ids is not None and not team_ids):
        return []
    crits, versions = _criteria(db, criteria, rubric_key)
    if not crits:
        return []
    point_crits = [c for c in crits if any(s.kind != "pass_fail" for s in c.scales.values())]
    stmt = _counting_select(
        *[Evaluation.items[(c.id, "result")].as_string() for c in crits],
        *[Evaluation.items[(c.id, "points")].as_float() for c in point_crits],
    )
    if rubric_key is not None:
        stmt = stmt.where(Evaluation.rubric_version_id.in_(versions))
    rows = _counting(
        _filtered(db, stmt, since=since, until=until, agent_ids=agent_ids, team_ids=team_ids)
    )

    ids = [c.id for c in crits]
    pointed = {c.id: c.scales for c in point_crits}
    n_fixed, n_crits = _FIXED, len(crits)
    out: list[Verdict] = []
    append = out.append  # hundreds of thousands of rows for a quarter of a large center: keep the loop lean
    cohorts: dict[tuple[date, object], str] = {}
    for r in rows:
        agent_id, at, call_id = r.agent_id, r.started_at, r.call_id
        day = cohort_on or local_date(at, tz)
        cohort = cohorts.get((r.hire_date, day))
        if cohort is None:
            cohort = cohorts[(r.hire_date, day)] = cohort_of(r.hire_date, day, new_hire_days)
        reliable = not r.unreliable
        source = "human" if r.rater_type == RaterType.HUMAN else "machine"
        points = dict(zip(pointed, r[n_fixed + n_crits :], strict=True)) if pointed else None
        for cid, result in zip(ids, r[n_fixed : n_fixed + n_crits], strict=True):
            if result not in RESULTS:
                continue  # not in this rubric version, or not answered
            if points is None or cid not in pointed or result == "na" or points[cid] is None:
                append(Verdict(agent_id, cohort, cid, result, at, call_id, source, reliable))
                continue
            scale = pointed[cid].get(r.rubric_version_id)
            pts = max_pts = None
            if scale is not None and scale.kind != "pass_fail" and scale.maximum > scale.minimum:
                lo, hi = scale.minimum, scale.maximum
                pts, max_pts = min(max(points[cid], lo), hi) - lo, float(hi - lo)
            append(Verdict(agent_id, cohort, cid, result, at, call_id, source, reliable, pts, max_pts))
    return out


# --- the counting evaluation with its items ---------------------------------------------------------------


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
    """The counting evaluation of every matching call with its items (one query), ordered by call start.
    For a few calls at a time: the items carry the evidence."""
    stmt = _counting_select(Evaluation.items, Call.queue).join(
        RubricVersion, RubricVersion.id == Evaluation.rubric_version_id
    ).where(RubricVersion.rubric_key == rubric_key)
    if call_ids is not None:
        stmt = stmt.where(Call.id.in_(list(call_ids)))
    if exclude_agent_ids:
        stmt = stmt.where(Call.agent_id.not_in(list(exclude_agent_ids)))
    if hired_on_or_before is not None:
        stmt = stmt.where(Agent.hire_date <= hired_on_or_before)
    rows = _filtered(
        db, stmt, since=since, until=until, agent_ids=None if agent_ids is None else set(agent_ids), team_ids=None
    )
    return [
        CurrentEvaluation(
            evaluation_id=r.ev_id,
            call_id=r.call_id,
            agent_id=r.agent_id,
            started_at=r.started_at,
            queue=r.queue or "",
            hire_date=r.hire_date,
            source="human" if r.rater_type == RaterType.HUMAN else "machine",
            reliable=not r.unreliable,
            items=r.items or {},
        )
        for r in _counting(rows)
    ]
