"""Web layer: blueprints with thin views. Every endpoint declares who may use it (see access.py)."""

from flask import Flask


def register(app: Flask) -> None:
    from qa_app.web import (
        access,
        admin,
        api,
        auth,
        calibration,
        calls,
        coaching,
        dashboards,
        disputes,
        feedback,
        knowledge,
        machine_report,
        main,
        notifications,
        playback,
        queue,
        review,
        rubrics,
        sampling,
        search,
    )
    from qa_app.web.params import BoundedIntConverter
    from qa_app.web.sessions import install as install_session_limits

    app.url_map.converters["int"] = BoundedIntConverter  # before any rule is added
    for bp in (
        auth.bp,
        main.bp,
        calls.bp,
        admin.bp,
        api.bp,
        rubrics.bp,
        feedback.bp,
        disputes.bp,
        notifications.bp,
        playback.bp,
        review.bp,
        sampling.bp,
        queue.bp,
        calibration.bp,
        machine_report.bp,
        dashboards.bp,
        coaching.bp,
        knowledge.bp,
        search.bp,
    ):
        app.register_blueprint(bp)
    install_session_limits(app)  # before the access check: an expired session is anonymous there
    access.install(app)
    register_filters(app)
    register_security_headers(app)


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "media-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(resp):  # noqa: ANN001, ANN202
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        return resp


def register_filters(app: Flask) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from flask_babel import get_locale

    tz = ZoneInfo(app.extensions["qa_settings"].timezone)
    from qa_app.web import nav
    from qa_app.web.access import can
    from qa_app.web.i18n import names, text
    from qa_app.web.labels import label

    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["label"] = label
    app.jinja_env.globals["can"] = can
    app.jinja_env.globals["nav_menus"] = nav.menus
    # {{ value|msg }}: a message (code + parameters, or a stored dict of one) in the page's language
    app.jinja_env.filters["msg"] = text
    # {{ teams|map(attribute='name')|names }}: a list joined with the page language's separator
    app.jinja_env.filters["names"] = names

    @app.template_filter("localtime")
    def localtime(value: datetime | str | None) -> str:
        """A time in the configured zone; also an ISO timestamp stored in JSON (empty when unreadable)."""
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                return ""
        return "" if value is None else value.astimezone(tz).strftime("%Y-%m-%d %H:%M")

    @app.template_filter("mmss")
    def mmss(seconds: float | None) -> str:
        if seconds is None:
            return ""
        s = int(seconds)
        return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60:02d}:{s % 60:02d}"
