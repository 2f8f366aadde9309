"""API tokens expire and record their last use, visible to admins; the page that shows a new token is
never cached (issue #11, item 7)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from qa_app.db.base import utcnow
from qa_app.db.models import User
from qa_app.services import authentication

import factories
from factories import logged_in_client, post_form


@pytest.fixture
def reviewer(db):
    return factories.create_user(db, "qa_reviewer")


def _token(db, user, **kw) -> str:
    token = authentication.issue_api_token(db, user, actor=user, **kw)
    db.commit()
    return token


def _get(client, url, token, **headers):
    return client.get(url, headers={"Authorization": f"Bearer {token}", **headers})


def test_a_new_token_expires_after_the_configured_days(app, db, reviewer):
    _token(db, reviewer)
    assert reviewer.api_token_expires_at - reviewer.api_token_created_at == timedelta(days=90)
    _token(db, reviewer, days=7)
    assert abs(reviewer.api_token_expires_at - (utcnow() + timedelta(days=7))) < timedelta(minutes=1)


def test_admin_token_page_uses_the_setting_and_is_not_cached(make_app):
    app = make_app(api_token_days=14)
    with app.extensions["qa_sessionmaker"]() as s:
        admin = factories.create_user(s, "admin")
        target = factories.create_user(s, "trainer")
        admin_name, target_id = admin.username, target.id
    client = logged_in_client(app, admin_name, lang="en")
    resp = post_form(client, f"/admin/users/{target_id}/token", token_from=f"/admin/users/{target_id}")
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    page = resp.get_data(as_text=True)
    assert "qa_" in page and "valid until" in page
    with app.extensions["qa_sessionmaker"]() as s:
        user = s.get(User, target_id)
        assert timedelta(days=13) < user.api_token_expires_at - utcnow() <= timedelta(days=14)


def test_expired_token_is_refused_with_a_clear_message(app, db, client, reviewer):
    token = _token(db, reviewer)
    call = factories.create_call(db, app.extensions["qa_settings"], factories.create_agent(db))
    assert _get(client, f"/api/calls/{call.id}", token).status_code == 200
    reviewer.api_token_expires_at = utcnow() - timedelta(minutes=1)
    db.commit()
    resp = _get(client, f"/api/calls/{call.id}", token)
    assert resp.status_code == 401
    body = resp.get_json()
    assert body["message_code"] == "api.token_expired"
    assert "expired on" in body["message"] and "ask an administrator" in body["message"]
    assert 'error="invalid_token"' in resp.headers["WWW-Authenticate"]
    zh = _get(client, f"/api/calls/{call.id}", token, **{"Accept-Language": "zh-CN"}).get_json()
    assert "已于" in zh["message"] and "过期" in zh["message"]


def test_a_token_without_an_expiry_is_refused(app, db, client, reviewer):
    token = _token(db, reviewer)
    reviewer.api_token_expires_at = None  # issued before tokens expired and not migrated
    db.commit()
    assert _get(client, "/api/calls/1", token).get_json()["message_code"] == "api.token_expired"


@pytest.mark.parametrize(
    ("header", "code"),
    [({}, "api.token_missing"), ({"Authorization": "Bearer qa_nope"}, "api.token_invalid")],
)
def test_missing_and_unknown_tokens(client, header, code):
    resp = client.get("/api/calls/1", headers=header)
    assert resp.status_code == 401 and resp.get_json()["message_code"] == code
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_last_use_is_recorded_and_shown_to_admins(app, db, client, reviewer):
    token = _token(db, reviewer)
    assert reviewer.api_token_last_used_at is None
    admin = logged_in_client(app, factories.create_user(db, "admin").username, lang="en")
    assert "never used" in admin.get(f"/admin/users/{reviewer.id}").get_data(as_text=True)
    _get(client, "/api/calls/999999", token)  # a 404, but the token was used
    db.expire_all()
    used = db.get(User, reviewer.id).api_token_last_used_at
    assert used is not None and utcnow() - used < timedelta(minutes=1)
    page = admin.get(f"/admin/users/{reviewer.id}").get_data(as_text=True)
    assert "Last used" in page and "never used" not in page and "Expires" in page
    listing = admin.get("/admin/users").get_data(as_text=True)
    assert "last used" in listing
    reviewer.api_token_expires_at = utcnow() - timedelta(days=1)
    db.commit()
    assert "expired" in admin.get("/admin/users").get_data(as_text=True)
