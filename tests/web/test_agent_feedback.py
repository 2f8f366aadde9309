"""What agents see of their evaluations (issue #8 part 4): the released evaluation on the call page and its
own page, acknowledge, dispute within the window, leads' rulings (accept / partly / reject), notifications,
the agent's home, the per-rubric release rule — and everything an agent must never see (drafts,
calibration scores, unreleased automated scores, other agents' evaluations and disputes)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from qa_app.db.base import utcnow
from qa_app.db.models import (
    AuditEvent,
    Dispute,
    DisputeState,
    EvalState,
    Evaluation,
    Notification,
    Purpose,
    RaterType,
    ReleaseRule,
    RubricSettings,
    User,
)
from qa_app.services import authentication, notifications
from qa_app.services import evaluations as ev_svc
from qa_app.services.evaluations import ItemInput
from qa_app.settings import Settings

import factories
from factories import csrf_token, logged_in_client


def _text(resp) -> str:
    return resp.get_data(as_text=True)


def _post(client, url: str, data: dict | None = None, **kw):
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(client, "/")}, **kw)


class World:
    """A team with a lead, agent A (the one we log in as) and agent B, a reviewer, a scored call each."""

    def __init__(self, app, db, settings, rule: str = ReleaseRule.NEVER) -> None:
        self.app, self.db, self.settings = app, db, settings
        self.admin = factories.create_user(db, "admin")
        ev_svc.set_release_rule(db, "telecom_service", rule, actor=self.admin)
        db.commit()
        self.lead = factories.create_user(db, "trainer")
        self.team = factories.create_team(db, lead=self.lead)
        self.agent = factories.create_agent(db, team=self.team)
        self.other = factories.create_agent(db, team=factories.create_team(db))
        self.reviewer = factories.create_user(db, "qa_reviewer")
        self.call = factories.create_scored_call(db, settings, self.agent)
        self.other_call = factories.create_scored_call(db, settings, self.other)
        self.agent_user = db.get(User, self.agent.user_id)
        self.other_user = db.get(User, self.other.user_id)

    def client(self, user, lang: str | None = "en"):
        return logged_in_client(self.app, user.username, lang=lang)

    def machine(self, call) -> Evaluation:
        return self.db.scalar(
            select(Evaluation).where(
                Evaluation.call_id == call.id,
                Evaluation.rater_type == RaterType.MACHINE,
                Evaluation.superseded.is_(False),
            )
        )

    def review(self, call, *, fail=("greeting", "closing"), submit=True, reviewer=None) -> Evaluation:
        """A reviewer's evaluation failing ``fail`` (with reasons and a comment), submitted = released."""
        reviewer = reviewer or self.reviewer
        ev = ev_svc.start_review(self.db, call, reviewer)
        answers = {cid: ItemInput(it["result"], it.get("points")) for cid, it in ev.items.items()}
        for cid in fail:
            answers[cid] = ItemInput("fail", reason=f"复核：{cid} 不合格", comment=f"评语 {cid}")
        ev_svc.save(
            self.db,
            ev,
            actor=reviewer,
            expected_version=ev.version,
            answers=answers,
            summary="整体不错，注意开场白",
        )
        if submit:
            ev_svc.submit(self.db, ev, actor=reviewer, expected_version=ev.version)
        self.db.commit()
        return ev

    def dispute(self, ev, criteria=None) -> Dispute:
        d = ev_svc.dispute(
            self.db,
            ev,
            agent=self.db.get(User, self.agent.user_id),
            criteria=criteria or {"greeting": "我报了工号", "closing": "我说了再见"},
            reason="请复核",
            window_days=7,
        )
        self.db.commit()
        return d


@pytest.fixture
def world(app, db, settings) -> World:
    return World(app, db, settings)


# --- settings --------------------------------------------------------------------------------------------


def test_dispute_window_setting(tmp_path):
    base = {"QA_SECRET_KEY": "x", "QA_INSTANCE_DIR": str(tmp_path)}
    assert Settings.from_env(base).dispute_window_days == 7
    assert Settings.from_env({**base, "QA_DISPUTE_WINDOW_DAYS": "3"}).dispute_window_days == 3


# --- the agent sees, acknowledges ------------------------------------------------------------------------


def test_agent_sees_released_evaluation_and_acknowledges(world, db):
    ev = world.review(world.call)
    client = world.client(world.agent_user)
    html = _text(client.get(f"/calls/{world.call.id}"))
    assert f"{ev.total:.1f}" in html
    assert "released, awaiting acknowledgement" in html
    assert "复核：greeting 不合格" in html and "评语 closing" in html, "reasons and comments are shown"
    assert "整体不错，注意开场白" in html, "the reviewer's summary"
    assert 'class="evidence' in html, "verdicts cite the transcript"
    assert "Automated scorecard" not in html
    assert f"/evaluations/{ev.id}/acknowledge" in html and f"/evaluations/{ev.id}/dispute" in html
    page = _text(client.get(f"/evaluations/{ev.id}"))
    assert "History" in page and "released to the agent" in page
    assert "saved" not in re.sub(r"<[^>]+>", " ", page).split("History", 1)[1], "no draft events for agents"
    resp = _post(client, f"/evaluations/{ev.id}/acknowledge", {"back": "call"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/calls/{world.call.id}")
    db.expire_all()
    assert db.get(Evaluation, ev.id).state == EvalState.ACKNOWLEDGED
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "evaluation_acknowledged")) is not None
    html = _text(client.get(f"/calls/{world.call.id}"))
    assert "acknowledged" in html and f"/evaluations/{ev.id}/dispute" not in html
    again = _post(client, f"/evaluations/{ev.id}/acknowledge", follow_redirects=True)
    assert "already acknowledged" in _text(again)


def test_agent_disputes_within_the_window_with_a_reason_per_criterion(world, db):
    ev = world.review(world.call)
    client = world.client(world.agent_user)
    url = f"/evaluations/{ev.id}/dispute"
    nothing = _post(client, url, {"note": "x"})
    assert nothing.status_code == 400 and "choose the criteria you dispute" in _text(nothing)
    no_reason = _post(client, url, {"pick-greeting": "y", "reason-greeting": "  "})
    assert no_reason.status_code == 400 and "give a reason for each disputed criterion" in _text(no_reason)
    assert 'name="pick-greeting" id="pick-greeting" value="y" checked' in _text(no_reason), "input kept"
    resp = _post(
        client,
        url,
        {
            "pick-greeting": "y",
            "reason-greeting": "我报了工号 1021",
            "pick-closing": "y",
            "reason-closing": "说了再见",
            "reason-empathy": "ignored: not ticked",
            "note": "请听 00:02",
            "back": "evaluation",
        },
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/evaluations/{ev.id}")
    d = db.scalar(select(Dispute).where(Dispute.evaluation_id == ev.id))
    assert d.criteria == [
        {"criterion_id": "greeting", "reason": "我报了工号 1021"},
        {"criterion_id": "closing", "reason": "说了再见"},
    ]
    assert d.reason == "请听 00:02" and d.state == DisputeState.OPEN
    db.expire_all()
    assert db.get(Evaluation, ev.id).state == EvalState.DISPUTED
    lead_notes = db.scalars(select(Notification).where(Notification.user_id == world.lead.id)).all()
    assert [n.kind for n in lead_notes] == ["dispute_raised"]
    page = _text(client.get(f"/disputes/{d.id}"))
    assert "awaiting ruling" in page and "我报了工号 1021" in page
    assert "Save ruling" not in page, "agents read their dispute, they do not rule"


def test_dispute_outside_the_window_is_refused_with_a_message(world, db):
    ev = world.review(world.call)
    ev.released_at = utcnow() - timedelta(days=8)
    db.commit()
    client = world.client(world.agent_user)
    html = _text(client.get(f"/calls/{world.call.id}"))
    assert "The dispute window (7 days) closed" in html
    assert f"/evaluations/{ev.id}/dispute" not in html and f"/evaluations/{ev.id}/acknowledge" in html
    resp = _post(client, f"/evaluations/{ev.id}/dispute", {"pick-greeting": "y", "reason-greeting": "晚了"})
    assert resp.status_code == 400
    assert "the dispute window (7 days) has passed" in _text(resp)
    assert db.scalar(select(Dispute).where(Dispute.evaluation_id == ev.id)) is None


def test_window_setting_is_applied(make_app):
    """A 30-day window accepts a dispute 8 days after the release."""
    wide = make_app(dispute_window_days=30)
    s = wide.extensions["qa_sessionmaker"]()
    try:
        w = World(wide, s, wide.extensions["qa_settings"])
        ev = w.review(w.call)
        ev.released_at = utcnow() - timedelta(days=8)
        s.commit()
        client = w.client(w.agent_user)
        assert "Dispute verdicts" in _text(client.get(f"/calls/{w.call.id}"))
        resp = _post(
            client, f"/evaluations/{ev.id}/dispute", {"pick-greeting": "y", "reason-greeting": "还在期限内"}
        )
        assert resp.status_code == 302
    finally:
        s.close()


# --- rulings -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decisions", "outcome", "label"),
    [
        ({"greeting": "accept", "closing": "accept"}, DisputeState.ACCEPTED, "accepted"),
        ({"greeting": "accept", "closing": "reject"}, DisputeState.PARTLY_ACCEPTED, "partly accepted"),
        ({"greeting": "reject", "closing": "reject"}, DisputeState.REJECTED, "rejected"),
    ],
)
def test_lead_rules_and_the_agent_sees_the_outcome(world, db, decisions, outcome, label):
    ev = world.review(world.call)
    before = ev.total
    d = world.dispute(ev)
    lead = world.client(world.lead)
    page = _text(lead.get(f"/disputes/{d.id}"))
    assert "Save ruling" in page and "我报了工号" in page and "复核：greeting 不合格" in page
    data = {"reason": "听了录音"}
    for cid, decision in decisions.items():
        data[f"decision-{cid}"] = decision
        data[f"result-{cid}"] = "pass"
    resp = _post(lead, f"/disputes/{d.id}/rule", data)
    assert resp.status_code == 302, _text(resp)[:2000]
    db.expire_all()
    d = db.get(Dispute, d.id)
    assert d.state == outcome and d.ruling_reason == "听了录音"
    old = db.get(Evaluation, ev.id)
    assert old.state == EvalState.FINAL and old.total == before, "the disputed evaluation is kept as it was"
    if outcome == DisputeState.REJECTED:
        assert d.result_evaluation_id is None and not old.superseded
    else:
        new = db.get(Evaluation, d.result_evaluation_id)
        assert new.supersedes_id == ev.id and old.superseded and new.total > before
        assert new.items["greeting"]["result"] == "pass"
        assert new.items["closing"]["result"] == ("pass" if outcome == DisputeState.ACCEPTED else "fail")
    ruled = _text(lead.get(f"/disputes/{d.id}"))
    assert f"Outcome: {label}" in ruled and "Save ruling" not in ruled and "dispute ruled" in ruled
    # the agent: the outcome, the notification, the new evaluation on the call page
    agent = world.client(world.agent_user)
    mine = _text(agent.get(f"/disputes/{d.id}"))
    assert f"Outcome: {label}" in mine and "听了录音" in mine
    notes = _text(agent.get("/notifications/"))
    assert f"Your dispute on call #{world.call.id} was decided: {label}." in notes
    call_page = _text(agent.get(f"/calls/{world.call.id}"))
    current = db.get(Evaluation, d.result_evaluation_id) if d.result_evaluation_id else old
    assert f"{current.total:.1f}" in call_page and "final" in call_page
    if d.result_evaluation_id:
        assert "Replaces" in _text(agent.get(f"/evaluations/{d.result_evaluation_id}"))
        assert "Replaced by" in _text(agent.get(f"/evaluations/{ev.id}"))


def test_ruling_needs_a_decision_per_criterion_and_a_reason(world, db):
    ev = world.review(world.call)
    d = world.dispute(ev)
    lead = world.client(world.lead)
    url = f"/disputes/{d.id}/rule"
    no_reason = _post(lead, url, {"decision-greeting": "reject", "decision-closing": "reject", "reason": " "})
    assert no_reason.status_code == 400 and "Give a reason for the ruling." in _text(no_reason)
    missing = _post(lead, url, {"decision-greeting": "reject", "reason": "x"})
    assert missing.status_code == 400 and "Accept or reject this criterion." in _text(missing)
    no_verdict = _post(
        lead,
        url,
        {"decision-greeting": "accept", "result-greeting": "", "decision-closing": "reject", "reason": "x"},
    )
    assert no_verdict.status_code == 400 and "Choose the new verdict." in _text(no_verdict)
    bad = _post(
        lead,
        url,
        {
            "decision-greeting": "accept",
            "result-greeting": "maybe",
            "decision-closing": "reject",
            "reason": "x",
        },
    )
    assert bad.status_code == 400
    db.expire_all()
    assert db.get(Dispute, d.id).state == DisputeState.OPEN


def test_reviewer_cannot_rule_on_their_own_evaluation(world, db):
    ev = world.review(world.call)
    d = world.dispute(ev)
    own = world.client(world.reviewer)
    page = _text(own.get(f"/disputes/{d.id}"))
    assert "another lead must rule" in page and "Save ruling" not in page
    resp = _post(
        own,
        f"/disputes/{d.id}/rule",
        {
            "decision-greeting": "accept",
            "result-greeting": "pass",
            "decision-closing": "reject",
            "reason": "我自己改",
        },
    )
    assert resp.status_code == 302
    assert "you cannot rule on your own evaluation" in _text(own.get(f"/disputes/{d.id}"))
    db.expire_all()
    assert db.get(Dispute, d.id).state == DisputeState.OPEN
    other_reviewer = world.client(factories.create_user(db, "qa_reviewer"))
    assert "Save ruling" in _text(other_reviewer.get(f"/disputes/{d.id}"))


def test_machine_evaluation_released_by_the_rule_can_be_disputed_and_ruled(app, db, settings):
    w = World(app, db, settings, rule=ReleaseRule.ALWAYS)
    m = w.machine(w.call)
    assert m.state == EvalState.RELEASED
    agent = w.client(w.agent_user)
    html = _text(agent.get(f"/calls/{w.call.id}"))
    assert "Scored automatically and not checked by a reviewer" in html and f"{m.total:.1f}" in html
    resp = _post(agent, f"/evaluations/{m.id}/dispute", {"pick-greeting": "y", "reason-greeting": "识别错了"})
    assert resp.status_code == 302
    d = db.scalar(select(Dispute).where(Dispute.evaluation_id == m.id))
    resp = _post(
        w.client(w.reviewer),
        f"/disputes/{d.id}/rule",
        {"decision-greeting": "accept", "result-greeting": "fail", "reason": "确实不合格"},
    )
    assert resp.status_code == 302
    db.expire_all()
    assert db.get(Dispute, d.id).state == DisputeState.ACCEPTED


# --- what an agent never sees --------------------------------------------------------------------------------


def test_agent_never_sees_drafts_calibration_unreleased_or_other_agents(world, db):
    machine = world.machine(world.call)
    assert machine.state == EvalState.SUBMITTED, "release rule 'never' keeps it from the agent"
    draft = world.review(world.call, submit=False)
    cal = ev_svc.start_review(
        db, world.call, world.reviewer, purpose=Purpose.CALIBRATION, calibration_session_id=7
    )
    db.commit()
    other_ev = world.review(world.other_call)
    other_d = ev_svc.dispute(
        db, other_ev, agent=world.other_user, criteria={"greeting": "不对"}, window_days=7
    )
    db.commit()
    agent = world.client(world.agent_user)
    for ev in (machine, draft, cal, other_ev):
        assert agent.get(f"/evaluations/{ev.id}").status_code == 404, ev
        assert _post(agent, f"/evaluations/{ev.id}/acknowledge").status_code == 404
        assert (
            _post(
                agent, f"/evaluations/{ev.id}/dispute", {"pick-greeting": "y", "reason-greeting": "x"}
            ).status_code
            == 404
        )
    assert agent.get(f"/evaluations/{2**31 - 1}").status_code == 404, "same answer as a missing one"
    assert agent.get(f"/disputes/{other_d.id}").status_code == 404
    assert f"/disputes/{other_d.id}" not in _text(agent.get("/disputes/"))
    assert agent.get(f"/disputes/{other_d.id + 1000}").status_code == 404
    # the call page: the call and transcript, a clear "not evaluated yet", never the automated score
    html = _text(agent.get(f"/calls/{world.call.id}"))
    assert "Not evaluated yet" in html and "您好" in html
    assert f"{machine.total:.1f}" not in html and "Automated scorecard" not in html
    # staff (sent to the call's review page): another reviewer's draft is that reviewer's own until submitted
    qa2 = world.client(factories.create_user(db, "qa_reviewer"))
    review_page = f"/calls/{world.call.id}/review"
    for url in (f"/evaluations/{draft.id}", f"{review_page}/{draft.id}"):
        assert qa2.get(url).status_code == 404, url
    own = world.client(world.reviewer).get(f"/evaluations/{draft.id}", follow_redirects=True)
    assert own.status_code == 200 and 'id="review-form"' in _text(own), "its author edits it"
    auto = qa2.get(f"/evaluations/{machine.id}", follow_redirects=True)
    assert (
        auto.status_code == 200
        and 'id="review-history"' in _text(auto)
        and 'id="review-form"' not in _text(auto)
    )
    for url in (f"/evaluations/{cal.id}", f"{review_page}/{cal.id}"):
        assert qa2.get(url).status_code == 404, "calibration scores only via calibration"
    own_cal = world.client(world.reviewer).get(f"/evaluations/{cal.id}", follow_redirects=True)
    assert own_cal.status_code == 200 and 'id="review-form"' not in _text(own_cal), "its author reads it"


def test_unreleased_automated_score_is_hidden_from_agents_everywhere(world, db):
    score = f"{world.call.auto_score:.1f}"
    staff = world.client(world.reviewer)
    assert score in _text(staff.get("/calls/"))
    agent = world.client(world.agent_user)
    for url in ("/calls/", "/calls/?sort=score&dir=asc", "/", f"/calls/{world.call.id}"):
        html = _text(agent.get(url))
        assert score not in html, url
    listing = _text(agent.get("/calls/"))
    assert "under review" in listing and 'value="score"' not in listing
    token = authentication.issue_api_token(db, world.agent_user, actor=world.admin)
    db.commit()
    api = world.app.test_client()
    body = api.get(f"/api/calls/{world.call.id}", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["call"]["auto_score"] is None and body["call"]["evaluation"] is None
    ev = world.review(world.call)
    body = api.get(f"/api/calls/{world.call.id}", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["call"]["evaluation"] == {
        "id": ev.id,
        "state": "released",
        "total": ev.total,
        "critical_failed": ev.critical_failed,
    }
    listing = _text(agent.get("/calls/"))
    assert f"{ev.total:.1f}" in listing and "to acknowledge" in listing


# --- notifications -------------------------------------------------------------------------------------------


def test_notifications_page_bell_and_mark_read(world, db):
    world.review(world.call)  # notifies the agent: evaluation_released
    notifications.notify(db, [world.agent_user.id], "coaching_session_due", params={"whatever": 1})
    notifications.notify(db, [world.agent_user.id], "dispute_ruled", params={"call_id": 5})  # no outcome
    notifications.notify(db, [world.agent_user.id], "review_assigned", params={"count": "<b>3</b>"})
    notifications.notify(
        db, [world.other_user.id], "evaluation_released", params={"call_id": 1}, url="/calls/1"
    )
    db.commit()
    agent = world.client(world.agent_user)
    home = _text(agent.get("/"))
    assert 'aria-label="Notifications: 4 unread"' in home
    page = _text(agent.get("/notifications/"))
    assert f"Your evaluation of call #{world.call.id} is ready" in page
    assert "A coaching session is due." in page and "Your dispute was decided." in page
    assert "&lt;b&gt;3&lt;/b&gt; calls were assigned to you for review." in page, "parameters are escaped"
    zh = world.client(world.agent_user, lang=None)
    assert f"通话 #{world.call.id}" in _text(zh.get("/notifications/")), "rendered in the reader's language"
    mine = db.scalars(select(Notification).where(Notification.user_id == world.agent_user.id)).all()
    released = next(n for n in mine if n.kind == "evaluation_released")
    theirs = db.scalar(select(Notification).where(Notification.user_id == world.other_user.id))
    assert _post(agent, f"/notifications/{theirs.id}/open").status_code == 404
    resp = _post(agent, f"/notifications/{released.id}/open")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/calls/{world.call.id}")
    db.expire_all()
    assert db.get(Notification, released.id).read_at is not None
    assert 'aria-label="Notifications: 3 unread"' in _text(agent.get("/notifications/"))
    assert agent.post("/notifications/read", data={}).status_code == 400, "CSRF protected"
    assert _post(agent, "/notifications/read").status_code == 302
    assert notifications.unread_count(db, world.agent_user.id) == 0
    assert notifications.unread_count(db, world.other_user.id) == 1, "only the reader's own"


def test_bell_costs_one_query_per_page(world, db):
    agent = world.client(world.agent_user)
    seen: list[str] = []
    engine = world.app.extensions["qa_engine"]

    def count(conn, cursor, statement, *args):  # noqa: ANN001, ANN002
        if "FROM notifications" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert agent.get(f"/calls/{world.call.id}").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(seen) == 1, seen


# --- the agent's home ----------------------------------------------------------------------------------------


def test_agent_home_shows_evaluations_trend_and_open_items_not_job_counters(world, db):
    ev = world.review(world.call)
    second = factories.create_scored_call(db, world.settings, world.agent)  # not released: awaiting review
    agent = world.client(world.agent_user)
    html = _text(agent.get("/"))
    assert "My evaluations" in html and f'href="/evaluations/{ev.id}"' in html
    assert "To acknowledge or dispute" in html and "dispute by" in html
    assert "Calls waiting for their QA review: 1" in html
    assert "<svg" in html and "My score, last 8 weeks" in html
    assert f"{ev.total:.1f}" in html
    assert "Average automated score" not in html and "Recent calls" not in html
    for status in ("queued", "processing", "failed"):
        assert f">{status}</span>" not in html, status
    assert f"/calls/{second.id}" not in html or "under review" in html
    d = world.dispute(ev)
    html = _text(agent.get("/"))
    assert "Disputes awaiting a ruling" in html and f"/disputes/{d.id}" in html
    # staff keep their dashboard
    staff = _text(world.client(world.lead).get("/"))
    assert "Average automated score" in staff


def test_agent_home_when_nothing_is_released(world):
    html = _text(world.client(world.agent_user).get("/"))
    assert "No evaluations released to you yet." in html
    assert "No released evaluations in this period yet." in html


# --- disputes list -------------------------------------------------------------------------------------------


def test_disputes_list_open_first_with_filters(world, db):
    ev = world.review(world.call)
    d1 = world.dispute(ev)
    other_ev = world.review(world.other_call)
    d2 = ev_svc.dispute(db, other_ev, agent=world.other_user, criteria={"greeting": "不对"}, window_days=7)
    ev_svc.rule(db, d2, lead=world.lead, decisions={"greeting": None}, reason="维持")
    db.commit()
    lead = world.client(world.lead)
    html = _text(lead.get("/disputes/"))
    assert html.index(f'href="/disputes/{d1.id}"') < html.index(f'href="/disputes/{d2.id}"'), "open first"
    assert f'href="/disputes/{d2.id}"' not in _text(lead.get("/disputes/?state=open"))
    assert f'href="/disputes/{d1.id}"' not in _text(lead.get("/disputes/?state=rejected"))
    team_only = _text(lead.get(f"/disputes/?team={world.team.id}"))
    assert f'href="/disputes/{d1.id}"' in team_only and f'href="/disputes/{d2.id}"' not in team_only
    assert "2 in total" in _text(lead.get("/disputes/?state=bogus&team=abc"))
    mine = _text(world.client(world.agent_user).get("/disputes/"))
    assert f'href="/disputes/{d1.id}"' in mine and f'href="/disputes/{d2.id}"' not in mine


# --- release rule ---------------------------------------------------------------------------------------------


def test_admin_sets_the_release_rule_per_rubric(world, db):
    admin = world.client(world.admin)
    page = _text(admin.get("/admin/release-rules"))
    assert "telecom_service" in page and "Clean calls only (default)" in page
    resp = _post(admin, "/admin/release-rules", {"rubric_key": "telecom_service", "auto_release": "always"})
    assert resp.status_code == 302
    db.expire_all()
    assert db.get(RubricSettings, "telecom_service").auto_release == "always"
    changed = db.scalars(select(AuditEvent).where(AuditEvent.action == "release_rule_changed")).all()
    assert changed[-1].detail == {"rule": "always"} and changed[-1].username == world.admin.username
    call = factories.create_scored_call(db, world.settings, world.agent)
    assert world.machine(call).state == EvalState.RELEASED, "calls scored from now on follow the new rule"
    bad = _post(admin, "/admin/release-rules", {"rubric_key": "telecom_service", "auto_release": "sometimes"})
    assert bad.status_code == 400
    unknown = _post(admin, "/admin/release-rules", {"rubric_key": "nope", "auto_release": "never"})
    assert unknown.status_code == 400 and "rubric not found" in _text(unknown)
    assert db.get(RubricSettings, "nope") is None


def test_opening_a_notification_only_follows_local_links(world, db):
    for url in ("https://evil.example/x", "//evil.example/x", "/\\evil.example"):
        notifications.notify(db, [world.agent_user.id], "coaching_plan_created", url=url)
    db.commit()
    agent = world.client(world.agent_user)
    for n in db.scalars(select(Notification).where(Notification.user_id == world.agent_user.id)):
        resp = _post(agent, f"/notifications/{n.id}/open")
        assert resp.status_code == 302 and resp.headers["Location"].endswith("/notifications/"), n.url


# --- one staff view of an evaluation ------------------------------------------------------------------------


def test_staff_read_an_evaluation_on_the_calls_review_page_agents_on_theirs(world, db):
    ev = world.review(world.call)
    d = world.dispute(ev)
    review_url = f"/calls/{world.call.id}/review/{ev.id}"
    for user in (world.reviewer, world.lead, world.admin, factories.create_user(db, "qa_reviewer")):
        staff = world.client(user)
        resp = staff.get(f"/evaluations/{ev.id}")
        assert resp.status_code == 302 and resp.headers["Location"].endswith(review_url), user.role
        page = _text(staff.get(review_url))
        assert 'id="player"' in page and 'id="review-history"' in page and "整体不错" in page
        assert 'id="review-form"' not in page and f"/evaluations/{ev.id}/dispute" not in page
        assert f'href="/disputes/{d.id}"' in page, "the disputes staff saw on the old page"
        # links to the evaluation from staff pages go straight there
        assert f'href="{review_url}"' in _text(staff.get(f"/disputes/{d.id}"))
    agent = world.client(world.agent_user)
    page = _text(agent.get(f"/evaluations/{ev.id}"))
    assert (
        'id="evaluation"' in page and 'id="review-history"' not in page and f'href="/disputes/{d.id}"' in page
    )
    assert f'href="/evaluations/{ev.id}"' in _text(agent.get(f"/disputes/{d.id}"))
    assert agent.get(review_url).status_code == 403
    other = world.client(world.other_user)
    assert other.get(f"/evaluations/{ev.id}").status_code == 404
    assert other.get(review_url).status_code == 403


def test_staff_see_unreleased_evaluations_and_versions_on_the_review_page(world, db):
    machine = world.machine(world.call)
    assert machine.state == EvalState.SUBMITTED, "not released to the agent (rule 'never')"
    staff = world.client(world.lead)
    page = _text(staff.get(f"/evaluations/{machine.id}", follow_redirects=True))
    assert "automated" in page.lower() and f"{machine.total:.1f}" in page and 'id="review-form"' not in page
    assert world.client(world.agent_user).get(f"/evaluations/{machine.id}").status_code == 404
    # a ruling that replaces the evaluation: both versions link to each other on the staff page
    ev = world.review(world.call)
    d = world.dispute(ev, {"greeting": "我报了工号"})
    lead = world.client(world.lead)
    data = {"reason": "听了录音", "decision-greeting": "accept", "result-greeting": "pass"}
    assert _post(lead, f"/disputes/{d.id}/rule", data).status_code == 302
    db.expire_all()
    new_id = db.get(Dispute, d.id).result_evaluation_id
    old_page = _text(lead.get(f"/calls/{world.call.id}/review/{ev.id}"))
    assert "Replaced by" in old_page and f'href="/calls/{world.call.id}/review/{new_id}"' in old_page
    assert "A newer evaluation replaced this one" in old_page
    new_page = _text(lead.get(f"/evaluations/{new_id}", follow_redirects=True))
    assert "Replaces" in new_page and f'href="/calls/{world.call.id}/review/{ev.id}"' in new_page
