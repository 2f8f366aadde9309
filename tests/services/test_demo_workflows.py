"""The demo's workflows: once its calls are scored, reviewers have queues and reviews, an agent has
acknowledged, another has disputed (open for the lead) — through the real use cases."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from qa_app.db.base import utcnow
from qa_app.db.models import Dispute, DisputeState, EvalState, Evaluation, Job, JobState, ReviewAssignment
from qa_app.db.session import transaction
from qa_app.jobs import worker
from qa_app.jobs.backends import Backends
from qa_app.services import demo_workflows, jobs

import factories


def _world(db, settings):
    for name, role in (
        ("admin", "admin"),
        ("qa_li", "qa_reviewer"),
        ("qa_zhao", "qa_reviewer"),
        ("coach_wang", "trainer"),
    ):
        factories.create_user(db, role, username=name)
    lead = factories.create_user(db, "trainer", username="lead_chen")
    team = factories.create_team(db, lead=lead)
    calls = []
    for i in range(4):  # this week or last: the two periods the demo's weekly plan runs for
        agent = factories.create_agent(db, team=team)
        calls += [
            factories.create_scored_call(db, settings, agent, started_at=utcnow() - timedelta(hours=1 + 2 * i + k))
            for k in range(2)
        ]
    return calls


def test_play_sets_every_role_to_work(app, db):
    settings = app.extensions["qa_settings"]
    _world(db, settings)
    story = demo_workflows.play(db, settings)
    db.commit()
    assert story.assigned >= 4 and len(story.reviewed) == 3 and story.draft_id is not None
    reviewed = [db.get(Evaluation, i) for i in story.reviewed]
    assert [e.state for e in reviewed][:2] == [EvalState.ACKNOWLEDGED, EvalState.DISPUTED]
    assert reviewed[2].state == EvalState.RELEASED
    overridden = [it for it in reviewed[0].items.values() if it.get("overridden")]
    assert all(it["reason"] == demo_workflows.OVERRIDE_REASON for it in overridden)
    d = db.get(Dispute, story.dispute_id)
    assert d.state == DisputeState.OPEN
    assert db.get(Evaluation, story.draft_id).state == EvalState.DRAFT
    open_left = db.scalar(select(func.count()).select_from(ReviewAssignment).where(ReviewAssignment.state == "open"))
    assert open_left >= 1, "reviewers still have work in their queues"
    assert len(story.calibrations) == 3, "calibration sessions for the leads and reviewers"
    assert demo_workflows.play(db, settings).plan_id is None, "a second run changes nothing"


def test_the_job_waits_for_demo_calls_then_plays(app, db):
    settings = app.extensions["qa_settings"]
    factory = app.extensions["qa_sessionmaker"]
    calls = _world(db, settings)
    calls[0].source, calls[0].status = "demo", "processing"
    db.commit()
    with transaction(factory) as s:
        job_id = jobs.enqueue(s, demo_workflows.JOB_KIND, max_attempts=3, dedupe_key=demo_workflows.JOB_KIND).id
    backends = Backends(settings, _speech=object(), _scorer=object())
    worker.run(factory, settings, backends=backends, once=True)
    with factory() as s:
        job = s.get(Job, job_id)
        assert job.state == JobState.QUEUED and job.attempts == 0 and "waiting for 1 demo call" in job.last_error
    with transaction(factory) as s:
        s.get(type(calls[0]), calls[0].id).status = "ready"
        s.get(Job, job_id).run_after = job.created_at
    worker.run(factory, settings, backends=backends, once=True)
    with factory() as s:
        job = s.get(Job, job_id)
        assert job.state == JobState.DONE and len(job.payload["reviewed"]) == 3
