"""Evaluations: machine record and release rule, review drafts pre-filled from the machine, overrides
need a reason, optimistic locking, submit/release, acknowledge, dispute window, rulings with history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from qa_app.db.base import utcnow
from qa_app.db.models import (
    Dispute,
    DisputeState,
    EvalState,
    Evaluation,
    EvaluationEvent,
    Notification,
    Purpose,
    RaterType,
    ReleaseRule,
)
from qa_app.services import evaluations as ev_svc
from qa_app.services.errors import Conflict, Forbidden, Invalid, NotFound
from qa_app.services.evaluations import ItemInput
from rubrics import Rubric
from scoring.model import Answer
from scoring.totals import compute

import factories


@pytest.fixture
def world(app, db):
    settings = app.extensions["qa_settings"]
    agent = factories.create_agent(db)
    call = factories.create_scored_call(db, settings, agent)
    reviewer = factories.create_user(db, "qa_reviewer")
    lead = factories.create_user(db, "trainer")
    return settings, agent, call, reviewer, lead


def _machine(db, call) -> Evaluation:
    return db.scalar(
        select(Evaluation).where(Evaluation.call_id == call.id, Evaluation.rater_type == RaterType.MACHINE)
    )


def _all_answers(ev: Evaluation) -> dict[str, ItemInput]:
    return {cid: ItemInput(it["result"], it.get("points"), reason="") for cid, it in ev.items.items()}


def test_scoring_records_the_machine_evaluation_with_the_same_total(world, db):
    _, _, call, _, _ = world
    m = _machine(db, call)
    assert m is not None and m.total == call.auto_score
    assert m.items["greeting"]["result"] == "pass" and m.items["greeting"]["evidence"]
    assert m.state in (EvalState.SUBMITTED, EvalState.RELEASED)


def test_release_rule_never_keeps_machine_evaluations_from_agents(world, db, app):
    settings, agent, _, _, _ = world
    admin = factories.create_user(db, "admin")
    ev_svc.set_release_rule(db, "telecom_default", ReleaseRule.NEVER, actor=admin)
    db.commit()
    call = factories.create_scored_call(db, settings, agent)
    assert _machine(db, call).state == EvalState.SUBMITTED
    agent_user = db.get(type(admin), agent.user_id)
    assert ev_svc.for_call(db, call, agent_user) == []


def test_review_draft_is_prefilled_and_an_override_needs_a_reason(world, db):
    _, _, call, reviewer, _ = world
    ev = ev_svc.start_review(db, call, reviewer)
    assert ev.state == EvalState.DRAFT and ev.items["greeting"]["result"] == "pass"
    assert ev.items["greeting"]["evidence"], "evidence carried over from the machine"
    assert ev.total == _machine(db, call).total
    answers = _all_answers(ev)
    answers["greeting"] = ItemInput("fail")
    with pytest.raises(Invalid, match="need changes") as exc_info:
        ev_svc.save(db, ev, actor=reviewer, expected_version=ev.version, answers=answers)
    assert {c: m.code for c, m in exc_info.value.errors.items()} == {
        "greeting": "evaluations.override_reason_required"
    }
    assert "reason" in exc_info.value.errors["greeting"].render("en")
    answers["greeting"] = ItemInput("fail", reason="问候语不完整")
    ev_svc.save(db, ev, actor=reviewer, expected_version=ev.version, answers=answers)
    assert ev.items["greeting"]["overridden"] and ev.items["greeting"]["reason"] == "问候语不完整"
    # the total is the shared compute_totals over the answers
    rubric: Rubric = ev_svc._rubric(ev)
    expected = compute(rubric, {c: Answer(i["result"], i.get("points")) for c, i in ev.items.items()})
    assert ev.total == round(expected.total, 2)
    assert ev.total < _machine(db, call).total
    # reopening returns the same draft
    assert ev_svc.start_review(db, call, reviewer).id == ev.id


def test_two_reviewers_never_silently_overwrite_each_other(world, db, app):
    _, _, call, reviewer, _ = world
    ev = ev_svc.start_review(db, call, reviewer)
    db.commit()
    opened_at = ev.version
    answers = _all_answers(ev)
    ev_svc.save(db, ev, actor=reviewer, expected_version=opened_at, answers=answers)
    db.commit()
    with pytest.raises(Conflict):  # a second tab still holding the old version
        ev_svc.save(db, ev, actor=reviewer, expected_version=opened_at, answers=answers)
    other = factories.create_user(db, "qa_reviewer")
    with pytest.raises(Forbidden):
        ev_svc.save(db, ev, actor=other, expected_version=ev.version, answers=answers)


def test_concurrent_sessions_conflict_at_flush(world, app, db):
    _, _, call, reviewer, _ = world
    ev = ev_svc.start_review(db, call, reviewer)
    db.commit()
    factory = app.extensions["qa_sessionmaker"]
    s1, s2 = factory(), factory()
    try:
        e1, e2 = s1.get(Evaluation, ev.id), s2.get(Evaluation, ev.id)
        r1, r2 = s1.get(type(reviewer), reviewer.id), s2.get(type(reviewer), reviewer.id)
        ev_svc.save(s1, e1, actor=r1, expected_version=None, answers=_all_answers(e1), summary="one")
        s1.commit()
        with pytest.raises(Conflict):
            ev_svc.save(s2, e2, actor=r2, expected_version=None, answers=_all_answers(e2), summary="two")
    finally:
        s1.close()
        s2.rollback()
        s2.close()


def test_submit_releases_notifies_agent_and_agent_acknowledges(world, db):
    _, agent, call, reviewer, _ = world
    ev = ev_svc.start_review(db, call, reviewer)
    ev_svc.submit(db, ev, actor=reviewer, expected_version=ev.version)
    db.commit()
    assert ev.state == EvalState.RELEASED and _machine(db, call).superseded
    agent_user = db.get(type(reviewer), agent.user_id)
    assert [e.id for e in ev_svc.for_call(db, call, agent_user)] == [ev.id]
    assert ev_svc.current_for_call(db, call.id).id == ev.id
    note = db.scalar(select(Notification).where(Notification.user_id == agent_user.id))
    assert note.kind == "evaluation_released"
    ev_svc.acknowledge(db, ev, agent=agent_user)
    assert ev.state == EvalState.ACKNOWLEDGED
    with pytest.raises(Conflict):
        ev_svc.dispute(db, ev, agent=agent_user, criteria={"greeting": "x"}, window_days=7)
    actions = [e.action for e in ev_svc.history(db, ev)]
    assert actions == ["created", "submitted", "released", "acknowledged"]


def test_another_agent_cannot_touch_the_evaluation(world, db):
    _, _, call, reviewer, _ = world
    ev = ev_svc.start_review(db, call, reviewer)
    ev_svc.submit(db, ev, actor=reviewer, expected_version=ev.version)
    stranger = factories.create_agent(db)
    stranger_user = db.get(type(reviewer), stranger.user_id)
    assert ev_svc.for_call(db, call, stranger_user) == []
    with pytest.raises(NotFound):
        ev_svc.acknowledge(db, ev, agent=stranger_user)
    with pytest.raises(Forbidden):
        ev_svc.start_review(db, call, stranger_user)


def test_draft_and_calibration_scores_are_never_visible_to_the_agent(world, db):
    _, agent, call, reviewer, _ = world
    ev_svc.start_review(db, call, reviewer)
    cal = ev_svc.start_review(db, call, reviewer, purpose=Purpose.CALIBRATION, calibration_session_id=1)
    assert cal.items.get("greeting", {}).get("result") is None, "calibration starts blind"
    agent_user = db.get(type(reviewer), agent.user_id)
    visible = ev_svc.for_call(db, call, agent_user)
    assert all(e.rater_type == RaterType.MACHINE for e in visible)


def test_dispute_window_and_partly_accepted_ruling_keep_history(world, db):
    _, agent, call, reviewer, lead = world
    ev = ev_svc.start_review(db, call, reviewer)
    answers = _all_answers(ev)
    answers["greeting"] = ItemInput("fail", reason="未报工号")
    answers["closing"] = ItemInput("fail", reason="未致谢")
    ev_svc.save(db, ev, actor=reviewer, expected_version=ev.version, answers=answers)
    ev_svc.submit(db, ev, actor=reviewer, expected_version=ev.version)
    agent_user = db.get(type(reviewer), agent.user_id)
    with pytest.raises(Invalid):
        ev_svc.dispute(db, ev, agent=agent_user, criteria={"greeting": ""}, window_days=7)
    ev.released_at = utcnow() - timedelta(days=8)
    with pytest.raises(Invalid, match="window"):
        ev_svc.dispute(db, ev, agent=agent_user, criteria={"greeting": "我报了工号"}, window_days=7)
    ev.released_at = utcnow()
    d = ev_svc.dispute(
        db, ev, agent=agent_user, criteria={"greeting": "我报了工号", "closing": "我说了谢谢"}, window_days=7
    )
    assert ev.state == EvalState.DISPUTED
    with pytest.raises(Forbidden):
        ev_svc.rule(db, d, lead=reviewer, decisions={}, reason="x")  # not on one's own review
    before = ev.total
    ev_svc.rule(db, d, lead=lead, decisions={"greeting": ItemInput("pass"), "closing": None}, reason="录音可证")
    db.commit()
    assert d.state == DisputeState.PARTLY_ACCEPTED
    new = db.get(Evaluation, d.result_evaluation_id)
    assert new.state == EvalState.FINAL and new.supersedes_id == ev.id and ev.superseded
    assert new.items["greeting"]["result"] == "pass" and new.items["closing"]["result"] == "fail"
    assert new.total > before and ev.total == before, "the disputed evaluation is kept as it was"
    assert ev_svc.current_for_call(db, call.id).id == new.id
    with pytest.raises(Conflict):
        ev_svc.rule(db, d, lead=lead, decisions={}, reason="again")
    kinds = set(db.scalars(select(Notification.kind)))
    assert {"dispute_raised", "dispute_ruled"} <= kinds
    assert db.scalar(select(EvaluationEvent).where(EvaluationEvent.action == "ruled")) is not None


def test_rejected_dispute_is_final_without_a_new_evaluation(world, db):
    _, agent, call, reviewer, lead = world
    ev = ev_svc.start_review(db, call, reviewer)
    ev_svc.submit(db, ev, actor=reviewer, expected_version=ev.version)
    agent_user = db.get(type(reviewer), agent.user_id)
    d = ev_svc.dispute(db, ev, agent=agent_user, criteria={"greeting": "不同意"}, window_days=7)
    with pytest.raises(Invalid):
        ev_svc.rule(db, d, lead=lead, decisions={"greeting": None}, reason=" ")
    ev_svc.rule(db, d, lead=lead, decisions={"greeting": None}, reason="证据充分")
    assert d.state == DisputeState.REJECTED and d.result_evaluation_id is None
    assert ev.state == EvalState.FINAL and not ev.superseded
    assert db.scalar(select(Dispute).where(Dispute.id == d.id)).ruling == {"greeting": {"accepted": False}}


def test_rescoring_supersedes_the_machine_evaluation_and_keeps_the_old(world, db, app):
    from qa_app.services import processing

    from fakes import lexicon_scorer

    _, _, call, _, _ = world
    first = _machine(db, call)
    processing.score_call(db, call, lexicon_scorer())
    db.commit()
    rows = db.scalars(
        select(Evaluation)
        .where(Evaluation.call_id == call.id, Evaluation.rater_type == RaterType.MACHINE)
        .order_by(Evaluation.id)
    ).all()
    assert len(rows) == 2 and [r.superseded for r in rows] == [True, False]
    assert rows[1].supersedes_id == first.id
