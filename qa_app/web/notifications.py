"""In-app notifications: the navbar bell, the list, marking read, opening one.

Notifications are stored as a code plus parameters (services.notifications.KINDS) and rendered here in the
reader's language. A kind without a text here (added later by another area) shows its code.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from qa_app.app import get_db
from qa_app.db.models import Notification
from qa_app.services import notifications
from qa_app.services.errors import NotFound
from qa_app.web.access import ALL_ROLES, allow
from qa_app.web.forms import EmptyForm
from qa_app.web.labels import label

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

# kind -> (text with parameters, text when a parameter is missing); "<kind>/overdue" when params.overdue
TEXTS = {
    "review_assigned": (
        _l("%(count)s calls were assigned to you for review."),
        _l("Calls were assigned to you for review."),
    ),
    "evaluation_released": (
        _l(
            "Your evaluation of call #%(call_id)s is ready: acknowledge it, or dispute it if a verdict is wrong."
        ),
        _l("A new evaluation of one of your calls is ready."),
    ),
    "dispute_raised": (
        _l("Dispute #%(dispute_id)s on call #%(call_id)s is waiting for your ruling."),
        _l("A dispute is waiting for your ruling."),
    ),
    "dispute_ruled": (
        _l("Your dispute on call #%(call_id)s was decided: %(outcome)s."),
        _l("Your dispute was decided."),
    ),
    "calibration_invited": (
        _l("You are invited to score calls blind in a calibration session."),
        _l("You are invited to score calls blind in a calibration session."),
    ),
    "calibration_due": (
        _l("Your scores for the calibration session “%(title)s” are due on %(due)s."),
        _l("Your calibration scores are due."),
    ),
    "coaching_plan_created": (
        _l("Coaching plan #%(plan_id)s was created for you: read it and acknowledge it."),
        _l("A coaching plan was created for you."),
    ),
    "coaching_session_due": (
        _l("Coaching session of plan #%(plan_id)s at %(scheduled_at)s."),
        _l("A coaching session is due."),
    ),
    "coaching_session_due/overdue": (
        _l(
            "The coaching session of plan #%(plan_id)s at %(scheduled_at)s is not recorded yet: record it, "
            "reschedule it or cancel it."
        ),
        _l("A coaching session is overdue."),
    ),
    "coaching_plan_due": (
        _l("Coaching plan #%(plan_id)s is due on %(due_date)s."),
        _l("A coaching plan is due soon."),
    ),
    "coaching_plan_due/overdue": (
        _l("Coaching plan #%(plan_id)s was due on %(due_date)s and is still open."),
        _l("A coaching plan is overdue."),
    ),
    "coaching_plan_closed": (
        _l("Coaching plan #%(plan_id)s was closed by the target re-check: %(state)s."),
        _l("A coaching plan was closed."),
    ),
}

# parameters stored as codes or ISO times, shown as labels / local times
PARAMS = {
    "outcome": lambda v: label("dispute_state", v),
    "state": lambda v: label("coaching_plan_state", v),
    "scheduled_at": lambda v: current_app.jinja_env.filters["localtime"](v),
}


def text(n: Notification) -> str:
    """The notification in the reader's language (parameters are escaped by the template)."""
    raw = n.params or {}
    spec = TEXTS.get(f"{n.kind}/overdue") if raw.get("overdue") else None
    spec = spec or TEXTS.get(n.kind)
    if spec is None:
        return n.kind
    with_params, fallback = spec
    params = {k: PARAMS[k](v) if k in PARAMS else v for k, v in raw.items()}
    try:
        return str(with_params) % params
    except (KeyError, TypeError, ValueError):
        return str(fallback)


def _local(url: str) -> bool:
    parts = urlsplit(url)
    return url.startswith("/") and not url.startswith("//") and "\\" not in url and not parts.netloc


@bp.app_context_processor
def _bell() -> dict:
    """``unread_notifications()`` for the navbar: one COUNT per request, only when a page asks for it."""

    def unread() -> int:
        if not current_user.is_authenticated:
            return 0
        if "unread_notifications" not in g:
            g.unread_notifications = notifications.unread_count(get_db(), current_user.id)
        return g.unread_notifications

    return {"unread_notifications": unread}


@bp.route("/")
@allow(*ALL_ROLES)
def index():
    rows = notifications.recent(get_db(), current_user.id, limit=100)
    return render_template(
        "notifications/index.html",
        rows=[(n, text(n)) for n in rows],
        form=EmptyForm(),
        any_unread=any(n.read_at is None for n in rows),
    )


@bp.route("/read", methods=["POST"])
@allow(*ALL_ROLES)
def mark_read():
    """Mark one notification (``id``) or all of the reader's notifications read."""
    if not EmptyForm().validate_on_submit():
        flash(_("The form has expired. Reload the page and try again."), "danger")
        return redirect(url_for("notifications.index"))
    raw = request.form.get("id", "")
    ids = [int(raw)] if raw.isascii() and raw.isdigit() and len(raw) < 10 else None
    db = get_db()
    notifications.mark_read(db, current_user.id, ids)
    db.commit()
    if ids is None:
        flash(_("All notifications marked as read."), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/<int:notification_id>/open", methods=["POST"])
@allow(*ALL_ROLES)
def open_one(notification_id: int):
    """Mark the notification read and go to what it is about."""
    db = get_db()
    n = db.scalar(
        select(Notification).where(
            Notification.id == notification_id, Notification.user_id == current_user.id
        )
    )
    if n is None:
        raise NotFound("notifications.not_found")
    if not EmptyForm().validate_on_submit():
        flash(_("The form has expired. Reload the page and try again."), "danger")
        return redirect(url_for("notifications.index"))
    notifications.mark_read(db, current_user.id, [n.id])
    db.commit()
    return redirect(n.url if n.url and _local(n.url) else url_for("notifications.index"))
