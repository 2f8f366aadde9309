"""The top navigation bar: five menus instead of a row of links that wrapped for admins.

Each item is an endpoint and is shown only when ``can(endpoint)`` lets the current user open it (the view's
own ``@allow``), so no role lists are repeated here. A menu with no visible item is left out, one with a
single visible item is shown as that link (an agent's "Rubrics" is not a one-line menu). The menu holding
the current page is highlighted: the one listing its endpoint, else the one owning its blueprint (a call's
review page belongs to Calls). A new page joins the bar with one ``Item`` line here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l

from qa_app.web.access import can
from qa_app.web.dashboards import PAGES


@dataclass(frozen=True)
class Item:
    endpoint: str
    label: Any  # a lazy string
    alone: Any = None  # the label when it is the menu's only visible item ("Overview" says too little)


@dataclass(frozen=True)
class Menu:
    key: str
    label: Any
    items: tuple[Item, ...]
    # pages of these blueprints that are no item of any menu (a call, a plan, an article) belong here
    blueprints: frozenset[str] = field(default_factory=frozenset)


MENUS: tuple[Menu, ...] = (
    Menu(
        "calls", _l("Calls"), (Item("calls.index", _l("Calls")),), frozenset({"calls", "review", "feedback"})
    ),
    Menu(
        "review",
        _l("Quality review"),
        (
            Item("queue.mine", _l("My queue")),
            Item("calls.upload", _l("Upload")),
            Item("sampling.index", _l("Sampling")),
            Item("calibration.index", _l("Calibration")),
            Item("machine_report.index", _l("Machine vs human")),
            Item("disputes.index", _l("Disputes")),
            Item("search.index", _l("Search")),
        ),
        frozenset({"queue", "sampling", "calibration", "machine_report", "disputes", "search"}),
    ),
    Menu(
        "coaching",
        _l("Coaching"),
        (
            Item("coaching.me", _l("My coaching")),
            Item("coaching.index", _l("Overview"), _l("Coaching")),
            Item("coaching.plans", _l("Coaching plans")),
            Item("coaching.sessions", _l("Coaching sessions")),
            Item("coaching.effect", _l("Coaching effect")),
            Item("knowledge.index", _l("Knowledge base")),
        ),
        frozenset({"coaching", "knowledge"}),
    ),
    Menu(
        "reports",
        _l("Reports"),
        (
            Item("dashboards.index", _l("Overview"), _l("Dashboards")),
            *(Item(f"dashboards.{key}", title) for key, (title, _d) in PAGES.items()),
            Item("queue.health", _l("Queue health")),
        ),
        frozenset({"dashboards"}),
    ),
    Menu(
        "admin",
        _l("Admin"),
        (
            Item("admin.users", _l("Users")),
            Item("admin.teams", _l("Teams")),
            Item("admin.agents", _l("Agents")),
            Item("rubrics.index", _l("Rubrics")),
            Item("feedback.release_rules", _l("Release of automated evaluations")),
            Item("admin.jobs", _l("Job queue")),
            Item("admin.audit_log", _l("Audit log")),
        ),
        frozenset({"admin", "rubrics"}),
    ),
)


@dataclass(frozen=True)
class ShownMenu:
    key: str
    label: Any
    items: list[Item]
    active: bool


def _active_key(endpoint: str | None) -> str | None:
    if not endpoint:
        return None
    for m in MENUS:
        if any(it.endpoint == endpoint for it in m.items):
            return m.key
    blueprint = endpoint.rpartition(".")[0]
    return next((m.key for m in MENUS if blueprint in m.blueprints), None)


def menus() -> list[ShownMenu]:
    """The menus the current user sees on this request (for ``base.html``)."""
    active = _active_key(request.endpoint)
    shown = []
    for m in MENUS:
        items = [it for it in m.items if can(it.endpoint)]
        if items:
            shown.append(ShownMenu(m.key, m.label, items, m.key == active))
    return shown
