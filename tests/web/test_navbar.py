"""The top navigation bar (qa_app/web/nav.py, templates/base.html): a few menus instead of a row of links,
each item only for those its page lets in, the current page's menu highlighted, in zh and en."""

from __future__ import annotations

import re

import pytest

from qa_app.db.models import User
from qa_app.web.nav import MENUS

import factories
from factories import logged_in_client


def _nav(html: str) -> str:
    """The menus' part of the page (up to the closing tag of ``#main-nav``)."""
    start = html.index('id="main-nav"')
    return html[start : html.index("\n      </ul>", start)]


def _menus(html: str) -> dict[str, list[str]]:
    """menu key -> the hrefs in it (a plain link is a menu with one href)."""
    nav = _nav(html)
    out: dict[str, list[str]] = {}
    for block in re.split(r'<li class="nav-item[^"]*" data-menu=', nav)[1:]:
        key = block.split('"')[1]
        out[key] = re.findall(r'href="([^"]+)"', block)
    return out


def _active(html: str) -> list[str]:
    nav = _nav(html)
    keys = []
    for block in re.split(r'<li class="nav-item[^"]*" data-menu=', nav)[1:]:
        head = block.split("<ul", 1)[0] if "dropdown" in block.split(">", 1)[0] else block
        if re.search(r'class="nav-link[^"]*\bactive\b', head):
            keys.append(block.split('"')[1])
    return keys


EXPECTED = {
    # role -> menu -> the pages in it, in order
    "agent": {
        "calls": ["/calls/"],
        "review": ["/disputes/", "/search"],
        "coaching": ["/coaching/me", "/knowledge/"],
    },
    "qa_reviewer": {
        "calls": ["/calls/"],
        "review": [
            "/queue/",
            "/calls/upload",
            "/calibration/",
            "/reports/machine-vs-human",
            "/disputes/",
            "/search",
        ],
        "coaching": ["/knowledge/"],
        "admin": ["/rubrics/"],
    },
    "trainer": {
        "calls": ["/calls/"],
        "review": [
            "/queue/",
            "/calls/upload",
            "/sampling/",
            "/calibration/",
            "/reports/machine-vs-human",
            "/disputes/",
            "/search",
        ],
        "coaching": [
            "/coaching/",
            "/coaching/plans",
            "/coaching/sessions",
            "/coaching/effect",
            "/knowledge/",
        ],
        "admin": ["/rubrics/"],
    },
    "admin": {
        "calls": ["/calls/"],
        "review": [
            "/queue/",
            "/calls/upload",
            "/sampling/",
            "/calibration/",
            "/reports/machine-vs-human",
            "/disputes/",
            "/search",
        ],
        "coaching": [
            "/coaching/",
            "/coaching/plans",
            "/coaching/sessions",
            "/coaching/effect",
            "/knowledge/",
        ],
        "admin": [
            "/admin/users",
            "/admin/teams",
            "/admin/agents",
            "/rubrics/",
            "/admin/release-rules",
            "/admin/jobs",
            "/admin/audit",
        ],
    },
}


@pytest.mark.parametrize("role", ["agent", "qa_reviewer", "trainer", "admin"])
def test_each_role_sees_its_menus_and_can_open_every_item(app, db, role):
    if role == "agent":
        user = db.get(User, factories.create_agent(db).user_id)
    else:
        user = factories.create_user(db, role)
    client = logged_in_client(app, user.username, lang="en")
    menus = _menus(client.get("/").get_data(as_text=True))
    expected = EXPECTED[role]
    reports = menus.pop("reports")
    assert {k: v for k, v in menus.items()} == expected
    assert reports[0] == "/dashboards/" and all(
        u.startswith(("/dashboards/", "/queue/health")) for u in reports
    )
    assert ("/queue/health" in reports) == (role in ("trainer", "admin"))
    for hrefs in [*menus.values(), reports]:
        for url in hrefs:
            assert client.get(url).status_code == 200, (role, url)
    # every page the role may open through a menu item is in the bar
    shown = {u for hrefs in [*menus.values(), reports] for u in hrefs}
    with app.test_request_context():
        from flask import url_for

        every = {url_for(it.endpoint) for m in MENUS for it in m.items}
    for url in every - shown:
        assert client.get(url).status_code in (403, 404), (role, url)


@pytest.mark.parametrize(
    ("url", "menu"),
    [
        ("/calls/", "calls"),
        ("/calls/upload", "review"),
        ("/sampling/", "review"),
        ("/disputes/", "review"),
        ("/dashboards/trends", "reports"),
        ("/coaching/plans/new", "coaching"),
        ("/knowledge/", "coaching"),
        ("/admin/users", "admin"),
        ("/rubrics/", "admin"),
        ("/admin/release-rules", "admin"),
        ("/notifications/", None),
    ],
)
def test_the_current_pages_menu_is_highlighted(app, db, url, menu):
    admin = factories.create_user(db, "admin")
    html = logged_in_client(app, admin.username, lang="en").get(url).get_data(as_text=True)
    assert _active(html) == ([menu] if menu else []), url
    if menu and menu != "calls":
        assert html.count('aria-current="page"') >= 1


def test_menus_are_keyboard_buttons_with_both_languages(app, db):
    admin = factories.create_user(db, "admin")
    for lang, labels in (
        ("zh", ["通话", "质检", "辅导", "报表", "系统管理"]),
        ("en", ["Calls", "Quality review", "Coaching", "Reports", "Admin"]),
    ):
        html = logged_in_client(app, admin.username, lang=lang).get("/").get_data(as_text=True)
        nav = _nav(html)
        buttons = re.findall(
            r'<button type="button" class="nav-link dropdown-toggle[^"]*" id="menu-(\w+)" data-bs-toggle="dropdown" aria-expanded="false"[^>]*>([^<]+)</button>',
            nav,
        )
        assert [k for k, _ in buttons] == ["review", "coaching", "reports", "admin"]
        tops = [t for _, t in buttons]
        assert tops == labels[1:], lang
        assert f">{labels[0]}</a>" in nav
