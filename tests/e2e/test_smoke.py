"""The browser harness itself: a real login and a page rendered by chromium, no script errors."""

from __future__ import annotations

import factories
from browser import login


def test_login_in_a_real_browser_reaches_the_home_page(page, db):
    user = factories.create_user(db, "admin")
    login(page, user.username)
    assert page.locator("nav").count() >= 1
    assert page.js_errors == []
