"""The calibration reminder duty: fires once a day after 08:00 local time, its job notifies the raters
whose calibration scores are due by tomorrow, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from qa_app.db.models import Job, JobState, Notification
from qa_app.jobs import duties, registry, worker
from qa_app.jobs.backends import Backends
from qa_app.jobs.tasks.calibration import CALIBRATION_REMINDERS
from qa_app.services import calibration as cal
from qa_app.services import rubrics as rubric_service

import factories


def test_reminder_duty_notifies_late_raters_once(app, db):
    settings = app.extensions["qa_settings"]
    factory = app.extensions["qa_sessionmaker"]
    assert registry.duties()["calibration-reminders"].kind == CALIBRATION_REMINDERS
    agent = factories.create_agent(db)
    call = factories.create_scored_call(db, settings, agent)
    lead = factories.create_user(db, "trainer")
    raters = [factories.create_user(db, "qa_reviewer") for _ in range(2)]
    tz = ZoneInfo(settings.timezone)
    today = datetime.now(tz).date()
    s = cal.create_session(
        db,
        cal.SessionInput(
            "到期提醒", rubric_service.default_version(db).id, (call.id,), tuple(u.id for u in raters), True,
            due_date=today,
        ),
        actor=lead,
    )  # fmt: skip
    cal.start_scoring(db, s, actor=lead)
    db.commit()

    early = datetime.combine(today, datetime.min.time(), tz).replace(hour=7).astimezone(UTC)
    assert not [f for f in duties.fire_due(factory, settings, now=early) if f[0] == "calibration-reminders"]
    morning = early + timedelta(hours=2)
    fired = [f for f in duties.fire_due(factory, settings, now=morning) if f[0] == "calibration-reminders"]
    assert len(fired) == 1
    backends = Backends(settings, _speech=object(), _scorer=object())
    worker.run(factory, settings, backends=backends, once=True)
    with factory() as s2:
        job = s2.get(Job, fired[0][2])
        assert job.state == JobState.DONE and job.payload["notified"] == 2
        notes = s2.scalars(select(Notification).where(Notification.kind == "calibration_due")).all()
        assert sorted(n.user_id for n in notes) == sorted(u.id for u in raters)
    again = [
        f
        for f in duties.fire_due(factory, settings, now=morning + timedelta(hours=3))
        if f[0] == "calibration-reminders"
    ]
    assert again == []
