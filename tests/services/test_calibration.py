"""Calibration sessions: set-up validation, the life cycle (open → scoring → discussion → closed), blind
scoring and who sees the results, the agreed outcome, trends, reminders — and the statistics of a seeded
session checked against the reference ``krippendorff`` package (nominal per criterion, interval on the
totals and on a points criterion)."""

from __future__ import annotations

import math
from datetime import date, timedelta

import krippendorff
import numpy as np
import pytest
import yaml
from sqlalchemy import select

from qa_app.db.models import (
    CalibrationState,
    EvalState,
    Evaluation,
    Notification,
    Purpose,
    RaterType,
)
from qa_app.services import calibration as cal
from qa_app.services import rubrics as rubric_service
from qa_app.services.calibration import MACHINE, TOTAL, SessionInput
from qa_app.services.errors import Conflict, Forbidden, Invalid, NotFound
from qa_app.services.evaluations import ItemInput
from rubrics.messages import msg

import factories

TODAY = date(2026, 11, 29)


@pytest.fixture
def world(app, db):
    settings = app.extensions["qa_settings"]
    team = factories.create_team(db)
    agents = [factories.create_agent(db, team=team) for _ in range(2)]
    calls = [factories.create_scored_call(db, settings, agents[i % 2]) for i in range(4)]
    lead = factories.create_user(db, "trainer")
    raters = [factories.create_user(db, "qa_reviewer") for _ in range(3)]
    version = rubric_service.default_version(db)
    return settings, agents, calls, lead, raters, version


def _input(version, calls, raters, **kw) -> SessionInput:
    base = {
        "title": "第一期校准",
        "rubric_version_id": version.id,
        "call_ids": tuple(c.id for c in calls),
        "rater_ids": tuple(u.id for u in raters),
        "include_machine": True,
        "expert_user_id": None,
        "due_date": None,
    }
    base.update(kw)
    return SessionInput(**base)


def _all(rubric, result="pass", **over) -> dict[str, ItemInput]:
    out = {c.id: ItemInput(result if (result != "na" or c.allow_na) else "pass") for c in rubric.criteria()}
    out.update(over)
    return out


def _score(db, s, user, call_id, answers=None, submit=True):
    ev = cal.rater_evaluation(db, s, user, call_id)
    rubric = rubric_service.to_domain(s.rubric_version, strict=False)
    return cal.save_score(
        db, s, ev, actor=user, expected_version=ev.version, answers=answers or _all(rubric), submit=submit
    )


# --- set-up -------------------------------------------------------------------------------------------------


def test_create_validates_the_set_up(world, db, settings):
    _, agents, calls, lead, raters, version = world
    unscored = factories.create_call(db, settings, agents[0])
    cases = [
        ({"title": "  "}, "title"),
        ({"call_ids": ()}, "call_ids"),
        ({"call_ids": (calls[0].id, 999999)}, "call_ids"),
        ({"call_ids": (calls[0].id, unscored.id)}, "call_ids"),
        ({"rater_ids": (raters[0].id,), "include_machine": False}, "rater_ids"),
        ({"rater_ids": (raters[0].id, agents[0].user_id)}, "rater_ids"),
        ({"due_date": TODAY - timedelta(days=1)}, "due_date"),
        ({"rubric_version_id": 999999}, "rubric_version_id"),
    ]
    for kw, field in cases:
        with pytest.raises(Invalid) as err:
            cal.create_session(db, _input(version, calls, raters, **kw), actor=lead, today=TODAY)
        assert err.value.field == field, kw
        db.rollback()
    agent_user = db.get(type(lead), agents[0].user_id)
    with pytest.raises(Forbidden):
        cal.create_session(db, _input(version, calls, raters), actor=agent_user, today=TODAY)


def test_one_rater_and_the_machine_is_enough_and_the_expert_joins_the_raters(world, db):
    _, _, calls, lead, raters, version = world
    s = cal.create_session(
        db, _input(version, calls[:2], raters[:1], expert_user_id=lead.id), actor=lead, today=TODAY
    )
    assert s.state == CalibrationState.OPEN
    assert [r.user_id for r in s.raters] == [raters[0].id, lead.id]
    assert [c.call_id for c in s.calls] == [calls[0].id, calls[1].id]


def test_edit_while_open_then_fixed(world, db):
    _, _, calls, lead, raters, version = world
    s = cal.create_session(db, _input(version, calls[:2], raters[:2]), actor=lead, today=TODAY)
    with pytest.raises(Forbidden):
        cal.update_session(db, s, _input(version, calls, raters), actor=raters[0], today=TODAY)
    cal.update_session(db, s, _input(version, calls[1:], raters, title="改过"), actor=lead, today=TODAY)
    db.commit()
    assert s.title == "改过" and [c.call_id for c in s.calls] == [c.id for c in calls[1:]]
    assert len(s.raters) == 3
    cal.start_scoring(db, s, actor=lead)
    with pytest.raises(Conflict):
        cal.update_session(db, s, _input(version, calls, raters), actor=lead, today=TODAY)


# --- life cycle and blindness -------------------------------------------------------------------------------


def test_life_cycle_open_scoring_discussion_closed(world, db):
    _, _, calls, lead, raters, version = world
    s = cal.create_session(db, _input(version, calls[:2], raters[:2]), actor=lead, today=TODAY)
    with pytest.raises(Conflict):  # nobody scores before the lead starts the scoring
        cal.rater_evaluation(db, s, raters[0], calls[0].id)
    with pytest.raises(Forbidden):
        cal.start_scoring(db, s, actor=raters[0])
    cal.start_scoring(db, s, actor=lead)
    db.commit()
    assert s.state == CalibrationState.SCORING and s.started_at is not None
    with pytest.raises(Conflict):
        cal.start_scoring(db, s, actor=lead)
    # every rater got a blank draft per call, and a notification
    drafts = db.scalars(select(Evaluation).where(Evaluation.calibration_session_id == s.id)).all()
    assert len(drafts) == 4 and {d.state for d in drafts} == {EvalState.DRAFT}
    invited = db.scalars(select(Notification).where(Notification.kind == "calibration_invited")).all()
    assert sorted(n.user_id for n in invited) == sorted(u.id for u in raters[:2])
    # the machine's answers are frozen
    assert all(cc.machine_evaluation_id for cc in s.calls)

    with pytest.raises(Invalid, match="nobody"):
        cal.start_discussion(db, s, actor=lead)
    _score(db, s, raters[0], calls[0].id)
    with pytest.raises(Invalid) as err:  # three scores missing: the lead must confirm
        cal.start_discussion(db, s, actor=lead)
    assert err.value.field == "allow_missing" and "3" in err.value.render("en")
    with pytest.raises(Conflict):
        cal.save_outcome(db, s, actor=lead, expected_lock_version=None, notes="", agreed={})
    _score(db, s, raters[1], calls[0].id)
    _score(db, s, raters[0], calls[1].id)
    draft = _score(db, s, raters[1], calls[1].id, submit=False)
    cal.start_discussion(db, s, actor=lead, allow_missing=True)
    db.commit()
    assert s.state == CalibrationState.DISCUSSION
    with pytest.raises(Conflict):  # scores are frozen now
        cal.save_score(db, s, draft, actor=raters[1], expected_version=draft.version, answers={})
    res = cal.results(db, s)
    assert res.submitted == 3 and res.expected == 4, "the unsubmitted draft does not count"

    rubric = res.rubric
    full = {calls[0].id: _all(rubric), calls[1].id: _all(rubric)}
    partial = {calls[0].id: _all(rubric)}
    with pytest.raises(Invalid, match="agreed"):
        cal.save_outcome(
            db, s, actor=lead, expected_lock_version=s.lock_version, notes="x", agreed=partial, close=True
        )
    db.rollback()
    bad = {calls[0].id: {"greeting": ItemInput("na")}}  # greeting cannot be N/A
    with pytest.raises(Invalid) as err:
        cal.save_outcome(db, s, actor=lead, expected_lock_version=None, notes="", agreed=bad)
    assert err.value.field == f"agreed-{calls[0].id}-greeting"
    assert err.value.errors == {f"agreed-{calls[0].id}-greeting": msg("evaluations.na_not_allowed")}
    db.rollback()
    with pytest.raises(Conflict):  # someone saved in between
        cal.save_outcome(db, s, actor=lead, expected_lock_version=s.lock_version - 1, notes="", agreed=full)
    with pytest.raises(Forbidden):
        cal.save_outcome(db, s, actor=raters[0], expected_lock_version=None, notes="", agreed=full)
    cal.save_outcome(db, s, actor=lead, expected_lock_version=s.lock_version, notes="统一口径", agreed=full)
    db.commit()
    assert s.state == CalibrationState.DISCUSSION and s.discussion_notes == "统一口径"
    assert s.agreed[str(calls[0].id)]["total"] == 100.0
    cal.save_outcome(
        db, s, actor=lead, expected_lock_version=s.lock_version, notes="统一口径", agreed=full, close=True
    )
    db.commit()
    assert s.state == CalibrationState.CLOSED and s.closed_at is not None
    with pytest.raises(Conflict):
        cal.save_outcome(db, s, actor=lead, expected_lock_version=None, notes="", agreed=full)
    with pytest.raises(Conflict):
        cal.start_discussion(db, s, actor=lead)


def test_a_submitted_score_is_final_and_only_the_rater_may_touch_it(world, db):
    _, _, calls, lead, raters, version = world
    s = cal.create_session(db, _input(version, calls[:1], raters[:2]), actor=lead, today=TODAY)
    cal.start_scoring(db, s, actor=lead)
    ev = cal.rater_evaluation(db, s, raters[0], calls[0].id)
    rubric = rubric_service.to_domain(s.rubric_version, strict=False)
    with pytest.raises(NotFound):
        cal.save_score(db, s, ev, actor=raters[1], expected_version=ev.version, answers=_all(rubric))
    with pytest.raises(Invalid):  # submit needs every criterion
        cal.save_score(db, s, ev, actor=raters[0], expected_version=ev.version, answers={}, submit=True)
    db.rollback()
    ev = cal.rater_evaluation(db, s, raters[0], calls[0].id)
    cal.save_score(db, s, ev, actor=raters[0], expected_version=ev.version, answers=_all(rubric), submit=True)
    assert ev.state == EvalState.SUBMITTED and ev.released_at is None, "calibration scores are never released"
    with pytest.raises(Conflict):
        cal.save_score(db, s, ev, actor=raters[0], expected_version=ev.version, answers=_all(rubric, "fail"))
    with pytest.raises(NotFound):  # not a rater of this session
        cal.rater_evaluation(db, s, lead, calls[0].id)
    with pytest.raises(NotFound):  # not a call of this session
        cal.rater_evaluation(db, s, raters[0], calls[1].id)


def test_blind_scoring_and_who_sees_the_results(world, db):
    _, agents, calls, lead, raters, version = world
    admin = factories.create_user(db, "admin")
    outsider = factories.create_user(db, "qa_reviewer")
    agent_user = db.get(type(lead), agents[0].user_id)
    # the lead also scores, as the expert
    s = cal.create_session(
        db, _input(version, calls[:2], raters[:2], expert_user_id=lead.id), actor=lead, today=TODAY
    )
    cal.start_scoring(db, s, actor=lead)
    db.commit()
    ev = cal.rater_evaluation(db, s, raters[0], calls[0].id)
    assert ev.purpose == Purpose.CALIBRATION and ev.rater_type == RaterType.HUMAN
    for it in ev.items.values():
        assert not {"result", "machine_result", "evidence", "note"} & set(it), "blind: nothing of the machine"
    assert ev.total is None

    assert not cal.can_see_results(db, s, raters[0])
    with pytest.raises(Forbidden):
        cal.results_for(db, raters[0], s.id)
    assert cal.can_see_results(db, s, admin)
    assert not cal.can_see_results(db, s, lead), "the lead scores too: blind until their own scores are in"
    for call in calls[:2]:
        _score(db, s, lead, call.id)
    assert cal.can_see_results(db, s, lead)
    with pytest.raises(NotFound):
        cal.get_for(db, outsider, s.id)
    for fn in (cal.get_for, cal.results_for):
        with pytest.raises(Forbidden):
            fn(db, agent_user, s.id)
    assert not cal.can_see_results(db, s, agent_user)
    with pytest.raises(Forbidden):
        cal.sessions_for(db, agent_user)
    assert [x.id for x in cal.sessions_for(db, raters[0])] == [s.id]
    assert cal.sessions_for(db, outsider) == []
    assert [x.id for x in cal.sessions_for(db, admin)] == [s.id]

    for call in calls[:2]:
        _score(db, s, raters[0], call.id)
    cal.start_discussion(db, s, actor=lead, allow_missing=True)
    assert cal.can_see_results(db, s, raters[0]) and cal.can_see_results(db, s, raters[1])
    assert not cal.can_see_results(db, s, outsider) and not cal.can_see_results(db, s, agent_user)
    # the agent whose call it was never sees a calibration score, in discussion or after
    from qa_app.services import evaluations

    assert all(e.purpose == Purpose.REVIEW for e in evaluations.for_call(db, calls[0], agent_user))


# --- statistics against the reference implementation ---------------------------------------------------------


def _reliability(ratings, criterion: str, code=lambda v: v):  # noqa: ANN001
    """raters x units matrix (NaN = missing) in the layout the krippendorff package expects."""
    rows = [r for r in ratings if r.criterion == criterion]
    raters = sorted({r.rater for r in rows})
    units = sorted({r.unit for r in rows})
    m = np.full((len(raters), len(units)), np.nan)
    for r in rows:
        m[raters.index(r.rater), units.index(r.unit)] = code(r.value)
    return m


CODES = {"pass": 0.0, "fail": 1.0, "na": 2.0}


def test_seeded_session_alpha_equals_the_krippendorff_package(world, db, app):
    settings, agents, calls, lead, raters, version = world
    calls = calls + [factories.create_scored_call(db, settings, agents[i % 2]) for i in range(2)]
    made = cal.seed_demo(db, lead=lead, raters=raters, expert=raters[-1], calls=calls)
    db.commit()
    assert len(made) == 1
    s = made[0]
    assert s.state == CalibrationState.DISCUSSION and s.include_machine and len(s.calls) == 6
    res = cal.results(db, s)
    assert res.submitted == 18 and res.expected == 18
    assert {r.key for r in res.raters} == {str(u.id) for u in raters} | {MACHINE}

    checked = 0
    disagreeing = 0
    for c, a in res.criteria:
        assert a is not None and a.level == "nominal" and a.n_units == 6 and a.n_raters == 4
        matrix = _reliability(res.ratings, c.id, CODES.get)
        if a.alpha is None:  # everybody agreed: alpha is 0/0, the package refuses such data
            assert a.note and len(np.unique(matrix[~np.isnan(matrix)])) == 1
            continue
        want = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
        assert math.isclose(a.alpha, want, abs_tol=1e-9), (c.id, a.alpha, want)
        checked += 1
        disagreeing += a.percent_agreement < 1
    assert checked >= 4 and disagreeing >= 4, "the demo has realistic disagreement on several criteria"

    total = res.total
    assert total.level == "interval" and total.n_units == 6 and total.n_raters == 4
    want = krippendorff.alpha(
        reliability_data=_reliability(res.ratings, TOTAL), level_of_measurement="interval"
    )
    assert math.isclose(total.alpha, want, abs_tol=1e-9)
    # the spread of totals agrees with the totals shown
    for cr in res.calls:
        vals = [t for t in cr.totals.values() if t is not None]
        assert cr.spread.minimum == min(vals) and cr.spread.maximum == max(vals)
        assert math.isclose(cr.spread.stdev, float(np.std(vals)), abs_tol=1e-9)
    # each non-expert reviewer is compared with the consensus and the expert; the expert only with consensus
    for summ in res.summaries:
        assert summ.consensus_agreement is not None and 0 <= summ.consensus_agreement <= 1
        if summ.rater.key == str(raters[-1].id):
            assert summ.expert_agreement is None
        else:
            assert summ.expert_units == 6 * len(list(res.rubric.criteria()))
    # the matrix highlights exactly the answers that differ from the row's majority
    for cr in res.calls:
        for row in cr.rows:
            answers = [cell.result for cell in row.cells.values()]
            assert row.unanimous == (len(set(answers)) == 1)
            if row.unanimous:
                assert not any(cell.deviates for cell in row.cells.values())


def _points_rubric_version(db, actor):
    base = yaml.safe_load(rubric_service.default_version(db).yaml_text)
    base["sections"][0]["criteria"].append(
        {
            "id": "resolution_quality",
            "title": {"zh": "解决质量", "en": "Resolution quality"},
            "guidance": {"zh": "0–10 分", "en": "0–10 points"},
            "weight": 10,
            "scale": {"type": "points", "max": 10},
            "allow_na": True,
            "critical": None,
            "party": "agent",
        }
    )
    draft = rubric_service.save_draft(db, yaml.safe_dump(base, allow_unicode=True), actor=actor)
    return rubric_service.publish(db, draft.id, actor=actor, make_default=True)


def test_points_criterion_uses_the_interval_level_like_the_package(app, db):
    settings = app.extensions["qa_settings"]
    admin = factories.create_user(db, "admin")
    rubric_service.ensure_default(db)
    version = _points_rubric_version(db, admin)
    db.commit()
    agent = factories.create_agent(db)
    calls = [factories.create_scored_call(db, settings, agent) for _ in range(4)]
    raters = [factories.create_user(db, "qa_reviewer") for _ in range(3)]
    s = cal.create_session(
        db, _input(version, calls, raters, include_machine=False), actor=admin, today=TODAY
    )
    cal.start_scoring(db, s, actor=admin)
    rubric = rubric_service.to_domain(version, strict=False)
    points = {  # rater -> per call (None: N/A, a missing value for the interval level)
        0: [8, 6, 9, 3],
        1: [7, 6, 10, 5],
        2: [9, None, 8, 2],
    }
    for i, u in enumerate(raters):
        for call, p in zip(calls, points[i], strict=True):
            answer = ItemInput("na") if p is None else ItemInput("pass" if p >= 5 else "fail", float(p))
            _score(db, s, u, call.id, _all(rubric, resolution_quality=answer))
    db.commit()
    res = cal.results(db, s)
    a = dict((c.id, a) for c, a in res.criteria)["resolution_quality"]
    assert a.level == "interval" and a.n_units == 4 and a.n_raters == 3
    want = krippendorff.alpha(
        reliability_data=_reliability(res.ratings, "resolution_quality"), level_of_measurement="interval"
    )
    assert math.isclose(a.alpha, want, abs_tol=1e-9)
    # pass/fail criteria in the same session stay nominal
    assert dict((c.id, a) for c, a in res.criteria)["greeting"].level == "nominal"
    # the outcome form suggests the majority answer and the median of its points
    row = next(r for r in res.calls[0].rows if r.criterion.id == "resolution_quality")
    assert row.suggested == ("pass", 8.0)


# --- trends, reminders, demo -----------------------------------------------------------------------------------


def test_trends_follow_the_sessions_a_user_may_see(world, db, settings):
    _, agents, calls, lead, raters, _version = world
    calls = calls + [factories.create_scored_call(db, settings, agents[i % 2]) for i in range(2)]
    made = cal.seed_demo(
        db, lead=lead, raters=raters, expert=raters[-1], calls=calls, sessions=3, calls_per_session=2
    )
    db.commit()
    assert [s.state for s in made] == ["closed", "closed", "discussion"]
    t = cal.trends(db, lead)
    assert [s.id for s in t.sessions] == [s.id for s in made]
    assert t.total is not None and len(t.total.values) == 3
    greeting = next(r for r in t.criteria if r.key == "greeting")
    assert len(greeting.values) == 3 and greeting.title_zh == "开场白"
    assert {r.key for r in t.reviewers} == {str(u.id) for u in raters} | {MACHINE}
    assert all(len(r.values) == 3 for r in t.reviewers)
    outsider = factories.create_user(db, "trainer")
    assert cal.trends(db, outsider).sessions == []
    assert len(cal.trends(db, raters[0]).sessions) == 3


def test_seed_demo_without_enough_data_does_nothing(app, db):
    assert cal.seed_demo(db) == []


def test_reminders_once_per_day_for_unsubmitted_scores(world, db):
    _, _, calls, lead, raters, version = world
    s = cal.create_session(
        db,
        _input(version, calls[:1], raters[:2], due_date=TODAY + timedelta(days=1)),
        actor=lead,
        today=TODAY,
    )
    assert cal.remind_due(db, today=TODAY, period="2026-11-29") == 0, "not scoring yet"
    cal.start_scoring(db, s, actor=lead)
    _score(db, s, raters[0], calls[0].id)
    assert cal.remind_due(db, today=TODAY - timedelta(days=1), period="2026-11-28") == 0, "not due yet"
    assert cal.remind_due(db, today=TODAY, period="2026-11-29") == 1
    assert cal.remind_due(db, today=TODAY, period="2026-11-29") == 0, "once per day"
    note = db.scalar(select(Notification).where(Notification.kind == "calibration_due"))
    assert note.user_id == raters[1].id and note.url == f"/calibration/{s.id}"


def test_a_call_already_reviewed_by_a_human_can_be_calibrated_with_the_machine(world, db):
    from qa_app.services import evaluations

    _, _, calls, lead, raters, version = world
    review = evaluations.start_review(db, calls[0], raters[0])
    evaluations.submit(db, review, actor=raters[0], expected_version=review.version)
    db.commit()
    machine = db.scalar(
        select(Evaluation).where(
            Evaluation.call_id == calls[0].id, Evaluation.rater_type == RaterType.MACHINE
        )
    )
    assert machine.superseded, "the human review replaced the machine's for the agent"
    assert calls[0].id in {c.id for c in cal.candidate_calls(db, cal.CallSearch(version.id))}
    s = cal.create_session(db, _input(version, calls[:1], raters[1:]), actor=lead, today=TODAY)
    cal.start_scoring(db, s, actor=lead)
    assert s.calls[0].machine_evaluation_id == machine.id
    ev = cal.rater_evaluation(db, s, raters[1], calls[0].id)
    assert ev.rubric_version_id == version.id and not ev.items, "still blank and blind"
    for u in raters[1:]:
        _score(db, s, u, calls[0].id)
    res = cal.results(db, s)
    assert MACHINE in res.calls[0].totals and res.calls[0].totals[MACHINE] == machine.total


def test_call_picker_filters(world, db, settings):
    _, agents, calls, _lead, _raters, version = world
    search = cal.CallSearch
    assert {c.id for c in cal.candidate_calls(db, search(version.id, agent_id=agents[1].id))} == {
        calls[1].id,
        calls[3].id,
    }
    assert cal.candidate_calls(db, search(version.id, max_score=50)) == []
    assert cal.candidate_calls(db, search(version.id, critical_failed=True)) == []
    assert cal.candidate_calls(db, search(version.id, queue="nope")) == []
    unscored = factories.create_call(db, settings, agents[0])
    assert unscored.id not in {c.id for c in cal.candidate_calls(db, search(version.id))}
