"""Login, throttling, logout, deactivation, session cookie, open redirects, language switch."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from qa_app.db.models import AuditEvent, User

import factories
from factories import csrf_token, logged_in_client, post_form


def _actions(app) -> list[AuditEvent]:
    with app.extensions["qa_sessionmaker"]() as s:
        return list(s.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def _html_lang(resp) -> str:
    m = re.search(r'<html lang="([^"]+)"', resp.get_data(as_text=True))
    assert m, "no <html lang=...>"
    return m.group(1)


def test_login_page_renders(client):
    resp = client.get("/login")
    assert resp.status_code == 200
    assert 'name="password"' in resp.get_data(as_text=True)


def test_login_success(app, client, auth, db):
    user = factories.create_user(db, "trainer")
    resp = auth.login(user.username)
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    events = [e for e in _actions(app) if e.action == "login"]
    assert events and events[-1].username == user.username
    db.expire_all()
    assert db.get(User, user.id).last_login_at is not None


@pytest.mark.parametrize(
    ("username", "password"),
    [("ghost", factories.DEFAULT_PASSWORD), (None, "wrong-password-1"), (None, "")],
)
def test_login_failure(app, client, auth, db, username, password):
    user = factories.create_user(db, "admin")
    resp = auth.login(username or user.username, password)
    assert resp.status_code in (400, 401)
    assert 'name="password"' in resp.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still anonymous
    if password:
        failed = [e for e in _actions(app) if e.action == "login_failed"]
        assert len(failed) == 1
        assert failed[0].username == (username or user.username)


def test_unknown_user_and_wrong_password_look_the_same(client, auth, db):
    user = factories.create_user(db, "admin")
    a = auth.login("nobody-here")
    b = auth.login(user.username, "not-the-password-1")
    assert a.status_code == b.status_code == 401
    strip = re.compile(r'value="[^"]*"')
    assert strip.sub("", a.get_data(as_text=True)) == strip.sub("", b.get_data(as_text=True))


def test_login_throttled_after_max_failures(app, client, auth, db):
    user = factories.create_user(db, "admin")
    max_failures = app.extensions["qa_settings"].login_max_failures
    for _ in range(max_failures):
        assert auth.login(user.username, "bad-password-123").status_code == 401
    # even the right password is refused while throttled
    resp = auth.login(user.username)
    assert resp.status_code == 429
    assert client.get("/").status_code == 302
    throttled = [e for e in _actions(app) if e.action == "login_throttled"]
    assert len(throttled) == 1
    assert throttled[0].username == user.username


def test_throttle_is_per_ip_too(app, db):
    """Failures spread over many usernames from one address are throttled as well (at a higher limit,
    so one NAT address full of agents is not locked out by a few typos)."""
    from qa_app.services.authentication import IP_FACTOR

    user = factories.create_user(db, "admin")
    client = app.test_client()
    max_failures = app.extensions["qa_settings"].login_max_failures
    for i in range(max_failures * IP_FACTOR):
        data = {"username": f"guess{i}", "password": "x" * 12, "csrf_token": csrf_token(client)}
        assert client.post("/login", data=data).status_code == 401
    data = {
        "username": user.username,
        "password": factories.DEFAULT_PASSWORD,
        "csrf_token": csrf_token(client),
    }
    assert client.post("/login", data=data).status_code == 429


def test_logout_ends_the_session_and_old_cookie_is_dead(app, client, auth, db):
    user = factories.create_user(db, "qa_reviewer")
    assert auth.login(user.username).status_code == 302
    cookie = client.get_cookie("session")
    assert cookie is not None
    stolen = cookie.value
    assert client.get("/calls/").status_code == 200

    resp = auth.logout()
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]
    assert client.get("/calls/").status_code == 302
    assert any(e.action == "logout" for e in _actions(app))

    # Replaying the cookie captured before logout must not work any more.
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    resp = replay.get("/calls/")
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]


def test_logout_requires_post(client, auth, db):
    user = factories.create_user(db, "admin")
    auth.login(user.username)
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200


def test_deactivated_user_cannot_log_in(app, client, auth, db):
    user = factories.create_user(db, "trainer", active=False)
    resp = auth.login(user.username)
    assert resp.status_code == 401
    assert client.get("/").status_code == 302
    failed = [e for e in _actions(app) if e.action == "login_failed"]
    assert failed[-1].detail.get("reason") == "inactive"


def test_deactivation_by_admin_ends_existing_sessions(app, db):
    admin = factories.create_user(db, "admin")
    victim = factories.create_user(db, "trainer")
    victim_client = logged_in_client(app, victim.username)
    assert victim_client.get("/calls/").status_code == 200

    admin_client = logged_in_client(app, admin.username)
    resp = post_form(
        admin_client,
        f"/admin/users/{victim.id}",
        {"display_name": victim.display_name, "role": "trainer", "password": ""},  # "active" unchecked
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:800]
    db.expire_all()
    assert db.get(User, victim.id).active is False

    resp = victim_client.get("/calls/")
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]


def test_deactivated_in_db_session_stops_working(app, db):
    """Even without a session-version bump, an inactive account's cookie is refused."""
    user = factories.create_user(db, "trainer")
    c = logged_in_client(app, user.username)
    user.active = False
    db.commit()
    assert c.get("/calls/").status_code == 302


def test_password_change_ends_sessions(app, db):
    admin = factories.create_user(db, "admin")
    user = factories.create_user(db, "qa_reviewer")
    c = logged_in_client(app, user.username)
    admin_client = logged_in_client(app, admin.username)
    resp = post_form(
        admin_client,
        f"/admin/users/{user.id}",
        {"display_name": "Renamed", "role": "qa_reviewer", "active": "y", "password": "Another-pass-99"},
    )
    assert resp.status_code == 302
    assert c.get("/calls/").status_code == 302
    assert logged_in_client(app, user.username, "Another-pass-99").get("/").status_code == 200


def test_session_cookie_flags(client, auth, db):
    user = factories.create_user(db, "admin")
    resp = auth.login(user.username)
    cookies = [h for h in resp.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert cookies, resp.headers
    header = cookies[-1].lower()
    assert "httponly" in header
    assert "samesite=lax" in header
    assert "path=/" in header
    assert not any(
        h.startswith("remember_token=") and "expires" in h.lower() and "1970" not in h
        for h in resp.headers.getlist("Set-Cookie")
    )


def test_secure_cookie_setting(make_app):
    app = make_app(secure_cookies=True)
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_login_follows_local_next(client, auth, db):
    user = factories.create_user(db, "admin")
    resp = client.get("/calls/?status=queued")
    assert resp.status_code == 302
    assert "next=" in resp.headers["Location"]
    resp = auth.login(user.username, next_url="/calls/?status=queued")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/calls/?status=queued"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        "http:evil.example",
        "javascript:alert(1)",
        "evil.example",
        "///evil.example",
    ],
)
def test_open_redirect_blocked(client, auth, db, target):
    user = factories.create_user(db, "admin")
    resp = auth.login(user.username, next_url=target)
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/\\evil.example", "/\t/evil.example", "/\\/evil.example"])
def test_open_redirect_blocked_backslash_and_control_chars(client, auth, db, target):
    """Browsers read ``/\\host`` as ``//host`` and drop tabs/newlines from URLs: these must not become
    off-site redirects (Werkzeug percent-encodes the backslash; urlsplit strips the tab)."""
    user = factories.create_user(db, "admin")
    resp = auth.login(user.username, next_url=target)
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert "\\" not in location and "\t" not in location, location
    assert not location.replace("\\", "/").startswith("//")


def test_set_language_next_is_not_an_open_redirect(client):
    resp = client.post("/lang/en", data={"csrf_token": csrf_token(client), "next": "https://evil.example/"})
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/"


def test_language_switch_anonymous(client):
    assert _html_lang(client.get("/login")) == "zh-CN"  # default locale
    resp = client.post("/lang/en", data={"csrf_token": csrf_token(client), "next": "/login"})
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/login"
    page = client.get("/login")
    assert _html_lang(page) == "en"
    assert "中文" in page.get_data(as_text=True)  # the switch now offers Chinese
    client.post("/lang/zh", data={"csrf_token": csrf_token(client), "next": "/login"})
    page = client.get("/login")
    assert _html_lang(page) == "zh-CN"
    assert "English" in page.get_data(as_text=True)


def test_language_switch_logged_in_and_unknown_code(client, auth, db):
    user = factories.create_user(db, "agent")
    auth.login(user.username)
    client.post("/lang/en", data={"csrf_token": csrf_token(client), "next": "/calls/"})
    assert _html_lang(client.get("/calls/")) == "en"
    client.post("/lang/xx", data={"csrf_token": csrf_token(client), "next": "/calls/"})
    assert _html_lang(client.get("/calls/")) == "en"  # unknown codes are ignored
    client.post("/lang/zh", data={"csrf_token": csrf_token(client), "next": "/calls/"})
    assert _html_lang(client.get("/calls/")) == "zh-CN"


def test_user_locale_preference(app, db):
    user = factories.create_user(db, "trainer", locale="en")
    c = logged_in_client(app, user.username)
    assert _html_lang(c.get("/")) == "en"


def test_default_locale_wins_over_accept_language(client, make_app):
    """Product decision (qa_app/app.py _select_locale): Chinese unless the user picks English."""
    assert _html_lang(client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})) == "zh-CN"
    en_app = make_app(default_locale="en")
    assert _html_lang(en_app.test_client().get("/login")) == "en"


def test_role_change_ends_sessions(app, db):
    admin = factories.create_user(db, "admin")
    user = factories.create_user(db, "qa_reviewer")
    c = logged_in_client(app, user.username)
    assert c.get("/rubrics/").status_code == 200
    admin_client = logged_in_client(app, admin.username)
    resp = post_form(
        admin_client, f"/admin/users/{user.id}", {"display_name": "x", "role": "agent", "active": "y"}
    )
    assert resp.status_code == 302
    # the old session (with qa_reviewer rights) is gone; a new login gets the new role
    assert c.get("/rubrics/").status_code == 302
    assert logged_in_client(app, user.username).get("/rubrics/").status_code == 403


def test_login_session_is_renewed(client, auth, db):
    """Session fixation: the pre-login session (and its CSRF secret) is not carried into the login."""
    user = factories.create_user(db, "admin")
    client.get("/login")
    with client.session_transaction() as sess:
        sess["planted"] = "attacker"
    auth.login(user.username)
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess.get("_user_id", "").startswith(f"{user.id}:")


def test_security_headers_on_every_page(client):
    resp = client.get("/login")
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
