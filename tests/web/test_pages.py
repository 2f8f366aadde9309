"""Main pages render for the right roles: dashboard, calls list (filters / sort / pages), call page,
admin create flows with validation errors, rubric list / detail / export / import / edit / publish."""

from __future__ import annotations

import re
import warnings
from datetime import UTC, date, datetime, timedelta

import pytest
import yaml
from sqlalchemy import select

from qa_app.db.models import Agent, RubricVersion, Team, User
from qa_app.services import calls as calls_service
from qa_app.services import rubrics as rubric_service

import factories
from factories import (
    build_app,
    csrf_token,
    dispose,
    logged_in_client,
    make_settings,
    post_form,
    post_multipart,
)


def _call_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<td><a href="/calls/(\d+)">', html)]


def _text(resp) -> str:
    return resp.get_data(as_text=True)


# --- forms / warnings -------------------------------------------------------------------------------------


def test_forms_render_without_deprecation_warnings(app, db):
    """BUG (qa_app/web/forms.py + admin.py ROLE_CHOICES / teams / agents choices): WTForms >= 3.3 (installed:
    3.3.x, allowed by pyproject's wtforms>=3.1,<4) deprecates ``(value, label)`` tuple choices; every page
    with a SelectField warns, which fails any test under filterwarnings=error. Fix: build choices with
    ``wtforms.fields.choices.SelectChoice`` (or pin wtforms<3.3). conftest.KNOWN_APP_WARNINGS silences it
    for the other tests until then."""
    admin = factories.create_user(db, "admin")
    client = logged_in_client(app, admin.username)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        for url in ("/calls/upload", "/admin/users", "/admin/teams", "/admin/agents"):
            assert client.get(url).status_code == 200, url


# --- dashboard --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "qa_reviewer", "trainer"])
def test_dashboard_staff(app, db, settings, role):
    agent = factories.create_agent(db, hire_date=date.today() - timedelta(days=10))
    call = factories.create_call(db, settings, agent)
    client = logged_in_client(app, factories.create_user(db, role).username)
    html = _text(client.get("/"))
    assert f'href="/calls/{call.id}"' in html
    assert "1 / 0" in html  # one new hire, no veterans
    assert ("/admin/users" in html) == (role == "admin")
    assert "/rubrics/" in html


def test_dashboard_agent(app, db, settings):
    agent = factories.create_agent(db, employee_no="Z777")
    factories.create_call(db, settings, agent)
    client = logged_in_client(app, agent.user.username)
    html = _text(client.get("/"))
    assert "Z777" in html
    assert "/calls/upload" not in html and "/rubrics/" not in html and "/admin/" not in html


# --- calls list -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def five_calls(tmp_path_factory, migrated_template):
    """An app with page_size=2 and five calls over two agents / teams / days (read-only tests)."""
    app = build_app(make_settings(tmp_path_factory.mktemp("five"), page_size=2), migrated_template)
    settings = app.extensions["qa_settings"]
    db = app.extensions["qa_sessionmaker"]()
    t1, t2 = factories.create_team(db, "一组"), factories.create_team(db, "二组")
    a1, a2 = factories.create_agent(db, team=t1), factories.create_agent(db, team=t2)
    base = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai
    specs = [(a1, 0, 1.0), (a1, 1, 2.0), (a2, 1, 1.5), (a2, 2, 0.6), (a1, 2, 1.2)]
    calls = [
        factories.create_call(db, settings, a, started_at=base + timedelta(days=d), seconds=s)
        for a, d, s in specs
    ]
    calls[3].status = "failed"
    db.commit()
    user = factories.create_user(db, "qa_reviewer")
    db.close()
    yield app, logged_in_client(app, user.username), calls, (a1, a2), (t1, t2)
    dispose(app)


def test_calls_list_pagination_and_sorting(five_calls):
    app, client, calls, _agents, _teams = five_calls
    by_start_desc = [c.id for c in sorted(calls, key=lambda c: (c.started_at, c.id), reverse=True)]
    p1 = _text(client.get("/calls/"))
    assert "5" in p1 and "1 / 3" in p1
    assert _call_ids(p1) == by_start_desc[:2]
    assert _call_ids(_text(client.get("/calls/?page=2"))) == by_start_desc[2:4]
    assert _call_ids(_text(client.get("/calls/?page=3"))) == by_start_desc[4:]
    assert _call_ids(_text(client.get("/calls/?page=99"))) == []

    by_duration = [c.id for c in sorted(calls, key=lambda c: c.duration)]
    ids = []
    for page in (1, 2, 3):
        ids += _call_ids(_text(client.get(f"/calls/?sort=duration&dir=asc&page={page}")))
    assert ids == by_duration
    # the pager keeps the filters
    assert "sort=duration" in _text(client.get("/calls/?sort=duration&dir=asc"))


def test_calls_list_counts_up_to_a_cap_then_says_more(five_calls, monkeypatch):
    """Past COUNT_CAP matches the list says "more than N" and the pager keeps offering the next page
    while rows follow; every call is still reached, in order, and below the cap the count is exact."""
    app, client, calls, (a1, _a2), _teams = five_calls
    by_start_desc = [c.id for c in sorted(calls, key=lambda c: (c.started_at, c.id), reverse=True)]
    monkeypatch.setattr(calls_service, "COUNT_CAP", 3)
    p1 = _text(client.get("/calls/"))
    assert "超过 3 通" in p1 and "1 / 2+" in p1 and "共 " not in p1
    pages = [_text(client.get(f"/calls/?page={n}")) for n in (1, 2, 3)]
    assert [i for html in pages for i in _call_ids(html)] == by_start_desc
    assert "2 / 3+" in pages[1] and 'href="/calls/?page=3"' in pages[1]
    assert 'disabled"><a class="page-link" href="/calls/?page=4"' in pages[2]  # nothing follows
    assert "3 / 3+" in _text(client.get("/calls/?page=3"))
    team_only = _text(client.get(f"/calls/?agent={a1.id}"))  # 3 calls: exactly the cap, counted
    assert "共 3 通" in team_only and "超过" not in team_only


def test_calls_list_filters(five_calls):
    app, client, calls, (a1, a2), (t1, t2) = five_calls

    def all_ids(query: str) -> set[int]:
        out: set[int] = set()
        for page in (1, 2, 3):
            out |= set(_call_ids(_text(client.get(f"/calls/?{query}&page={page}"))))
        return out

    assert all_ids(f"agent={a2.id}") == {calls[2].id, calls[3].id}
    assert all_ids(f"team={t1.id}") == {calls[0].id, calls[1].id, calls[4].id}
    assert all_ids("status=failed") == {calls[3].id}
    assert all_ids("from=2026-11-19&to=2026-11-19") == {calls[1].id, calls[2].id}
    assert all_ids("from=2026-11-20") == {calls[3].id, calls[4].id}
    assert all_ids("to=2026-11-18") == {calls[0].id}


@pytest.mark.parametrize(
    "query",
    ["page=abc", "page=-1", "sort=DROP%20TABLE", "dir=sideways", "from=not-a-date", "agent=x", "status=zzz"],
)
def test_calls_list_tolerates_bad_params(five_calls, query):
    _app, client, *_ = five_calls
    assert client.get(f"/calls/?{query}").status_code == 200


def test_call_page_has_audio_player(app, db, settings):
    agent = factories.create_agent(db, employee_no="P100")
    call = factories.create_call(db, settings, agent, queue="宽带报修")
    admin = logged_in_client(app, factories.create_user(db, "admin").username)
    html = _text(admin.get(f"/calls/{call.id}"))
    assert f'src="/calls/{call.id}/audio"' in html and "<audio" in html
    assert "P100" in html and "宽带报修" in html
    assert f"/calls/{call.id}/retry" in html  # admins can retry an uploaded call
    status = admin.get(f"/calls/{call.id}/status.json").get_json()
    assert status["call_id"] == call.id and status["status"] == "uploaded"
    own = logged_in_client(app, agent.user.username)
    html = _text(own.get(f"/calls/{call.id}"))
    assert "<audio" in html
    assert "/retry" not in html


def test_retry_queues_the_call(app, db, settings):
    call = factories.create_call(db, settings, factories.create_agent(db))
    admin = logged_in_client(app, factories.create_user(db, "admin").username)
    resp = post_form(admin, f"/calls/{call.id}/retry", token_from="/")
    assert resp.status_code == 302
    assert admin.get(f"/calls/{call.id}/status.json").get_json()["status"] == "queued"


def test_upload_page_lists_active_agents_only(app, db):
    factories.create_agent(db, employee_no="ACT1")
    factories.create_agent(db, employee_no="OFF1", active=False)
    client = logged_in_client(app, factories.create_user(db, "trainer").username)
    html = _text(client.get("/calls/upload"))
    assert "ACT1" in html and "OFF1" not in html
    assert 'enctype="multipart/form-data"' in html and "multiple" in html


# --- admin: users -----------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(app, db):
    admin = factories.create_user(db, "admin", username="boss")
    return logged_in_client(app, admin.username, lang="en"), admin


def _user(app, username: str) -> User | None:
    with app.extensions["qa_sessionmaker"]() as s:
        return s.scalar(select(User).where(User.username == username))


def test_admin_creates_user(app, admin_client):
    client, _ = admin_client
    data = {"username": "li.na", "display_name": "李娜", "role": "qa_reviewer", "password": "Quality-2026"}
    resp = post_form(client, "/admin/users", data, token_from="/admin/users")
    assert resp.status_code == 302
    assert "li.na" in _text(client.get("/admin/users"))
    user = _user(app, "li.na")
    assert user.role == "qa_reviewer" and user.password_hash.startswith("scrypt:")
    assert logged_in_client(app, "li.na", "Quality-2026").get("/calls/").status_code == 200


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"username": "boss"}, "username already taken"),
        ({"password": "abcdefghijkl"}, "mix letters with digits or symbols"),
        ({"password": "123456789012"}, "mix letters with digits or symbols"),
        ({"password": "Sh0rt!"}, "10"),
        ({"username": "bad name!"}, "username: 3-64 letters"),
        ({"username": "x"}, "3"),
        ({"role": "superuser"}, "Not a valid choice"),
        ({"display_name": ""}, "This field is required"),
    ],
)
def test_admin_create_user_validation(app, admin_client, data, message):
    client, _ = admin_client
    base = {"username": "newbie", "display_name": "New", "role": "agent", "password": "Good-passw0rd"}
    resp = post_form(client, "/admin/users", {**base, **data}, token_from="/admin/users")
    assert resp.status_code == 400
    html = _text(resp)
    assert message in html, html[html.find("invalid-feedback") - 200 :][:800]
    assert "invalid-feedback" in html
    assert _user(app, "newbie") is None


def test_admin_edits_user_and_guards_self(app, db, admin_client):
    client, admin = admin_client
    user = factories.create_user(db, "agent", username="wang")
    resp = post_form(
        client,
        f"/admin/users/{user.id}",
        {"display_name": "王五", "role": "trainer", "active": "y"},
        token_from="/",
    )
    assert resp.status_code == 302
    changed = _user(app, "wang")
    assert changed.role == "trainer" and changed.display_name == "王五"
    # an admin cannot demote or deactivate themselves
    resp = post_form(
        client, f"/admin/users/{admin.id}", {"display_name": "Boss", "role": "agent", "active": "y"}
    )
    assert resp.status_code == 400
    assert "you cannot change your own role" in _text(resp)
    resp = post_form(client, f"/admin/users/{admin.id}", {"display_name": "Boss", "role": "admin"})
    assert resp.status_code == 400
    assert "you cannot deactivate yourself" in _text(resp)
    assert _user(app, "boss").role == "admin" and _user(app, "boss").active
    assert client.get("/admin/users/999999").status_code == 404


def test_admin_issues_api_token(app, db, settings, admin_client):
    client, _ = admin_client
    user = factories.create_user(db, "trainer")
    agent = factories.create_agent(db)
    call = factories.create_call(db, settings, agent)
    assert client.get(f"/admin/users/{user.id}").status_code == 200
    resp = post_form(client, f"/admin/users/{user.id}/token", token_from=f"/admin/users/{user.id}")
    assert resp.status_code == 200
    token = re.search(r"(qa_[A-Za-z0-9_-]{20,})", _text(resp)).group(1)
    api = app.test_client()
    assert api.get(f"/api/calls/{call.id}", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with app.extensions["qa_sessionmaker"]() as s:
        assert token not in (s.get(User, user.id).api_token_hash or "")  # only the hash is stored
    # a new token replaces the old one
    post_form(client, f"/admin/users/{user.id}/token", token_from="/")
    assert api.get(f"/api/calls/{call.id}", headers={"Authorization": f"Bearer {token}"}).status_code == 401


# --- admin: teams and agents ------------------------------------------------------------------------------


def test_admin_teams(app, db, admin_client):
    client, admin = admin_client
    resp = post_form(
        client, "/admin/teams", {"name": "夜班", "lead_user_id": str(admin.id)}, token_from="/admin/teams"
    )
    assert resp.status_code == 302
    assert "夜班" in _text(client.get("/admin/teams"))
    resp = post_form(client, "/admin/teams", {"name": "夜班", "lead_user_id": "0"}, token_from="/admin/teams")
    assert resp.status_code == 400
    assert "a team with this name exists" in _text(resp)
    resp = post_form(client, "/admin/teams", {"name": "", "lead_user_id": "0"}, token_from="/admin/teams")
    assert resp.status_code == 400
    with app.extensions["qa_sessionmaker"]() as s:
        assert [t.name for t in s.scalars(select(Team))] == ["夜班"]


def test_admin_agents(app, db, admin_client):
    client, _ = admin_client
    team = factories.create_team(db, "一组")
    login = factories.create_user(db, "agent", username="zhang3")
    staff = factories.create_user(db, "trainer", username="coach")
    page = _text(client.get("/admin/agents"))
    assert "zhang3" in page and "coach (" not in page  # only free agent-role accounts are offered

    good = {
        "employee_no": "G001",
        "name": "张三",
        "team_id": str(team.id),
        "hire_date": (date.today() - timedelta(days=30)).isoformat(),
        "user_id": str(login.id),
    }
    resp = post_form(client, "/admin/agents", good, token_from="/admin/agents")
    assert resp.status_code == 302
    html = _text(client.get("/admin/agents"))
    assert "G001" in html and "zhang3" in html

    cases = [
        ({"name": "Dup"}, "employee number already used"),
        (
            {"employee_no": "G002", "hire_date": (date.today() + timedelta(days=3)).isoformat()},
            "hire date is in the future",
        ),
        ({"employee_no": "G003", "user_id": str(staff.id)}, "Not a valid choice"),
        ({"employee_no": "G004", "team_id": "424242"}, "Not a valid choice"),
        # (a wrongly formatted date is reported as "required": DataRequired on a DateField; InputRequired
        # would say "Not a valid date value" - minor, browsers send ISO dates from <input type=date>)
        ({"employee_no": "G005", "hire_date": "31/12/2020"}, "invalid-feedback"),
        ({"employee_no": ""}, "This field is required"),
    ]
    for change, message in cases:
        data = {**good, "user_id": "0", **change}
        resp = post_form(client, "/admin/agents", data, token_from="/admin/agents")
        assert resp.status_code == 400, change
        html = _text(resp)
        assert message in html, (change, message, re.findall(r'invalid-feedback d-block">([^<]*)<', html))
    with app.extensions["qa_sessionmaker"]() as s:
        assert [a.employee_no for a in s.scalars(select(Agent))] == ["G001"]
        agent_id = s.scalar(select(Agent.id))

    resp = post_form(client, f"/admin/agents/{agent_id}/active", {"active": "0"}, token_from="/admin/agents")
    assert resp.status_code == 302
    with app.extensions["qa_sessionmaker"]() as s:
        assert s.get(Agent, agent_id).active is False
    assert "G001" not in _text(client.get("/calls/upload"))  # deactivated agents cannot get new calls


def test_admin_audit_and_jobs_pages(app, db, settings, admin_client):
    client, _ = admin_client
    factories.create_call(db, settings, factories.create_agent(db))
    html = _text(client.get("/admin/audit"))
    assert "login" in html and "boss" in html
    assert client.get("/admin/audit?action=login&user=boss&page=2").status_code == 200
    assert client.get("/admin/audit?page=abc").status_code == 200
    assert client.get("/admin/jobs").status_code == 200
    assert client.get("/admin/jobs?state=dead").status_code == 200


# --- rubrics ----------------------------------------------------------------------------------------------


@pytest.fixture
def rubric(app, db) -> RubricVersion:
    row = rubric_service.ensure_default(db)
    db.commit()
    return row


def _import(client, content: bytes, name: str = "rubric.yaml"):
    token = csrf_token(client, "/rubrics/")
    return post_multipart(client, "/rubrics/import", {"csrf_token": token}, [("yaml_file", content, name)])


def test_rubric_list_detail_export(app, db, rubric):
    client = logged_in_client(app, factories.create_user(db, "trainer").username)
    html = _text(client.get("/rubrics/"))
    assert f'href="/rubrics/{rubric.id}"' in html
    assert "/rubrics/import" not in html  # trainers can read but not edit
    detail = _text(client.get(f"/rubrics/{rubric.id}"))
    assert rubric.title_zh in detail and "greeting" in detail
    assert f"/rubrics/{rubric.id}/edit" not in detail
    resp = client.get(f"/rubrics/{rubric.id}/export.yaml")
    assert resp.status_code == 200
    assert resp.mimetype == "application/x-yaml"
    assert "attachment" in resp.headers["Content-Disposition"]
    assert f"{rubric.rubric_key}-v1.yaml" in resp.headers["Content-Disposition"]
    assert yaml.safe_load(resp.data)["id"] == rubric.rubric_key
    assert client.get("/rubrics/999999").status_code == 404


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"key: [unclosed", "YAML syntax error"),
        (b"just a string", "the document must be a mapping"),
        ("标准".encode("gbk"), "not UTF-8"),
        (None, "weight must be positive"),
    ],
)
def test_rubric_import_invalid_shows_plain_errors(app, db, rubric, content, message):
    client = logged_in_client(app, factories.create_user(db, "qa_reviewer").username, lang="en")
    if content is None:
        content = rubric.yaml_text.replace("weight: 6", "weight: -6", 1).encode()
    resp = _import(client, content)
    assert resp.status_code == 400  # shown on the page, not carried in a flash cookie
    page = _text(resp)
    assert "alert-danger" in page
    assert message in page, page[page.find("alert-danger") :][:600]
    assert "Traceback" not in page
    with app.extensions["qa_sessionmaker"]() as s:
        assert len(list(s.scalars(select(RubricVersion)))) == 1


def test_rubric_import_edit_publish_flow(app, db, rubric):
    client = logged_in_client(app, factories.create_user(db, "qa_reviewer").username, lang="en")
    new_text = rubric.yaml_text.replace(f"id: {rubric.rubric_key}", "id: billing_desk", 1)
    resp = _import(client, new_text.encode())
    assert resp.status_code == 302, _text(resp)
    draft_url = resp.headers["Location"]
    assert "draft" in _text(client.get(draft_url))
    draft_id = int(draft_url.rstrip("/").rsplit("/", 1)[1])

    # a second import of the same rubric id while a draft is open is refused with a message
    again = _import(client, new_text.encode())
    assert again.status_code == 409
    assert "already has an unpublished draft" in _text(again)

    # editing the draft: invalid text -> 400 with a plain message; valid -> saved
    edit_url = f"/rubrics/{draft_id}/edit"
    assert client.get(edit_url).status_code == 200
    bad = post_form(client, edit_url, {"yaml_text": "sections: 5", "lock_version": "1"}, token_from=edit_url)
    assert bad.status_code == 400
    assert "alert-danger" in _text(bad)
    good = post_form(
        client,
        edit_url,
        {"yaml_text": new_text.replace("weight: 6", "weight: 7", 1), "lock_version": "1"},
        token_from=edit_url,
    )
    assert good.status_code == 302
    stale = post_form(client, edit_url, {"yaml_text": new_text, "lock_version": "1"}, token_from=edit_url)
    assert stale.status_code == 409

    resp = post_form(client, f"/rubrics/{draft_id}/publish", {"make_default": "1"}, token_from=draft_url)
    assert resp.status_code == 302
    with app.extensions["qa_sessionmaker"]() as s:
        row = s.get(RubricVersion, draft_id)
        assert row.status == "published" and row.is_default
        assert "weight: 7" in row.yaml_text
        assert s.get(RubricVersion, rubric.id).is_default is False

    # editing a published version makes a new draft instead of changing it
    resp = post_form(client, edit_url, {"yaml_text": new_text, "lock_version": "99"}, token_from=edit_url)
    assert resp.status_code == 302
    with app.extensions["qa_sessionmaker"]() as s:
        versions = sorted(
            (r.version, r.status)
            for r in s.scalars(select(RubricVersion).where(RubricVersion.rubric_key == "billing_desk"))
        )
    assert versions == [(1, "published"), (2, "draft")]


def test_rubric_rescore_needs_dates(app, db, rubric):
    client = logged_in_client(app, factories.create_user(db, "admin").username, lang="en")
    url = f"/rubrics/{rubric.id}"
    resp = post_form(client, f"{url}/rescore", {"from": "bad", "to": ""}, token_from=url)
    assert "Give a valid date range" in _text(client.get(resp.headers["Location"]))
    resp = post_form(client, f"{url}/rescore", {"from": "2026-01-01", "to": "2026-12-31"}, token_from=url)
    assert resp.status_code == 302
    assert "Re-scoring of every call in the range is queued" in _text(client.get(resp.headers["Location"]))


def test_rubric_import_too_large(app, db, rubric):
    client = logged_in_client(app, factories.create_user(db, "admin").username, lang="en")
    resp = _import(client, b"# " + b"x" * (512 * 1024 + 10))
    assert resp.status_code == 400 and "too large" in _text(resp)


def test_upload_page_renders_for_staff(app, db):
    factories.create_agent(db)
    client = logged_in_client(app, factories.create_user(db, "qa_reviewer").username)
    resp = client.get("/calls/upload")
    assert resp.status_code == 200
    assert 'name="csrf_token"' in _text(resp)
    # an upload POST with an invalid form re-renders with errors (400), not a crash
    resp = post_form(client, "/calls/upload", {"agent_id": "abc"}, token_from="/calls/upload")
    assert resp.status_code == 400


# --- call page with a transcript and a scorecard (stored directly; no speech models) --------------------


def _store_processed(db, call):
    from qa_app.services import processing
    from scoring.engine import score
    from transcription.types import Segment, Transcript

    segments = (
        Segment(0, 0.0, 2.0, "S1", "您好，中国移动客服，工号1234，很高兴为您服务。"),
        Segment(1, 2.2, 4.0, "S2", "我的宽带<b>断了</b>，一直连不上。"),
        Segment(2, 4.1, 6.0, "S1", "非常抱歉给您带来不便，请问还有什么可以帮您？"),
    )
    transcript = Transcript("zh", 6.0, segments).with_roles({"S1": "agent", "S2": "customer"}, confidence=0.8)
    processing.store_transcript(db, call, transcript)
    processing.score_call(db, call, lambda t, r: score(t, r, sentiment={}))
    call.status = "ready"
    db.commit()


def test_call_page_with_transcript_and_scorecard(app, db, settings):
    call = factories.create_call(db, settings, factories.create_agent(db))
    _store_processed(db, call)
    for role, can_swap, can_rescore in [("qa_reviewer", True, True), ("trainer", True, False)]:
        client = logged_in_client(app, factories.create_user(db, role).username, lang="en")
        html = _text(client.get(f"/calls/{call.id}"))
        assert "工号1234" in html
        assert "&lt;b&gt;断了&lt;/b&gt;" in html and "<b>断了</b>" not in html  # transcript text is escaped
        assert "role confidence 80%" in html
        assert "/ 100" in html  # the scorecard total
        assert (f"/calls/{call.id}/swap-roles" in html) == can_swap
        assert (f"/calls/{call.id}/rescore" in html) == can_rescore
    assert "greeting" in html or "Greeting" in html


def test_swap_roles_and_rescore_queue_scoring(app, db, settings):
    call = factories.create_call(db, settings, factories.create_agent(db))
    _store_processed(db, call)
    client = logged_in_client(app, factories.create_user(db, "qa_reviewer").username)
    resp = post_form(client, f"/calls/{call.id}/swap-roles", token_from=f"/calls/{call.id}")
    assert resp.status_code == 302
    status = client.get(f"/calls/{call.id}/status.json").get_json()
    assert status["job"]["kind"] == "score_call" and status["pending"] is True
    resp = post_form(client, f"/calls/{call.id}/rescore", token_from=f"/calls/{call.id}")
    assert resp.status_code == 302
    html = _text(client.get(f"/calls/{call.id}"))
    assert "S1" in html
    from qa_app.db.models import AuditEvent, TranscriptRecord

    with app.extensions["qa_sessionmaker"]() as s:
        rec = s.scalar(select(TranscriptRecord).where(TranscriptRecord.call_id == call.id))
        assert rec.data["speakers"] == {"S1": "customer", "S2": "agent"}
        actions = {e.action for e in s.scalars(select(AuditEvent))}
    assert {"roles_swapped", "rescore_requested"} <= actions


def test_jobs_page_offers_retry_for_dead_jobs(app, db, settings):
    from qa_app.db.models import Job
    from qa_app.services import queueing

    call = factories.create_call(db, settings, factories.create_agent(db))
    job = queueing.enqueue_call(db, call, settings=settings)
    job.state, job.last_error = "dead", "decoder exploded <script>"
    call.status, call.failure_reason = "failed", "decoder exploded <script>"
    db.commit()
    client = logged_in_client(app, factories.create_user(db, "admin").username)
    html = _text(client.get("/admin/jobs?state=dead"))
    assert f"/calls/{call.id}/retry" in html
    assert "<script>" not in html.split("<body>")[1].replace('<script src="', "")
    detail = _text(client.get(f"/calls/{call.id}"))
    assert "decoder exploded &lt;script&gt;" in detail
    resp = post_form(client, f"/calls/{call.id}/retry", token_from="/admin/jobs")
    assert resp.status_code == 302
    with app.extensions["qa_sessionmaker"]() as s:
        states = sorted(j.state for j in s.scalars(select(Job).where(Job.call_id == call.id)))
    assert states == ["dead", "queued"]


def test_admin_deactivates_a_team_only_without_active_agents(app, db):
    from qa_app.db.models import Team

    admin = factories.create_user(db, "admin")
    busy = factories.create_agent(db).team
    empty = factories.create_team(db)
    client = factories.logged_in_client(app, admin.username, lang="en")
    token = factories.csrf_token(client, "/admin/teams")
    client.post(f"/admin/teams/{busy.id}/active", data={"active": "0", "csrf_token": token})
    client.post(f"/admin/teams/{empty.id}/active", data={"active": "0", "csrf_token": token})
    db.expire_all()
    assert db.get(Team, busy.id).active is True
    assert db.get(Team, empty.id).active is False
    assert "1 active agent(s)" in client.get("/admin/teams").get_data(as_text=True)


def test_calls_list_flags_verdicts_to_review(app, db, settings):
    from qa_app.db.models import AutoScorecard

    call = factories.create_call(db, settings, factories.create_agent(db))
    _store_processed(db, call)
    card = db.query(AutoScorecard).filter_by(call_id=call.id).one()
    client = logged_in_client(app, factories.create_user(db, "qa_reviewer").username, lang="en")
    html = _text(client.get("/calls/"))
    assert "to review" not in html and "Critical item failed" not in html
    card.needs_review, card.critical_failed = 2, True
    db.commit()
    html = _text(client.get("/calls/"))
    assert "2 to review" in html and "Critical item failed" in html
