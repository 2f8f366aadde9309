"""qa_app.services.verdicts: evaluated calls as coaching.Verdict rows (current evaluations only, human over
machine through coaching.effective, unreliable transcripts flagged, cohort on the day of the call)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from coaching import effective
from qa_app.db.models import Purpose, TranscriptRecord
from qa_app.services import evaluations as ev_svc
from qa_app.services.verdicts import load_verdicts

import factories

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
SINCE, UNTIL = T0 - timedelta(days=1), T0 + timedelta(days=1)


@pytest.fixture
def scored(db, settings):
    agent = factories.create_agent(db, hire_date=date(2026, 1, 15))
    call = factories.create_scored_call(db, settings, agent, started_at=T0)
    return agent, call


def test_machine_verdicts_of_every_criterion(db, settings, scored):
    agent, call = scored
    rows = load_verdicts(db, since=SINCE, until=UNTIL)
    machine = ev_svc.current_for_call(db, call.id)
    assert {v.criterion: v.result for v in rows} == {cid: it["result"] for cid, it in machine.items.items()}
    v = rows[0]
    assert (v.agent_id, v.call_id, v.source, v.reliable, v.at) == (agent.id, call.id, "machine", True, T0)
    assert v.cohort == "new_hire"  # 46 days into the job on the day of the call
    assert load_verdicts(db, since=SINCE, until=UNTIL, new_hire_days=30)[0].cohort == "veteran"
    assert load_verdicts(db, since=UNTIL, until=UNTIL + timedelta(days=1)) == []


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
    drafts = load_verdicts(db, since=SINCE, until=UNTIL)
    assert {v.source for v in drafts} == {"machine"}, "a draft review does not count yet"
    answers = {cid: ev_svc.ItemInput(it["result"], it.get("points")) for cid, it in ev.items.items()}
    answers["closing"] = ev_svc.ItemInput("fail", reason="没有询问其他需求")
    ev_svc.save(db, ev, actor=reviewer, expected_version=ev.version, answers=answers)
    ev_svc.submit(db, ev, actor=reviewer, expected_version=ev.version)
    db.commit()
    rows = load_verdicts(db, since=SINCE, until=UNTIL)
    assert {v.source for v in rows} == {"human"}, "the submitted review superseded the machine's"
    counted = {v.criterion: v.result for v in effective(rows)}
    assert counted["closing"] == "fail" and counted["greeting"] == "pass", "the calibration 'fail' is ignored"


def test_unreliable_transcripts_flag_machine_verdicts(db, settings, scored):
    _, call = scored
    rec = db.scalar(select(TranscriptRecord).where(TranscriptRecord.call_id == call.id))
    rec.role_confidence = 0.4
    db.commit()
    rows = load_verdicts(db, since=SINCE, until=UNTIL)
    assert rows and not any(v.reliable for v in rows)
    assert effective(rows) == [], "coaching.effective drops machine verdicts on a bad transcript"
    rec.roles_swapped_by_id = factories.create_user(db, "qa_reviewer").id  # a person confirmed the roles
    db.commit()
    assert all(v.reliable for v in load_verdicts(db, since=SINCE, until=UNTIL))
    db.delete(rec)  # a recording the machine scored without any transcript: nothing it could have read
    db.commit()
    assert not any(v.reliable for v in load_verdicts(db, since=SINCE, until=UNTIL))


def test_filters_by_agent_team_and_criterion(db, settings, scored):
    agent, call = scored
    other = factories.create_agent(db)
    factories.create_scored_call(db, settings, other, started_at=T0)
    everyone = load_verdicts(db, since=SINCE, until=UNTIL)
    assert {v.agent_id for v in everyone} == {agent.id, other.id}
    assert {v.agent_id for v in load_verdicts(db, since=SINCE, until=UNTIL, agent_ids=[agent.id])} == {
        agent.id
    }
    assert {v.agent_id for v in load_verdicts(db, since=SINCE, until=UNTIL, team_ids={other.team_id})} == {
        other.id
    }
    assert load_verdicts(db, since=SINCE, until=UNTIL, agent_ids=[]) == []
    only = load_verdicts(db, since=SINCE, until=UNTIL, criteria={"greeting", "closing"})
    assert {v.criterion for v in only} == {"greeting", "closing"} and len(only) == 4
