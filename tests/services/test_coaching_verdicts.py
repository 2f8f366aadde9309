"""services.verdicts: evaluations as the coaching statistics' input — the counting evaluation per call
(human over machine), unreliable transcripts, cohorts, filters, and one query for many calls."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from coaching import effective
from qa_app.db.models import Call, TranscriptRecord
from qa_app.services import evaluations, verdicts

import factories

TZ = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 29)


def _load(db, **kw):
    return verdicts.load(db, rubric_key="telecom_service", today=TODAY, new_hire_days=90, tz=TZ, **kw)


@pytest.fixture
def people(db):
    team = factories.create_team(db)
    veteran = factories.create_agent(db, team=team, hire_date=TODAY - timedelta(days=400))
    newbie = factories.create_agent(db, team=team, hire_date=TODAY - timedelta(days=20))
    reviewer = factories.create_user(db, "qa_reviewer")
    return veteran, newbie, reviewer


def test_human_review_replaces_the_machine_and_cohorts_follow_tenure(db, people):
    veteran, newbie, reviewer = people
    at = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    c1 = factories.create_evaluated_call(
        db, newbie, {"greeting": "pass", "empathy": "fail"}, started_at=at, queue="宽带",
        human={"greeting": "fail"}, reviewer=reviewer,
    )
    factories.create_evaluated_call(db, veteran, {"greeting": "pass", "empathy": "na"}, started_at=at)
    rows = _load(db)
    mine = {(r.verdict.call_id, r.verdict.criterion): r for r in rows}
    g = mine[(c1.id, "greeting")]
    assert g.verdict.result == "fail" and g.verdict.source == "human"
    assert g.verdict.cohort == "new_hire" and g.queue == "宽带" and g.hire_month == f"{newbie.hire_date:%Y-%m}"
    assert g.day == date(2026, 11, 20)
    # one evaluation per call: no machine verdict of a reviewed call survives
    assert sum(1 for r in rows if r.verdict.call_id == c1.id) == 2
    assert {r.verdict.cohort for r in rows if r.verdict.agent_id == veteran.id} == {"veteran"}
    # same choice as evaluations.current_for_call
    assert g.evaluation_id == evaluations.current_for_call(db, c1.id).id


def test_unreliable_transcripts_are_flagged_and_dropped_for_the_machine_only(db, people):
    veteran, newbie, reviewer = people
    low_roles = factories.create_evaluated_call(db, newbie, {"greeting": "fail"}, role_confidence=0.3)
    sparse = factories.create_evaluated_call(db, newbie, {"greeting": "fail"}, duration=300, text_chars=50)
    none = factories.create_evaluated_call(db, newbie, {"greeting": "fail"}, text_chars=None)
    reviewed = factories.create_evaluated_call(
        db, newbie, {"greeting": "fail"}, role_confidence=0.2, human={"greeting": "pass"}, reviewer=reviewer
    )
    fine = factories.create_evaluated_call(db, newbie, {"greeting": "pass"}, duration=20, text_chars=10)
    by_call = {r.verdict.call_id: r.verdict for r in _load(db)}
    assert not by_call[low_roles.id].reliable
    assert not by_call[sparse.id].reliable  # 50 characters in 5 minutes
    assert not by_call[none.id].reliable
    assert by_call[fine.id].reliable  # a 20-second call may be short on words
    kept = {v.call_id for v in effective(by_call.values())}
    assert kept == {reviewed.id, fine.id}  # the reviewer listened: their verdict counts
    # a person confirming the roles makes the transcript reliable again
    rec = db.scalar(select(TranscriptRecord).where(TranscriptRecord.call_id == low_roles.id))
    rec.roles_swapped_by_id = reviewer.id
    db.commit()
    assert {r.verdict.call_id: r.verdict for r in _load(db)}[low_roles.id].reliable


def test_sql_rule_matches_the_python_rule(db, people):
    _, newbie, _ = people
    calls = [
        factories.create_evaluated_call(db, newbie, {"greeting": "pass"}, role_confidence=rc, duration=d, text_chars=t)
        for rc, d, t in [(0.3, 60, 300), (0.9, 300, 50), (0.9, 60, None), (0.9, 20, 5), (None, 60, 300), (0.5, 60, 40)]
    ]
    flagged = set(
        db.scalars(
            select(Call.id)
            .outerjoin(TranscriptRecord, TranscriptRecord.call_id == Call.id)
            .where(Call.id.in_([c.id for c in calls]), verdicts.unreliable_transcript())
        )
    )
    python = {r.verdict.call_id for r in _load(db) if not r.verdict.reliable}
    assert flagged == python == {calls[0].id, calls[1].id, calls[2].id}


def test_filters_window_agents_and_criteria(db, people):
    veteran, newbie, _ = people
    old = factories.create_evaluated_call(
        db, newbie, {"greeting": "pass"}, started_at=datetime(2026, 8, 1, tzinfo=UTC)
    )
    new = factories.create_evaluated_call(
        db, newbie, {"greeting": "pass", "closing": "fail"}, started_at=datetime(2026, 11, 28, tzinfo=UTC)
    )
    factories.create_evaluated_call(db, veteran, {"greeting": "pass"}, started_at=datetime(2026, 11, 28, tzinfo=UTC))
    since, until = verdicts.window(TODAY, 30, TZ)
    rows = _load(db, since=since, until=until, agent_ids=[newbie.id], criteria=["closing"])
    assert [(r.verdict.call_id, r.verdict.criterion) for r in rows] == [(new.id, "closing")]
    assert old.id not in {r.verdict.call_id for r in _load(db, since=since)}


def test_many_calls_take_one_query(app, db, people):
    veteran, newbie, _ = people
    for i in range(60):
        factories.create_evaluated_call(db, veteran if i % 2 else newbie, {"greeting": "pass", "closing": "fail"})
    statements = []
    engine = app.extensions["qa_engine"]

    def count(*_args):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        rows = _load(db)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(rows) == 120
    assert len(statements) == 1
