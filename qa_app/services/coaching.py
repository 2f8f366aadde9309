"""Coaching plans (辅导计划): create from weak criteria, learning items, sessions, follow-up, closing.

Life cycle: active → met | not_met (decided by the target re-check, :func:`recheck`) or cancelled (by a
trainer). The target is per criterion: "pass it on at least ``target_rate`` of the next
``target_calls`` scored calls after the plan start" (``coaching.followup``); the plan is met when every
criterion is met and not met as soon as one cannot be met any more.

Who may do what: trainers and admins manage every plan; an agent reads only their own plans (anything
else is NotFound, so another agent's plan looks like a plan that does not exist), marks items done,
acknowledges the plan and held sessions. Use cases flush, never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from coaching import FollowUpTarget, Verdict, check_followup
from qa_app.db.models import (
    Agent,
    Call,
    CoachingPlan,
    CoachingSession,
    Evaluation,
    ItemKind,
    KnowledgeArticle,
    PlanEvaluation,
    PlanItem,
    PlanState,
    Purpose,
    Role,
    TranscriptRecord,
    User,
)
from qa_app.services import audit, notifications, verdicts
from qa_app.services.coaching_insights import Context, baseline, exemplar_for_call, load_verdicts, rubric_info
from qa_app.services.errors import Conflict, Forbidden, Invalid, NotFound

MANAGERS = (Role.ADMIN, Role.TRAINER)
MAX_CRITERIA = 5
MAX_TARGET_CALLS = 200
MAX_DUE_DAYS = 366
TEXT_MAX = 4000
SESSION_SOON = timedelta(hours=24)  # "session tomorrow" reminder to the agent and the trainer
SESSION_GRACE = timedelta(hours=2)  # a session not recorded this long after its time is overdue
PLAN_DUE_SOON_DAYS = 3


# --- access ----------------------------------------------------------------------------------------------


def _manager(user: User) -> None:
    if user.role not in MANAGERS:
        raise Forbidden("coaching.managers_only")


def _agent_id_of(db: Session, user: User) -> int | None:
    return db.scalar(select(Agent.id).where(Agent.user_id == user.id))


def get_plan(db: Session, plan_id: int, user: User) -> CoachingPlan:
    """The plan if ``user`` may read it: managers any plan, an agent only their own (else NotFound)."""
    plan = db.get(CoachingPlan, plan_id)
    if plan is None:
        raise NotFound("coaching.plan_not_found")
    if user.role in MANAGERS:
        return plan
    if user.role == Role.AGENT and _agent_id_of(db, user) == plan.agent_id:
        return plan
    raise NotFound("coaching.plan_not_found")


def get_item(db: Session, plan: CoachingPlan, item_id: int) -> PlanItem:
    item = db.get(PlanItem, item_id)
    if item is None or item.plan_id != plan.id:
        raise NotFound("coaching.item_not_found")
    return item


def exemplar_item(db: Session, plan: CoachingPlan, item_id: int) -> tuple[PlanItem, Call, dict | None]:
    """An exemplar item of a plan the user may read, its call and the call's transcript. This is how an
    agent listens to a veteran's call: only calls a trainer put into the agent's own plan."""
    item = get_item(db, plan, item_id)
    call = db.get(Call, item.call_id) if item.kind == ItemKind.EXEMPLAR_CALL and item.call_id else None
    if call is None:
        raise NotFound("coaching.exemplar_not_found")
    transcript = db.scalar(select(TranscriptRecord.data).where(TranscriptRecord.call_id == call.id))
    return item, call, transcript


def get_session(db: Session, session_id: int, user: User) -> CoachingSession:
    s = db.get(CoachingSession, session_id)
    if s is None:
        raise NotFound("coaching.session_not_found")
    get_plan(db, s.plan_id, user)  # same visibility as its plan
    return s


def plans_for_agent(db: Session, agent_id: int) -> list[CoachingPlan]:
    return list(
        db.scalars(
            select(CoachingPlan)
            .options(selectinload(CoachingPlan.items))
            .where(CoachingPlan.agent_id == agent_id)
            .order_by(CoachingPlan.id.desc())
        )
    )


def list_plans(
    db: Session, *, state: str | None = None, trainer_id: int | None = None, agent_id: int | None = None
) -> list[CoachingPlan]:
    stmt = select(CoachingPlan).options(selectinload(CoachingPlan.agent), selectinload(CoachingPlan.trainer))
    if state:
        stmt = stmt.where(CoachingPlan.state == state)
    if trainer_id:
        stmt = stmt.where(CoachingPlan.trainer_id == trainer_id)
    if agent_id:
        stmt = stmt.where(CoachingPlan.agent_id == agent_id)
    return list(db.scalars(stmt.order_by(CoachingPlan.due_date, CoachingPlan.id)))


def open_sessions(db: Session, *, agent_id: int | None = None, trainer_id: int | None = None) -> list[CoachingSession]:
    """Scheduled (not yet held or cancelled) sessions of active plans, soonest first."""
    stmt = (
        select(CoachingSession)
        .join(CoachingPlan, CoachingPlan.id == CoachingSession.plan_id)
        .options(
            selectinload(CoachingSession.plan).selectinload(CoachingPlan.agent),
            selectinload(CoachingSession.plan).selectinload(CoachingPlan.trainer),
        )
        .where(
            CoachingSession.held_at.is_(None),
            CoachingSession.cancelled_at.is_(None),
            CoachingPlan.state == PlanState.ACTIVE,
        )
    )
    if agent_id is not None:
        stmt = stmt.where(CoachingPlan.agent_id == agent_id)
    if trainer_id is not None:
        stmt = stmt.where(CoachingPlan.trainer_id == trainer_id)
    return list(db.scalars(stmt.order_by(CoachingSession.scheduled_at, CoachingSession.id)))


def sessions_to_acknowledge(db: Session, agent_id: int) -> list[CoachingSession]:
    return list(
        db.scalars(
            select(CoachingSession)
            .join(CoachingPlan, CoachingPlan.id == CoachingSession.plan_id)
            .where(
                CoachingPlan.agent_id == agent_id,
                CoachingSession.held_at.is_not(None),
                CoachingSession.acknowledged_at.is_(None),
            )
            .order_by(CoachingSession.held_at)
        )
    )


def criteria_in_active_plans(db: Session, agent_id: int) -> dict[str, int]:
    """Criterion -> id of the agent's active plan that already coaches it."""
    return {
        c: p.id
        for p in db.scalars(
            select(CoachingPlan).where(CoachingPlan.agent_id == agent_id, CoachingPlan.state == PlanState.ACTIVE)
        )
        for c in p.criteria
    }


def motivating_evaluations(db: Session, plan: CoachingPlan) -> list[Evaluation]:
    ids = [link.evaluation_id for link in plan.evaluation_links]
    if not ids:
        return []
    return list(db.scalars(select(Evaluation).where(Evaluation.id.in_(ids)).order_by(Evaluation.id.desc())))


def candidate_evaluations(
    db: Session, ctx: Context, agent: Agent, criteria: Sequence[str], *, rubric_key: str, days: int = 90, limit: int = 20
) -> list[verdicts.CurrentEvaluation]:
    """The agent's recent counting evaluations that fail any of ``criteria`` (to motivate a plan)."""
    since, until = verdicts.window(ctx.today, days, ctx.tz)
    rows = verdicts.current_evaluations(db, rubric_key=rubric_key, since=since, until=until, agent_ids=[agent.id])
    wanted = set(criteria)
    failing = [
        r
        for r in rows
        if (r.source == "human" or r.reliable)
        and any(isinstance(it, dict) and it.get("result") == "fail" for c, it in r.items.items() if c in wanted)
    ]
    return list(reversed(failing))[:limit]


# --- creating a plan ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanInput:
    agent_id: int
    criteria: Sequence[str]
    target_rate: float  # 0 < rate <= 1
    target_calls: int
    due_date: date
    goal: str = ""
    article_ids: Sequence[int] = ()
    exemplars: Sequence[tuple[int, str]] = ()  # (call id, criterion)
    tasks: Sequence[str] = ()
    evaluation_ids: Sequence[int] = ()
    first_session_at: datetime | None = None
    first_session_topic: str = ""


def _text(value: str, limit: int = TEXT_MAX) -> str:
    return (value or "").replace("\r\n", "\n").strip()[:limit]


def _check_target(target_rate: float, target_calls: int, due_date: date, today: date) -> None:
    if not 0 < target_rate <= 1:
        raise Invalid("coaching.target_rate_range", field="target_rate")
    if not 1 <= target_calls <= MAX_TARGET_CALLS:
        raise Invalid("coaching.target_calls_range", field="target_calls", max=MAX_TARGET_CALLS)
    if due_date < today:
        raise Invalid("coaching.due_in_past", field="due_date")
    if due_date > today + timedelta(days=MAX_DUE_DAYS):
        raise Invalid("coaching.due_too_far", field="due_date")


def create_plan(db: Session, data: PlanInput, *, trainer: User, ctx: Context) -> CoachingPlan:
    """Create a plan with its learning items, motivating evaluations and an optional first session;
    the agent is notified. Conflict when the agent already has an active plan on one of the criteria."""
    _manager(trainer)
    agent = db.get(Agent, data.agent_id)
    if agent is None:
        raise NotFound("accounts.agent_not_found", field="agent_id")
    if not agent.active:
        raise Invalid("calls.agent_inactive", field="agent_id")
    info = rubric_info(db)
    criteria = list(dict.fromkeys(data.criteria))
    if not criteria:
        raise Invalid("coaching.no_criteria", field="criteria")
    if len(criteria) > MAX_CRITERIA:
        raise Invalid("coaching.too_many_criteria", field="criteria", max=MAX_CRITERIA)
    unknown = [c for c in criteria if c not in info.titles]
    if unknown:
        raise Invalid("coaching.unknown_criteria", field="criteria", criteria=unknown)
    _check_target(data.target_rate, data.target_calls, data.due_date, ctx.today)
    busy = [
        c
        for p in db.scalars(
            select(CoachingPlan).where(CoachingPlan.agent_id == agent.id, CoachingPlan.state == PlanState.ACTIVE)
        )
        for c in p.criteria
        if c in criteria
    ]
    if busy:
        raise Conflict(
            "coaching.criteria_in_active_plan",
            field="criteria",
            criteria=[info.name(c) for c in dict.fromkeys(busy)],
        )
    plan = CoachingPlan(
        agent_id=agent.id,
        trainer_id=trainer.id,
        rubric_key=info.key,
        criteria=criteria,
        goal=_text(data.goal),
        target_rate=round(float(data.target_rate), 4),
        target_calls=int(data.target_calls),
        starts_at=ctx.now,
        due_date=data.due_date,
        state=PlanState.ACTIVE,
        baseline=baseline(db, ctx, agent, criteria, rubric_key=info.key),
    )
    db.add(plan)
    db.flush()
    for eid in dict.fromkeys(data.evaluation_ids):
        ev = db.get(Evaluation, eid)
        owner = db.scalar(select(Call.agent_id).where(Call.id == ev.call_id)) if ev else None
        if ev is None or owner != agent.id or ev.purpose != Purpose.REVIEW:
            raise Invalid("coaching.evaluation_not_agents", field="evaluations")
        plan.evaluation_links.append(PlanEvaluation(evaluation_id=eid))
    for aid in dict.fromkeys(data.article_ids):
        _add_article(db, plan, aid)
    for call_id, criterion in dict.fromkeys(data.exemplars):
        _add_exemplar(db, ctx, plan, call_id, criterion)
    for t in data.tasks:
        if t.strip():
            _add_task(plan, t, "")
    if data.first_session_at is not None:
        _schedule(db, plan, trainer, data.first_session_at, data.first_session_topic, ctx)
    db.flush()
    audit.record(
        db, "coaching_plan_created", user=trainer, target=f"coaching_plan:{plan.id}", agent=agent.id, criteria=criteria
    )
    if agent.user_id:
        notifications.notify(
            db,
            [agent.user_id],
            "coaching_plan_created",
            params={"plan_id": plan.id, "criteria": criteria},
            url=f"/coaching/plans/{plan.id}",
            dedupe_key=f"coaching-plan:{plan.id}:created",
        )
    return plan


# --- items ---------------------------------------------------------------------------------------------


def _active(plan: CoachingPlan) -> None:
    if plan.state != PlanState.ACTIVE:
        raise Conflict("coaching.plan_closed")


def _add_article(db: Session, plan: CoachingPlan, article_id: int) -> PlanItem:
    article = db.get(KnowledgeArticle, article_id)
    if article is None or not article.active:
        raise Invalid("coaching.article_unavailable", field="articles")
    if any(i.kind == ItemKind.ARTICLE and i.article_id == article.id for i in plan.items):
        raise Conflict("coaching.article_in_plan", field="articles")
    crit = next((c for c in article.criteria if c in plan.criteria), None)
    item = PlanItem(kind=ItemKind.ARTICLE, article_id=article.id, title=article.title[:200], criterion=crit)
    plan.items.append(item)
    return item


def _add_exemplar(db: Session, ctx: Context, plan: CoachingPlan, call_id: int, criterion: str) -> PlanItem:
    if criterion not in plan.criteria:
        raise Invalid("coaching.exemplar_criterion", field="exemplars")
    if call_id in {i.call_id for i in plan.items if i.kind == ItemKind.EXEMPLAR_CALL}:
        raise Conflict("coaching.call_in_plan", field="exemplars")
    ex = exemplar_for_call(db, ctx, call_id=call_id, criterion=criterion, rubric_key=plan.rubric_key)
    if ex is None or ex.agent_id == plan.agent_id:
        raise Invalid("coaching.exemplar_not_passing", field="exemplars")
    item = PlanItem(
        kind=ItemKind.EXEMPLAR_CALL,
        call_id=call_id,
        criterion=criterion,
        cue_start=ex.cue_start,
        cue_end=ex.cue_end,
        title=ex.quote[:200],
    )
    plan.items.append(item)
    return item


def _add_task(plan: CoachingPlan, title: str, note: str) -> PlanItem:
    title = " ".join(title.split())[:200]
    if not title:
        raise Invalid("coaching.task_required", field="title")
    item = PlanItem(kind=ItemKind.TASK, title=title, note=_text(note))
    plan.items.append(item)
    return item


def add_item(
    db: Session,
    plan: CoachingPlan,
    *,
    actor: User,
    ctx: Context,
    kind: str,
    article_id: int | None = None,
    call_id: int | None = None,
    criterion: str | None = None,
    title: str = "",
    note: str = "",
) -> PlanItem:
    _manager(actor)
    _active(plan)
    if kind == ItemKind.ARTICLE and article_id:
        item = _add_article(db, plan, article_id)
    elif kind == ItemKind.EXEMPLAR_CALL and call_id and criterion:
        item = _add_exemplar(db, ctx, plan, call_id, criterion)
    elif kind == ItemKind.TASK:
        item = _add_task(plan, title, note)
    else:
        raise Invalid("coaching.item_incomplete")
    db.flush()
    return item


def remove_item(db: Session, plan: CoachingPlan, item: PlanItem, *, actor: User) -> None:
    _manager(actor)
    _active(plan)
    plan.items.remove(item)
    db.flush()


def set_item_done(db: Session, plan: CoachingPlan, item: PlanItem, *, user: User, done: bool, now: datetime) -> None:
    """The agent ticks an item off (or un-ticks it). Only the plan's own agent may."""
    if user.role != Role.AGENT or _agent_id_of(db, user) != plan.agent_id:
        raise Forbidden("coaching.only_agent_marks_done")
    if item.plan_id != plan.id:
        raise NotFound("coaching.item_not_found")
    item.done_at = now if done else None
    db.flush()


def acknowledge_plan(db: Session, plan: CoachingPlan, *, user: User, now: datetime) -> None:
    if user.role != Role.AGENT or _agent_id_of(db, user) != plan.agent_id:
        raise Forbidden("coaching.only_agent_acknowledges_plan")
    if plan.acknowledged_at is not None:
        raise Conflict("coaching.plan_already_acknowledged")
    plan.acknowledged_at = now
    _flush(db)


def update_plan(
    db: Session, plan: CoachingPlan, *, actor: User, ctx: Context, goal: str, due_date: date,
    expected_version: int | None = None,
) -> None:
    """Change the goal text or the due date of an active plan (the target is fixed once coaching began)."""
    _manager(actor)
    _active(plan)
    _version(plan, expected_version)
    if due_date < ctx.today:
        raise Invalid("coaching.due_in_past", field="due_date")
    if due_date > plan.starts_at.astimezone(ctx.tz).date() + timedelta(days=MAX_DUE_DAYS):
        raise Invalid("coaching.due_too_far", field="due_date")
    plan.goal, plan.due_date = _text(goal), due_date
    _flush(db)


def _version(plan: CoachingPlan, expected: int | None) -> None:
    if expected is not None and plan.version != expected:
        raise Conflict("coaching.plan_changed_since_opened")


def _flush(db: Session) -> None:
    try:
        db.flush()
    except StaleDataError as exc:
        raise Conflict("coaching.plan_saved_by_someone_else") from exc


def cancel_plan(db: Session, plan: CoachingPlan, *, actor: User, reason: str, now: datetime) -> None:
    _manager(actor)
    _active(plan)
    reason = _text(reason)
    if not reason:
        raise Invalid("coaching.cancel_reason_required", field="reason")
    plan.state, plan.closed_at, plan.closed_by_id, plan.close_note = PlanState.CANCELLED, now, actor.id, reason
    _flush(db)
    audit.record(db, "coaching_plan_closed", user=actor, target=f"coaching_plan:{plan.id}", state=plan.state)


# --- sessions ------------------------------------------------------------------------------------------


def _when(value: datetime, ctx: Context, field_name: str) -> datetime:
    if value.tzinfo is None:
        raise Invalid("coaching.time_needs_zone", field=field_name)
    if value > ctx.now + timedelta(days=MAX_DUE_DAYS) or value < ctx.now - timedelta(days=MAX_DUE_DAYS):
        raise Invalid("coaching.time_within_year", field=field_name)
    return value


def _schedule(db: Session, plan: CoachingPlan, actor: User, when: datetime, topic: str, ctx: Context) -> CoachingSession:
    s = CoachingSession(
        scheduled_at=_when(when, ctx, "scheduled_at"),
        topic=" ".join((topic or "").split())[:200],
        created_by_id=actor.id,
    )
    plan.sessions.append(s)
    db.flush()
    return s


def schedule_session(
    db: Session, plan: CoachingPlan, *, actor: User, ctx: Context, scheduled_at: datetime, topic: str = ""
) -> CoachingSession:
    _manager(actor)
    _active(plan)
    return _schedule(db, plan, actor, scheduled_at, topic, ctx)


def _open(s: CoachingSession) -> None:
    if s.cancelled_at is not None:
        raise Conflict("coaching.session_cancelled")
    if s.held_at is not None:
        raise Conflict("coaching.session_already_recorded")


def reschedule_session(
    db: Session, s: CoachingSession, *, actor: User, ctx: Context, scheduled_at: datetime, topic: str
) -> None:
    _manager(actor)
    _open(s)
    _active(s.plan)
    s.scheduled_at = _when(scheduled_at, ctx, "scheduled_at")
    s.topic = " ".join((topic or "").split())[:200]
    db.flush()


def record_session(
    db: Session, s: CoachingSession, *, actor: User, ctx: Context, held_at: datetime, notes: str, commitments: str
) -> None:
    """The session took place: when, what was discussed, what the agent committed to."""
    _manager(actor)
    _open(s)
    held_at = _when(held_at, ctx, "held_at")
    if held_at > ctx.now + timedelta(minutes=5):
        raise Invalid("coaching.held_in_future", field="held_at")
    notes = _text(notes)
    if not notes:
        raise Invalid("coaching.notes_required", field="notes")
    s.held_at, s.notes, s.commitments, s.held_by_id = held_at, notes, _text(commitments), actor.id
    db.flush()
    audit.record(db, "coaching_session_held", user=actor, target=f"coaching_session:{s.id}", plan=s.plan_id)


def cancel_session(db: Session, s: CoachingSession, *, actor: User, now: datetime) -> None:
    _manager(actor)
    _open(s)
    s.cancelled_at = now
    db.flush()


def acknowledge_session(db: Session, s: CoachingSession, *, user: User, now: datetime) -> None:
    """The agent confirms the notes and commitments of a held session."""
    if user.role != Role.AGENT or _agent_id_of(db, user) != s.plan.agent_id:
        raise Forbidden("coaching.only_agent_acknowledges_session")
    if s.held_at is None:
        raise Conflict("coaching.session_not_held")
    if s.acknowledged_at is not None:
        raise Conflict("coaching.session_already_acknowledged")
    s.acknowledged_at = now
    db.flush()


# --- follow-up: the target re-check and the reminders ------------------------------------------------------


def _progress(plan: CoachingPlan, rows: list[Verdict]) -> tuple[str, dict]:
    mine = [v for v in rows if v.agent_id == plan.agent_id]
    out: dict = {}
    states = []
    for c in plan.criteria:
        target = FollowUpTarget(plan.agent_id, c, plan.target_rate, plan.target_calls, plan.starts_at)
        p = check_followup(target, mine)
        states.append(p.state)
        out[c] = {
            "state": p.state,
            "checked": p.checked,
            "passes": p.passes,
            "required": p.required_passes,
            "calls": p.calls,
            "call_ids": [i for i in p.call_ids if i is not None],
            "closed_at": p.closed_at.isoformat() if p.closed_at else None,
        }
    if "not_met" in states:
        overall = PlanState.NOT_MET
    elif states and all(s == "met" for s in states):
        overall = PlanState.MET
    else:
        overall = PlanState.ACTIVE
    return overall, out


def _apply(db: Session, plan: CoachingPlan, rows: list[Verdict], ctx: Context, actor: User | None) -> str:
    """Store the re-check on the plan; close it when decided (notifying the trainer and the agent)."""
    overall, progress = _progress(plan, rows)
    plan.followup = {**progress, "_checked_at": ctx.now.isoformat()}
    if overall != PlanState.ACTIVE:
        plan.state, plan.closed_at, plan.closed_by_id = overall, ctx.now, None
        plan.close_note = ""
    _flush(db)
    if overall != PlanState.ACTIVE:
        audit.record(
            db, "coaching_plan_closed", user=actor, username="" if actor else "followup",
            target=f"coaching_plan:{plan.id}", state=overall,
        )
        agent_user = db.scalar(select(Agent.user_id).where(Agent.id == plan.agent_id))
        notifications.notify(
            db,
            [u for u in (plan.trainer_id, agent_user) if u],
            "coaching_plan_closed",
            params={"plan_id": plan.id, "state": overall},
            url=f"/coaching/plans/{plan.id}",
            dedupe_key=f"coaching-plan:{plan.id}:closed",
        )
    return overall


def _rows_for(db: Session, plans: Sequence[CoachingPlan], ctx: Context) -> dict[str, list[Verdict]]:
    """The verdicts every plan of a rubric needs, in one query per rubric."""
    by_key: dict[str, list[CoachingPlan]] = {}
    for p in plans:
        by_key.setdefault(p.rubric_key, []).append(p)
    out = {}
    for key, ps in by_key.items():
        out[key] = load_verdicts(
            db,
            ctx,
            rubric_key=key,
            since=min(p.starts_at for p in ps),
            agent_ids={p.agent_id for p in ps},
            criteria=sorted({c for p in ps for c in p.criteria}),
        )
    return out


def recheck(db: Session, plan: CoachingPlan, *, ctx: Context, actor: User | None = None) -> str:
    """Re-check the plan's target now (on demand from the plan page); returns the plan's state."""
    if actor is not None:
        _manager(actor)
    _active(plan)
    rows = _rows_for(db, [plan], ctx)[plan.rubric_key]
    return _apply(db, plan, rows, ctx, actor)


@dataclass
class FollowUpSummary:
    checked: int = 0
    met: int = 0
    not_met: int = 0
    reminders: int = 0
    conflicts: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _stamp(at: datetime) -> str:
    return at.strftime("%Y%m%d%H%M")


def send_reminders(db: Session, ctx: Context) -> int:
    """Sessions due within a day or overdue, plans due soon or overdue: one notification each (dedupe
    keys carry the scheduled time / due date, so a rescheduled session or a new due date is reminded
    again, and a re-run or a second worker never is)."""
    sent = 0
    agent_user = dict(db.execute(select(Agent.id, Agent.user_id)).all())
    for s in open_sessions(db):
        plan = s.plan
        who = [u for u in (plan.trainer_id, agent_user.get(plan.agent_id)) if u]
        params = {"session_id": s.id, "plan_id": plan.id, "scheduled_at": s.scheduled_at.isoformat()}
        if ctx.now < s.scheduled_at <= ctx.now + SESSION_SOON:
            sent += notifications.notify(
                db, who, "coaching_session_due", params={**params, "overdue": False},
                url=f"/coaching/sessions/{s.id}", dedupe_key=f"coaching-session:{s.id}:{_stamp(s.scheduled_at)}:soon",
            )
        elif s.scheduled_at + SESSION_GRACE <= ctx.now:
            # the trainer must record it (or reschedule / cancel it)
            sent += notifications.notify(
                db, [u for u in (plan.trainer_id,) if u], "coaching_session_due", params={**params, "overdue": True},
                url=f"/coaching/sessions/{s.id}", dedupe_key=f"coaching-session:{s.id}:{_stamp(s.scheduled_at)}:overdue",
            )
    for plan in db.scalars(select(CoachingPlan).where(CoachingPlan.state == PlanState.ACTIVE)):
        who = [u for u in (plan.trainer_id, agent_user.get(plan.agent_id)) if u]
        params = {"plan_id": plan.id, "due_date": plan.due_date.isoformat()}
        if plan.due_date < ctx.today:
            sent += notifications.notify(
                db, who, "coaching_plan_due", params={**params, "overdue": True},
                url=f"/coaching/plans/{plan.id}", dedupe_key=f"coaching-plan:{plan.id}:{plan.due_date}:overdue",
            )
        elif plan.due_date <= ctx.today + timedelta(days=PLAN_DUE_SOON_DAYS):
            sent += notifications.notify(
                db, who, "coaching_plan_due", params={**params, "overdue": False},
                url=f"/coaching/plans/{plan.id}", dedupe_key=f"coaching-plan:{plan.id}:{plan.due_date}:soon",
            )
    return sent


def run_followup(db: Session, ctx: Context) -> FollowUpSummary:
    """The daily follow-up: re-check every active plan (closing the decided ones), then remind."""
    summary = FollowUpSummary()
    plans = list(db.scalars(select(CoachingPlan).where(CoachingPlan.state == PlanState.ACTIVE).order_by(CoachingPlan.id)))
    rows = _rows_for(db, plans, ctx)
    for plan in plans:
        try:
            with db.begin_nested():
                state = _apply(db, plan, rows[plan.rubric_key], ctx, None)
        except Conflict:
            summary.conflicts += 1  # someone re-checked or cancelled it at the same moment
            db.refresh(plan)
            continue
        summary.checked += 1
        summary.met += state == PlanState.MET
        summary.not_met += state == PlanState.NOT_MET
    summary.reminders = send_reminders(db, ctx)
    return summary
