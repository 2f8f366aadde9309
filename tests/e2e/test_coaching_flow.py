"""Coaching in a real browser: the trainer creates a plan from the skill-gap overview (criteria the gap model
suggests are ticked, the article tagged with them is offered), the agent is notified, opens the plan and
acknowledges it. Uses the pages' stable ids: #create-plan-<agent id>, #new-plan-form, #crit-<criterion>,
#create-plan, #plan-title[data-plan-id], #notification-<id>, #acknowledge-plan-button, #plan-acknowledged.
Screenshot: coaching-new-plan."""

from __future__ import annotations

from datetime import date, timedelta

from qa_app.db.base import utcnow
from qa_app.services import knowledge

import factories
from browser import login, shot


def test_trainer_creates_a_plan_from_a_gap_and_the_agent_acknowledges_it(new_page, app, db):
    settings = app.extensions["qa_settings"]
    team = factories.create_team(db)
    trainer = factories.create_user(db, "trainer", display_name="培训师 王磊")
    veteran = factories.create_agent(db, team=team, name="老李", hire_date=date(2024, 1, 1))
    newbie = factories.create_agent(db, team=team, name="小张", hire_date=date.today() - timedelta(days=30))
    now = utcnow()
    for day in range(1, 31):  # the new hire fails the greeting on two calls in three, the veteran rarely
        at = now - timedelta(days=day, hours=2)
        factories.create_evaluated_call(db, veteran, {"greeting": "pass" if day % 10 else "fail"}, started_at=at)
        factories.create_evaluated_call(db, newbie, {"greeting": "fail" if day % 3 else "pass"}, started_at=at)
    # a veteran's call with audio and a transcript whose evaluation passes the greeting: the exemplar
    exemplar = factories.create_scored_call(db, settings, veteran, started_at=now - timedelta(minutes=30))
    article = knowledge.create(
        db, knowledge.ArticleInput("标准开场白", "先问好，再报**工号**。", criteria=["greeting"]),
        actor=trainer, known_criteria=["greeting"],
    )
    db.commit()

    t = new_page()
    login(t, trainer.username)
    t.goto("/coaching/")
    assert t.get_attribute(f"#gap-agent-{newbie.id}", "data-suggested") == "greeting"
    t.click(f"#create-plan-{newbie.id}")
    t.wait_for_selector("#new-plan-form")
    assert t.is_checked("#crit-greeting")
    t.check(f"#art-{article.id}")
    t.check(f"#new-plan-form input[name=exemplars][data-call-id='{exemplar.id}']")
    shot(t, "coaching-new-plan")
    t.click("#create-plan")
    t.wait_for_selector("#plan-title")
    plan_id = t.get_attribute("#plan-title", "data-plan-id")
    assert t.get_attribute("#plan-title", "data-plan-state") == "active"
    assert "标准开场白" in t.locator("#items").inner_text()
    assert t.locator("#acknowledge-plan-button").count() == 0  # only the agent acknowledges
    shot(t, "coaching-plan-trainer")

    a = new_page()
    login(a, newbie.user.username)
    a.goto("/notifications/")
    a.locator("li[id^='notification-'] form button").first.click()  # Open: to the plan
    a.wait_for_selector("#plan-title")
    assert a.get_attribute("#plan-title", "data-plan-id") == plan_id
    a.click("#acknowledge-plan-button")
    a.wait_for_selector("#plan-acknowledged")
    assert a.locator("#acknowledge-plan-button").count() == 0
    a.goto("/coaching/me")
    assert a.get_attribute(f"#my-plan-{plan_id}", "data-acknowledged") == "true"
    shot(a, "coaching-agent-view")

    # the agent listens to the exemplar: the shared player (static/player.js) starts at the evidence
    a.goto(f"/coaching/plans/{plan_id}")
    a.click("#items a[href*='/items/']")
    a.wait_for_selector("#player-bar")
    cue = float(a.get_attribute("#player-bar", "data-start-at"))
    a.wait_for_function("window.qaPlayer && window.qaPlayer.readyState >= 1")
    a.wait_for_function(f"Math.abs(window.qaPlayer.currentTime - {cue}) < 0.5")
    assert a.locator("#transcript .seg").count() > 0
    assert t.js_errors == [] and a.js_errors == []
