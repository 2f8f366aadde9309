"""Calibration pages: set-up with the call picker, blind scoring, progress, results with the outcome form,
trends; agents get a 403 on every calibration route (even for their own call), staff outside a session a
404, and nobody sees others' answers before the discussion."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from qa_app.db.models import CalibrationSession, CalibrationState, EvalState, Evaluation, Notification
from qa_app.services import calibration as cal
from qa_app.services import rubrics as rubric_service

import factories
from factories import csrf_token, logged_in_client


@pytest.fixture
def scene(app, db):
    settings = app.extensions["qa_settings"]
    team_a, team_b = factories.create_team(db, "一组"), factories.create_team(db, "二组")
    agent_a = factories.create_agent(db, team=team_a, name="张伟")
    agent_b = factories.create_agent(db, team=team_b, name="刘洋")
    calls = [factories.create_scored_call(db, settings, agent_a if i < 2 else agent_b) for i in range(4)]
    lead = factories.create_user(db, "trainer", display_name="班组长 陈")
    raters = [factories.create_user(db, "qa_reviewer", display_name=f"质检员{i}") for i in range(2)]
    outsider = factories.create_user(db, "qa_reviewer", display_name="局外人")
    return {
        "app": app,
        "calls": calls,
        "agent_a": agent_a,
        "agent_b": agent_b,
        "lead": lead,
        "raters": raters,
        "outsider": outsider,
        "version": rubric_service.default_version(db),
    }


def _client(app, user, lang=None):
    return logged_in_client(app, user.username, lang=lang)


def _text(resp) -> str:
    return resp.get_data(as_text=True)


def _session(db, scene, *, start=True, **kw) -> CalibrationSession:
    data = cal.SessionInput(
        title=kw.pop("title", "十一月校准"),
        rubric_version_id=scene["version"].id,
        call_ids=tuple(c.id for c in scene["calls"][:2]),
        rater_ids=tuple(u.id for u in scene["raters"]),
        include_machine=True,
        **kw,
    )
    s = cal.create_session(db, data, actor=scene["lead"])
    if start:
        cal.start_scoring(db, s, actor=scene["lead"])
    db.commit()
    return s


def _answers_form(rubric, result="pass", **over) -> dict[str, str]:
    data = {}
    for c in rubric.criteria():
        data[f"result-{c.id}"] = result if (result != "na" or c.allow_na) else "pass"
        data[f"comment-{c.id}"] = ""
    data.update(over)
    return data


def _score_url(s, call_id) -> str:
    return f"/calibration/{s.id}/calls/{call_id}/score"


def _version_on(html: str) -> str:
    m = re.search(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"', html)
    assert m, "no version field"
    return m.group(1) or m.group(2)


def _submit(client, s, call_id, rubric, **over):
    page = client.get(_score_url(s, call_id))
    data = {**_answers_form(rubric, **over), "version": _version_on(_text(page)), "action": "submit"}
    data["csrf_token"] = csrf_token(client)
    return client.post(_score_url(s, call_id), data=data)


# --- set-up ---------------------------------------------------------------------------------------------------


def test_set_up_page_picks_calls_with_filters_and_keeps_the_ticked_ones(scene, db):
    app, calls = scene["app"], scene["calls"]
    client = _client(app, scene["lead"])
    html = _text(client.get("/calibration/"))
    assert "No calibration sessions yet" in html or "还没有校准" in html
    for c in calls:
        assert f'name="call_ids" value="{c.id}"' in html
    # filter on agent B while call 0 (agent A) is ticked: call 0 stays, ticked, and B's calls are offered
    resp = client.post(
        "/calibration/",
        data={
            "action": "filter",
            "call_ids": [str(calls[0].id)],
            "f-agent": str(scene["agent_b"].id),
            "f-team": "0",
            "title": "x",
            "rubric_version_id": str(scene["version"].id),
            "expert_user_id": "0",
            "csrf_token": csrf_token(client),
        },
    )
    html = _text(resp)
    assert resp.status_code == 200
    assert re.search(rf'value="{calls[0].id}" id="call-{calls[0].id}" checked', html)
    assert f'id="call-{calls[1].id}"' not in html, "agent A's other call is filtered out"
    assert re.search(rf'value="{calls[2].id}" id="call-{calls[2].id}" *>', html)
    assert db.scalar(select(CalibrationSession)) is None, "filtering creates nothing"


def test_create_session_shows_errors_then_creates_and_invites(scene, db):
    app, calls, raters = scene["app"], scene["calls"], scene["raters"]
    client = _client(app, scene["lead"], lang="en")
    base = {
        "action": "save",
        "title": "",
        "rubric_version_id": str(scene["version"].id),
        "expert_user_id": "0",
        "start_now": "y",
        "include_machine": "y",
    }
    resp = client.post("/calibration/", data={**base, "csrf_token": csrf_token(client)})
    assert resp.status_code == 400
    assert "This field is required." in _text(resp)
    resp = client.post(
        "/calibration/",
        data={
            **base,
            "title": "<b>校准</b>",
            "rater_ids": [str(raters[0].id)],
            "csrf_token": csrf_token(client),
        },
    )
    assert resp.status_code == 400 and "choose at least one call" in _text(resp)
    resp = client.post(
        "/calibration/",
        data={
            **base,
            "title": "<b>校准</b>",
            "call_ids": [str(calls[0].id), str(calls[2].id)],
            "rater_ids": [str(u.id) for u in raters],
            "due_date": "2999-01-01",
            "csrf_token": csrf_token(client),
        },
    )
    assert resp.status_code == 302, _text(resp)[:2000]
    s = db.scalar(select(CalibrationSession))
    assert resp.headers["Location"].endswith(f"/calibration/{s.id}")
    assert s.state == CalibrationState.SCORING and s.include_machine and s.title == "<b>校准</b>"
    assert {n.user_id for n in db.scalars(select(Notification))} == {u.id for u in raters}
    html = _text(client.get(f"/calibration/{s.id}"))
    assert "&lt;b&gt;校准&lt;/b&gt;" in html and "<b>校准</b>" not in html
    listing = _text(client.get("/calibration/"))
    assert f'href="/calibration/{s.id}"' in listing


def test_edit_while_open_and_start(scene, db):
    app, calls = scene["app"], scene["calls"]
    s = _session(db, scene, start=False)
    client = _client(app, scene["lead"])
    html = _text(client.get(f"/calibration/{s.id}/edit"))
    assert re.search(rf'value="{calls[0].id}" id="call-{calls[0].id}" checked', html)
    resp = client.post(
        f"/calibration/{s.id}/edit",
        data={
            "action": "save",
            "title": "改名",
            "rubric_version_id": str(scene["version"].id),
            "expert_user_id": str(scene["raters"][0].id),
            "call_ids": [str(calls[3].id), str(calls[2].id)],
            "rater_ids": [str(scene["raters"][1].id)],
            "csrf_token": csrf_token(client),
        },
    )
    assert resp.status_code == 302
    db.expire_all()
    s = db.get(CalibrationSession, s.id)
    assert s.title == "改名" and [c.call_id for c in s.calls] == [calls[3].id, calls[2].id]
    assert {r.user_id for r in s.raters} == {u.id for u in scene["raters"]}, "the expert joins the raters"
    assert not s.include_machine
    # a rater cannot edit or start; the lead starts
    rater = _client(app, scene["raters"][1])
    assert rater.get(f"/calibration/{s.id}/edit").status_code == 403
    assert rater.post(f"/calibration/{s.id}/start", data={"csrf_token": csrf_token(rater)}).status_code == 403
    assert (
        client.post(f"/calibration/{s.id}/start", data={"csrf_token": csrf_token(client)}).status_code == 302
    )
    db.expire_all()
    assert db.get(CalibrationSession, s.id).state == CalibrationState.SCORING
    resp = client.get(f"/calibration/{s.id}/edit")
    assert resp.status_code == 302, "fixed once scoring started"


def test_invitation_and_due_reminder_read_in_the_readers_language(scene, db):
    _session(db, scene, title="<i>十一月</i>", due_date=date(2999, 1, 1))
    cal.remind_due(db, today=date(2998, 12, 31), period="2998-12-31")
    db.commit()
    en = _text(_client(scene["app"], scene["raters"][0], lang="en").get("/notifications/"))
    assert "You are invited to score calls blind in a calibration session." in en
    assert "Your scores for the calibration session “&lt;i&gt;十一月&lt;/i&gt;” are due on 2999-01-01." in en
    assert "calibration_due" not in en and "<i>十一月" not in en
    zh = _text(_client(scene["app"], scene["raters"][1], lang="zh").get("/notifications/"))
    assert "Your scores" not in zh and "calibration_due" not in zh and "2999-01-01" in zh


# --- blind scoring ----------------------------------------------------------------------------------------------


def test_scoring_is_blind_and_saves_then_submits(scene, db):
    app, calls, raters = scene["app"], scene["calls"], scene["raters"]
    s = _session(db, scene)
    rubric = rubric_service.to_domain(scene["version"], strict=False)
    first = _client(app, raters[0])
    second = _client(app, raters[1])

    page = _text(first.get(_score_url(s, calls[0].id)))
    assert 'type="radio"' in page and " checked" not in page, "nothing pre-filled: blind"
    assert "Automated scorecard" not in page and "自动评分" not in page
    machine = db.scalar(select(Evaluation).where(Evaluation.id == s.calls[0].machine_evaluation_id))
    for it in machine.items.values():
        if it.get("note"):
            assert it["note"] not in page, "no machine note on the blind form"
    assert "您好，很高兴为您服务" in page, "the transcript is there to score from"

    # a draft with a marked comment; an invalid points value is refused per criterion
    data = {
        "result-greeting": "fail",
        "comment-greeting": "未报工号 SECRET-NOTE-1",
        "version": _version_on(page),
        "action": "save",
        "csrf_token": csrf_token(first),
    }
    assert first.post(_score_url(s, calls[0].id), data=data).status_code == 302
    page = _text(first.get(_score_url(s, calls[0].id)))
    assert "SECRET-NOTE-1" in page and re.search(
        r'id="r-greeting-fail" value="fail" autocomplete="off" checked', page
    )
    # submitting with criteria missing: 400 with the criteria marked, nothing submitted
    data = {
        "result-greeting": "fail",
        "version": _version_on(page),
        "action": "submit",
        "csrf_token": csrf_token(first),
    }
    resp = first.post(_score_url(s, calls[0].id), data=data)
    assert resp.status_code == 400
    ev = cal.rater_evaluation(db, s, raters[0], calls[0].id)
    db.refresh(ev)
    assert ev.state == EvalState.DRAFT

    # the other rater sees nothing of the first one's answers, and no results
    for url in (_score_url(s, calls[0].id), f"/calibration/{s.id}", "/calibration/"):
        assert "SECRET-NOTE-1" not in _text(second.get(url)), url
    assert second.get(f"/calibration/{s.id}/results").status_code == 403

    resp = _submit(first, s, calls[0].id, rubric, **{"comment-greeting": "SECRET-NOTE-1"})
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(_score_url(s, calls[1].id)), "on to the next call"
    db.refresh(ev)
    assert ev.state == EvalState.SUBMITTED and ev.released_at is None
    page = _text(first.get(_score_url(s, calls[0].id)))
    assert 'type="radio"' not in page and "SECRET-NOTE-1" in page, "read-only once submitted"
    stale = {**_answers_form(rubric), "version": "1", "action": "save", "csrf_token": csrf_token(first)}
    assert first.post(_score_url(s, calls[0].id), data=stale).status_code == 409
    # progress shows states, not answers
    html = _text(second.get(f"/calibration/{s.id}"))
    assert "1 / 2" in html and "SECRET-NOTE-1" not in html


def test_stale_draft_from_another_tab_is_a_conflict(scene, db):
    app, calls, raters = scene["app"], scene["calls"], scene["raters"]
    s = _session(db, scene)
    client = _client(app, raters[0])
    page = _text(client.get(_score_url(s, calls[0].id)))
    version = _version_on(page)
    ok = {"result-greeting": "pass", "version": version, "action": "save", "csrf_token": csrf_token(client)}
    assert client.post(_score_url(s, calls[0].id), data=ok).status_code == 302
    resp = client.post(_score_url(s, calls[0].id), data={**ok, "result-greeting": "fail"})
    assert resp.status_code == 409


def test_staff_outside_the_session_get_404_and_agents_403_everywhere(scene, db):
    app, calls = scene["app"], scene["calls"]
    s = _session(db, scene)
    outsider = _client(app, scene["outsider"])
    for url in (f"/calibration/{s.id}", f"/calibration/{s.id}/results", _score_url(s, calls[0].id)):
        assert outsider.get(url).status_code == 404, url
    assert f"/calibration/{s.id}" not in _text(outsider.get("/calibration/"))
    # agent A's own call is in the session: still 403 on every calibration and report route
    agent = _client(app, scene["agent_a"].user)
    gets = [
        "/calibration/",
        "/calibration/trends",
        f"/calibration/{s.id}",
        f"/calibration/{s.id}/edit",
        f"/calibration/{s.id}/results",
        _score_url(s, calls[0].id),
        "/reports/machine-vs-human",
        "/reports/machine-vs-human.csv",
        "/reports/machine-vs-human/overrides?criterion=greeting",
    ]
    for url in gets:
        resp = agent.get(url)
        assert resp.status_code == 403, url
        assert "SECRET" not in _text(resp)
    posts = [
        "/calibration/",
        f"/calibration/{s.id}/edit",
        f"/calibration/{s.id}/start",
        f"/calibration/{s.id}/discussion",
        f"/calibration/{s.id}/outcome",
        _score_url(s, calls[0].id),
    ]
    for url in posts:
        assert agent.post(url, data={"csrf_token": csrf_token(agent)}).status_code == 403, url
    html = _text(agent.get("/"))
    assert "/calibration" not in html and "/reports/" not in html


# --- discussion, results, outcome -------------------------------------------------------------------------------


def test_discussion_results_outcome_and_close(scene, db):
    app, calls, raters, lead = scene["app"], scene["calls"], scene["raters"], scene["lead"]
    s = _session(db, scene)
    rubric = rubric_service.to_domain(scene["version"], strict=False)
    first, second = _client(app, raters[0]), _client(app, raters[1])
    assert _submit(first, s, calls[0].id, rubric, **{"result-greeting": "fail"}).status_code == 302
    assert _submit(second, s, calls[0].id, rubric).status_code == 302
    assert _submit(first, s, calls[1].id, rubric).status_code == 302

    boss = _client(app, lead, lang="en")
    interim = _text(boss.get(f"/calibration/{s.id}/results"))
    assert "Interim results" in interim
    # one score missing: moving on needs the confirmation
    resp = boss.post(f"/calibration/{s.id}/discussion", data={"csrf_token": csrf_token(boss)})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/calibration/{s.id}")
    db.expire_all()
    assert db.get(CalibrationSession, s.id).state == CalibrationState.SCORING
    assert "1 scores are not submitted" in _text(boss.get(f"/calibration/{s.id}"))
    resp = boss.post(
        f"/calibration/{s.id}/discussion", data={"allow_missing": "y", "csrf_token": csrf_token(boss)}
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/calibration/{s.id}/results")

    html = _text(first.get(f"/calibration/{s.id}/results"))
    assert "Krippendorff" in html and "cal-deviates" in html, "raters see the results now"
    assert 'name="agreed-' not in html, "only the lead records the outcome"
    page = _text(boss.get(f"/calibration/{s.id}/results"))
    # greeting of call 0: fail, pass and the machine pass: the form offers the majority, pass
    select_html = page.split(f'name="agreed-{calls[0].id}-greeting"')[1].split("</select>")[0]
    assert '<option value="pass" selected>' in select_html
    lock = re.search(r'name="lock_version"[^>]*value="(\d+)"', page).group(1)

    form = {"lock_version": lock, "notes": "<script>alert(1)</script> 统一口径", "action": "close"}
    for cr in (calls[0], calls[1]):
        for c in rubric.criteria():
            form[f"agreed-{cr.id}-{c.id}"] = "pass"
    form[f"agreed-{calls[0].id}-greeting"] = ""  # undecided: cannot close
    resp = boss.post(f"/calibration/{s.id}/outcome", data={**form, "csrf_token": csrf_token(boss)})
    assert resp.status_code == 400 and "criteria have no agreed answer" in _text(resp)
    form[f"agreed-{calls[0].id}-greeting"] = "na"  # greeting cannot be N/A
    resp = boss.post(f"/calibration/{s.id}/outcome", data={**form, "csrf_token": csrf_token(boss)})
    assert resp.status_code == 400 and "cannot be N/A" in _text(resp)
    form[f"agreed-{calls[0].id}-greeting"] = "fail"
    resp = boss.post(f"/calibration/{s.id}/outcome", data={**form, "csrf_token": csrf_token(boss)})
    assert resp.status_code == 302
    db.expire_all()
    s = db.get(CalibrationSession, s.id)
    assert s.state == CalibrationState.CLOSED
    assert s.agreed[str(calls[0].id)]["items"]["greeting"]["result"] == "fail"
    assert s.agreed[str(calls[0].id)]["total"] < 100 and s.agreed[str(calls[1].id)]["total"] == 100
    html = _text(first.get(f"/calibration/{s.id}/results"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert 'name="agreed-' not in _text(boss.get(f"/calibration/{s.id}/results")), "closed: read-only"
    resp = boss.post(f"/calibration/{s.id}/outcome", data={**form, "csrf_token": csrf_token(boss)})
    assert resp.status_code == 409

    trends = _text(boss.get("/calibration/trends"))
    assert "<svg" in trends and "<polyline" in trends or "<circle" in trends
    assert "Greeting" in trends


def test_trends_empty_state(scene):
    client = _client(scene["app"], scene["outsider"], lang="en")
    assert "No finished calibration sessions yet" in _text(client.get("/calibration/trends"))


def test_results_page_with_a_seeded_demo_session(scene, db):
    made = cal.seed_demo(
        db, lead=scene["lead"], raters=scene["raters"] + [scene["outsider"]], expert=scene["outsider"],
        calls=scene["calls"],
    )  # fmt: skip
    db.commit()
    s = made[0]
    client = _client(scene["app"], scene["raters"][0])
    html = _text(client.get(f"/calibration/{s.id}/results"))
    assert "text-bg-dark" in html and "cal-deviates" in html, "the machine column and highlighted answers"
    res = cal.results(db, s)
    for _c, a in res.criteria:
        if a and a.alpha is not None:
            assert f"{a.alpha:.3f}" in html
