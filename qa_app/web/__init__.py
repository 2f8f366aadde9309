"""Web layer: blueprints with thin views. Every endpoint declares who may use it (see access.py)."""

from flask import Flask


def register(app: Flask) -> None:
    from qa_app.web import access, admin, api, auth, calls, main, rubrics

    for bp in (auth.bp, main.bp, calls.bp, admin.bp, api.bp, rubrics.bp):
        app.register_blueprint(bp)
    access.install(app)
    register_filters(app)


def register_filters(app: Flask) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from flask_babel import get_locale

    tz = ZoneInfo(app.extensions["qa_settings"].timezone)
    app.jinja_env.globals["get_locale"] = get_locale

    @app.template_filter("localtime")
    def localtime(value: datetime | None) -> str:
        return "" if value is None else value.astimezone(tz).strftime("%Y-%m-%d %H:%M")

    @app.template_filter("mmss")
    def mmss(seconds: float | None) -> str:
        if seconds is None:
            return ""
        s = int(seconds)
        return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60:02d}:{s % 60:02d}"
