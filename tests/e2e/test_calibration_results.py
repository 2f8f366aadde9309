"""Calibration results in a real browser: the lead opens a seeded session's results (alpha per criterion,
spread of totals, the answers matrix). Screenshot: calibration-results."""

from __future__ import annotations

from datetime import timedelta

from qa_app.db.base import utcnow
from qa_app.services import calibration

import factories
from browser import login, shot


def test_lead_reads_calibration_results(new_page, app, db):
    settings = app.extensions["qa_settings"]
    lead = factories.create_user(db, "trainer", username="lead_chen", display_name="班组长 陈芳")
    for name, role in (("qa_li", "qa_reviewer"), ("qa_zhao", "qa_reviewer"), ("coach_wang", "trainer")):
        factories.create_user(db, role, username=name)
    team = factories.create_team(db, lead=lead)
    for i in range(6):
        agent = factories.create_agent(db, team=team)
        factories.create_scored_call(db, settings, agent, started_at=utcnow() - timedelta(hours=i + 1))
    sessions = calibration.seed_demo(db, sessions=2)
    db.commit()
    assert len(sessions) == 2
    page = new_page()
    login(page, lead.username)
    page.goto(f"/calibration/{sessions[-1].id}/results")
    body = page.locator("main, body").first.inner_text()
    assert "α" in body or "alpha" in body.lower()
    shot(page, "calibration-results")
    assert page.js_errors == []
