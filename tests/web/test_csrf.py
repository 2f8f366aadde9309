"""CSRF: every state-changing HTML endpoint refuses a POST without a valid token and changes nothing;
the bearer-token API is exempt from CSRF but never accepts the session cookie instead of a token."""

from __future__ import annotations

import io
import json

import pytest
from flask import url_for
from sqlalchemy import select

import rubrics
from qa_app.db.base import Base
from qa_app.db.models import Notification
from qa_app.services import authentication, users
from qa_app.services import evaluations as ev_svc
from qa_app.services import rubrics as rubric_service

import factories
from factories import build_app, csrf_token, dispose, logged_in_client, make_settings


@pytest.fixture(scope="module")
def app(tmp_path_factory, migrated_template):
    """One app for this module: every test here either changes nothing or checks relative changes."""
    app = build_app(make_settings(tmp_path_factory.mktemp("csrf")), migrated_template)
    yield app
    dispose(app)


@pytest.fixture(scope="module")
def settings(app):
    return app.extensions["qa_settings"]


@pytest.fixture(scope="module")
def scene(app, settings):
    db = app.extensions["qa_sessionmaker"]()
    admin = factories.create_user(db, "admin")
    victim = factories.create_user(db, "trainer")
    team = factories.create_team(db)
    agent = factories.create_agent(db, team=team)
    call = factories.create_call(db, settings, agent)
    rubric = rubric_service.ensure_default(db)
    token = authentication.issue_api_token(db, admin, actor=admin)
    coaching_ids = _coaching_scene(db, victim, agent, call)
    scored = factories.create_scored_call(db, settings, agent)
    review = ev_svc.start_review(db, scored, factories.create_user(db, "qa_reviewer"))
    ev_svc.submit(db, review, actor=review.rater, expected_version=review.version)
    dispute = ev_svc.dispute(db, review, agent=agent.user, criteria={"greeting": "x"}, window_days=7)
    note = db.scalar(select(Notification).where(Notification.user_id == admin.id))
    plan = factories.create_sampling_plan(db)
    assignment = factories.create_assignment(db, call, admin, plan)
    db.commit()
    db.close()
    wav = factories.make_wav(settings.instance_dir / "up.wav", freq=1234.0).read_bytes()
    yaml_text = rubric.yaml_text
    bodies = {
        "auth.login": lambda: {"username": admin.username, "password": factories.DEFAULT_PASSWORD},
        "auth.logout": lambda: {},
        "auth.set_language": lambda: {"next": "/"},
        "calls.upload": lambda: {
            "audio": (io.BytesIO(wav), "new.wav"),
            "agent_id": str(agent.id),
            "started_at": "2026-11-20T09:30",
            "direction": "inbound",
            "channel_layout": "mono",
            "language": "zh",
        },
        "calls.retry": lambda: {},
        "calls.swap_roles": lambda: {},
        "calls.confirm_transcript": lambda: {"reason": "listened: the transcript is usable"},
        "calls.rescore": lambda: {},
        "admin.users": lambda: {
            "username": "newperson",
            "display_name": "New Person",
            "role": "trainer",
            "password": "Str0ng-passw0rd",
        },
        "admin.user_edit": lambda: {"display_name": "Changed", "role": "agent", "password": ""},
        "admin.user_token": lambda: {},
        "admin.teams": lambda: {"name": "Night shift", "lead_user_id": "0"},
        "admin.agents": lambda: {
            "employee_no": "E99999",
            "name": "New Agent",
            "team_id": str(team.id),
            "hire_date": "2025-01-02",
            "user_id": "0",
        },
        "admin.agent_active": lambda: {"active": "0"},
        "admin.team_active": lambda: {"active": "1"},
        "rubrics.import_yaml": lambda: {"yaml_file": (io.BytesIO(yaml_text.encode()), "r.yaml")},
        "rubrics.edit": lambda: {"yaml_text": yaml_text, "lock_version": "1"},
        "rubrics.builder": lambda: {
            "document": json.dumps({**rubrics.to_dict(rubrics.loads(yaml_text)), "title": "Changed"}),
            "lock_version": "1",
            "action": "save",
        },
        "rubrics.new_draft": lambda: {},
        "rubrics.publish": lambda: {"make_default": "1"},
        "rubrics.rescore": lambda: {"from": "2020-01-01", "to": "2030-01-01"},
        "coaching.new_plan": lambda: {
            "action": "create", "criteria": "greeting", "target_rate": "80", "target_calls": "10",
            "due_date": "2030-01-01",
        },
        "coaching.plan_update": lambda: {"goal": "x", "due_date": "2030-01-01"},
        "coaching.plan_recheck": lambda: {},
        "coaching.plan_cancel": lambda: {"reason": "x"},
        "coaching.plan_acknowledge": lambda: {},
        "coaching.item_add": lambda: {"kind": "task", "title": "x"},
        "coaching.item_remove": lambda: {},
        "coaching.item_done": lambda: {"done": "1"},
        "coaching.session_add": lambda: {"scheduled_at": "2030-01-01T09:00", "topic": "x"},
        "coaching.session_record": lambda: {"held_at": "2026-11-01T09:00", "notes": "x"},
        "coaching.session_reschedule": lambda: {"scheduled_at": "2030-01-01T09:00"},
        "coaching.session_cancel": lambda: {},
        "coaching.session_acknowledge": lambda: {},
        "knowledge.new": lambda: {"title": "x", "body": "y", "active": "y"},
        "knowledge.edit": lambda: {"title": "x", "body": "y", "active": "y"},
        "review.workspace": lambda: {"version": "1", "action": "save", "summary": "changed"},
        "calibration.index": lambda: {
            "action": "save",
            "title": "校准",
            "rubric_version_id": str(rubric.id),
            "call_ids": str(call.id),
            "rater_ids": str(admin.id),
            "include_machine": "y",
            "expert_user_id": "0",
        },
        "calibration.edit": lambda: {"action": "save", "title": "校准", "rubric_version_id": str(rubric.id)},
        "calibration.start": lambda: {},
        "calibration.discussion": lambda: {"allow_missing": "y"},
        "calibration.score": lambda: {"result-greeting": "pass", "version": "1", "action": "save"},
        "calibration.outcome": lambda: {"lock_version": "1", "notes": "n", "action": "save"},
        "feedback.acknowledge": lambda: {"back": "call"},
        "feedback.dispute": lambda: {"pick-greeting": "y", "reason-greeting": "x"},
        "feedback.release_rules": lambda: {"rubric_key": rubric.rubric_key, "auto_release": "always"},
        "disputes.rule": lambda: {"decision-greeting": "reject", "reason": "x"},
        "notifications.mark_read": lambda: {},
        "notifications.open_one": lambda: {},
        "sampling.create": lambda: {
            "name": "新计划",
            "period": "week",
            "random_per_agent": "1",
            "due_days": "3",
            "new_hire_multiplier": "1",
            "end_sentiment_below": "0.4",
        },
        "sampling.edit": lambda: {
            "name": "改名",
            "period": "day",
            "random_per_agent": "2",
            "due_days": "3",
            "new_hire_multiplier": "1",
            "end_sentiment_below": "0.4",
        },
        "sampling.run": lambda: {"period": "2026-W47"},
        "queue.skip": lambda: {"reason": "录音无声"},
    }
    params = {
        "call_id": call.id,
        "user_id": victim.id,
        "agent_id": agent.id,
        "team_id": agent.team_id,
        "version_id": rubric.id,
        "code": "en",
        **coaching_ids,
        "calibration_id": 1,
        "evaluation_id": review.id,
        "dispute_id": dispute.id,
        "notification_id": note.id,  # the admin's: dispute_raised (no team lead)
        "sampling.plan_id": plan.id,  # "<blueprint>.<name>": that blueprint's value (coaching_ids has a plan_id too)
        "assignment_id": assignment.id,
    }
    return {
        "admin": admin,
        "tmp": settings.instance_dir,
        "bodies": bodies,
        "params": params,
        "token": token,
        "agent": agent,
        "wav": wav,
    }


def _coaching_scene(db, trainer, agent, call) -> dict[str, int]:
    """A coaching plan with a task and a scheduled session, and an article (targets of the coaching POSTs)."""
    from datetime import timedelta

    from qa_app.db.base import utcnow
    from qa_app.db.models import CoachingPlan, CoachingSession, KnowledgeArticle, PlanItem

    now = utcnow()
    plan = CoachingPlan(
        agent_id=agent.id, trainer_id=trainer.id, rubric_key="telecom_service", criteria=["greeting"],
        target_rate=0.8, target_calls=10, starts_at=now, due_date=now.date() + timedelta(days=30),
    )
    plan.items.append(PlanItem(kind="task", title="跟读"))
    plan.sessions.append(CoachingSession(scheduled_at=now + timedelta(days=1)))
    article = KnowledgeArticle(title="开场白", body="您好")
    db.add_all([plan, article])
    db.flush()
    return {"plan_id": plan.id, "item_id": plan.items[0].id, "session_id": plan.sessions[0].id,
            "article_id": article.id}


def snapshot(app) -> dict[str, list]:
    """Every row of every table (the database is tiny)."""
    out = {}
    with app.extensions["qa_sessionmaker"]() as s:
        for table in Base.metadata.sorted_tables:
            out[table.name] = [tuple(r) for r in s.execute(select(table)).all()]
    return out


def _html_post_rules(app):
    return [
        r
        for r in app.url_map.iter_rules()
        if "POST" in r.methods and r.endpoint != "static" and not r.endpoint.startswith("api.")
    ]


def _url(app, rule, params):
    blueprint = rule.endpoint.split(".")[0]
    with app.test_request_context():
        return url_for(rule.endpoint, **{a: params.get(f"{blueprint}.{a}", params.get(a)) for a in rule.arguments})


def test_every_post_endpoint_has_a_csrf_case(app, scene):
    missing = {r.endpoint for r in _html_post_rules(app)} - scene["bodies"].keys()
    assert not missing, f"add a POST body for {sorted(missing)} to the scene fixture"


@pytest.mark.parametrize("token_kind", ["missing", "garbage", "other_session"])
def test_post_without_valid_csrf_token_is_rejected_and_changes_nothing(app, scene, settings, token_kind):
    client = logged_in_client(app, scene["admin"].username)
    other = app.test_client()
    foreign_token = csrf_token(other)
    files_before = sorted(p for p in settings.data_dir.rglob("*") if p.is_file())
    for rule in _html_post_rules(app):
        url = _url(app, rule, scene["params"])
        data = scene["bodies"][rule.endpoint]()
        if token_kind == "garbage":
            data["csrf_token"] = "IjAxMjM0NTY3ODki.Zm9v.YmFy"
        elif token_kind == "other_session":
            data["csrf_token"] = foreign_token
        before = snapshot(app)
        resp = client.post(url, data=data)
        assert resp.status_code == 400, (rule.endpoint, resp.status_code)
        assert "csrf" in resp.get_data(as_text=True).lower(), rule.endpoint
        assert snapshot(app) == before, f"{rule.endpoint} changed the database without a CSRF token"
    # still logged in (logout was refused), language unchanged, no file stored
    page = client.get("/")
    assert page.status_code == 200
    assert '<html lang="zh-CN"' in page.get_data(as_text=True)
    assert sorted(p for p in settings.data_dir.rglob("*") if p.is_file()) == files_before


def test_login_without_csrf_token_does_not_log_in(app, scene):
    client = app.test_client()
    data = scene["bodies"]["auth.login"]()
    assert client.post("/login", data=data).status_code == 400
    assert client.get("/").status_code == 302


def test_same_posts_with_token_do_change_things(app, scene):
    """Control: the bodies above are valid, so the 400s are due to the missing token."""
    client = logged_in_client(app, scene["admin"].username)
    before = snapshot(app)
    resp = client.post(
        "/admin/teams", data={"name": "Control team", "lead_user_id": "0", "csrf_token": csrf_token(client)}
    )
    assert resp.status_code == 302
    wav = factories.make_wav(scene["tmp"] / "control.wav", freq=1777.0).read_bytes()
    upload = {**scene["bodies"]["calls.upload"](), "audio": (io.BytesIO(wav), "control.wav")}
    resp = client.post("/calls/upload", data={**upload, "csrf_token": csrf_token(client)})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    after = snapshot(app)
    assert len(after["teams"]) == len(before["teams"]) + 1
    assert len(after["calls"]) == len(before["calls"]) + 1


# --- the API --------------------------------------------------------------------------------------------


def test_api_is_csrf_exempt_with_a_valid_token(app, scene):
    client = app.test_client()
    wav = factories.make_wav(scene["tmp"] / "api.wav", freq=1888.0).read_bytes()
    resp = client.post(
        "/api/calls",
        headers={"Authorization": f"Bearer {scene['token']}"},
        data={
            "audio": (io.BytesIO(wav), "api.wav"),
            "employee_no": scene["agent"].employee_no,
            "started_at": "2026-11-20T09:30:00+08:00",
        },
    )
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert resp.get_json()["created"] is True


@pytest.mark.parametrize("header", [None, "Bearer ", "Bearer qa_wrong", "bearer"])
def test_api_requires_a_valid_token(app, scene, header):
    client = app.test_client()
    headers = {"Authorization": header} if header is not None else {}
    before = snapshot(app)
    resp = client.post(
        "/api/calls",
        headers=headers,
        data={
            "audio": (io.BytesIO(scene["wav"]), "api.wav"),
            "employee_no": scene["agent"].employee_no,
            "started_at": "2026-11-20T09:30:00",
        },
    )
    assert resp.status_code == 401
    assert resp.is_json
    assert snapshot(app) == before


def test_api_ignores_the_session_cookie(app, scene):
    """A logged-in browser session must not authenticate the CSRF-exempt API (that would be CSRF)."""
    client = logged_in_client(app, scene["admin"].username)
    before = snapshot(app)
    resp = client.post(
        "/api/calls",
        data={
            "audio": (io.BytesIO(scene["wav"]), "api.wav"),
            "employee_no": scene["agent"].employee_no,
            "started_at": "2026-11-20T09:30:00",
        },
    )
    assert resp.status_code == 401
    assert snapshot(app) == before
    assert client.get(f"/api/calls/{1}").status_code == 401


def test_deactivated_users_token_stops_working(app, scene):
    with app.extensions["qa_sessionmaker"]() as db:
        user = factories.create_user(db, "trainer")
        other_admin = factories.create_user(db, "admin")
        token = authentication.issue_api_token(db, user, actor=other_admin)
        db.commit()
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        call_id = db.scalar(select(Base.metadata.tables["calls"].c.id))
        assert client.get(f"/api/calls/{call_id}", headers=headers).status_code == 200
        users.update_user(db, user, actor=other_admin, active=False)
        db.commit()
    assert client.get(f"/api/calls/{call_id}", headers=headers).status_code == 401
