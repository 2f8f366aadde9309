"""The top navigation bar in a real browser at 1400×900: the admin's menus fit on one line (in Chinese and
English) and a menu works from the keyboard (Enter opens it, arrows move, Escape closes it)."""

from __future__ import annotations

import pytest

import factories
from browser import login, shot


def _tops(page) -> list[float]:
    """The top edge of every top-level item of the bar (brand, menus, bell, user, log out, language)."""
    return page.evaluate(
        """() => [
            document.querySelector('.navbar-brand'),
            ...document.querySelectorAll('#main-nav > li'),
            ...document.querySelectorAll('#nav > :not(#main-nav)'),
            document.querySelector('form[action^="/lang/"]'),
        ].filter(Boolean).map(el => el.getBoundingClientRect()).map(r => r.top + r.height / 2)"""
    )


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_admin_navbar_fits_on_one_line_and_opens_by_keyboard(new_page, db, locale):
    admin = factories.create_user(db, "admin")
    page = new_page(locale=locale)
    login(page, admin.username)
    want = "zh-CN" if locale == "zh-CN" else "en"
    if page.get_attribute("html", "lang") != want:
        page.click('form[action^="/lang/"] button')  # the language switch
        page.wait_for_load_state("networkidle")
    assert page.get_attribute("html", "lang") == want
    assert page.viewport_size == {"width": 1400, "height": 900}
    items = page.locator("#main-nav > li")
    assert items.count() == 5, "calls, review, coaching, reports, admin"
    tops = [page.locator("#main-nav > li").nth(i).bounding_box()["y"] for i in range(items.count())]
    assert max(tops) - min(tops) < 1, tops
    centres = _tops(page)
    assert len(centres) >= 8 and max(centres) - min(centres) < 6, centres  # nothing wrapped to a second line
    assert page.locator("nav.navbar").bounding_box()["height"] < 70

    button = page.locator("#menu-admin")
    assert button.get_attribute("aria-expanded") == "false"
    button.focus()
    page.keyboard.press("Enter")
    menu = page.locator("#menu-admin + .dropdown-menu")
    menu.wait_for(state="visible")
    assert button.get_attribute("aria-expanded") == "true"
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "/admin/users"
    if locale == "zh-CN":
        box = page.locator("nav.navbar").bounding_box()
        shot(
            page,
            "navbar-admin",
            clip={"x": 0, "y": 0, "width": 1400, "height": box["height"] + 300},
            width=1100,
        )
    page.keyboard.press("Escape")
    menu.wait_for(state="hidden")
    assert button.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.id") == "menu-admin", "focus goes back to the button"
    # open it again and follow an item with the keyboard: that page's menu is highlighted
    page.keyboard.press("Enter")
    menu.wait_for(state="visible")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url("**/admin/teams")
    assert "active" in (page.locator("#menu-admin").get_attribute("class") or "")
    assert page.locator("#main-nav .nav-link.active").count() == 1
    assert page.js_errors == []


@pytest.mark.parametrize("role", ["agent", "qa_reviewer", "trainer"])
def test_other_roles_navbar_fits_too(new_page, db, role):
    if role == "agent":
        from qa_app.db.models import User

        user = db.get(User, factories.create_agent(db).user_id)
    else:
        user = factories.create_user(db, role)
    page = new_page()
    login(page, user.username)
    centres = _tops(page)
    assert max(centres) - min(centres) < 6, (role, centres)
    assert page.js_errors == []
