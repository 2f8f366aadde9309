"""Machine vs human report: counts per criterion and direction from completed human reviews only, the
ruling's evaluation replacing a disputed one, the period filter, examples, and CSV cells that cannot run
as spreadsheet formulas."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import timedelta

import pytest

from qa_app.db.base import utcnow
from qa_app.services import calibration as cal
from qa_app.services import evaluations as ev_svc
from qa_app.services import machine_report
from qa_app.services import rubrics as rubric_service
from qa_app.services.evaluations import ItemInput
from qa_app.services.machine_report import CriterionRow, Report
from qa_app.web.exports import csv_bytes
from rubrics.messages import render

import factories
from fakes import make_transcript


def _rude_greeting():
    t = make_transcript()
    segs = list(t.segments)
    segs[0] = replace(segs[0], text="喂，什么事？")
    return replace(t, segments=tuple(segs))


def _review(db, call, reviewer, changes: dict[str, ItemInput], *, submit=True):
    ev = ev_svc.start_review(db, call, reviewer)
    answers = {cid: ItemInput(it["result"], it.get("points")) for cid, it in ev.items.items()}
    answers.update(changes)
    ev_svc.save(db, ev, actor=reviewer, expected_version=ev.version, answers=answers)
    if submit:
        ev_svc.submit(db, ev, actor=reviewer, expected_version=ev.version)
    db.commit()
    return ev


@pytest.fixture
def reviewed(app, db):
    settings = app.extensions["qa_settings"]
    agent = factories.create_agent(db)
    c1 = factories.create_scored_call(db, settings, agent)
    c2 = factories.create_scored_call(db, settings, agent)
    c3 = factories.create_scored_call(db, settings, agent, transcript=_rude_greeting())
    c4 = factories.create_scored_call(db, settings, agent)
    r1 = factories.create_user(db, "qa_reviewer", display_name="质检员甲")
    r2 = factories.create_user(db, "qa_reviewer", display_name="质检员乙")
    e1 = _review(
        db, c1, r1,
        {"greeting": ItemInput("fail", reason="未报工号"), "hold_etiquette": ItemInput("pass", reason="有等待且致谢")},
    )  # fmt: skip
    e2 = _review(db, c2, r2, {"verification": ItemInput("na", reason="未涉及账户操作")})
    e3 = _review(db, c3, r1, {"greeting": ItemInput("pass", reason="=录音里有问候，识别漏字")})
    # not counted: a draft, and calibration scores
    _review(db, c4, r2, {"greeting": ItemInput("fail", reason="草稿")}, submit=False)
    s = cal.create_session(
        db,
        cal.SessionInput("校准", rubric_service.default_version(db).id, (c4.id,), (r1.id, r2.id), True),
        actor=r1,
    )
    cal.start_scoring(db, s, actor=r1)
    db.commit()
    return {"calls": (c1, c2, c3, c4), "reviewers": (r1, r2), "evals": (e1, e2, e3), "agent": agent}


def _row(report: Report, cid: str) -> CriterionRow:
    return next(r for r in report.rows if r.criterion_id == cid)


def test_counts_per_criterion_and_direction(reviewed, db):
    c1, _c2, c3, _c4 = reviewed["calls"]
    report = machine_report.build(db)
    assert report.evaluations == 3
    greeting = _row(report, "greeting")
    assert (greeting.compared, greeting.agreed, greeting.overrides) == (3, 1, 2)
    assert greeting.counts == {"pass_to_fail": 1, "fail_to_pass": 1, "to_na": 0, "from_na": 0, "points": 0}
    assert greeting.title_zh == "开场白" and greeting.title_en == "Greeting"
    assert greeting.override_rate == pytest.approx(2 / 3) and greeting.agreement_rate == pytest.approx(1 / 3)
    assert [(e.call_id, e.direction, e.reason, e.reviewer) for e in greeting.examples] == [
        (c3.id, "fail_to_pass", "=录音里有问候，识别漏字", "质检员甲"),
        (c1.id, "pass_to_fail", "未报工号", "质检员甲"),
    ]
    assert _row(report, "verification").counts["to_na"] == 1
    assert _row(report, "hold_etiquette").counts["from_na"] == 1
    assert _row(report, "closing").overrides == 0 and _row(report, "closing").compared == 3
    assert report.rows[0].criterion_id == "greeting", "sorted by override rate"
    assert report.compared == 3 * 14 and report.overrides == 4
    found, total = machine_report.overrides(db, "greeting")
    assert total == 2 and {o.call_id for o in found} == {c1.id, c3.id}
    rude = next(o for o in found if o.call_id == c3.id)
    assert "not found" in render(rude.machine_note, "en") and "喂，什么事？" in rude.evidence, "what the rule looked at"


def test_the_rulings_evaluation_replaces_the_disputed_one(reviewed, db):
    c1 = reviewed["calls"][0]
    e1 = reviewed["evals"][0]
    agent_user = reviewed["agent"].user
    lead = factories.create_user(db, "trainer")
    d = ev_svc.dispute(db, e1, agent=agent_user, criteria={"greeting": "我报了工号"}, window_days=7)
    ev_svc.rule(db, d, lead=lead, decisions={"greeting": ItemInput("pass")}, reason="录音可证")
    db.commit()
    report = machine_report.build(db)
    greeting = _row(report, "greeting")
    assert report.evaluations == 3
    assert greeting.counts["pass_to_fail"] == 0 and greeting.counts["fail_to_pass"] == 1
    assert all(e.call_id != c1.id for e in greeting.examples)


def test_period_filter(reviewed, db):
    e3 = reviewed["evals"][2]
    e3.submitted_at = utcnow() - timedelta(days=100)
    db.commit()
    recent = machine_report.build(db, date_from=utcnow() - timedelta(days=90))
    assert recent.evaluations == 2 and _row(recent, "greeting").counts["fail_to_pass"] == 0
    old = machine_report.build(db, date_to=utcnow() - timedelta(days=90))
    assert old.evaluations == 1 and _row(old, "greeting").counts["fail_to_pass"] == 1
    assert machine_report.build(db, date_from=utcnow() + timedelta(days=1)).rows == []


def test_direction():
    d = machine_report.direction
    assert d("pass", 6.0, "pass", None) is None
    assert d("pass", 6.0, "fail", None) == "pass_to_fail"
    assert d("fail", 0.0, "pass", None) == "fail_to_pass"
    assert d("pass", None, "na", None) == "to_na"
    assert d("na", None, "fail", None) == "from_na"
    assert d("pass", 4.0, "pass", 3.0) == "points"


@pytest.mark.parametrize("bad", ["=SUM(A1:A9)", "+1+1", "-2+3", "@cmd", "\t=1", "\r=1"])
def test_csv_cells_never_start_a_formula(bad):
    row = CriterionRow(bad, title_zh=bad, title_en=bad, compared=2, agreed=1)
    text = csv_bytes(*machine_report.csv_table(Report([row], 1))).decode("utf-8")
    assert text.startswith("\ufeff")
    cells = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert cells[0][0] == "criterion_id"
    assert cells[1][0] == "'" + bad and cells[1][1] == "'" + bad
    assert cells[1][2:7] == ["2", "1", "0.5000", "1", "0.5000"]
    assert machine_report.csv_table(Report([row], 1))[1][0][:2] == [bad, bad], "escaped once, when written"
