"""Authorization matrix: every route x every role (admin, qa_reviewer, trainer, agent, anonymous).

EXPECTED is the hand-written specification. Adding a route without listing it here fails
``test_every_endpoint_is_in_the_matrix``; changing a view's declared roles without updating the table
fails ``test_declared_roles_match_the_matrix``. Each (endpoint, role) pair is then actually requested.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask, url_for
from sqlalchemy import func, select

from qa_app.db.models import AuditEvent, Job, Notification
from qa_app.services import authentication
from qa_app.services import evaluations as ev_svc
from qa_app.services import rubrics as rubric_service
from qa_app.web.access import endpoint_roles

import factories
from factories import build_app, csrf_token, dispose, logged_in_client, make_settings

ADMIN, QA, TRAINER, AGENT, ANON = "admin", "qa_reviewer", "trainer", "agent", "anonymous"
ROLES = (ADMIN, QA, TRAINER, AGENT)
ALL = frozenset(ROLES)
STAFF = frozenset({ADMIN, QA, TRAINER})
EDITORS = frozenset({ADMIN, QA})
ONLY_ADMIN = frozenset({ADMIN})
LEADS = frozenset({ADMIN, TRAINER})  # sampling, queue health, coaching: trainers / team leads and admins
COACHED = frozenset({ADMIN, TRAINER, AGENT})  # a coaching plan's pages: leads, and the agent for their own plan
ONLY_AGENT = frozenset({AGENT})


@dataclass(frozen=True)
class Public:
    """Anyone, logged in or not."""


@dataclass(frozen=True)
class Api:
    """Bearer-token endpoint; ``roles`` are the token owners' roles that may call it."""

    roles: frozenset[str]


PUBLIC = Public()

EXPECTED: dict[str, frozenset[str] | Public | Api] = {
    "auth.login": PUBLIC,
    "auth.logout": ALL,
    "auth.set_language": PUBLIC,
    "ops.healthz": PUBLIC,
    "ops.readyz": PUBLIC,
    "ops.metrics_view": PUBLIC,  # its own rule: loopback or QA_METRICS_TOKEN (tests/web/test_ops.py)
    "main.index": ALL,
    "calls.index": ALL,
    "calls.upload": STAFF,
    "calls.detail": ALL,
    "calls.audio": ALL,
    "calls.retry": ONLY_ADMIN,
    "calls.swap_roles": STAFF,
    "calls.confirm_transcript": STAFF,
    "calls.rescore": EDITORS,
    "calls.status_json": ALL,
    "admin.users": ONLY_ADMIN,
    "admin.user_edit": ONLY_ADMIN,
    "admin.user_token": ONLY_ADMIN,
    "admin.teams": ONLY_ADMIN,
    "admin.agents": ONLY_ADMIN,
    "admin.agent_active": ONLY_ADMIN,
    "admin.team_active": ONLY_ADMIN,
    "admin.audit_log": ONLY_ADMIN,
    "admin.jobs": ONLY_ADMIN,
    "api.create_call": Api(STAFF),
    "api.get_call": Api(ALL),
    "rubrics.index": STAFF,
    "rubrics.detail": STAFF,
    "rubrics.export": STAFF,
    "rubrics.import_yaml": EDITORS,
    "rubrics.edit": EDITORS,
    "rubrics.builder": EDITORS,
    "rubrics.new_draft": EDITORS,
    "rubrics.publish": EDITORS,
    "rubrics.rescore": EDITORS,
    # dashboards: agents see only their own data (tests/web/test_dashboards.py); each page also serves its
    # tables as /dashboards/<page>.<ext> (csv or xlsx), the same endpoint (both rules are requested here)
    "dashboards.index": ALL,
    "dashboards.trends": ALL,
    "dashboards.criteria": ALL,
    "dashboards.cohorts": STAFF,
    "dashboards.proficiency": STAFF,
    "dashboards.coverage": ALL,
    "dashboards.complaints": ALL,
    "dashboards.kpis": ALL,
    "coaching.index": LEADS,
    "coaching.new_plan": LEADS,
    "coaching.plans": LEADS,
    "coaching.plan": COACHED,
    "coaching.plan_update": LEADS,
    "coaching.plan_recheck": LEADS,
    "coaching.plan_cancel": LEADS,
    "coaching.plan_acknowledge": ONLY_AGENT,
    "coaching.item_add": LEADS,
    "coaching.item_remove": LEADS,
    "coaching.item_done": ONLY_AGENT,
    "coaching.exemplar": COACHED,
    "coaching.exemplar_audio": COACHED,
    "coaching.session_add": LEADS,
    "coaching.sessions": LEADS,
    "coaching.session": COACHED,
    "coaching.session_record": LEADS,
    "coaching.session_reschedule": LEADS,
    "coaching.session_cancel": LEADS,
    "coaching.session_acknowledge": ONLY_AGENT,
    "coaching.me": ONLY_AGENT,
    "coaching.effect": LEADS,
    "coaching.effect_csv": LEADS,
    "knowledge.index": ALL,
    "knowledge.article": ALL,
    "knowledge.new": LEADS,
    "knowledge.edit": LEADS,
    "playback.stream": ALL,
    "playback.peaks": ALL,
    "review.workspace": STAFF,
    "review.view": STAFF,
    "calibration.index": STAFF,
    "calibration.edit": STAFF,
    "calibration.detail": STAFF,
    "calibration.start": STAFF,
    "calibration.discussion": STAFF,
    "calibration.score": STAFF,
    "calibration.results": STAFF,
    "calibration.outcome": STAFF,
    "calibration.trends": STAFF,
    "machine_report.index": STAFF,
    "machine_report.export": STAFF,
    "machine_report.overrides": STAFF,
    "feedback.evaluation": ALL,
    "feedback.acknowledge": frozenset({AGENT}),
    "feedback.dispute": frozenset({AGENT}),
    "feedback.release_rules": ONLY_ADMIN,
    "disputes.index": ALL,
    "disputes.detail": ALL,
    "disputes.rule": STAFF,
    "notifications.index": ALL,
    "notifications.mark_read": ALL,
    "notifications.open_one": ALL,
    "sampling.index": LEADS,
    "sampling.create": LEADS,
    "sampling.detail": LEADS,
    "sampling.edit": LEADS,
    "sampling.run": LEADS,
    "queue.mine": STAFF,
    "queue.skip": STAFF,
    "queue.health": LEADS,
    "search.index": ALL,
}

# Form data sent with the POSTs of the matrix (harmless: keeps the world usable for later cases).
POST_DATA: dict[str, dict[str, str]] = {
    "admin.agent_active": {"active": "1"},
    "admin.team_active": {"active": "1"},
}


@dataclass
class World:
    app: Flask
    users: dict[str, object]
    tokens: dict[str, str]
    agent_a: object
    agent_b: object
    call_a: object
    call_b: object
    victim: object
    rubric_id: int
    coaching_plan_id: int
    item_id: int
    session_id: int
    article_id: int
    evaluation_id: int = 0  # agent A's released (then disputed) review
    dispute_id: int = 0
    notification_id: int = 0  # agent A's
    sampling_plan_id: int = 0
    assignment_id: int = 0

    def url_params(self, endpoint: str = "") -> dict[str, object]:
        """URL parameters; ``plan_id`` is a sampling plan's on the sampling pages, else a coaching plan's."""
        return {
            "call_id": self.call_a.id,  # the agent role user is agent A: this is their own call
            "user_id": self.victim.id,
            "agent_id": self.agent_b.id,
            "team_id": self.agent_b.team_id,
            "version_id": self.rubric_id,
            "plan_id": self.sampling_plan_id if endpoint.startswith("sampling.") else self.coaching_plan_id,
            "item_id": self.item_id,  # an exemplar call (agent B's call) in agent A's coaching plan
            "session_id": self.session_id,
            "article_id": self.article_id,
            "evaluation_id": self.evaluation_id,
            "dispute_id": self.dispute_id,
            "notification_id": self.notification_id,
            "code": "en",
            "ext": "xlsx",
            "fmt": "ogg",
            "assignment_id": self.assignment_id,
            "calibration_id": 1,  # no such session: staff get a 404 past the role check
        }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path):
    settings = make_settings(tmp_path_factory.mktemp("authz"))
    app = build_app(settings, migrated_template)
    db = app.extensions["qa_sessionmaker"]()
    users = {role: factories.create_user(db, role) for role in (ADMIN, QA, TRAINER)}
    team = factories.create_team(db)
    agent_a = factories.create_agent(db, team=team)
    agent_b = factories.create_agent(db, team=team)
    users[AGENT] = agent_a.user
    call_a = factories.create_call(db, settings, agent_a)
    call_b = factories.create_call(db, settings, agent_b)
    victim = factories.create_user(db, AGENT)
    tokens = {role: authentication.issue_api_token(db, u, actor=users[ADMIN]) for role, u in users.items()}
    tokens["agent_b"] = authentication.issue_api_token(db, agent_b.user, actor=users[ADMIN])
    rubric = rubric_service.ensure_default(db)
    plan, item, session, article = _coaching_rows(db, users[TRAINER], agent_a, call_b)
    sampling_plan = factories.create_sampling_plan(db)
    db.commit()
    # a released review of one of agent A's calls, disputed by A (made by a reviewer outside the matrix)
    scored = factories.create_scored_call(db, settings, agent_a)
    review = ev_svc.start_review(db, scored, factories.create_user(db, QA))
    ev_svc.submit(db, review, actor=review.rater, expected_version=review.version)
    dispute = ev_svc.dispute(db, review, agent=agent_a.user, criteria={"greeting": "x"}, window_days=7)
    note = db.scalar(select(Notification).where(Notification.user_id == agent_a.user_id))
    db.commit()
    w = World(
        app,
        users,
        tokens,
        agent_a,
        agent_b,
        call_a,
        call_b,
        victim,
        rubric.id,
        plan,
        item,
        session,
        article,
        evaluation_id=review.id,
        dispute_id=dispute.id,
        notification_id=note.id,
        sampling_plan_id=sampling_plan.id,
        assignment_id=999999,
    )
    db.close()
    yield w
    dispose(app)


def _coaching_rows(db, trainer, agent, exemplar_call) -> tuple[int, int, int, int]:
    """Agent A's coaching plan with an exemplar item (agent B's call) and a session; one article."""
    from qa_app.db.base import utcnow
    from qa_app.db.models import CoachingPlan, CoachingSession, KnowledgeArticle, PlanItem

    now = utcnow()
    plan = CoachingPlan(
        agent_id=agent.id, trainer_id=trainer.id, rubric_key="telecom_service", criteria=["greeting"],
        target_rate=0.8, target_calls=10, starts_at=now, due_date=now.date() + timedelta(days=30),
    )
    plan.items.append(PlanItem(kind="exemplar_call", call_id=exemplar_call.id, criterion="greeting", cue_start=0.2,
                               cue_end=0.8, title="您好"))
    plan.sessions.append(CoachingSession(scheduled_at=now + timedelta(days=1), topic="陪听"))
    article = KnowledgeArticle(title="标准开场白", body="您好，很高兴为您服务", created_by_id=trainer.id)
    db.add_all([plan, article])
    db.flush()
    return plan.id, plan.items[0].id, plan.sessions[0].id, article.id


def _rules(app: Flask):
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


def _url(app: Flask, rule, params: dict[str, object]) -> str:
    missing = [a for a in rule.arguments if a not in params]
    assert not missing, f"add a value for URL parameter(s) {missing} of {rule.endpoint} to World.url_params"
    with app.test_request_context():
        return url_for(rule.endpoint, **{a: params[a] for a in rule.arguments})


def _methods(rule) -> list[str]:
    return sorted(m for m in rule.methods if m not in {"HEAD", "OPTIONS"})


# --- the table itself -------------------------------------------------------------------------------------


def test_every_endpoint_is_in_the_matrix(app):
    endpoints = {r.endpoint for r in _rules(app)}
    unlisted = endpoints - EXPECTED.keys()
    assert not unlisted, f"new endpoint(s) {sorted(unlisted)}: add them to EXPECTED in {__file__}"
    stale = EXPECTED.keys() - endpoints
    assert not stale, f"EXPECTED lists endpoints that no longer exist: {sorted(stale)}"


def test_declared_roles_match_the_matrix(app):
    declared = endpoint_roles(app)
    assert set(declared) == set(EXPECTED)
    for endpoint, want in EXPECTED.items():
        got = declared[endpoint]
        if isinstance(want, Public):
            assert got == "public", endpoint
        elif isinstance(want, Api):
            assert got == "api", endpoint
            assert app.view_functions[endpoint].qa_api_roles == want.roles, endpoint
        else:
            assert got != "undeclared", f"{endpoint} has no access declaration"
            assert set(got) == set(want), f"{endpoint}: declared {sorted(got)}, matrix says {sorted(want)}"


def test_undeclared_endpoint_fails_closed(app, db, login_as):
    """A view without @allow/@public/@api_token is refused for everybody (even admins)."""
    app.add_url_rule("/undeclared-probe", "undeclared_probe", lambda: "secret")
    admin_client, _ = login_as(ADMIN)
    assert admin_client.get("/undeclared-probe").status_code == 403
    assert endpoint_roles(app)["undeclared_probe"] == "undeclared"
    resp = app.test_client().get("/undeclared-probe")
    assert resp.status_code in (302, 401, 403)
    assert b"secret" not in resp.data


# --- every (endpoint, role) pair --------------------------------------------------------------------------


def _client_for(world: World, role: str):
    if role == ANON:
        return world.app.test_client()
    return logged_in_client(world.app, world.users[role].username)


@pytest.mark.parametrize("role", [*ROLES, ANON])
@pytest.mark.parametrize("endpoint", sorted(EXPECTED))
def test_matrix(world: World, endpoint: str, role: str):
    want = EXPECTED[endpoint]
    rules = [r for r in _rules(world.app) if r.endpoint == endpoint]
    assert rules, f"{endpoint} is not routed"
    client = _client_for(world, role)
    for rule in rules:
        url = _url(world.app, rule, world.url_params(rule.endpoint))
        for method in _methods(rule):
            if isinstance(want, Api):
                headers = {} if role == ANON else {"Authorization": f"Bearer {world.tokens[role]}"}
                resp = client.open(url, method=method, headers=headers, data={} if method == "POST" else None)
                resp.close()
                if role == ANON:
                    assert resp.status_code == 401, (method, url)
                    assert resp.is_json and resp.get_json()["error"]
                elif role in want.roles:
                    assert resp.status_code not in (401, 403), (method, url, resp.status_code)
                    assert resp.status_code < 500, (method, url, resp.status_code)
                else:
                    assert resp.status_code == 403, (method, url, resp.status_code)
                continue

            data = None
            if method == "POST":
                data = {**POST_DATA.get(endpoint, {}), "csrf_token": csrf_token(client)}
            resp = client.open(url, method=method, data=data)
            resp.close()
            status = resp.status_code
            where = (method, url, role, status)
            if isinstance(want, Public) or (role != ANON and role in want):
                assert status not in (401, 403), where
                # 503 is /readyz's answer when a dependency is missing (e.g. no speech models here)
                assert status < 500 or (endpoint == "ops.readyz" and status == 503), where
            elif role == ANON:
                assert status == 302, where
                assert "/login" in resp.headers["Location"], where
            else:
                assert status == 403, where
            if role != ANON and endpoint == "auth.logout" and status == 302:
                client = _client_for(world, role)  # logout ended this session; continue with a new one


def test_anonymous_redirect_keeps_next(world: World):
    resp = world.app.test_client().get(f"/calls/{world.call_a.id}")
    assert resp.status_code == 302
    assert "/login?next=" in resp.headers["Location"]


def test_authz_denied_is_audited(world: World):
    client = _client_for(world, AGENT)
    with world.app.extensions["qa_sessionmaker"]() as s:
        before = s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "authz_denied")
        )
    assert client.get("/admin/users").status_code == 403
    with world.app.extensions["qa_sessionmaker"]() as s:
        events = list(
            s.scalars(select(AuditEvent).where(AuditEvent.action == "authz_denied").order_by(AuditEvent.id))
        )
    assert len(events) == before + 1
    assert events[-1].username == world.users[AGENT].username
    assert events[-1].target == "/admin/users"
    assert events[-1].detail.get("method") == "GET"


def test_api_authz_denied_is_audited(world: World):
    client = world.app.test_client()
    resp = client.post("/api/calls", headers={"Authorization": f"Bearer {world.tokens[AGENT]}"})
    assert resp.status_code == 403
    with world.app.extensions["qa_sessionmaker"]() as s:
        last = s.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
    assert last.action == "authz_denied"
    assert last.username == world.users[AGENT].username
    assert last.target == "/api/calls"


def test_api_rejects_bad_token(world: World):
    client = world.app.test_client()
    for header in ("Bearer nope", "Bearer ", "Basic abc", f"Token {world.tokens[ADMIN]}"):
        resp = client.get(f"/api/calls/{world.call_a.id}", headers={"Authorization": header})
        assert resp.status_code == 401, header


# --- agents see only their own calls ----------------------------------------------------------------------


def test_agent_gets_404_for_another_agents_call(world: World):
    client = _client_for(world, AGENT)
    own, other = world.call_a.id, world.call_b.id
    for suffix in ("", "/audio", "/status.json", "/stream.ogg", "/stream.mp3", "/peaks.json"):
        ok = client.get(f"/calls/{own}{suffix}")
        ok.close()
        assert ok.status_code == 200, suffix
        resp = client.get(f"/calls/{other}{suffix}")
        resp.close()
        assert resp.status_code == 404, suffix
    # a call id that does not exist at all looks the same as someone else's call
    assert client.get("/calls/999999").status_code == 404


def test_agent_cannot_act_on_another_agents_call(world: World):
    """retry / swap-roles / rescore: refused, with the same answer for own and other calls (no existence
    oracle), and nothing is queued."""
    client = _client_for(world, AGENT)
    with world.app.extensions["qa_sessionmaker"]() as s:
        jobs_before = s.scalar(select(func.count()).select_from(Job))
    for action in ("retry", "swap-roles", "rescore"):
        own = client.post(f"/calls/{world.call_a.id}/{action}", data={"csrf_token": csrf_token(client)})
        other = client.post(f"/calls/{world.call_b.id}/{action}", data={"csrf_token": csrf_token(client)})
        assert other.status_code in (403, 404), action
        assert own.status_code == other.status_code, action
    with world.app.extensions["qa_sessionmaker"]() as s:
        assert s.scalar(select(func.count()).select_from(Job)) == jobs_before


def test_staff_see_any_call_but_agent_b_not_agent_a(world: World):
    trainer = _client_for(world, TRAINER)
    assert trainer.get(f"/calls/{world.call_b.id}").status_code == 200
    b = logged_in_client(world.app, world.agent_b.user.username)
    assert b.get(f"/calls/{world.call_a.id}").status_code == 404
    assert b.get(f"/calls/{world.call_b.id}").status_code == 200


def test_agent_api_sees_only_own_calls(world: World):
    client = world.app.test_client()
    headers = {"Authorization": f"Bearer {world.tokens[AGENT]}"}
    own = client.get(f"/api/calls/{world.call_a.id}", headers=headers)
    assert own.status_code == 200
    assert own.get_json()["call"]["id"] == world.call_a.id
    other = client.get(f"/api/calls/{world.call_b.id}", headers=headers)
    assert other.status_code == 404
    assert other.get_json()["error"] == "not_found"
    assert "agent" not in other.get_json().get("call", {})


def test_agent_list_shows_only_own_calls(world: World):
    client = _client_for(world, AGENT)
    for url in ("/calls/", "/calls/?sort=duration&dir=asc", f"/calls/?agent={world.agent_b.id}", "/"):
        html = client.get(url).get_data(as_text=True)
        assert f'href="/calls/{world.call_b.id}"' not in html, url
        assert world.agent_b.employee_no not in html, url
    html = client.get("/calls/").get_data(as_text=True)
    assert f'href="/calls/{world.call_a.id}"' in html
    # filtering by another agent's id yields nothing rather than their calls
    html = client.get(f"/calls/?agent={world.agent_b.id}").get_data(as_text=True)
    assert f'href="/calls/{world.call_a.id}"' not in html


def test_staff_list_shows_all_calls(world: World):
    html = _client_for(world, QA).get("/calls/").get_data(as_text=True)
    assert f'href="/calls/{world.call_a.id}"' in html
    assert f'href="/calls/{world.call_b.id}"' in html
