"""services.feedback: what counts for an agent, the dispute deadline, the weekly trend, the leads' dispute
list, and rulings checked against the criterion's scale (points in range)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

import rubrics
from qa_app.db.models import DisputeState, EvalState, User
from qa_app.services import evaluations as ev_svc
from qa_app.services import feedback
from qa_app.services import rubrics as rubric_service
from qa_app.services.errors import Invalid, NotFound
from qa_app.services.evaluations import ItemInput

import factories

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def world(app, db):
    settings = app.extensions["qa_settings"]
    admin = factories.create_user(db, "admin")
    ev_svc.set_release_rule(db, "telecom_service", "never", actor=admin)
    db.commit()
    agent = factories.create_agent(db)
    reviewer = factories.create_user(db, "qa_reviewer")
    lead = factories.create_user(db, "trainer")
    return settings, agent, db.get(User, agent.user_id), reviewer, lead


def _release(db, call, reviewer, fail=("greeting",)):
    ev = ev_svc.start_review(db, call, reviewer)
    answers = {cid: ItemInput(it["result"], it.get("points")) for cid, it in ev.items.items()}
    for cid in fail:
        answers[cid] = ItemInput("fail", reason="不合格")
    ev_svc.save(db, ev, actor=reviewer, expected_version=ev.version, answers=answers)
    ev_svc.submit(db, ev, actor=reviewer, expected_version=ev.version)
    db.commit()
    return ev


def test_deadline_and_can_dispute(world, db):
    settings, agent, user, reviewer, _ = world
    ev = _release(db, factories.create_scored_call(db, settings, agent), reviewer)
    assert feedback.deadline(ev, 7) == ev.released_at + timedelta(days=7)
    assert feedback.can_dispute(ev, 7)
    assert not feedback.can_dispute(ev, 7, now=ev.released_at + timedelta(days=7, seconds=1))
    ev_svc.acknowledge(db, ev, agent=user)
    assert not feedback.can_dispute(ev, 7)


def test_current_visible_and_scores_follow_the_release(world, db):
    settings, agent, user, reviewer, _ = world
    call = factories.create_scored_call(db, settings, agent)
    assert feedback.current_visible(db, call, user) is None, "machine evaluation not released"
    assert feedback.visible_scores(db, user, [call.id]) == {}
    ev = _release(db, call, reviewer)
    assert feedback.current_visible(db, call, user).id == ev.id
    assert feedback.visible_scores(db, user, [call.id]) == {call.id: ev}
    with pytest.raises(NotFound):
        feedback.get_readable(db, factories.create_user(db, "agent"), ev.id)


def test_weekly_trend_buckets_by_the_local_week_of_the_call(world, db):
    settings, agent, user, reviewer, _ = world
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday
    # Monday 2026-11-23 00:30 in Shanghai is still Sunday in UTC: it belongs to this week
    this_week = factories.create_scored_call(
        db, settings, agent, started_at=datetime(2026, 11, 22, 16, 30, tzinfo=UTC)
    )
    last_week = factories.create_scored_call(
        db, settings, agent, started_at=datetime(2026, 11, 22, 15, 30, tzinfo=UTC)
    )
    too_old = factories.create_scored_call(db, settings, agent, started_at=now - timedelta(weeks=9))
    evs = [_release(db, c, reviewer) for c in (this_week, last_week, too_old)]
    home = feedback.agent_home(db, user, tz=TZ, window_days=7, now=now)
    assert [w.start.date().isoformat() for w in home.trend][-2:] == ["2026-11-16", "2026-11-23"]
    assert home.trend[-1].count == 1 and home.trend[-1].average == round(evs[0].total, 1)
    assert home.trend[-2].count == 1
    assert sum(w.count for w in home.trend) == 2, "older than 8 weeks is left out"
    assert {e.id for e, _ in home.to_acknowledge} == {e.id for e in evs}
    assert home.awaiting == 0


def _points_rubric(db, admin) -> None:
    """Publish a default rubric whose 'closing' criterion is scored 0–5 points."""
    doc = rubrics.to_dict(rubrics.load_default())
    for s in doc["sections"]:
        for c in s["criteria"]:
            if c["id"] == "closing":
                c["scale"] = {"type": "points", "max": 5}
    row = rubric_service.save_draft(db, rubrics.dumps(rubrics.from_dict(doc)), actor=admin)
    rubric_service.publish(db, row.id, actor=admin, make_default=True)
    db.commit()


def test_ruling_checks_points_against_the_scale(world, db):
    settings, agent, user, reviewer, lead = world
    _points_rubric(db, factories.create_user(db, "admin"))
    call = factories.create_scored_call(db, settings, agent)
    ev = ev_svc.start_review(db, call, reviewer)
    answers = {cid: ItemInput(it.get("result") or "pass", it.get("points")) for cid, it in ev.items.items()}
    answers["closing"] = ItemInput("fail", 1, reason="结束语不完整")
    ev_svc.save(db, ev, actor=reviewer, expected_version=ev.version, answers=answers)
    ev_svc.submit(db, ev, actor=reviewer, expected_version=ev.version)
    d = ev_svc.dispute(db, ev, agent=user, criteria={"closing": "说了再见"}, window_days=7)
    db.commit()
    for bad in (ItemInput("pass", None), ItemInput("pass", 6), ItemInput("maybe", 3)):
        with pytest.raises(Invalid) as exc:
            ev_svc.rule(db, d, lead=lead, decisions={"closing": bad}, reason="x")
        assert exc.value.field == "closing"
        db.rollback()
    with pytest.raises(Invalid, match="decide every disputed criterion"):
        ev_svc.rule(db, d, lead=lead, decisions={}, reason="x")
    ev_svc.rule(db, d, lead=lead, decisions={"closing": ItemInput("pass", 4)}, reason="基本完整")
    db.commit()
    assert d.state == DisputeState.ACCEPTED
    new = db.get(type(ev), d.result_evaluation_id)
    assert new.items["closing"]["points"] == 4 and new.state == EvalState.FINAL
    assert new.total > ev.total


def test_dispute_list_scoping_and_may_rule(world, db):
    settings, agent, user, reviewer, lead = world
    ev = _release(db, factories.create_scored_call(db, settings, agent), reviewer)
    d = ev_svc.dispute(db, ev, agent=user, criteria={"greeting": "不对"}, window_days=7)
    other = factories.create_agent(db)
    db.commit()
    assert [x.id for x in feedback.list_disputes(db, lead, feedback.DisputeFilter()).items] == [d.id]
    assert feedback.list_disputes(db, user, feedback.DisputeFilter()).total == 1
    assert feedback.list_disputes(db, db.get(User, other.user_id), feedback.DisputeFilter()).total == 0
    assert feedback.list_disputes(db, lead, feedback.DisputeFilter(team_id=other.team_id)).total == 0
    assert (
        feedback.may_rule(lead, d) and not feedback.may_rule(reviewer, d) and not feedback.may_rule(user, d)
    )
