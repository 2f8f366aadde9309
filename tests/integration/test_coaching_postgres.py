"""The coaching use cases on PostgreSQL (verdict query, LIKE search with escapes, JSON columns, the
follow-up's savepoints and dedupe keys); skipped unless QA_TEST_POSTGRES_URL is set."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from qa_app.db.base import utcnow
from qa_app.db.models import Notification, PlanState
from qa_app.services import coaching, coaching_insights, knowledge, verdicts
from qa_app.services.coaching import PlanInput
from qa_app.services.coaching_insights import Context

import factories
from factories import build_app, dispose, logged_in_client, make_settings


def test_coaching_on_postgres(pg_url, tmp_path):
    app = build_app(make_settings(tmp_path / "pg", database_url=pg_url), None)
    db = app.extensions["qa_sessionmaker"]()
    try:
        now = utcnow()
        ctx = Context(now - timedelta(days=2), ZoneInfo("Asia/Shanghai"), 90)
        trainer = factories.create_user(db, "trainer")
        team = factories.create_team(db)
        vet = factories.create_agent(db, team=team, hire_date=date(2024, 1, 1))
        new = factories.create_agent(db, team=team, hire_date=date.today() - timedelta(days=20))
        for day in range(1, 16):
            at = ctx.now - timedelta(days=day)
            factories.create_evaluated_call(db, vet, {"greeting": "pass"}, started_at=at, queue="宽带",
                                            evidence={"greeting": (0.1, 2.0, "您好")})
            factories.create_evaluated_call(db, new, {"greeting": "fail" if day % 4 else "pass"}, started_at=at,
                                            role_confidence=0.2 if day == 1 else 0.9)
        rows = verdicts.load(db, rubric_key="telecom_service", cohort_on=ctx.today, new_hire_days=90, tz=ctx.tz)
        assert len(rows) == 30 and sum(not v.reliable for v in rows) == 1

        overview = coaching_insights.overview(db, ctx, rubric_key="telecom_service")
        assert overview[0].agent.id == new.id and overview[0].suggested == ["greeting"]
        ex = coaching_insights.exemplars(db, ctx, criterion="greeting", rubric_key="telecom_service",
                                         for_agent_id=new.id, queue="宽带")
        assert ex and ex[0].cue_start == 0.1
        art = knowledge.create(db, knowledge.ArticleInput("开场白 100%", "您好_欢迎", criteria=["greeting"]),
                               actor=trainer, known_criteria=["greeting"])
        plan = coaching.create_plan(
            db,
            PlanInput(agent_id=new.id, criteria=["greeting"], target_rate=0.5, target_calls=2,
                      due_date=ctx.today + timedelta(days=1), article_ids=[art.id], exemplars=[(ex[0].call_id, "greeting")]),
            trainer=trainer, ctx=ctx,
        )
        db.commit()
        assert knowledge.search(db, trainer, query="100%").total == 1
        assert knowledge.search(db, trainer, query="0%_").total == 0  # wildcards are literal
        assert knowledge.search(db, trainer, query="好_欢").total == 1
        for i in range(2):
            factories.create_evaluated_call(db, new, {"greeting": "pass"}, started_at=ctx.now + timedelta(hours=i + 1))
        later = Context(now, ctx.tz, 90)
        first = coaching.run_followup(db, later)
        db.commit()
        again = coaching.run_followup(db, later)
        db.commit()
        assert first.met == 1 and again.checked == 0 and again.reminders == 0
        db.refresh(plan)
        assert plan.state == PlanState.MET and plan.followup["greeting"]["passes"] == 1  # 50% of 2: one pass
        closed = select(func.count()).select_from(Notification).where(Notification.kind == "coaching_plan_closed")
        assert db.scalar(closed) == 2  # the trainer and the agent, once each
        report = coaching_insights.effect_report(db, later, rubric_key="telecom_service")
        assert report.rows[0].estimate.verdict == "not_enough_data"
        db.rollback()
        client = logged_in_client(app, trainer.username)
        for url in ("/coaching/", f"/coaching/plans/{plan.id}", "/coaching/effect", "/coaching/effect.csv",
                    "/knowledge/?q=开场", "/coaching/plans?state=all", "/coaching/sessions"):
            assert client.get(url).status_code == 200, url
    finally:
        db.close()  # an open transaction would block dropping the schema
        dispose(app)
