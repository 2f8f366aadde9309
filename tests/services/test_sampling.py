"""Sampling plans and review queues: plan validation, the features read from scorecards and transcripts,
runs that assign and notify (a second run for a period adds nothing), the duty that fires once per
period, assignments completed when the review is submitted, skipping, and the queue's health."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from qa_app.db.base import utcnow
from qa_app.db.models import (
    AssignmentState,
    AuditEvent,
    Job,
    JobState,
    Notification,
    Purpose,
    ReviewAssignment,
    RunState,
    RunTrigger,
    SamplingRun,
)
from qa_app.jobs import duties, registry, worker
from qa_app.jobs.backends import Backends
from qa_app.jobs.tasks.review import SAMPLING_DUTY
from qa_app.services import assignments, processing, sampling
from qa_app.services import evaluations as ev_svc
from qa_app.services.errors import Conflict, Invalid, NotFound
from qa_app.services.evaluations import ItemInput
from scoring.sampling import Rules, RulesError
from transcription.types import Segment, Transcript

import factories
import fakes

# 2026-W47 is Monday 16 to Sunday 22 November; 02:00 UTC is 10:00 in Asia/Shanghai.
WEEK = "2026-W47"
IN_WEEK = datetime(2026, 11, 17, 2, 0, tzinfo=UTC)
AFTER_WEEK = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)

ANGRY = [
    ("a", "您好，很高兴为您服务，我是工号1021的客服小王，请问有什么可以帮您？"),
    ("c", "我家宽带又断了，太慢了，我很生气。"),
    ("a", "这是公司规定，我也没办法。"),
    ("c", "我要投诉你们，打12315。"),
    ("a", "请问还有其他可以帮您的吗？再见。"),
    ("c", "太差了，气死我了，我很不满意。"),
]


def transcript(lines, *, role_confidence: float = 0.9) -> Transcript:
    segs, t = [], 0.0
    for i, (who, text) in enumerate(lines):
        spk = "A" if who == "a" else "B"
        segs.append(Segment(i, t, t + 3.0, spk, text, "agent" if who == "a" else "customer"))
        t += 3.5
    return Transcript(
        "zh", t, tuple(segs), "mono", {"A": "agent", "B": "customer"}, None, {"asr": "fake"}, role_confidence
    )


@pytest.fixture
def world(app, db):
    settings = app.extensions["qa_settings"]
    team = factories.create_team(db)
    veteran = factories.create_agent(db, team=team, hire_date=date(2024, 1, 1))
    rookie = factories.create_agent(db, team=team, hire_date=date(2026, 10, 1))  # 52 days at the week's end
    reviewers = [factories.create_user(db, "qa_reviewer") for _ in range(2)]
    admin = factories.create_user(db, "admin")
    return settings, team, veteran, rookie, reviewers, admin


def scored(db, settings, agent, *, at=IN_WEEK, lines=None, role_confidence=None, **kw):
    tr = transcript(lines) if lines else None
    if role_confidence is not None:
        tr = dataclasses.replace(tr or fakes.make_transcript(), role_confidence=role_confidence)
    return factories.create_scored_call(db, settings, agent, started_at=at, transcript=tr, **kw)


def plan_input(**kw) -> sampling.PlanInput:
    base = {"name": "每周抽检", "period": "week", "random_per_agent": 2, "rules": Rules()}
    return sampling.PlanInput(**{**base, **kw})


def open_assignments(db, **where) -> list[ReviewAssignment]:
    stmt = select(ReviewAssignment).order_by(ReviewAssignment.id)
    for k, v in where.items():
        stmt = stmt.where(getattr(ReviewAssignment, k) == v)
    return list(db.scalars(stmt))


# --- plans ------------------------------------------------------------------------------------------------


def test_create_and_update_a_plan_with_audit(world, db):
    _, team, _, _, reviewers, admin = world
    plan = sampling.create_plan(
        db,
        plan_input(
            name="  新人 加密抽检 ",
            rules=Rules(low_score_below=60, new_hire_multiplier=2),
            team_ids=(team.id,),
            reviewer_ids=(reviewers[0].id, reviewers[0].id),
        ),
        actor=admin,
    )
    db.commit()
    assert plan.name == "新人 加密抽检" and plan.reviewer_ids == [reviewers[0].id]
    assert sampling.plan_rules(plan) == Rules(low_score_below=60, new_hire_multiplier=2)
    sampling.update_plan(db, plan, plan_input(name="新人 加密抽检", active=False), actor=admin)
    db.commit()
    assert not plan.active and plan.team_ids == [] and plan.rules == Rules().to_dict()
    actions = set(
        db.scalars(select(AuditEvent.action).where(AuditEvent.target == f"sampling_plan:{plan.id}"))
    )
    assert actions == {"sampling_plan_created", "sampling_plan_updated"}


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"name": " "}, "name"),
        ({"period": "year"}, "period"),
        ({"random_per_agent": 0}, "random_per_agent"),  # and no targeted rule: samples nothing
        ({"random_per_agent": 101}, "random_per_agent"),
        ({"due_days": 0}, "due_days"),
        ({"max_per_reviewer": 0}, "max_per_reviewer"),
        ({"team_ids": (999999,)}, "team_ids"),
    ],
)
def test_plan_validation(world, db, kw, field):
    with pytest.raises(Invalid) as exc:
        sampling.create_plan(db, plan_input(**kw), actor=world[5])
    assert exc.value.field == field


def test_refusals_are_messages_in_either_language(world, db):
    settings = world[0]
    plan = sampling.create_plan(db, plan_input(), actor=world[5])
    with pytest.raises(Invalid) as exc:
        sampling.period_window(plan, "2026-11", settings)
    assert exc.value.field == "period"
    assert exc.value.render("en") == "'2026-11' is not a week period (e.g. 2026-W49)"
    assert exc.value.render("zh") == "期间 “2026-11” 不符合计划周期（周），例如 2026-W49"
    with pytest.raises(RulesError) as refused:
        Rules(end_sentiment_below=2)
    err = sampling.rules_error(refused.value)
    assert err.field == "end_sentiment_below"
    assert (err.render("en"), err.render("zh")) == (
        "invalid value: must be between 0 and 1",
        "规则取值无效：应在 0 到 1 之间",
    )
    with pytest.raises(Invalid) as exc:
        sampling.create_plan(db, plan_input(name="另一个", due_days=61), actor=world[5])
    assert (exc.value.render("en"), exc.value.render("zh")) == ("due within 1–60 days", "完成期限为 1–60 天")


def test_reviewer_pool_must_be_active_staff_and_names_are_unique(world, db):
    _, _, veteran, _, reviewers, admin = world
    inactive = factories.create_user(db, "qa_reviewer", active=False)
    for bad in (veteran.user_id, inactive.id):
        with pytest.raises(Invalid) as exc:
            sampling.create_plan(db, plan_input(reviewer_ids=(reviewers[0].id, bad)), actor=admin)
        assert exc.value.field == "reviewer_ids"
    sampling.create_plan(db, plan_input(), actor=admin)
    with pytest.raises(Invalid) as exc:
        sampling.create_plan(db, plan_input(), actor=admin)
    assert exc.value.field == "name"
    only_targeted = sampling.create_plan(
        db, plan_input(name="致命项全检", random_per_agent=0, rules=Rules(critical_failed=True)), actor=admin
    )
    assert only_targeted.id


# --- features ---------------------------------------------------------------------------------------------


def test_candidates_carry_the_features_the_rules_need(world, db):
    settings, _, veteran, rookie, _, admin = world
    calm = scored(db, settings, veteran)
    angry = scored(db, settings, rookie, lines=ANGRY)
    angry.duration = 700.0
    db.commit()
    plan = sampling.create_plan(db, plan_input(), actor=admin)
    start, end = sampling.period_window(plan, WEEK, settings)
    got = {
        c.call_id: c
        for c in sampling.candidates(db, plan, start, end, new_hire_on=date(2026, 11, 22), new_hire_days=90)
    }
    assert set(got) == {calm.id, angry.id}
    a, b = got[angry.id], got[calm.id]
    assert (a.critical_failed, a.complaint_risk, a.sentiment_failed) == (True, True, True)
    assert a.end_sentiment is not None and a.end_sentiment < 0.4 and a.score == 0
    assert a.new_hire and not b.new_hire
    assert a.agent_user_id == rookie.user_id and a.duration == 700.0
    assert not a.transcript_unreliable and a.needs_review >= 2
    assert (b.critical_failed, b.complaint_risk, b.sentiment_failed) == (False, False, False)
    assert b.score == 100 and b.end_sentiment > 0.4 and not b.transcript_unreliable


def test_only_ready_unreviewed_unassigned_calls_of_the_period_and_teams(world, db):
    settings, team, veteran, _, reviewers, admin = world
    other_team_agent = factories.create_agent(db)
    inside = scored(db, settings, veteran)
    scored(db, settings, veteran, at=AFTER_WEEK)  # next week
    scored(db, settings, other_team_agent)  # another team
    not_ready = factories.create_call(db, settings, veteran, started_at=IN_WEEK)
    reviewed = scored(db, settings, veteran)
    ev = ev_svc.start_review(db, reviewed, reviewers[0])
    ev_svc.submit(db, ev, actor=reviewers[0], expected_version=ev.version)
    db.commit()
    plan = sampling.create_plan(db, plan_input(team_ids=(team.id,)), actor=admin)
    start, end = sampling.period_window(plan, WEEK, settings)
    ids = [
        c.call_id
        for c in sampling.candidates(db, plan, start, end, new_hire_on=date.today(), new_hire_days=90)
    ]
    assert ids == [inside.id]
    assert not_ready.id not in ids


# --- runs -------------------------------------------------------------------------------------------------


def test_a_run_assigns_balanced_notifies_once_and_a_rerun_adds_nothing(world, db):
    settings, _, veteran, rookie, reviewers, admin = world
    for _ in range(5):
        scored(db, settings, veteran)
        scored(db, settings, rookie)
    plan = sampling.create_plan(
        db, plan_input(random_per_agent=2, rules=Rules(new_hire_multiplier=1.5), due_days=2), actor=admin
    )
    db.commit()
    now = AFTER_WEEK
    run = sampling.run_now(db, plan, period=WEEK, settings=settings, actor=admin, now=now)
    db.commit()
    rows = open_assignments(db, plan_id=plan.id)
    per_agent = {veteran.id: 0, rookie.id: 0}
    for a in rows:
        per_agent[a.call.agent_id] += 1
        assert a.due_at == now + timedelta(days=2) and a.period == WEEK and a.run_id == run.id
    assert per_agent == {veteran.id: 2, rookie.id: 3}  # ceil(2 x 1.5) for the new hire
    assert sorted(len([a for a in rows if a.reviewer_id == r.id]) for r in reviewers) == [2, 3]
    assert all(a.reasons == ["new_hire", "random"] for a in rows if a.call.agent_id == rookie.id)
    assert run.state == RunState.DONE and run.trigger == RunTrigger.MANUAL
    assert run.counts["assigned"] == 5 and run.counts["candidates"] == 10 and run.counts["reviewers"] == 2
    assert run.counts["reasons"] == {"random": 5, "new_hire": 3}
    notes = list(db.scalars(select(Notification).where(Notification.kind == "review_assigned")))
    assert sorted(n.user_id for n in notes) == sorted(r.id for r in reviewers)
    assert {n.url for n in notes} == {"/queue/"} and sum(n.params["count"] for n in notes) == 5

    again = sampling.run_now(db, plan, period=WEEK, settings=settings, now=now + timedelta(hours=1))
    db.commit()
    assert again.counts["assigned"] == 0 and len(open_assignments(db, plan_id=plan.id)) == 5
    assert db.scalar(select(func.count()).select_from(Notification)) == 2, "nothing new, nobody notified"

    # a call that came in late is topped up only if the agent's random quota is not full yet
    plan.random_per_agent = 3
    late = scored(db, settings, veteran)
    db.commit()
    top_up = sampling.run_now(db, plan, period=WEEK, settings=settings, now=now + timedelta(hours=2))
    assert top_up.counts["candidates"] == 5 + 1  # the calls not drawn yet, and the late one
    assert top_up.counts["assigned"] == 1 + 2  # the veteran's third, the rookie's fourth and fifth
    per_agent = {veteran.id: 0, rookie.id: 0}
    for a in open_assignments(db, plan_id=plan.id):
        per_agent[a.call.agent_id] += 1
    assert per_agent == {veteran.id: 3, rookie.id: 5}
    assert late.agent_id == veteran.id


def test_a_call_in_one_queue_is_never_sampled_again_by_another_plan(world, db):
    settings, _, veteran, _, _, admin = world
    call = scored(db, settings, veteran, lines=ANGRY)
    first = sampling.create_plan(
        db, plan_input(name="A", random_per_agent=0, rules=Rules(critical_failed=True)), actor=admin
    )
    second = sampling.create_plan(
        db, plan_input(name="B", random_per_agent=0, rules=Rules(complaint_risk=True)), actor=admin
    )
    sampling.run_now(db, first, period=WEEK, settings=settings, now=AFTER_WEEK)
    r2 = sampling.run_now(db, second, period=WEEK, settings=settings, now=AFTER_WEEK)
    db.commit()
    assert r2.counts["candidates"] == 0
    [a] = open_assignments(db, call_id=call.id)
    assert a.plan_id == first.id and a.reasons == ["critical_failed"]


def test_targeted_rules_pick_the_matching_calls_with_their_reasons(world, db):
    settings, _, veteran, _, _, admin = world
    calm = scored(db, settings, veteran)
    angry = scored(db, settings, veteran, lines=ANGRY)
    # the reliability verdict is taken when a call is scored (and stored on the call)
    unsure = scored(db, settings, veteran, role_confidence=0.2)
    long_call = scored(db, settings, veteran)
    long_call.duration = 1200.0
    processing.score_call(db, long_call, fakes.lexicon_scorer())
    db.commit()
    rules = Rules(
        critical_failed=True,
        complaint_risk=True,
        negative_sentiment=True,
        low_score_below=60,
        unreliable_transcript=True,
        long_call_seconds=900,
    )
    plan = sampling.create_plan(db, plan_input(random_per_agent=0, rules=rules), actor=admin)
    sampling.run_now(db, plan, period=WEEK, settings=settings, now=AFTER_WEEK)
    got = {a.call_id: a.reasons for a in open_assignments(db, plan_id=plan.id)}
    assert got == {
        angry.id: ["critical_failed", "complaint_risk", "low_score", "negative_sentiment"],
        unsure.id: ["unreliable_transcript"],
        long_call.id: ["unreliable_transcript", "long_call"],  # 20 s of speech in 20 minutes of audio
    }
    assert calm.id not in got
    needs = sampling.create_plan(
        db, plan_input(name="待复核", random_per_agent=0, rules=Rules(needs_review=True)), actor=admin
    )
    sampling.run_now(db, needs, period=WEEK, settings=settings, now=AFTER_WEEK)
    assert [a.call_id for a in open_assignments(db, plan_id=needs.id)] == [calm.id]


def test_never_assigned_to_the_calls_own_agent(world, db):
    """A team lead who also takes calls is in the pool: their own calls go to someone else."""
    settings, team, _, _, reviewers, admin = world
    lead = factories.create_user(db, "trainer")
    lead_agent = factories.create_agent(db, team=team, user=lead)
    calls = [scored(db, settings, lead_agent) for _ in range(4)]
    plan = sampling.create_plan(
        db, plan_input(random_per_agent=4, reviewer_ids=(lead.id, reviewers[0].id)), actor=admin
    )
    sampling.run_now(db, plan, period=WEEK, settings=settings, now=AFTER_WEEK)
    rows = open_assignments(db, plan_id=plan.id)
    assert {a.call_id for a in rows} == {c.id for c in calls}
    assert {a.reviewer_id for a in rows} == {reviewers[0].id}


def test_cap_per_reviewer_and_no_reviewers_leave_calls_for_later(world, db):
    settings, _, veteran, _, reviewers, admin = world
    for _ in range(6):
        scored(db, settings, veteran)
    plan = sampling.create_plan(db, plan_input(random_per_agent=6, max_per_reviewer=2), actor=admin)
    run = sampling.run_now(db, plan, period=WEEK, settings=settings, now=AFTER_WEEK)
    assert run.counts["assigned"] == 4 and run.counts["unassigned"] == 2
    for r in reviewers:
        r.active = False
    db.flush()
    plan.max_per_reviewer = None
    empty = sampling.run_now(db, plan, period=WEEK, settings=settings, now=AFTER_WEEK)
    assert (
        empty.counts["reviewers"] == 0 and empty.counts["assigned"] == 0 and empty.counts["unassigned"] == 2
    )


def test_a_period_that_does_not_fit_the_plan_is_refused(world, db):
    settings, *_, admin = world
    plan = sampling.create_plan(db, plan_input(), actor=admin)
    for bad in ("2026-11", "2026-11-17", "W47", ""):
        with pytest.raises(Invalid) as exc:
            sampling.run_now(db, plan, period=bad, settings=settings)
        assert exc.value.field == "period"


def test_run_now_button_queues_one_job_and_the_worker_runs_it(world, db, app):
    settings, _, veteran, _, reviewers, admin = world
    scored(db, settings, veteran)
    plan = sampling.create_plan(db, plan_input(random_per_agent=1), actor=admin)
    run, created = sampling.request_run(db, plan, period=WEEK, actor=admin, settings=settings)
    again, created_again = sampling.request_run(db, plan, period=WEEK, actor=admin, settings=settings)
    db.commit()
    assert created and not created_again and again.id == run.id
    job = db.get(Job, run.job_id)
    assert (job.kind, job.subject_type, job.subject_id) == ("sampling_run", "sampling_plan", plan.id)
    factory = app.extensions["qa_sessionmaker"]
    assert (
        worker.run(
            factory, settings, backends=Backends(settings, _speech=object(), _scorer=object()), once=True
        )
        == 1
    )
    with factory() as s:
        done = s.get(SamplingRun, run.id)
        assert done.state == RunState.DONE and done.started_at and done.finished_at
        assert done.counts["assigned"] == 1
        assert s.get(Job, run.job_id).state == JobState.DONE
    assert db.scalar(select(AuditEvent.action).where(AuditEvent.action == "sampling_run_requested"))


def test_a_run_that_cannot_succeed_is_dead_lettered_and_shown_on_the_run(world, db, app):
    settings, *_, admin = world
    plan = sampling.create_plan(db, plan_input(), actor=admin)
    run, _ = sampling.request_run(db, plan, period=WEEK, actor=admin, settings=settings)
    run.period = "not-a-week"  # say, edited by hand in the database
    db.commit()
    factory = app.extensions["qa_sessionmaker"]
    worker.run(factory, settings, backends=Backends(settings, _speech=object(), _scorer=object()), once=True)
    with factory() as s:
        r = s.get(SamplingRun, run.id)
        assert r.state == RunState.FAILED and "not-a-week" in r.error and r.finished_at
        job = s.get(Job, run.job_id)
        assert job.state == JobState.DEAD and job.attempts == 1, "a retry cannot fix it"


# --- the duty ---------------------------------------------------------------------------------------------


def test_the_duty_fires_once_per_day_and_each_plan_runs_once_per_period(world, db, app):
    settings, _, veteran, _, _, admin = world
    factory = app.extensions["qa_sessionmaker"]
    weekly = sampling.create_plan(db, plan_input(random_per_agent=1), actor=admin)
    daily = sampling.create_plan(db, plan_input(name="日抽检", period="day", random_per_agent=1), actor=admin)
    sampling.create_plan(db, plan_input(name="停用", active=False), actor=admin)
    db.commit()
    week = sampling.last_complete_period(weekly, settings)
    start, _ = sampling.period_window(weekly, week, settings)
    call = scored(db, settings, veteran, at=start + timedelta(hours=12))

    kinds, scheduled = registry.kinds(), registry.duties()
    assert kinds["sampling_run"].subject == "sampling_plan" and kinds["sampling_due"].subject is None
    assert (scheduled[SAMPLING_DUTY].kind, scheduled[SAMPLING_DUTY].every) == ("sampling_due", "day")
    tick = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 local: the daily duty is due
    fired = duties.fire_due(factory, settings, now=tick)
    assert (SAMPLING_DUTY, "2026-11-24") in [(d, p) for d, p, _ in fired]
    assert not [f for f in duties.fire_due(factory, settings, now=tick) if f[0] == SAMPLING_DUTY]
    backends = Backends(settings, _speech=object(), _scorer=object())
    worker.run(factory, settings, backends=backends, once=True)  # the duty's job, then one job per plan
    with factory() as s:
        runs = list(s.scalars(select(SamplingRun).order_by(SamplingRun.plan_id)))
        assert [(r.plan_id, r.period, r.trigger, r.state) for r in runs] == [
            (weekly.id, week, "duty", "done"),
            (daily.id, sampling.last_complete_period(daily, settings), "duty", "done"),
        ]
        assert [a.call_id for a in s.scalars(select(ReviewAssignment))] == [call.id]
        kinds = [j.kind for j in s.scalars(select(Job).where(Job.kind.like("sampling%")).order_by(Job.id))]
        assert kinds == ["sampling_due", "sampling_run", "sampling_run"]
    # the duty's job running again in the same period (another worker, a retry) schedules nothing new
    with factory() as s:
        assert sampling.schedule_due(s, settings) == []


def test_schedule_due_makes_the_scheduled_run_once_even_in_a_race(world, db):
    settings, *_, admin = world
    plan = sampling.create_plan(db, plan_input(), actor=admin)
    db.commit()
    now = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # Tuesday: last week is 2026-W47
    [run] = sampling.schedule_due(db, settings, now=now)
    assert (run.period, run.trigger, run.state) == (WEEK, "duty", "queued") and run.job_id
    assert sampling.schedule_due(db, settings, now=now + timedelta(days=1)) == []
    # a second scheduler that saw no run yet: the unique index turns its insert away
    db.add(SamplingRun(plan_id=plan.id, period=WEEK, trigger=RunTrigger.MANUAL, seed=1))
    db.flush()
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(SamplingRun(plan_id=plan.id, period=WEEK, trigger=RunTrigger.DUTY, seed=2))
        db.flush()
    assert [r.period for r in sampling.schedule_due(db, settings, now=now + timedelta(days=7))] == [
        "2026-W48"
    ]


# --- completion, skipping, queues, health -----------------------------------------------------------------


def test_submitting_the_review_completes_the_assignment(world, db):
    settings, _, veteran, _, reviewers, admin = world
    call = scored(db, settings, veteran)
    plan = sampling.create_plan(
        db, plan_input(random_per_agent=1, reviewer_ids=(reviewers[0].id,)), actor=admin
    )
    sampling.run_now(db, plan, period=WEEK, settings=settings, now=AFTER_WEEK)
    db.commit()
    [a] = open_assignments(db)
    assert assignments.queue_for(db, reviewers[0]) == [a] and assignments.queue_for(db, reviewers[1]) == []
    # a calibration score of the same call does not count
    ev = ev_svc.start_review(db, call, reviewers[0])
    cal = ev_svc.start_review(db, call, reviewers[0], purpose=Purpose.CALIBRATION, calibration_session_id=1)
    answers = {cid: ItemInput(it["result"], it.get("points")) for cid, it in ev.items.items()}
    ev_svc.save(db, cal, actor=reviewers[0], expected_version=cal.version, answers=answers)
    ev_svc.submit(db, cal, actor=reviewers[0], expected_version=cal.version)
    assert cal.state == "submitted" and a.state == AssignmentState.OPEN
    ev_svc.submit(db, ev, actor=reviewers[0], expected_version=ev.version)
    db.commit()
    assert (a.state, a.evaluation_id, a.completed_by_id) == (AssignmentState.DONE, ev.id, reviewers[0].id)
    assert a.completed_at is not None
    assert assignments.queue_for(db, reviewers[0]) == []
    assert assignments.recently_closed(db, reviewers[0]) == [a]


def test_skip_needs_a_reason_and_only_the_assignee_or_a_lead(world, db):
    settings, _, veteran, _, reviewers, admin = world
    scored(db, settings, veteran)
    scored(db, settings, veteran)
    plan = sampling.create_plan(
        db, plan_input(random_per_agent=2, reviewer_ids=(reviewers[0].id,)), actor=admin
    )
    sampling.run_now(db, plan, period=WEEK, settings=settings, now=AFTER_WEEK)
    first, second = open_assignments(db)
    with pytest.raises(NotFound):
        assignments.get_for(db, first.id, reviewers[1])
    with pytest.raises(NotFound):
        assignments.skip(db, first, actor=reviewers[1], reason="x")
    with pytest.raises(Invalid):
        assignments.skip(db, first, actor=reviewers[0], reason="  ")
    assignments.skip(db, first, actor=reviewers[0], reason="录音无声")
    assert (first.state, first.skip_reason) == (AssignmentState.SKIPPED, "录音无声")
    with pytest.raises(Conflict):
        assignments.skip(db, first, actor=reviewers[0], reason="again")
    assert assignments.get_for(db, second.id, admin) is second
    assignments.skip(db, second, actor=admin, reason="转人工复核")
    assert second.completed_by_id == admin.id


def test_queue_health_backlog_overdue_throughput_and_plan_completion(world, db):
    settings, _, veteran, _, reviewers, admin = world
    calls = [scored(db, settings, veteran) for _ in range(4)]
    plan = sampling.create_plan(db, plan_input(random_per_agent=4, due_days=1), actor=admin)
    now = utcnow()
    sampling.run_now(db, plan, period=WEEK, settings=settings, now=now - timedelta(days=3))
    rows = open_assignments(db)
    r0 = [a for a in rows if a.reviewer_id == reviewers[0].id]
    ev = ev_svc.start_review(db, r0[0].call, reviewers[0])
    ev_svc.submit(db, ev, actor=reviewers[0], expected_version=ev.version)
    db.commit()
    h = assignments.health(db, now=now)
    byid = {x.user.id: x for x in h.reviewers}
    assert byid[reviewers[0].id].open == 1 and byid[reviewers[0].id].overdue == 1
    assert byid[reviewers[0].id].done == {7: 1, 30: 1} and byid[reviewers[0].id].on_time == {7: 0, 30: 0}
    assert byid[reviewers[0].id].reviews == {7: 1, 30: 1}
    assert byid[reviewers[1].id].open == 2 and byid[reviewers[1].id].done == {}
    assert (h.open, h.overdue) == (3, 3)
    [ph] = [p for p in h.plans if p.plan and p.plan.id == plan.id]
    assert (ph.assigned, ph.open, ph.overdue, ph.done) == (4, 3, 3, 1)
    assert ph.completion_rate == 0.25 and ph.on_time_rate == 0.0
    assert assignments.open_counts(db, reviewers[1].id, now) == (2, 2)
    assert len(calls) == 4
