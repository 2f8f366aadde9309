"""The coaching follow-up duty: fires once a day, its job re-checks active plans (closing met / not met)
and sends each reminder once — also when the job runs twice."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from qa_app.db.base import utcnow
from qa_app.db.models import CoachingPlan, Job, JobState, Notification, PlanState
from qa_app.db.session import transaction
from qa_app.jobs import duties, registry, worker
from qa_app.jobs.backends import Backends
from qa_app.jobs.tasks.coaching import COACHING_FOLLOWUP
from qa_app.services import coaching, jobs
from qa_app.services.coaching import PlanInput
from qa_app.services.coaching_insights import Context

import factories


@pytest.fixture
def env(app, db):
    settings = app.extensions["qa_settings"]
    factory = app.extensions["qa_sessionmaker"]
    backends = Backends(settings, _speech=object(), _scorer=object())
    now = utcnow()
    ctx = Context(now=now - timedelta(days=3), tz=ZoneInfo(settings.timezone), new_hire_days=settings.new_hire_days)
    team = factories.create_team(db)
    trainer = factories.create_user(db, "trainer")
    met_agent = factories.create_agent(db, team=team, hire_date=date(2026, 10, 1))
    miss_agent = factories.create_agent(db, team=team, hire_date=date(2026, 10, 1))
    open_agent = factories.create_agent(db, team=team, hire_date=date(2026, 10, 1))

    def plan(agent, due: date) -> CoachingPlan:
        p = coaching.create_plan(
            db,
            PlanInput(agent_id=agent.id, criteria=["greeting"], target_rate=0.75, target_calls=4, due_date=due),
            trainer=trainer,
            ctx=ctx,
        )
        db.commit()
        return p

    today = now.astimezone(ctx.tz).date()
    met = plan(met_agent, today + timedelta(days=20))
    missed = plan(miss_agent, today + timedelta(days=20))
    waiting = plan(open_agent, today + timedelta(days=1))  # due soon
    overdue_plan_agent = factories.create_agent(db, team=team, hire_date=date(2026, 10, 1))
    late = plan(overdue_plan_agent, today + timedelta(days=20))
    late.due_date = today - timedelta(days=1)  # it was due yesterday
    db.commit()
    for i, r in enumerate(["pass", "pass", "fail", "pass"]):
        factories.create_evaluated_call(db, met_agent, {"greeting": r}, started_at=ctx.now + timedelta(hours=i + 1))
    for i, r in enumerate(["fail", "fail"]):
        factories.create_evaluated_call(db, miss_agent, {"greeting": r}, started_at=ctx.now + timedelta(hours=i + 1))
    factories.create_evaluated_call(db, open_agent, {"greeting": "pass"}, started_at=ctx.now + timedelta(hours=1))
    # sessions: one tomorrow, one overdue (yesterday, never recorded), one held, one cancelled
    soon = coaching.schedule_session(db, waiting, actor=trainer, ctx=ctx, scheduled_at=now + timedelta(hours=20))
    overdue = coaching.schedule_session(db, waiting, actor=trainer, ctx=ctx, scheduled_at=now - timedelta(days=1))
    held = coaching.schedule_session(db, waiting, actor=trainer, ctx=ctx, scheduled_at=now - timedelta(days=2))
    coaching.record_session(
        db, held, actor=trainer, ctx=Context(now, ctx.tz, ctx.new_hire_days), held_at=now - timedelta(days=2),
        notes="ok", commitments="",
    )
    gone = coaching.schedule_session(db, waiting, actor=trainer, ctx=ctx, scheduled_at=now - timedelta(days=1))
    coaching.cancel_session(db, gone, actor=trainer, now=now)
    db.commit()
    return {
        "settings": settings, "factory": factory, "backends": backends, "trainer": trainer,
        "plans": (met, missed, waiting, late), "sessions": (soon, overdue),
        "agents": (met_agent, miss_agent, open_agent, overdue_plan_agent),
    }


def _run_job(env) -> int:
    with transaction(env["factory"]) as s:
        job_id = jobs.enqueue(s, COACHING_FOLLOWUP, max_attempts=2).id
    assert worker.run(env["factory"], env["settings"], backends=env["backends"], once=True) == 1
    with env["factory"]() as s:
        job = s.get(Job, job_id)
        assert job.state == JobState.DONE, job.last_error
        return job_id


def _notes(env) -> Counter:
    with env["factory"]() as s:
        return Counter((n.user_id, n.kind, n.params.get("plan_id"), n.params.get("session_id"), n.params.get("overdue"))
                       for n in s.scalars(select(Notification)) if n.kind != "coaching_plan_created")


def test_the_duty_is_registered_and_fires_once_a_day(env):
    d = registry.duties()["daily-coaching-followup"]
    assert d.kind == COACHING_FOLLOWUP and d.every == "day" and registry.get(COACHING_FOLLOWUP) is not None
    tz = ZoneInfo(env["settings"].timezone)
    at = datetime(2026, 12, 1, 8, 0, tzinfo=tz)
    for _ in range(3):  # three schedulers ticking
        duties.fire_due(env["factory"], env["settings"], now=at)
    duties.fire_due(env["factory"], env["settings"], now=datetime(2026, 12, 1, 6, 0, tzinfo=tz) + timedelta(days=1))
    with env["factory"]() as s:
        assert s.scalar(select(func.count()).select_from(Job).where(Job.kind == COACHING_FOLLOWUP)) == 1


def test_followup_closes_decided_plans_and_reminds_once_even_when_run_twice(env):
    met, missed, waiting, late = env["plans"]
    soon, overdue = env["sessions"]
    met_agent, miss_agent, open_agent, late_agent = env["agents"]
    trainer = env["trainer"].id
    _run_job(env)
    first = _notes(env)
    job2 = _run_job(env)
    assert _notes(env) == first, "a second run sends nothing new"
    assert all(n == 1 for n in first.values())

    with env["factory"]() as s:
        states = {p.id: (p.state, p.followup.get("greeting", {})) for p in s.scalars(select(CoachingPlan))}
        payload = s.get(Job, job2).payload
    assert states[met.id][0] == PlanState.MET and states[met.id][1]["checked"] == 4
    assert states[missed.id][0] == PlanState.NOT_MET and states[missed.id][1]["checked"] == 2
    assert states[waiting.id][0] == PlanState.ACTIVE and states[waiting.id][1]["passes"] == 1
    assert payload["checked"] == 2 and payload["met"] == 0 and payload["reminders"] == 0

    expected = {
        # closed plans: trainer and agent
        (trainer, "coaching_plan_closed", met.id, None, None),
        (met_agent.user_id, "coaching_plan_closed", met.id, None, None),
        (trainer, "coaching_plan_closed", missed.id, None, None),
        (miss_agent.user_id, "coaching_plan_closed", missed.id, None, None),
        # due tomorrow / overdue: trainer and agent
        (trainer, "coaching_plan_due", waiting.id, None, False),
        (open_agent.user_id, "coaching_plan_due", waiting.id, None, False),
        (trainer, "coaching_plan_due", late.id, None, True),
        (late_agent.user_id, "coaching_plan_due", late.id, None, True),
        # session tomorrow: both; overdue session: the trainer, who has to record it
        (trainer, "coaching_session_due", waiting.id, soon.id, False),
        (open_agent.user_id, "coaching_session_due", waiting.id, soon.id, False),
        (trainer, "coaching_session_due", waiting.id, overdue.id, True),
    }
    assert set(first) == expected


def test_a_rescheduled_session_is_reminded_again(env, db):
    _run_job(env)
    soon, _ = env["sessions"]
    s = db.get(type(soon), soon.id)
    s.scheduled_at = s.scheduled_at + timedelta(hours=2)
    db.commit()
    before = sum(_notes(env).values())
    _run_job(env)
    assert sum(_notes(env).values()) == before + 2
