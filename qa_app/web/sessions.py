"""Session limits: idle timeout, absolute lifetime, binding to the browser, no-store, bounded flashes.

Decisions (README, "Sessions and API tokens"):

* **Idle timeout**: a session ends ``QA_SESSION_IDLE_MINUTES`` (default 30) after the user's last
  request. Background polls (:data:`PASSIVE_ENDPOINTS`, e.g. the call page's progress poll) neither
  count as activity nor end a session quietly: they answer 401 once it has ended.
* **Absolute lifetime**: ``QA_SESSION_MAX_HOURS`` (default 10, one long shift) after the login, whatever
  the activity. Both times live in the signed session cookie: a copied cookie cannot be refreshed by
  its thief once they have passed, and logout / password or role change / deactivation already end
  every session server-side (``User.session_version``).
* **Binding**: Flask-Login's ``strong`` session protection has no effect on *permanent* sessions, so
  the login cookie is a browser-session cookie (no Expires; it goes when the browser closes) and
  ``strong`` applies: a cookie presented from another address or browser (user agent) is dropped and
  the user must log in again. Behind a reverse proxy every client has the proxy's address (only the
  browser then counts) unless the proxy's X-Forwarded-For is applied with ProxyFix.
* Pages served to a logged-in user carry ``Cache-Control: no-store`` unless the view set its own:
  transcripts, scores and API tokens stay out of the shared call-centre PCs' browser caches.
* Flash messages are cut short before the session is saved: whatever a view flashes, the cookie stays
  small (a 60 KB Set-Cookie was seen).
"""

from __future__ import annotations

import time

from flask import Flask, Response, current_app, flash, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user, user_logged_in

SEEN = "_seen"  # time of the last (non-background) request, epoch seconds
STARTED = "_started"  # time of the login
REFRESH_SECONDS = 60  # the cookie is rewritten for activity at most once a minute
PASSIVE_ENDPOINTS = frozenset({"calls.status_json"})  # polled by pages on their own
MAX_FLASHES = 6
MAX_FLASH_CHARS = 400
KEEP_ON_EXPIRY = ("lang",)


def _now() -> float:
    return time.time()


def _stamp(_app: Flask, **_kw: object) -> None:
    """At login: the session starts now, as a browser-session cookie."""
    now = _now()
    session[STARTED] = now
    session[SEEN] = now
    session.permanent = False


def _expired() -> str:
    """Why the current login session is over ('' while it is valid)."""
    settings = current_app.extensions["qa_settings"]
    now = _now()
    seen, started = session.get(SEEN), session.get(STARTED)
    if not isinstance(seen, int | float) or not isinstance(started, int | float):
        return "idle"  # a cookie from before these limits: log in again
    if now - started > settings.session_max_hours * 3600:
        return "lifetime"
    if now - seen > settings.session_idle_minutes * 60:
        return "idle"
    return ""


def _end(reason: str) -> Response | None:
    """Log out the expired session; tell the user why (a redirect to the login page, or a 401 for a
    background poll). Public pages go on being served to the now anonymous visitor."""
    settings = current_app.extensions["qa_settings"]
    kept = {k: session[k] for k in KEEP_ON_EXPIRY if k in session}
    logout_user()
    session.clear()
    session.update(kept)
    view = current_app.view_functions.get(request.endpoint or "")
    if request.endpoint == "static" or getattr(view, "qa_public", False):
        return None
    if reason == "lifetime":
        message = _("Your session has ended: a login lasts at most %(h)s hours. Please log in again.",
                    h=f"{settings.session_max_hours:g}")  # fmt: skip
    else:
        message = _("Your session ended after %(m)d minutes without activity. Please log in again.",
                    m=settings.session_idle_minutes)  # fmt: skip
    if request.endpoint in PASSIVE_ENDPOINTS or request.accept_mimetypes.best == "application/json":
        resp = jsonify(error="session_expired", message=message)
        resp.status_code = 401
        return resp
    flash(message, "info")
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.login", next=target))


def _cap_flashes() -> None:
    flashes = session.get("_flashes")
    if not flashes:
        return
    capped = []
    for category, message in list(flashes)[-MAX_FLASHES:]:
        text = str(message)
        capped.append((category, text if len(text) <= MAX_FLASH_CHARS else text[: MAX_FLASH_CHARS - 1] + "…"))
    if capped != [tuple(f) for f in flashes]:
        session["_flashes"] = capped


def install(app: Flask) -> None:
    """Register the hooks (before the access check, so an expired session is anonymous there)."""
    user_logged_in.connect(_stamp, app)

    @app.before_request
    def _session_limits() -> Response | None:
        if "_user_id" not in session:
            return None
        reason = _expired()
        if reason:
            return _end(reason)
        if request.endpoint not in PASSIVE_ENDPOINTS and _now() - session[SEEN] >= REFRESH_SECONDS:
            session[SEEN] = _now()
        return None

    @app.after_request
    def _private_responses(resp: Response) -> Response:
        _cap_flashes()
        if request.endpoint not in (None, "static") and "Cache-Control" not in resp.headers:
            if current_user.is_authenticated:
                resp.headers["Cache-Control"] = "no-store"
        return resp
