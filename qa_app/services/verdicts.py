"""Criterion verdicts of evaluated calls as ``coaching.Verdict`` rows — where every coaching statistic
(cohort gaps, heat maps, time to proficiency, follow-ups, the coaching effect) starts.

What is loaded, for calls started in ``[since, until)``:

* the **current** review evaluations only: machine evaluations not superseded, and completed human
  reviews (submitted or later) not superseded. A human review supersedes the machine's when it is
  submitted and a dispute ruling supersedes the review it rules on, so what is left is what counts;
  ``coaching.effective`` then puts a human verdict over a machine one on the same call and criterion.
  Calibration scores never count.
* one ``Verdict`` per answered criterion (pass / fail / N/A), ``at`` = the call's start (aware UTC),
  ``cohort`` = the agent's cohort **on the day of the call** (``Agent.cohort(call day, new_hire_days)``):
  a veteran's first weeks are new-hire calls, which is what the new-hire vs veteran model compares.
* ``reliable``: not an unreliable transcript (:mod:`scoring.reliability`, the one definition, checked in
  SQL by ``reliability.unreliable_transcript``); ``coaching.effective`` drops machine verdicts on an
  unreliable transcript and keeps human ones (the reviewer listened).
* points scales carry ``points``/``max_points`` (shifted so the scale starts at 0) for the mean-score
  metric; pass/fail criteria carry none.

Only the columns needed are read: each criterion's result (and points for point scales) is extracted in
SQL from the evaluation's JSON, so evidence and comments never leave the database.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select
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
    TranscriptRecord,
)
from qa_app.services import reliability, rubrics
from rubrics import Scale

__all__ = ["current_evaluation_condition", "load_verdicts"]


def current_evaluation_condition() -> ColumnElement[bool]:
    """SQL: a review evaluation that counts now (machine not superseded, or a completed, not superseded
    human review). Join it to ``Call`` on ``Evaluation.call_id``."""
    return and_(
        Evaluation.purpose == Purpose.REVIEW,
        Evaluation.superseded.is_(False),
        or_(Evaluation.rater_type == RaterType.MACHINE, Evaluation.state.in_(COMPLETED)),
    )


@dataclass(frozen=True)
class _Criterion:
    id: str
    scales: dict[int, Scale]  # rubric version id -> scale of this criterion in that version


def _criteria(db: Session, wanted: Collection[str] | None) -> list[_Criterion]:
    """Every criterion of every stored rubric version (a handful of rows, parsed once and cached)."""
    found: dict[str, dict[int, Scale]] = {}
    for version in db.scalars(select(RubricVersion).order_by(RubricVersion.id)):
        for c in rubrics.to_domain(version, strict=False).criteria():
            if wanted is None or c.id in wanted:
                found.setdefault(c.id, {})[version.id] = c.scale
    return [_Criterion(cid, scales) for cid, scales in sorted(found.items())]


def _chunks(ids: Sequence[int], size: int = 5000) -> Iterator[Sequence[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def load_verdicts(
    db: Session,
    *,
    since: datetime,
    until: datetime,
    agent_ids: Collection[int] | None = None,
    team_ids: Collection[int] | None = None,
    criteria: Collection[str] | None = None,
    new_hire_days: int = 90,
    tz: str = "Asia/Shanghai",
) -> list[Verdict]:
    """The verdicts of calls started in ``[since, until)`` (see the module docstring), oldest decision
    first so that ``coaching.effective`` keeps the latest. ``agent_ids`` / ``team_ids`` narrow to those
    agents / the calls taken in those teams (an empty collection means nothing); ``criteria`` to those
    criterion ids. Pass ``settings.new_hire_days`` and ``settings.timezone``."""
    if (agent_ids is not None and not agent_ids) or (team_ids is not None and not team_ids):
        return []
    crits = _criteria(db, criteria)
    if not crits:
        return []
    result_cols = [Evaluation.items[(c.id, "result")].as_string() for c in crits]
    point_crits = [c for c in crits if any(s.kind != "pass_fail" for s in c.scales.values())]
    point_cols = [Evaluation.items[(c.id, "points")].as_float() for c in point_crits]
    stmt = (
        select(
            Evaluation.call_id,
            Evaluation.rater_type,
            Evaluation.rubric_version_id,
            Call.agent_id,
            Call.started_at,
            reliability.unreliable_transcript().label("unreliable"),
            *result_cols,
            *point_cols,
        )
        .join(Call, Call.id == Evaluation.call_id)
        .outerjoin(TranscriptRecord, TranscriptRecord.call_id == Call.id)
        .where(Call.started_at >= since, Call.started_at < until, current_evaluation_condition())
        .order_by(Evaluation.rubric_version_id, Evaluation.id)
    )
    if team_ids is not None:
        stmt = stmt.where(Call.team_id.in_(sorted(team_ids)))
    rows = []
    if agent_ids is not None:
        for chunk in _chunks(sorted(agent_ids)):  # PostgreSQL takes at most 65535 bound parameters
            rows.extend(db.execute(stmt.where(Call.agent_id.in_(chunk))).all())
        rows.sort(key=lambda r: r.started_at)  # keep chunks apart only by call, never reorder a call's rows
    else:
        rows = db.execute(stmt).all()

    agents = {a.id: a for a in db.scalars(select(Agent).where(Agent.id.in_({r.agent_id for r in rows})))}
    ids = [c.id for c in crits]
    pointed = {c.id: c.scales for c in point_crits}
    answered = frozenset(("pass", "fail", "na"))
    n_fixed, n_crits = 6, len(crits)
    out: list[Verdict] = []
    append = out.append  # hundreds of thousands of rows for a quarter of a large center: keep the loop lean
    cohorts: dict[tuple[int, object], str] = {}
    for r in rows:
        agent_id, at, call_id = r.agent_id, r.started_at, r.call_id
        day = local_date(at, tz)
        cohort = cohorts.get((agent_id, day))
        if cohort is None:
            cohort = cohorts[(agent_id, day)] = agents[agent_id].cohort(day, new_hire_days)
        reliable = not r.unreliable
        source = "human" if r.rater_type == RaterType.HUMAN else "machine"
        points = dict(zip(pointed, r[n_fixed + n_crits :], strict=True)) if pointed else None
        for cid, result in zip(ids, r[n_fixed : n_fixed + n_crits], strict=True):
            if result not in answered:
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
