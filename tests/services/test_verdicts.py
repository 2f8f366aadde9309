"""qa_app.services.verdicts, the one loader of the coaching statistics and the dashboards: the counting
evaluation per call (human over machine, as evaluations.current_for_call; drafts and calibration never),
unreliable transcripts, cohorts (on the day of each call, or everyone's on a given day), filters, and one
query for many calls."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from coaching import effective
from coaching.periods import local_date
from qa_app.db.models import Purpose
from qa_app.services import evaluations, reliability, verdicts
from qa_app.services import evaluations as ev_svc

import factories

TZ = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 29)
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
SINCE, UNTIL = T0 - timedelta(days=1), T0 + timedelta(days=1)


def _load(db, **kw):
    """As the coaching pages load them: one rubric, everyone's cohort today."""
    return verdicts.load(db, rubric_key="telecom_service", cohort_on=TODAY, new_hire_days=90, tz=TZ, **kw)


def _range(db, *, since, until, new_hire_days=90, **kw):
    """As the dashboards load them: every rubric, the cohort on the day of each call."""
    return verdicts.load(db, since=since, until=until, new_hire_days=new_hire_days, tz="Asia/Shanghai", **kw)


@pytest.fixture
def scored(db, settings):
    agent = factories.create_agent(db, hire_date=date(2026, 1, 15))
    call = factories.create_scored_call(db, settings, agent, started_at=T0)
    return agent, call


def test_machine_verdicts_of_every_criterion(db, settings, scored):
    agent, call = scored
    rows = _range(db, since=SINCE, until=UNTIL)
    machine = ev_svc.current_for_call(db, call.id)
    assert {v.criterion: v.result for v in rows} == {cid: it["result"] for cid, it in machine.items.items()}
    v = rows[0]
    assert (v.agent_id, v.call_id, v.source, v.reliable, v.at) == (agent.id, call.id, "machine", True, T0)
    assert v.cohort == "new_hire"  # 46 days into the job on the day of the call
    assert _range(db, since=SINCE, until=UNTIL, new_hire_days=30)[0].cohort == "veteran"
    assert _range(db, since=UNTIL, until=UNTIL + timedelta(days=1)) == []


def test_a_human_review_replaces_the_machine_and_calibration_never_counts(db, settings, scored):
    _, call = scored
    reviewer = factories.create_user(db, "qa_reviewer")
    calibrator = factories.create_user(db, "qa_reviewer")
    blind = ev_svc.start_review(db, call, calibrator, purpose=Purpose.CALIBRATION, calibration_session_id=7)
    ev_svc.save(
        db,
        blind,
        actor=calibrator,
        expected_version=blind.version,
        answers={"greeting": ev_svc.ItemInput("fail")},
    )
    ev = ev_svc.start_review(db, call, reviewer)
    db.commit()
    drafts = _range(db, since=SINCE, until=UNTIL)
    assert {v.source for v in drafts} == {"machine"}, "a draft review does not count yet"
    answers = {cid: ev_svc.ItemInput(it["result"], it.get("points")) for cid, it in ev.items.items()}
    answers["closing"] = ev_svc.ItemInput("fail", reason="没有询问其他需求")
    ev_svc.save(db, ev, actor=reviewer, expected_version=ev.version, answers=answers)
    ev_svc.submit(db, ev, actor=reviewer, expected_version=ev.version)
    db.commit()
    rows = _range(db, since=SINCE, until=UNTIL)
    assert {v.source for v in rows} == {"human"}, "the submitted review superseded the machine's"
    counted = {v.criterion: v.result for v in effective(rows)}
    assert counted["closing"] == "fail" and counted["greeting"] == "pass", "the calibration 'fail' is ignored"


def test_filters_by_agent_team_and_criterion(db, settings, scored):
    agent, call = scored
    other = factories.create_agent(db)
    factories.create_scored_call(db, settings, other, started_at=T0)
    everyone = _range(db, since=SINCE, until=UNTIL)
    assert {v.agent_id for v in everyone} == {agent.id, other.id}
    assert {v.agent_id for v in _range(db, since=SINCE, until=UNTIL, agent_ids=[agent.id])} == {agent.id}
    assert {v.agent_id for v in _range(db, since=SINCE, until=UNTIL, team_ids={other.team_id})} == {other.id}
    assert _range(db, since=SINCE, until=UNTIL, agent_ids=[]) == []
    only = _range(db, since=SINCE, until=UNTIL, criteria={"greeting", "closing"})
    assert {v.criterion for v in only} == {"greeting", "closing"} and len(only) == 4


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
        db,
        newbie,
        {"greeting": "pass", "empathy": "fail"},
        started_at=at,
        queue="宽带",
        human={"greeting": "fail"},
        reviewer=reviewer,
    )
    factories.create_evaluated_call(db, veteran, {"greeting": "pass", "empathy": "na"}, started_at=at)
    rows = _load(db)
    mine = {(v.call_id, v.criterion): v for v in rows}
    g = mine[(c1.id, "greeting")]
    assert g.result == "fail" and g.source == "human"
    assert g.cohort == "new_hire" and local_date(g.at, TZ) == date(2026, 11, 20)
    # one evaluation per call: no machine verdict of a reviewed call survives
    assert sum(1 for v in rows if v.call_id == c1.id) == 2
    assert {v.cohort for v in rows if v.agent_id == veteran.id} == {"veteran"}
    # same choice as evaluations.current_for_call, with what the coaching pages need about the call
    [current] = verdicts.current_evaluations(db, rubric_key="telecom_service", call_ids=[c1.id])
    assert current.evaluation_id == evaluations.current_for_call(db, c1.id).id
    assert (current.queue, current.hire_date, current.source) == ("宽带", newbie.hire_date, "human")


def test_unreliable_transcripts_are_flagged_and_dropped_for_the_machine_only(db, people):
    veteran, newbie, reviewer = people
    low_roles = factories.create_evaluated_call(db, newbie, {"greeting": "fail"}, role_confidence=0.3)
    sparse = factories.create_evaluated_call(db, newbie, {"greeting": "fail"}, duration=300, text_chars=50)
    none = factories.create_evaluated_call(db, newbie, {"greeting": "fail"}, text_chars=None)
    reviewed = factories.create_evaluated_call(
        db, newbie, {"greeting": "fail"}, role_confidence=0.2, human={"greeting": "pass"}, reviewer=reviewer
    )
    fine = factories.create_evaluated_call(db, newbie, {"greeting": "pass"}, duration=20, text_chars=10)
    by_call = {v.call_id: v for v in _load(db)}
    assert not by_call[low_roles.id].reliable
    assert not by_call[sparse.id].reliable  # 50 characters in 5 minutes
    assert not by_call[none.id].reliable
    assert by_call[fine.id].reliable  # a 20-second call may be short on words
    kept = {v.call_id for v in effective(by_call.values())}
    assert kept == {reviewed.id, fine.id}  # the reviewer listened: their verdict counts
    # a reviewer confirming the transcript makes its machine verdicts count again
    reliability.confirm(
        db,
        low_roles,
        actor=reviewer,
        reason="listened: roles are right",
        agent_user_id=newbie.user_id,
        max_attempts=3,
    )
    db.commit()
    assert {v.call_id: v for v in _load(db)}[low_roles.id].reliable


def test_the_loader_reads_the_verdict_stored_at_scoring_time(db, people):
    """No recomputation: what counts is the column the scorer wrote (a later change to the transcript row
    does not move the statistics until the call is scored again)."""
    _, newbie, _ = people
    flagged = factories.create_evaluated_call(db, newbie, {"greeting": "pass"}, unreliable=True)
    clean = factories.create_evaluated_call(
        db, newbie, {"greeting": "pass"}, role_confidence=0.3, unreliable=False
    )
    by_call = {v.call_id: v for v in _load(db)}
    assert not by_call[flagged.id].reliable and by_call[clean.id].reliable


def test_filters_window_agents_and_criteria(db, people):
    veteran, newbie, _ = people
    old = factories.create_evaluated_call(
        db, newbie, {"greeting": "pass"}, started_at=datetime(2026, 8, 1, tzinfo=UTC)
    )
    new = factories.create_evaluated_call(
        db, newbie, {"greeting": "pass", "closing": "fail"}, started_at=datetime(2026, 11, 28, tzinfo=UTC)
    )
    factories.create_evaluated_call(
        db, veteran, {"greeting": "pass"}, started_at=datetime(2026, 11, 28, tzinfo=UTC)
    )
    since, until = verdicts.window(TODAY, 30, TZ)
    rows = _load(db, since=since, until=until, agent_ids=[newbie.id], criteria=["closing"])
    assert [(v.call_id, v.criterion) for v in rows] == [(new.id, "closing")]
    assert old.id not in {v.call_id for v in _load(db, since=since)}


def test_the_queries_do_not_grow_with_the_calls(app, db, people):
    """The rubric versions' criteria, then every verdict in one query: nothing per call."""
    veteran, newbie, _ = people
    engine = app.extensions["qa_engine"]

    def statements_for_a_load() -> tuple[int, int]:
        statements = []

        def count(*_args):
            statements.append(1)

        event.listen(engine, "before_cursor_execute", count)
        try:
            rows = _load(db)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(rows), len(statements)

    factories.create_evaluated_call(db, newbie, {"greeting": "pass", "closing": "fail"})
    assert statements_for_a_load() == (2, 2)
    for i in range(59):
        factories.create_evaluated_call(
            db, veteran if i % 2 else newbie, {"greeting": "pass", "closing": "fail"}
        )
    assert statements_for_a_load() == (120, 2)
