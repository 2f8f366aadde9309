"""Session limits (issue #11, item 7): idle timeout, absolute lifetime, binding of the cookie to the
browser and address (Flask-Login "strong" protection, which needs non-permanent sessions), no-store on
pages for logged-in users, small cookies whatever is flashed."""

from __future__ import annotations

import pytest

from qa_app.web import sessions

import factories
from factories import logged_in_client


class Clock:
    def __init__(self) -> None:
        self.t = 1_900_000_000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, minutes: float) -> None:
        self.t += minutes * 60


@pytest.fixture
def clock(monkeypatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(sessions, "_now", c)
    return c


@pytest.fixture
def user(db):
    return factories.create_user(db, "qa_reviewer")


def test_idle_session_ends_with_a_message(app, user, clock):
    client = logged_in_client(app, user.username, lang="en")
    assert client.get("/calls/").status_code == 200
    clock.advance(31)
    resp = client.get("/calls/?status=ready")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login?next=")
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "30 minutes without activity" in page
    assert client.get("/calls/").status_code == 302, "the old cookie is dead"
    assert logged_in_client(app, user.username).get("/calls/").status_code == 200


def test_activity_keeps_the_session(app, user, clock):
    client = logged_in_client(app, user.username)
    for _ in range(5):
        clock.advance(25)
        assert client.get("/calls/").status_code == 200


def test_background_polls_do_not_keep_a_session_alive(app, db, user, clock):
    call = factories.create_call(db, app.extensions["qa_settings"], factories.create_agent(db))
    client = logged_in_client(app, user.username, lang="en")
    for _ in range(3):
        clock.advance(10)
        assert client.get(f"/calls/{call.id}/status.json").status_code == 200
    clock.advance(2)  # 32 minutes after the last page the user asked for
    resp = client.get(f"/calls/{call.id}/status.json")
    assert resp.status_code == 401
    assert resp.get_json()["error"] == "session_expired"
    assert client.get("/calls/").status_code == 302


def test_sessions_end_after_their_lifetime_whatever_the_activity(app, user, clock):
    client = logged_in_client(app, user.username, lang="en")
    for _ in range(20):  # 9 h 50 min of steady work
        clock.advance(30 - 0.5)
        assert client.get("/").status_code == 200
    clock.advance(29)
    resp = client.get("/")
    assert resp.status_code == 302
    assert "at most 10 hours" in client.get(resp.headers["Location"]).get_data(as_text=True)


def test_settings_change_the_limits(make_app, clock):
    app = make_app(session_idle_minutes=5)
    with app.extensions["qa_sessionmaker"]() as s:
        name = factories.create_user(s, "trainer").username
    client = logged_in_client(app, name)
    clock.advance(6)
    assert client.get("/").status_code == 302


def test_a_cookie_without_the_session_times_is_refused(app, user):
    client = logged_in_client(app, user.username)
    with client.session_transaction() as sess:
        del sess[sessions.SEEN]
    assert client.get("/calls/").status_code == 302


@pytest.mark.parametrize(
    "change", [{"headers": {"User-Agent": "curl/8.0"}}, {"environ_base": {"REMOTE_ADDR": "10.9.8.7"}}]
)
def test_a_cookie_used_from_another_browser_or_address_is_dropped(app, user, change):
    client = logged_in_client(app, user.username)
    assert client.get("/calls/").status_code == 200
    assert client.get("/calls/", **change).status_code == 302
    assert client.get("/calls/").status_code == 302, "and the session is over"


def test_the_login_cookie_is_a_browser_session_cookie(client, user):
    resp = factories.AuthActions(client).login(user.username)
    (cookie,) = [h for h in resp.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert "expires" not in cookie.lower() and "max-age" not in cookie.lower()


def test_pages_for_logged_in_users_are_not_stored(app, client, user):
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    logged = logged_in_client(app, user.username)
    for url in ("/", "/calls/", "/rubrics/"):
        assert logged.get(url).headers["Cache-Control"] == "no-store", url
    static = logged.get("/static/app.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")
    static.close()


def test_flash_messages_cannot_grow_the_cookie(app, db, user):
    call = factories.create_call(db, app.extensions["qa_settings"], factories.create_agent(db))
    client = logged_in_client(app, user.username)
    with client.session_transaction() as sess:
        sess["_flashes"] = [("danger", "x" * 20_000)] * 10
    resp = client.get(f"/calls/{call.id}/status.json")  # a response that shows no flashes
    (cookie,) = [h for h in resp.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert len(cookie) < 4000
    with client.session_transaction() as sess:
        assert len(sess["_flashes"]) == sessions.MAX_FLASHES
        assert all(len(m) <= sessions.MAX_FLASH_CHARS for _c, m in sess["_flashes"])
