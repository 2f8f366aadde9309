"""Review support in the evaluations service: per-criterion answer errors without touching the row, the
reviewer's own review, manual criteria (no machine verdict: nothing to override, not pre-filled) and
machine answers on points / 1–5 scales; the queue position of a job."""

from __future__ import annotations

from sqlalchemy import select

from qa_app.db.models import Evaluation, RaterType
from qa_app.services import evaluations as ev_svc
from qa_app.services import jobs, queueing
from qa_app.services.evaluations import ItemInput
from rubrics.messages import render

import factories
from review_helpers import publish_scales_rubric


def test_save_errors_reports_each_criterion_and_leaves_the_evaluation_alone(app, db, settings):
    call = factories.create_scored_call(db, settings, factories.create_agent(db))
    reviewer = factories.create_user(db, "qa_reviewer")
    ev = ev_svc.start_review(db, call, reviewer)
    db.commit()
    version, items = ev.version, {k: dict(v) for k, v in ev.items.items()}
    errors = ev_svc.save_errors(
        ev, {"greeting": ItemInput("fail"), "closing": ItemInput("maybe"), "nope": ItemInput("pass")}
    )
    assert set(errors) == {"greeting", "closing", "nope"} and "reason" in render(errors["greeting"], "en")
    assert ev_svc.save_errors(ev, {"greeting": ItemInput("fail", reason="没有报工号")}) == {}
    db.commit()
    assert ev.version == version and ev.items == items and not db.dirty


def test_own_review_never_creates_one(app, db, settings):
    call = factories.create_scored_call(db, settings, factories.create_agent(db))
    reviewer = factories.create_user(db, "trainer")
    assert ev_svc.own_review(db, call, reviewer) is None
    ev = ev_svc.start_review(db, call, reviewer)
    assert ev_svc.own_review(db, call, reviewer).id == ev.id
    assert ev_svc.own_review(db, call, factories.create_user(db, "qa_reviewer")) is None


def test_manual_and_scaled_criteria(app, db, settings):
    admin = factories.create_user(db, "admin")
    publish_scales_rubric(db, admin)
    call = factories.create_scored_call(db, settings, factories.create_agent(db))
    machine = db.scalar(
        select(Evaluation).where(Evaluation.call_id == call.id, Evaluation.rater_type == RaterType.MACHINE)
    )
    # a points scale gets the machine's answer on the scale (pass = the top), a manual one none at all
    assert machine.items["courtesy"]["machine_points"] == 5.0 and machine.items["courtesy"]["points"] == 5.0
    assert machine.items["tone"]["machine_result"] is None
    reviewer = factories.create_user(db, "qa_reviewer")
    ev = ev_svc.start_review(db, call, reviewer)
    assert "result" not in ev.items["tone"] and ev.items["courtesy"]["result"] == "pass"
    assert ev_svc.missing_answers(ev) == ["tone"]
    # confirming the machine and answering the manual criterion need no reason
    answers = {
        "greeting": ItemInput(ev.items["greeting"]["result"]),
        "courtesy": ItemInput("pass", 5.0),
        "tone": ItemInput("pass", 4.0),
    }
    assert ev_svc.save_errors(ev, answers) == {}
    ev_svc.save(db, ev, actor=reviewer, expected_version=ev.version, answers=answers)
    assert not ev.items["tone"]["overridden"] and not ev.items["courtesy"]["overridden"]
    assert "reason" in render(ev_svc.save_errors(ev, {"courtesy": ItemInput("pass", 2.0)})["courtesy"], "en")


def test_queue_position(app, db, settings):
    agent = factories.create_agent(db)
    calls = [factories.create_call(db, settings, agent) for _ in range(3)]
    queued = [queueing.enqueue_call(db, c, settings=settings) for c in calls]
    db.commit()
    assert [jobs.queue_position(db, j) for j in queued] == [1, 2, 3]
    claimed = jobs.claim(db, "w1", 60)
    db.commit()
    assert claimed.id == queued[0].id and jobs.queue_position(db, claimed) is None
    assert [jobs.queue_position(db, j) for j in queued[1:]] == [1, 2]
    jobs.defer(db, claimed, 60)  # back in the queue, but not runnable for a minute
    db.commit()
    assert jobs.queue_position(db, claimed) is None
    assert [jobs.queue_position(db, j) for j in queued[1:]] == [1, 2]
