"""Coaching plans: creation from weak criteria (baseline, items, motivating evaluations, first session),
who may see and change what, items and sessions, the target re-check closing met / not met, cancelling,
the exemplar finder and the gap overview."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from qa_app.db.models import AuditEvent, CoachingPlan, ItemKind, Notification, PlanState
from qa_app.services import coaching, coaching_insights, knowledge
from qa_app.services.coaching import PlanInput
from qa_app.services.coaching_insights import Context
from qa_app.services.errors import Conflict, Forbidden, Invalid, NotFound

import factories

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 29, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
KEY = "telecom_service"


def ctx(now: datetime = NOW) -> Context:
    return Context(now=now, tz=TZ, new_hire_days=90)


class World:
    def __init__(self, db):
        self.db = db
        self.team = factories.create_team(db)
        self.trainer = factories.create_user(db, "trainer")
        self.veterans = [
            factories.create_agent(db, team=self.team, hire_date=date(2025, 1, 1)) for _ in range(3)
        ]
        self.newbie = factories.create_agent(db, team=self.team, hire_date=date(2026, 10, 1))
        self.other = factories.create_agent(db, team=self.team, hire_date=date(2026, 10, 15))
        self.reviewer = factories.create_user(db, "qa_reviewer")

    def history(self):
        """60 days before NOW: veterans pass greeting 90%, the new hire 40%; closing is even."""
        for day in range(1, 41):
            at = NOW - timedelta(days=day, hours=1)
            for i, v in enumerate(self.veterans):
                g = "fail" if (day + i) % 10 == 0 else "pass"
                factories.create_evaluated_call(
                    self.db, v, {"greeting": g, "closing": "pass"}, started_at=at, queue="宽带" if i else "账单",
                    evidence={"greeting": (0.5, 3.2, "您好，很高兴为您服务")},
                )
            g = "pass" if day % 5 in (0, 1) else "fail"
            factories.create_evaluated_call(
                self.db, self.newbie, {"greeting": g, "closing": "pass"}, started_at=at, queue="宽带"
            )

    def plan_input(self, **kw) -> PlanInput:
        base = dict(
            agent_id=self.newbie.id,
            criteria=["greeting"],
            target_rate=0.8,
            target_calls=5,
            due_date=date(2026, 12, 20),
            goal="开场白完整",
        )
        base.update(kw)
        return PlanInput(**base)


@pytest.fixture
def world(db):
    return World(db)


def test_gap_overview_suggests_the_weak_criterion_and_the_plan_keeps_a_baseline(db, world):
    world.history()
    rows = coaching_insights.overview(db, ctx(), rubric_key=KEY)
    top = rows[0]
    assert top.agent.id == world.newbie.id and top.cohort == "new_hire"
    assert top.suggested == ["greeting"]
    assert top.gaps[0].criterion == "greeting" and top.gaps[0].behind
    assert top.scored_calls == 40
    # the other new hire has no calls: listed, no gaps, at the end
    assert rows[-1].agent.id == world.other.id and rows[-1].gaps == [] and rows[-1].scored_calls == 0

    failing = coaching.candidate_evaluations(db, ctx(), world.newbie, ["greeting"], rubric_key=KEY)
    plan = coaching.create_plan(
        db,
        world.plan_input(evaluation_ids=[failing[0].evaluation_id], tasks=["跟读标准开场白 10 遍"]),
        trainer=world.trainer,
        ctx=ctx(),
    )
    db.commit()
    b = plan.baseline["greeting"]
    assert b["enough_data"] and b["n"] == 40 and b["rate"] == pytest.approx(0.4)
    assert b["reference_rate"] == pytest.approx(0.9) and b["ci_low"] > 0
    assert plan.state == PlanState.ACTIVE and plan.starts_at == NOW and plan.rubric_key == KEY
    assert [e.id for e in coaching.motivating_evaluations(db, plan)] == [failing[0].evaluation_id]
    assert [i.kind for i in plan.items] == [ItemKind.TASK]
    note = db.scalar(select(Notification).where(Notification.user_id == world.newbie.user_id))
    assert note.kind == "coaching_plan_created" and note.url == f"/coaching/plans/{plan.id}"
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "coaching_plan_created")).target == (
        f"coaching_plan:{plan.id}"
    )


def test_create_plan_refuses_bad_input(db, world):
    c = ctx()
    with pytest.raises(Invalid, match="criterion"):
        coaching.create_plan(db, world.plan_input(criteria=[]), trainer=world.trainer, ctx=c)
    with pytest.raises(Invalid, match="unknown criterion"):
        coaching.create_plan(db, world.plan_input(criteria=["nope"]), trainer=world.trainer, ctx=c)
    with pytest.raises(Invalid, match="pass rate"):
        coaching.create_plan(db, world.plan_input(target_rate=0), trainer=world.trainer, ctx=c)
    with pytest.raises(Invalid, match="calls"):
        coaching.create_plan(db, world.plan_input(target_calls=0), trainer=world.trainer, ctx=c)
    with pytest.raises(Invalid, match="past"):
        coaching.create_plan(db, world.plan_input(due_date=date(2026, 11, 1)), trainer=world.trainer, ctx=c)
    with pytest.raises(NotFound):
        coaching.create_plan(db, world.plan_input(agent_id=999_999), trainer=world.trainer, ctx=c)
    with pytest.raises(Forbidden):
        coaching.create_plan(db, world.plan_input(), trainer=world.reviewer, ctx=c)
    other_call = factories.create_evaluated_call(db, world.other, {"greeting": "fail"})
    from qa_app.services import evaluations

    foreign = evaluations.current_for_call(db, other_call.id).id
    with pytest.raises(Invalid, match="evaluation"):
        coaching.create_plan(db, world.plan_input(evaluation_ids=[foreign]), trainer=world.trainer, ctx=c)
    db.rollback()
    coaching.create_plan(db, world.plan_input(), trainer=world.trainer, ctx=c)
    db.commit()
    with pytest.raises(Conflict, match="Greeting"):  # one active plan per agent and criterion (named by its title)
        coaching.create_plan(db, world.plan_input(criteria=["closing", "greeting"]), trainer=world.trainer, ctx=c)


def test_exemplar_finder_prefers_a_veteran_passing_call_of_the_same_queue_with_its_cue(db, world):
    world.history()
    found = coaching_insights.exemplars(
        db, ctx(), criterion="greeting", rubric_key=KEY, for_agent_id=world.newbie.id, queue="账单"
    )
    assert found, "veterans pass greeting on most calls"
    best = found[0]
    assert best.queue == "账单" and best.same_queue  # veterans[0] works the 账单 queue
    assert best.agent_id == world.veterans[0].id
    assert (best.cue_start, best.cue_end, best.quote) == (0.5, 3.2, "您好，很高兴为您服务")
    assert all(e.agent_id != world.newbie.id for e in found)
    assert [e.started_at for e in found if e.same_queue] == sorted(
        (e.started_at for e in found if e.same_queue), reverse=True
    )
    # a failing call, a new hire's call and an unreliable machine verdict are never exemplars
    failing = factories.create_evaluated_call(db, world.veterans[0], {"greeting": "fail"}, queue="账单", started_at=NOW)
    shaky = factories.create_evaluated_call(
        db, world.veterans[0], {"greeting": "pass"}, queue="账单", started_at=NOW, role_confidence=0.1
    )
    ids = {e.call_id for e in coaching_insights.exemplars(db, ctx(), criterion="greeting", rubric_key=KEY, queue="账单", limit=50)}
    assert failing.id not in ids and shaky.id not in ids
    assert coaching_insights.exemplar_for_call(db, ctx(), call_id=failing.id, criterion="greeting", rubric_key=KEY) is None

    plan = coaching.create_plan(
        db, world.plan_input(exemplars=[(best.call_id, "greeting")]), trainer=world.trainer, ctx=ctx()
    )
    item = plan.items[0]
    assert item.kind == ItemKind.EXEMPLAR_CALL and (item.cue_start, item.cue_end) == (0.5, 3.2)
    newbie_call = factories.create_evaluated_call(db, world.newbie, {"greeting": "pass"})
    with pytest.raises(Invalid, match="veteran"):
        coaching.add_item(
            db, plan, actor=world.trainer, ctx=ctx(), kind="exemplar_call", call_id=newbie_call.id, criterion="greeting"
        )


def _plan(db, world, **kw) -> CoachingPlan:
    plan = coaching.create_plan(db, world.plan_input(**kw), trainer=world.trainer, ctx=ctx())
    db.commit()
    return plan


def _after(world, results: list[str], *, start=NOW, agent=None):
    for i, r in enumerate(results):
        factories.create_evaluated_call(
            world.db, agent or world.newbie, {"greeting": r}, started_at=start + timedelta(hours=i + 1)
        )


def test_recheck_stays_open_then_closes_met(db, world):
    plan = _plan(db, world)  # 80% of the next 5 calls: 4 passes
    _after(world, ["pass", "fail", "pass"])
    factories.create_evaluated_call(db, world.newbie, {"greeting": "fail"}, started_at=NOW - timedelta(hours=1))
    assert coaching.recheck(db, plan, ctx=ctx(NOW + timedelta(days=1)), actor=world.trainer) == PlanState.ACTIVE
    assert plan.followup["greeting"]["checked"] == 3 and plan.followup["greeting"]["passes"] == 2
    _after(world, ["pass", "pass"], start=NOW + timedelta(hours=5))
    later = ctx(NOW + timedelta(days=2))
    assert coaching.recheck(db, plan, ctx=later, actor=world.trainer) == PlanState.MET
    db.commit()
    assert plan.state == PlanState.MET and plan.closed_at == later.now and plan.closed_by_id is None
    kinds = {(n.user_id, n.kind) for n in db.scalars(select(Notification))}
    assert (world.trainer.id, "coaching_plan_closed") in kinds
    assert (world.newbie.user_id, "coaching_plan_closed") in kinds
    with pytest.raises(Conflict):  # closed plans are not re-checked again
        coaching.recheck(db, plan, ctx=later)


def test_recheck_closes_not_met_as_soon_as_the_target_is_out_of_reach(db, world):
    plan = _plan(db, world, criteria=["greeting", "closing"])
    _after(world, ["fail", "fail"])  # 2 of 5 failed: 4 passes are no longer possible
    assert coaching.recheck(db, plan, ctx=ctx(NOW + timedelta(days=1))) == PlanState.NOT_MET
    assert plan.followup["greeting"]["state"] == "not_met"
    assert plan.followup["closing"]["state"] == "open"  # no closing verdicts yet


def test_reviewer_overrides_count_and_unreliable_machine_verdicts_do_not(db, world):
    plan = _plan(db, world, target_calls=2, target_rate=1.0)
    factories.create_evaluated_call(
        db, world.newbie, {"greeting": "fail"}, started_at=NOW + timedelta(hours=1),
        human={"greeting": "pass"}, reviewer=world.reviewer,
    )
    factories.create_evaluated_call(
        db, world.newbie, {"greeting": "fail"}, started_at=NOW + timedelta(hours=2), role_confidence=0.1
    )
    assert coaching.recheck(db, plan, ctx=ctx(NOW + timedelta(days=1))) == PlanState.ACTIVE
    assert plan.followup["greeting"]["checked"] == 1 and plan.followup["greeting"]["passes"] == 1


def test_agents_see_only_their_own_plans(db, world):
    plan = _plan(db, world)
    assert coaching.get_plan(db, plan.id, world.newbie.user).id == plan.id
    assert coaching.get_plan(db, plan.id, world.trainer).id == plan.id
    with pytest.raises(NotFound):
        coaching.get_plan(db, plan.id, world.other.user)
    with pytest.raises(NotFound):
        coaching.get_plan(db, plan.id, world.reviewer)
    with pytest.raises(NotFound):
        coaching.get_plan(db, 999_999, world.trainer)


def test_items_sessions_acknowledgements(db, world):
    c = ctx()
    article = knowledge.create(
        db, knowledge.ArticleInput("标准开场白", "您好，很高兴为您服务", criteria=["greeting"]),
        actor=world.trainer, known_criteria=["greeting"],
    )
    plan = _plan(db, world, article_ids=[article.id], first_session_at=NOW + timedelta(days=2), first_session_topic="陪听")
    item = plan.items[0]
    assert item.kind == ItemKind.ARTICLE and item.title == "标准开场白" and item.criterion == "greeting"
    with pytest.raises(Conflict):
        coaching.add_item(db, plan, actor=world.trainer, ctx=c, kind="article", article_id=article.id)
    task = coaching.add_item(db, plan, actor=world.trainer, ctx=c, kind="task", title="复盘 3 通录音")
    with pytest.raises(Invalid):
        coaching.add_item(db, plan, actor=world.trainer, ctx=c, kind="task", title="  ")
    with pytest.raises(Forbidden):
        coaching.set_item_done(db, plan, task, user=world.trainer, done=True, now=NOW)
    with pytest.raises(Forbidden):
        coaching.set_item_done(db, plan, task, user=world.other.user, done=True, now=NOW)
    coaching.set_item_done(db, plan, task, user=world.newbie.user, done=True, now=NOW)
    assert task.done_at == NOW
    coaching.set_item_done(db, plan, task, user=world.newbie.user, done=False, now=NOW)
    assert task.done_at is None
    coaching.remove_item(db, plan, task, actor=world.trainer)
    assert [i.id for i in plan.items] == [item.id]

    coaching.acknowledge_plan(db, plan, user=world.newbie.user, now=NOW)
    with pytest.raises(Conflict):
        coaching.acknowledge_plan(db, plan, user=world.newbie.user, now=NOW)

    s = plan.sessions[0]
    assert s.state == "scheduled" and s.topic == "陪听"
    with pytest.raises(Conflict, match="not been held"):
        coaching.acknowledge_session(db, s, user=world.newbie.user, now=NOW)
    with pytest.raises(Invalid, match="future"):
        coaching.record_session(db, s, actor=world.trainer, ctx=c, held_at=NOW + timedelta(days=1), notes="x", commitments="")
    with pytest.raises(Invalid, match="discussed"):
        coaching.record_session(db, s, actor=world.trainer, ctx=c, held_at=NOW, notes=" ", commitments="")
    coaching.record_session(db, s, actor=world.trainer, ctx=c, held_at=NOW, notes="听了两通录音", commitments="每通都报工号")
    assert s.state == "held" and s.held_by_id == world.trainer.id
    with pytest.raises(Conflict):
        coaching.record_session(db, s, actor=world.trainer, ctx=c, held_at=NOW, notes="again", commitments="")
    with pytest.raises(Forbidden):
        coaching.acknowledge_session(db, s, user=world.other.user, now=NOW)
    coaching.acknowledge_session(db, s, user=world.newbie.user, now=NOW)
    assert s.acknowledged_at == NOW
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "coaching_session_held")) is not None

    s2 = coaching.schedule_session(db, plan, actor=world.trainer, ctx=c, scheduled_at=NOW + timedelta(days=3))
    coaching.reschedule_session(db, s2, actor=world.trainer, ctx=c, scheduled_at=NOW + timedelta(days=4), topic="复盘")
    assert s2.scheduled_at == NOW + timedelta(days=4)
    coaching.cancel_session(db, s2, actor=world.trainer, now=NOW)
    assert s2.state == "cancelled"
    with pytest.raises(Invalid, match="time zone"):
        coaching.schedule_session(db, plan, actor=world.trainer, ctx=c, scheduled_at=datetime(2026, 12, 1, 9))


def test_update_and_cancel(db, world):
    plan = _plan(db, world)
    coaching.update_plan(db, plan, actor=world.trainer, ctx=ctx(), goal="新目标", due_date=date(2027, 1, 10),
                         expected_version=plan.version)
    assert plan.due_date == date(2027, 1, 10) and plan.goal == "新目标"
    with pytest.raises(Conflict):
        coaching.update_plan(db, plan, actor=world.trainer, ctx=ctx(), goal="x", due_date=date(2027, 1, 10),
                             expected_version=plan.version - 1)
    with pytest.raises(Invalid, match="reason"):
        coaching.cancel_plan(db, plan, actor=world.trainer, reason="", now=NOW)
    coaching.cancel_plan(db, plan, actor=world.trainer, reason="调岗", now=NOW)
    assert plan.state == PlanState.CANCELLED and plan.close_note == "调岗" and plan.closed_by_id == world.trainer.id
    with pytest.raises(Conflict):
        coaching.schedule_session(db, plan, actor=world.trainer, ctx=ctx(), scheduled_at=NOW)
    with pytest.raises(Conflict):
        coaching.cancel_plan(db, plan, actor=world.trainer, reason="again", now=NOW)
    # a cancelled plan no longer blocks a new plan on the same criterion
    _plan(db, world)


def test_effect_report_compares_with_uncoached_agents_of_the_same_cohort(db, world):
    start = NOW - timedelta(days=30)
    plan = coaching.create_plan(db, world.plan_input(), trainer=world.trainer, ctx=ctx(start))
    thin = coaching.create_plan(
        db, world.plan_input(agent_id=world.other.id, criteria=["closing"]), trainer=world.trainer, ctx=ctx(start)
    )
    comparison = [factories.create_agent(db, team=world.team, hire_date=date(2026, 9, 20)) for _ in range(2)]
    for day in range(1, 21):
        before, after = start - timedelta(days=day), start + timedelta(days=day)
        # coached: 30% before, 90% after; comparison: 50% before and after
        factories.create_evaluated_call(db, world.newbie, {"greeting": "pass" if day % 10 < 3 else "fail"}, started_at=before)
        factories.create_evaluated_call(db, world.newbie, {"greeting": "fail" if day % 10 == 0 else "pass"}, started_at=after)
        for a in comparison:
            factories.create_evaluated_call(db, a, {"greeting": "pass" if day % 2 else "fail"}, started_at=before)
            factories.create_evaluated_call(db, a, {"greeting": "pass" if day % 2 else "fail"}, started_at=after)
    factories.create_evaluated_call(db, world.other, {"closing": "pass"}, started_at=start + timedelta(days=1))
    for p in (plan, thin):
        p.state, p.closed_at = PlanState.MET, NOW - timedelta(days=5)
    db.commit()

    report = coaching_insights.effect_report(db, ctx(), rubric_key=KEY)
    rows = {r.plan.id: r for r in report.rows}
    e = rows[plan.id].estimate
    assert (e.coached_before.n, e.coached_after.n) == (20, 20)
    assert e.comparison_agents == 2  # the other new hire has a plan of their own: not a comparison
    assert e.did == pytest.approx((0.9 - 0.3) - (0.5 - 0.5))
    assert e.verdict == "improved" and e.ci.low > 0
    assert rows[plan.id].after.end == start + timedelta(days=28)  # closed earlier: 28 days after the start
    assert rows[thin.id].estimate.verdict == "not_enough_data" and rows[thin.id].estimate.did is None
    by_trainer = {s.key: s for s in report.by_trainer}
    assert by_trainer[world.trainer.id].plans == 2 and by_trainer[world.trainer.id].measured == 1
    assert {s.key for s in report.by_criterion} == {"greeting", "closing"}
    # active and cancelled plans are not measured
    coaching.cancel_plan(db, coaching.create_plan(db, world.plan_input(criteria=["empathy"]), trainer=world.trainer, ctx=ctx()),
                         actor=world.trainer, reason="x", now=NOW)
    assert len(coaching_insights.effect_report(db, ctx(), rubric_key=KEY).rows) == 2
