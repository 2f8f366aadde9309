"""What agents see of their evaluations, and the reading side of disputes and rulings.

The life cycle itself (release, acknowledge, dispute, rule) lives in ``services.evaluations``; this module
adds the read models the pages need — the evaluation that counts for an agent, the dispute deadline, the
agent's home (evaluations, weekly trend, open items), the leads' dispute list — and a ruling entry point
that checks the points of each accepted criterion against its scale before ``evaluations.rule`` runs.
Use cases flush and never commit; the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session, selectinload

from qa_app.db.base import utcnow
from qa_app.db.models import (
    VISIBLE_TO_AGENT,
    Agent,
    Call,
    CallStatus,
    Dispute,
    DisputeState,
    EvalState,
    Evaluation,
    EvaluationEvent,
    Purpose,
    RubricSettings,
    RubricVersion,
    Team,
    User,
)
from qa_app.services import evaluations, rubrics
from qa_app.services.errors import NotFound
from rubrics import Rubric

# --- one evaluation ----------------------------------------------------------------------------------------


def deadline(ev: Evaluation, window_days: int) -> datetime | None:
    """Until when the agent may dispute ``ev`` (None: not released)."""
    return ev.released_at + timedelta(days=window_days) if ev.released_at else None


def can_dispute(ev: Evaluation, window_days: int, *, now: datetime | None = None) -> bool:
    """Released, not yet acknowledged or disputed, not superseded, and within the window."""
    if ev.state != EvalState.RELEASED or ev.superseded:
        return False
    end = deadline(ev, window_days)
    return end is None or (now or utcnow()) <= end


def readable(user: User) -> Select[tuple[Evaluation]]:
    """``evaluations.visible`` minus other reviewers' drafts (a draft is its author's until submitted)."""
    stmt = evaluations.visible(user)
    if not user.is_agent:
        stmt = stmt.where((Evaluation.state != EvalState.DRAFT) | (Evaluation.rater_id == user.id))
    return stmt


def get_readable(db: Session, user: User, evaluation_id: int) -> Evaluation:
    """The evaluation, or NotFound — also when it exists but ``user`` may not read it (no oracle)."""
    ev = db.scalar(readable(user).where(Evaluation.id == evaluation_id))
    if ev is None:
        raise NotFound("evaluations.not_found")
    return ev


def current_visible(db: Session, call: Call, user: User) -> Evaluation | None:
    """The evaluation of the call that counts for ``user`` right now (not superseded), newest first."""
    return db.scalar(
        readable(user)
        .where(
            Evaluation.call_id == call.id,
            Evaluation.superseded.is_(False),
            Evaluation.purpose == Purpose.REVIEW,
        )
        .order_by(Evaluation.id.desc())
        .limit(1)
    )


def visible_scores(db: Session, user: User, call_ids: list[int]) -> dict[int, Evaluation]:
    """For a page of calls: each call's current evaluation that ``user`` may read (one query)."""
    if not call_ids:
        return {}
    rows = db.scalars(
        readable(user)
        .where(
            Evaluation.call_id.in_(call_ids),
            Evaluation.superseded.is_(False),
            Evaluation.purpose == Purpose.REVIEW,
        )
        .order_by(Evaluation.id)
    )
    return {ev.call_id: ev for ev in rows}  # the newest wins


@dataclass(frozen=True)
class ItemRow:
    """One criterion of an evaluation, ready to display."""

    criterion_id: str
    section_zh: str
    section_en: str
    title_zh: str
    title_en: str
    critical: str  # "", "section", "evaluation"
    scale: str
    max_points: int | None
    result: str | None
    points: float | None
    earned: float | None
    weight: float
    machine_result: str | None
    overridden: bool
    needs_review: bool
    comment: str
    reason: str
    note: str | dict[str, Any]  # the machine's note: a stored message (code + parameters) or older text
    evidence: list[dict]

    def title(self, lang: str) -> str:
        return (self.title_en if lang == "en" else self.title_zh) or self.criterion_id

    def section(self, lang: str) -> str:
        return self.section_en if lang == "en" else self.section_zh


def rubric_of(ev: Evaluation) -> Rubric:
    return rubrics.to_domain(ev.rubric_version, strict=False)


def item_rows(ev: Evaluation, rubric: Rubric | None = None) -> list[ItemRow]:
    """The evaluation's criteria in rubric order (items of criteria the rubric no longer has come last)."""
    rubric = rubric or rubric_of(ev)
    rows: list[ItemRow] = []
    seen: set[str] = set()

    def row(cid: str, s=None, c=None) -> ItemRow:  # noqa: ANN001
        it = ev.items.get(cid, {})
        note = it.get("note")
        return ItemRow(
            criterion_id=cid,
            section_zh=s.title_zh if s else "",
            section_en=s.title_en if s else "",
            title_zh=c.title_zh if c else cid,
            title_en=c.title_en if c else cid,
            critical=(c.critical or "") if c else "",
            scale=c.scale.kind if c else "pass_fail",
            max_points=c.scale.maximum if c and c.scale.kind != "pass_fail" else None,
            result=it.get("result"),
            points=it.get("points"),
            earned=it.get("earned"),
            weight=c.weight if c else 0.0,
            machine_result=it.get("machine_result"),
            overridden=bool(it.get("overridden")),
            needs_review=bool(it.get("needs_review")),
            comment=it.get("comment") or "",
            reason=it.get("reason") or "",
            note=it.get("note_message") or (note if isinstance(note, str) else ""),
            evidence=[e for e in it.get("evidence") or [] if isinstance(e, dict)],
        )

    for s in rubric.sections:
        for c in s.criteria:
            if c.id in ev.items:
                rows.append(row(c.id, s, c))
                seen.add(c.id)
    rows.extend(row(cid) for cid in ev.items if cid not in seen)
    return rows


def history_for(db: Session, ev: Evaluation, user: User) -> list[EvaluationEvent]:
    """The evaluation's events; an agent sees only those from its release on (never draft snapshots)."""
    events = evaluations.history(db, ev)
    if user.is_agent:
        events = [e for e in events if e.state_to in VISIBLE_TO_AGENT]
    return events


def lineage(db: Session, ev: Evaluation, user: User) -> tuple[Evaluation | None, Evaluation | None]:
    """(the evaluation ``ev`` replaced, the one that replaced it), each only if ``user`` may read it."""
    older = db.scalar(readable(user).where(Evaluation.id == ev.supersedes_id)) if ev.supersedes_id else None
    newer = db.scalar(
        readable(user).where(Evaluation.supersedes_id == ev.id).order_by(Evaluation.id.desc()).limit(1)
    )
    return older, newer


def disputes_of(db: Session, ev: Evaluation) -> list[Dispute]:
    return list(db.scalars(select(Dispute).where(Dispute.evaluation_id == ev.id).order_by(Dispute.id)))


# --- disputes ----------------------------------------------------------------------------------------------

DISPUTE_STATES = tuple(s.value for s in DisputeState)


@dataclass(frozen=True)
class DisputeFilter:
    state: str | None = None  # None: every state (open ones first)
    team_id: int | None = None


@dataclass(frozen=True)
class DisputePage:
    items: list[Dispute]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def visible_disputes(user: User) -> Select[tuple[Dispute]]:
    """Disputes ``user`` may read: an agent those about their own calls, staff every one."""
    stmt = select(Dispute).join(Evaluation, Evaluation.id == Dispute.evaluation_id)
    if user.is_agent:
        stmt = (
            stmt.join(Call, Call.id == Evaluation.call_id)
            .join(Agent, Agent.id == Call.agent_id)
            .where(Agent.user_id == user.id)
        )
    return stmt


def list_disputes(
    db: Session, user: User, flt: DisputeFilter, *, page: int = 1, per_page: int = 50
) -> DisputePage:
    stmt = visible_disputes(user)
    if flt.state:
        stmt = stmt.where(Dispute.state == flt.state)
    if flt.team_id:
        stmt = stmt.where(Evaluation.call.has(Call.team_id == flt.team_id))
    total = db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    page = max(1, page)
    open_first = case((Dispute.state == DisputeState.OPEN, 0), else_=1)
    items = list(
        db.scalars(
            stmt.options(
                selectinload(Dispute.evaluation).selectinload(Evaluation.call).selectinload(Call.agent),
                selectinload(Dispute.evaluation).selectinload(Evaluation.call).selectinload(Call.team),
                selectinload(Dispute.raised_by),
                selectinload(Dispute.ruled_by),
            )
            .order_by(open_first, Dispute.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return DisputePage(items, total, page, per_page)


def get_visible_dispute(db: Session, user: User, dispute_id: int) -> Dispute:
    """The dispute, or NotFound (also another agent's)."""
    d = db.scalar(visible_disputes(user).where(Dispute.id == dispute_id))
    if d is None:
        raise NotFound("evaluations.dispute_not_found")
    return d


def may_rule(user: User, d: Dispute) -> bool:
    """A lead who did not make the disputed evaluation, on an open dispute (evaluations.rule enforces it)."""
    return (
        d.state == DisputeState.OPEN and user.role in evaluations.LEADS and d.evaluation.rater_id != user.id
    )


# --- the agent's home --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekPoint:
    start: datetime  # local Monday 00:00
    average: float | None
    count: int


@dataclass(frozen=True)
class AgentHome:
    evaluations: list[Evaluation]  # current ones, latest first
    trend: list[WeekPoint]  # oldest first, one per week
    to_acknowledge: list[tuple[Evaluation, datetime | None]]  # with their dispute deadline, soonest first
    open_disputes: list[Dispute]
    recent_rulings: list[Dispute]
    awaiting: int  # ready calls with nothing released yet


def _own_current(user: User) -> Select[tuple[Evaluation]]:
    return readable(user).where(Evaluation.superseded.is_(False), Evaluation.purpose == Purpose.REVIEW)


def agent_home(
    db: Session,
    user: User,
    *,
    tz: ZoneInfo,
    window_days: int,
    weeks: int = 8,
    limit: int = 15,
    now: datetime | None = None,
) -> AgentHome:
    now = now or utcnow()
    latest = list(
        db.scalars(
            _own_current(user)
            .options(selectinload(Evaluation.call), selectinload(Evaluation.rater))
            .order_by(Evaluation.released_at.desc(), Evaluation.id.desc())
            .limit(limit)
        )
    )
    # weekly average of the current evaluations, by the local week of the call
    local_now = now.astimezone(tz)
    monday = (local_now - timedelta(days=local_now.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    first = monday - timedelta(weeks=weeks - 1)
    scored = _own_current(user).where(Evaluation.total.is_not(None)).subquery()
    rows = db.execute(
        select(Call.started_at, scored.c.total)
        .join(scored, scored.c.call_id == Call.id)
        .where(Call.started_at >= first)
    ).all()
    buckets: dict[int, list[float]] = {}
    for started, total in rows:
        local = started.astimezone(tz)
        index = (local.date() - first.date()).days // 7
        if 0 <= index < weeks:
            buckets.setdefault(index, []).append(total)
    trend = [
        WeekPoint(
            first + timedelta(weeks=i),
            round(sum(buckets[i]) / len(buckets[i]), 1) if i in buckets else None,
            len(buckets.get(i, [])),
        )
        for i in range(weeks)
    ]
    pending = list(
        db.scalars(
            _own_current(user)
            .options(selectinload(Evaluation.call))
            .where(Evaluation.state == EvalState.RELEASED)
            .order_by(Evaluation.released_at, Evaluation.id)
        )
    )
    to_ack = [(ev, deadline(ev, window_days)) for ev in pending]
    mine = visible_disputes(user).options(selectinload(Dispute.evaluation))
    open_disputes = list(
        db.scalars(mine.where(Dispute.state == DisputeState.OPEN).order_by(Dispute.id.desc()))
    )
    recent = list(
        db.scalars(
            mine.where(Dispute.state != DisputeState.OPEN, Dispute.ruled_at >= now - timedelta(days=30))
            .order_by(Dispute.ruled_at.desc())
            .limit(10)
        )
    )
    released = (
        select(Evaluation.id)
        .where(
            Evaluation.call_id == Call.id,
            Evaluation.purpose == Purpose.REVIEW,
            Evaluation.superseded.is_(False),
            Evaluation.state.in_(VISIBLE_TO_AGENT),
        )
        .exists()
    )
    awaiting = (
        db.scalar(
            select(func.count())
            .select_from(Call)
            .join(Agent, Agent.id == Call.agent_id)
            .where(Agent.user_id == user.id, Call.status == CallStatus.READY, ~released)
        )
        or 0
    )
    return AgentHome(latest, trend, to_ack, open_disputes, recent, awaiting)


# --- release rules -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RubricRule:
    rubric_key: str
    title_zh: str
    title_en: str
    rule: str
    configured: bool  # False: the default applies


def release_rules(db: Session) -> list[RubricRule]:
    """Every rubric (by key, titled after its newest version) with its automated-release rule."""
    newest = (
        select(RubricVersion.rubric_key, func.max(RubricVersion.version).label("v"))
        .group_by(RubricVersion.rubric_key)
        .subquery()
    )
    versions = db.scalars(
        select(RubricVersion)
        .join(
            newest, (newest.c.rubric_key == RubricVersion.rubric_key) & (newest.c.v == RubricVersion.version)
        )
        .order_by(RubricVersion.rubric_key)
    )
    stored = {r.rubric_key: r.auto_release for r in db.scalars(select(RubricSettings))}
    return [
        RubricRule(
            v.rubric_key,
            v.title_zh,
            v.title_en,
            stored[v.rubric_key] if v.rubric_key in stored else evaluations.release_rule(db, v.rubric_key),
            v.rubric_key in stored,
        )
        for v in versions
    ]


def rubric_exists(db: Session, rubric_key: str) -> bool:
    return (
        db.scalar(select(RubricVersion.id).where(RubricVersion.rubric_key == rubric_key).limit(1)) is not None
    )


def teams(db: Session) -> list[Team]:
    return list(db.scalars(select(Team).order_by(Team.name)))
