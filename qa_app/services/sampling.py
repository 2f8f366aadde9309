"""Sampling plans (抽检计划) and their runs: which calls go to human review and into whose queue.

A run takes the plan's period (a day, an ISO week or a month in the configured time zone), gathers the
calls of that period that are ready and neither reviewed nor already assigned, chooses some with
``scoring.sampling.select`` (targeted rules + a seeded random sample per agent) and spreads them over
the reviewers with ``scoring.sampling.assign``. Each reviewer who got calls is notified once per run.

Runs happen three ways: the daily duty schedules each active plan's last complete period (once: the
scheduled run of a (plan, period) is unique in the database), "Run now" on the plan page queues a job,
and ``flask run-sampling`` runs at once. A second run for a period only tops up: the per-agent random
quota counts the calls already drawn, and assigned calls are never candidates again.

Use cases flush and never commit; the caller (view, job or CLI) owns the transaction.
"""

from __future__ import annotations

import random
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from coaching.periods import PERIODS, period_dates, period_key, previous_period
from qa_app.db.base import utcnow
from qa_app.db.models import (
    RUN_PENDING,
    Agent,
    AssignmentState,
    AutoScorecard,
    Call,
    CallStatus,
    Job,
    ReviewAssignment,
    Role,
    RubricVersion,
    RunState,
    RunTrigger,
    SamplingPlan,
    SamplingRun,
    Team,
    User,
)
from qa_app.services import audit, calls, evaluations, jobs, notifications, rubrics
from qa_app.services.errors import Invalid, NotFound
from qa_app.settings import Settings
from scoring.sampling import (
    MAX_RANDOM_PER_AGENT,
    Candidate,
    Reviewer,
    Rules,
    RulesError,
    assign,
)
from scoring.sampling import (
    select as select_calls,
)

SAMPLING_RUN = "sampling_run"  # job: one run of one plan (subject: the plan)
SAMPLING_DUE = "sampling_due"  # job of the daily duty: schedule each active plan's due run
REVIEWER_ROLES = (Role.QA_REVIEWER, Role.TRAINER, Role.ADMIN)  # may be in a plan's reviewer pool
MAX_NAME = 80  # characters of a plan name
MAX_DUE_DAYS = 60
MAX_PER_REVIEWER = 1000


@dataclass(frozen=True)
class PlanInput:
    """A plan as a form gives it."""

    name: str
    period: str
    random_per_agent: int
    rules: Rules
    active: bool = True
    team_ids: tuple[int, ...] = ()
    reviewer_ids: tuple[int, ...] = ()  # empty: every active QA reviewer
    due_days: int = 3
    max_per_reviewer: int | None = None


# --- plans ------------------------------------------------------------------------------------------------


def plan_rules(plan: SamplingPlan) -> Rules:
    return Rules.from_dict(plan.rules)


def _validate(db: Session, data: PlanInput, plan: SamplingPlan | None) -> str:
    name = " ".join(data.name.split())
    if not name or len(name) > MAX_NAME:
        raise Invalid("sampling.name_required", field="name", max=MAX_NAME)
    same = db.scalar(select(SamplingPlan.id).where(SamplingPlan.name == name))
    if same is not None and (plan is None or same != plan.id):
        raise Invalid("sampling.name_taken", field="name")
    if data.period not in PERIODS:
        raise Invalid("sampling.unknown_period", field="period")
    if not 0 <= data.random_per_agent <= MAX_RANDOM_PER_AGENT:
        raise Invalid("sampling.random_range", field="random_per_agent", max=MAX_RANDOM_PER_AGENT)
    if data.random_per_agent == 0 and not data.rules.targeted:
        raise Invalid("sampling.samples_nothing", field="random_per_agent")
    if not 1 <= data.due_days <= MAX_DUE_DAYS:
        raise Invalid("sampling.due_days_range", field="due_days", max=MAX_DUE_DAYS)
    if data.max_per_reviewer is not None and not 1 <= data.max_per_reviewer <= MAX_PER_REVIEWER:
        raise Invalid("sampling.cap_range", field="max_per_reviewer", max=MAX_PER_REVIEWER)
    if data.team_ids:
        found = set(db.scalars(select(Team.id).where(Team.id.in_(data.team_ids))))
        if found != set(data.team_ids):
            raise Invalid("accounts.team_not_found", field="team_ids")
    if data.reviewer_ids:
        ok = set(
            db.scalars(
                select(User.id).where(
                    User.id.in_(data.reviewer_ids), User.active, User.role.in_(REVIEWER_ROLES)
                )
            )
        )
        if ok != set(data.reviewer_ids):
            raise Invalid("sampling.bad_reviewers", field="reviewer_ids")
    return name


def _apply(plan: SamplingPlan, data: PlanInput, name: str) -> None:
    plan.name, plan.active, plan.period = name, data.active, data.period
    plan.random_per_agent = data.random_per_agent
    plan.rules = data.rules.to_dict()
    plan.team_ids = sorted(set(data.team_ids))
    plan.reviewer_ids = sorted(set(data.reviewer_ids))
    plan.due_days, plan.max_per_reviewer = data.due_days, data.max_per_reviewer


def create_plan(db: Session, data: PlanInput, *, actor: User | None) -> SamplingPlan:
    name = _validate(db, data, None)
    plan = SamplingPlan(created_by_id=actor.id if actor else None)
    _apply(plan, data, name)
    db.add(plan)
    db.flush()
    audit.record(db, "sampling_plan_created", user=actor, target=f"sampling_plan:{plan.id}", name=name)
    return plan


def update_plan(db: Session, plan: SamplingPlan, data: PlanInput, *, actor: User) -> SamplingPlan:
    name = _validate(db, data, plan)
    _apply(plan, data, name)
    db.flush()
    audit.record(
        db, "sampling_plan_updated", user=actor, target=f"sampling_plan:{plan.id}", active=plan.active
    )
    return plan


def get_plan(db: Session, plan_id: int) -> SamplingPlan:
    plan = db.get(SamplingPlan, plan_id)
    if plan is None:
        raise NotFound("sampling.plan_not_found")
    return plan


def list_plans(db: Session) -> list[SamplingPlan]:
    return list(db.scalars(select(SamplingPlan).order_by(SamplingPlan.active.desc(), SamplingPlan.name)))


def reviewer_pool(db: Session, plan: SamplingPlan) -> list[User]:
    """Who receives the plan's calls: its listed reviewers still active, else every active QA reviewer."""
    stmt = select(User).where(User.active).order_by(User.id)
    if plan.reviewer_ids:
        return list(db.scalars(stmt.where(User.id.in_(plan.reviewer_ids), User.role.in_(REVIEWER_ROLES))))
    return list(db.scalars(stmt.where(User.role == Role.QA_REVIEWER)))


def eligible_reviewers(db: Session) -> list[User]:
    """Users who may be put in a reviewer pool (for the plan form)."""
    return list(
        db.scalars(
            select(User)
            .where(User.active, User.role.in_(REVIEWER_ROLES))
            .order_by(User.role, User.display_name)
        )
    )


# --- periods ----------------------------------------------------------------------------------------------


def current_period(plan: SamplingPlan, settings: Settings, now: datetime | None = None) -> str:
    local = (now or utcnow()).astimezone(ZoneInfo(settings.timezone))
    return period_key(local.date(), plan.period)


def last_complete_period(plan: SamplingPlan, settings: Settings, now: datetime | None = None) -> str:
    return previous_period(current_period(plan, settings, now), plan.period)


def period_window(plan: SamplingPlan, key: str, settings: Settings) -> tuple[datetime, datetime]:
    """[start, end) of a period key in the configured time zone; Invalid when the key does not fit."""
    try:
        first, after = period_dates(key, plan.period)
    except ValueError as exc:
        raise Invalid(
            "sampling.period_mismatch",
            field="period",
            key=key,
            period=plan.period,
            example=period_key(date(2026, 11, 30), plan.period),
        ) from exc
    tz = ZoneInfo(settings.timezone)
    return datetime.combine(first, time(), tz), datetime.combine(after, time(), tz)


# --- candidates -------------------------------------------------------------------------------------------


def _primitives(db: Session, version_id: int, memo: dict[int, dict[str, str]]) -> dict[str, str]:
    """criterion id -> automation primitive of a rubric version (complaint_risk, sentiment ...)."""
    if version_id not in memo:
        version = db.get(RubricVersion, version_id)
        rubric = rubrics.to_domain(version, strict=False) if version is not None else None
        memo[version_id] = (
            {c.id: c.primitive or "" for s in rubric.sections for c in s.criteria} if rubric else {}
        )
    return memo[version_id]


def candidates(
    db: Session, plan: SamplingPlan, start: datetime, end: datetime, *, new_hire_on: date, new_hire_days: int
) -> list[Candidate]:
    """The period's calls a run may sample, with their features: ready, with a recording, in the plan's
    teams, without a completed human review and never assigned before (by any plan)."""
    latest = aliased(AutoScorecard)
    card_id = select(func.max(latest.id)).where(latest.call_id == Call.id).correlate(Call).scalar_subquery()
    stmt = (
        select(
            Call.id,
            Call.agent_id,
            Call.duration,
            Agent.user_id,
            Agent.hire_date,
            AutoScorecard,
            Call.transcript_unreliable,
        )
        .join(Agent, Agent.id == Call.agent_id)
        .outerjoin(AutoScorecard, AutoScorecard.id == card_id)
        .where(
            Call.status == CallStatus.READY,
            calls.with_recording(),
            Call.started_at >= start,
            Call.started_at < end,
            ~evaluations.reviewed_condition(),
            ~exists().where(ReviewAssignment.call_id == Call.id),
        )
        .order_by(Call.id)
    )
    if plan.team_ids:
        stmt = stmt.where(Call.team_id.in_(plan.team_ids))
    memo: dict[int, dict[str, str]] = {}
    out = []
    for (
        call_id,
        agent_id,
        duration,
        user_id,
        hire_date,
        card,
        unreliable,
    ) in db.execute(stmt):
        failed: set[str] = set()
        metrics: dict = {}
        if card is not None:
            prims = _primitives(db, card.rubric_version_id, memo)
            failed = {
                prims.get(c.get("id"), "") for c in card.data.get("criteria", []) if c.get("result") == "fail"
            }
            metrics = card.data.get("metrics") or {}
        end_sent = metrics.get("customer_sentiment_end")
        out.append(
            Candidate(
                call_id=call_id,
                agent_id=agent_id,
                agent_user_id=user_id,
                new_hire=(new_hire_on - hire_date).days < new_hire_days,
                score=card.total if card is not None else None,
                critical_failed=bool(card is not None and card.critical_failed),
                complaint_risk="complaint_risk" in failed,
                end_sentiment=float(end_sent) if isinstance(end_sent, int | float) else None,
                sentiment_failed="sentiment" in failed,
                duration=float(duration or 0.0),
                transcript_unreliable=bool(unreliable),
                needs_review=card.needs_review if card is not None else 0,
            )
        )
    return out


# --- runs -------------------------------------------------------------------------------------------------


def _new_run(plan: SamplingPlan, period: str, trigger: str, actor: User | None) -> SamplingRun:
    return SamplingRun(
        plan_id=plan.id,
        period=period,
        trigger=trigger,
        by_user_id=actor.id if actor else None,
        state=RunState.QUEUED,
        seed=secrets.randbelow(2**31),
    )


def _enqueue(db: Session, run: SamplingRun, settings: Settings) -> None:
    job = jobs.enqueue(
        db,
        SAMPLING_RUN,
        subject=("sampling_plan", run.plan_id),
        max_attempts=settings.job_max_attempts,
        payload={"run_id": run.id, "period": run.period},
        dedupe_key=f"{SAMPLING_RUN}:run:{run.id}",
    )
    run.job_id = job.id
    db.flush()


def pending_run(db: Session, plan: SamplingPlan) -> SamplingRun | None:
    return db.scalar(
        select(SamplingRun)
        .where(SamplingRun.plan_id == plan.id, SamplingRun.state.in_(RUN_PENDING))
        .order_by(SamplingRun.id.desc())
        .limit(1)
    )


def request_run(
    db: Session, plan: SamplingPlan, *, period: str, actor: User, settings: Settings
) -> tuple[SamplingRun, bool]:
    """ "Run now": queue a run of the plan for ``period``. While one of the plan's runs is queued or
    running it is returned instead (created = False)."""
    period_window(plan, period, settings)  # validates the key
    pending = pending_run(db, plan)
    if pending is not None:
        return pending, False
    run = _new_run(plan, period, RunTrigger.MANUAL, actor)
    db.add(run)
    db.flush()
    _enqueue(db, run, settings)
    audit.record(db, "sampling_run_requested", user=actor, target=f"sampling_plan:{plan.id}", period=period)
    return run, True


def schedule_due(db: Session, settings: Settings, *, now: datetime | None = None) -> list[SamplingRun]:
    """The daily duty: give each active plan's last complete period its scheduled run, once. A day plan
    samples yesterday, a week plan last week (from Monday on), a month plan last month (from the 1st);
    a missed day is caught up the next, since the period stays due until its run exists."""
    made = []
    for plan in db.scalars(select(SamplingPlan).where(SamplingPlan.active).order_by(SamplingPlan.id)):
        period = last_complete_period(plan, settings, now)
        exists_ = db.scalar(
            select(SamplingRun.id).where(
                SamplingRun.plan_id == plan.id,
                SamplingRun.period == period,
                SamplingRun.trigger == RunTrigger.DUTY,
            )
        )
        if exists_ is not None:
            continue
        run = _new_run(plan, period, RunTrigger.DUTY, None)
        try:
            with db.begin_nested():
                db.add(run)
                db.flush()
        except IntegrityError:
            continue  # another scheduler made it first
        _enqueue(db, run, settings)
        made.append(run)
    return made


def _random_so_far(db: Session, plan: SamplingPlan, period: str) -> dict[int, int]:
    """agent id -> calls this plan already drew at random for the period (a re-run only tops up)."""
    rows = db.execute(
        select(Call.agent_id, ReviewAssignment.reasons)
        .join(Call, Call.id == ReviewAssignment.call_id)
        .where(ReviewAssignment.plan_id == plan.id, ReviewAssignment.period == period)
    )
    return dict(Counter(agent_id for agent_id, reasons in rows if "random" in (reasons or [])))


def _loads(db: Session, pool: list[User], plan: SamplingPlan, period: str) -> list[Reviewer]:
    ids = [u.id for u in pool]
    if not ids:
        return []
    RA = ReviewAssignment
    open_ = dict(
        db.execute(
            select(RA.reviewer_id, func.count())
            .where(RA.reviewer_id.in_(ids), RA.state == AssignmentState.OPEN)
            .group_by(RA.reviewer_id)
        ).all()
    )
    last = dict(
        db.execute(
            select(RA.reviewer_id, func.max(RA.assigned_at))
            .where(RA.reviewer_id.in_(ids))
            .group_by(RA.reviewer_id)
        ).all()
    )
    this_period = dict(
        db.execute(
            select(RA.reviewer_id, func.count())
            .where(RA.reviewer_id.in_(ids), RA.plan_id == plan.id, RA.period == period)
            .group_by(RA.reviewer_id)
        ).all()
    )
    return [
        Reviewer(
            uid,
            open=open_.get(uid, 0),
            last_assigned=last[uid].timestamp() if last.get(uid) else None,
            this_period=this_period.get(uid, 0),
        )
        for uid in ids
    ]


def start_run(db: Session, run: SamplingRun) -> None:
    """Mark the run as running (its own short transaction, so pages show the progress)."""
    if run.state != RunState.DONE:
        run.state, run.started_at, run.error = RunState.RUNNING, utcnow(), None
        db.flush()


def execute_run(
    db: Session, run: SamplingRun, settings: Settings, *, now: datetime | None = None
) -> SamplingRun:
    """Choose and assign the run's calls, notify the reviewers, record the counts."""
    if run.state == RunState.DONE:
        return run
    now = now or utcnow()
    plan = run.plan
    run.state, run.started_at = RunState.RUNNING, run.started_at or now
    start, end = period_window(plan, run.period, settings)
    # tenure as of the period's last day (or today, for a period still running)
    on = min(now.astimezone(ZoneInfo(settings.timezone)).date(), end.date() - timedelta(days=1))
    cands = candidates(db, plan, start, end, new_hire_on=on, new_hire_days=settings.new_hire_days)
    picks = select_calls(
        cands,
        plan_rules(plan),
        plan.random_per_agent,
        rng=random.Random(run.seed),
        already_random=_random_so_far(db, plan, run.period),
    )
    pool = reviewer_pool(db, plan)
    given, left = assign(picks, _loads(db, pool, plan, run.period), max_per_reviewer=plan.max_per_reviewer)
    due = now + timedelta(days=plan.due_days)
    per_reviewer: Counter[int] = Counter()
    reasons: Counter[str] = Counter()
    raced = 0
    for pick, uid in given:
        try:
            with db.begin_nested():
                db.add(
                    ReviewAssignment(
                        call_id=pick.call_id,
                        reviewer_id=uid,
                        plan_id=plan.id,
                        run_id=run.id,
                        period=run.period,
                        reasons=list(pick.reasons),
                        due_at=due,
                        assigned_at=now,
                    )
                )
                db.flush()
        except IntegrityError:
            raced += 1  # another run assigned the call meanwhile
            continue
        per_reviewer[uid] += 1
        reasons.update(pick.reasons)
    for uid, n in per_reviewer.items():
        notifications.notify(
            db,
            [uid],
            "review_assigned",
            params={
                "count": n,
                "plan": plan.name,
                "plan_id": plan.id,
                "run_id": run.id,
                "period": run.period,
            },
            url="/queue/",
            dedupe_key=f"sampling_run:{run.id}",
        )
    run.counts = {
        "candidates": len(cands),
        "picked": len(picks),
        "assigned": sum(per_reviewer.values()),
        "unassigned": len(left) + raced,
        "reviewers": len(pool),
        "reasons": dict(reasons),
        "per_reviewer": {str(uid): n for uid, n in per_reviewer.items()},
    }
    run.state, run.finished_at, run.error = RunState.DONE, utcnow(), None
    db.flush()
    return run


def run_failed(db: Session, job: Job, error: str, *, dead: bool) -> None:
    """The run's job failed: show it on the run (it waits for a retry, or gave up)."""
    run = db.get(SamplingRun, (job.payload or {}).get("run_id"))
    if run is not None and run.state != RunState.DONE:
        run.state = RunState.FAILED if dead else RunState.QUEUED
        run.error = error[:2000]
        if dead:
            run.finished_at = utcnow()
        db.flush()


def run_now(
    db: Session,
    plan: SamplingPlan,
    *,
    period: str,
    settings: Settings,
    actor: User | None = None,
    now: datetime | None = None,
) -> SamplingRun:
    """Run the plan for ``period`` in this transaction (the CLI)."""
    period_window(plan, period, settings)
    run = _new_run(plan, period, RunTrigger.MANUAL, actor)
    db.add(run)
    db.flush()
    return execute_run(db, run, settings, now=now)


def runs_of(db: Session, plan: SamplingPlan, *, limit: int = 20) -> list[SamplingRun]:
    return list(
        db.scalars(
            select(SamplingRun)
            .where(SamplingRun.plan_id == plan.id)
            .order_by(SamplingRun.id.desc())
            .limit(limit)
        )
    )


def jobs_of(db: Session, runs: list[SamplingRun]) -> dict[int, Job]:
    """The job of each run (by job id), to tell "queued" from "waiting for a worker"."""
    ids = [r.job_id for r in runs if r.job_id]
    return {j.id: j for j in db.scalars(select(Job).where(Job.id.in_(ids)))} if ids else {}


def last_runs(db: Session) -> dict[int, SamplingRun]:
    """The latest run of each plan."""
    newest = select(func.max(SamplingRun.id)).group_by(SamplingRun.plan_id)
    return {r.plan_id: r for r in db.scalars(select(SamplingRun).where(SamplingRun.id.in_(newest)))}


def rules_error(exc: RulesError) -> Invalid:
    """A rule the domain refused, as a form error."""
    return Invalid("sampling.invalid_rule", field=exc.field, problem=exc.msg)
