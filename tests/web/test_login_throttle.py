"""Login throttling that cannot be used to lock people out (issue #11, item 8): failures are counted per
(username, address) and per address; one username attacked from many addresses gets growing delays
instead of a hard lock, and the addresses its owner logs in from are exempt. Admins see the throttles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from qa_app.db.models import AuditEvent
from qa_app.services import authentication

import factories
from factories import DEFAULT_PASSWORD, csrf_token, logged_in_client

MAX = 5  # the test settings' login_max_failures


def _login(app, username: str, password: str, ip: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    data = {"username": username, "password": password, "csrf_token": csrf_token(client)}
    return client.post("/login", data=data)


def _shift_failures(db, seconds: float) -> None:
    for event in db.scalars(select(AuditEvent).where(AuditEvent.action == "login_failed")):
        event.at -= timedelta(seconds=seconds)
    db.commit()


@pytest.fixture
def victim(db):
    return factories.create_user(db, "qa_reviewer")


def test_failures_from_one_address_do_not_lock_the_owner_out(app, victim):
    for _ in range(MAX):
        assert _login(app, victim.username, "wrong-password-1", "203.0.113.9").status_code == 401
    refused = _login(app, victim.username, DEFAULT_PASSWORD, "203.0.113.9")
    assert refused.status_code == 429, "the attacking address is throttled on that account"
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    assert _login(app, victim.username, DEFAULT_PASSWORD, "10.0.0.23").status_code == 302, "the owner is not"


def test_an_address_trying_many_accounts_is_throttled(app, victim):
    for i in range(MAX * authentication.IP_FACTOR):
        assert _login(app, f"guess{i}", "x" * 12, "198.51.100.7").status_code == 401
    assert _login(app, victim.username, DEFAULT_PASSWORD, "198.51.100.7").status_code == 429
    assert _login(app, victim.username, DEFAULT_PASSWORD, "198.51.100.8").status_code == 302


def test_one_account_from_many_addresses_gets_growing_delays_not_a_lock(app, db, victim):
    for i in range(MAX * authentication.USER_FACTOR):
        assert _login(app, victim.username, "wrong-password-1", f"192.0.2.{i + 1}").status_code == 401
    resp = _login(app, victim.username, DEFAULT_PASSWORD, "192.0.2.200")
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "2"
    assert "seconds" in resp.get_data(as_text=True) or "秒" in resp.get_data(as_text=True)
    _shift_failures(db, 3)
    assert _login(app, victim.username, "wrong-password-1", "192.0.2.201").status_code == 401
    resp = _login(app, victim.username, DEFAULT_PASSWORD, "192.0.2.202")
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "4", "the delay doubles"
    _shift_failures(db, 5)
    assert _login(app, victim.username, DEFAULT_PASSWORD, "192.0.2.203").status_code == 302


def test_the_owners_usual_address_is_not_delayed(app, victim):
    assert _login(app, victim.username, DEFAULT_PASSWORD, "10.0.0.23").status_code == 302
    for i in range(MAX * authentication.USER_FACTOR + 3):
        _login(app, victim.username, "wrong-password-1", f"192.0.2.{i + 1}")
    assert _login(app, victim.username, DEFAULT_PASSWORD, "192.0.2.250").status_code == 429
    assert _login(app, victim.username, DEFAULT_PASSWORD, "10.0.0.23").status_code == 302


def test_delays_grow_and_are_capped_by_the_window():
    window = timedelta(minutes=15)
    assert authentication._user_delay(MAX * authentication.USER_FACTOR - 1, MAX, window) is None
    delays = [authentication._user_delay(MAX * authentication.USER_FACTOR + k, MAX, window) for k in range(12)]
    assert [d.total_seconds() for d in delays[:4]] == [2, 4, 8, 16]
    assert delays[-1] == window


def test_admins_see_who_is_throttled(app, db, victim):
    for _ in range(MAX):
        _login(app, victim.username, "wrong-password-1", "203.0.113.9")
    for i in range(MAX * authentication.USER_FACTOR):
        _login(app, victim.username, "wrong-password-1", f"192.0.2.{i + 1}")
    for i in range(MAX * authentication.IP_FACTOR):
        _login(app, f"guess{i}", "x" * 12, "198.51.100.7")
    admin = logged_in_client(app, factories.create_user(db, "admin").username, lang="en")
    page = admin.get("/admin/users").get_data(as_text=True)
    section = page[page.index("Sign-in throttling") : page.index("</section>")]
    assert "this account from this address" in section and "203.0.113.9" in section
    assert "every account from this address" in section and "198.51.100.7" in section
    # 5 failures from .9, then 5 more from new addresses before the delays refused the rest
    assert "this account from new addresses" in section and "6 addresses" in section
    assert victim.username in section
    assert f"{MAX * authentication.USER_FACTOR} failed logins" in page  # the badge in the users table


def test_admin_page_without_throttles(app, db):
    admin = logged_in_client(app, factories.create_user(db, "admin").username, lang="en")
    assert "No account or address is throttled." in admin.get("/admin/users").get_data(as_text=True)
