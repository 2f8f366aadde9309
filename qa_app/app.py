"""Application factory: create_app(settings) wires settings, db, extensions, blueprints, CLI."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from flask import Flask, g, session
from flask_babel import lazy_gettext as _l

from qa_app import fs
from qa_app.db.session import make_engine, make_session_factory
from qa_app.extensions import babel, csrf, login_manager
from qa_app.settings import REPO_ROOT, Settings
from qa_app.web.context import LOCALES, get_settings


def create_app(settings: Settings | None = None) -> Flask:
    """Build the Flask app. Nothing global is created at import time."""
    fs.private_umask()  # first: every process (web, CLI, worker) starts here; see qa_app/fs.py
    settings = settings or Settings.from_env()
    app = Flask(
        __name__,
        static_folder=str(REPO_ROOT / "static"),
        static_url_path="/static",
        instance_path=str(settings.instance_dir),
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_upload_mb * 1024 * 1024 * 20,  # several files per upload form
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_max_hours),  # see web/sessions.py
        REMEMBER_COOKIE_DURATION=timedelta(seconds=0),
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE=settings.default_locale,
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
        TESTING=settings.testing,
    )
    app.extensions["qa_settings"] = settings
    engine = make_engine(settings.database_url)
    app.extensions["qa_engine"] = engine
    factory = make_session_factory(engine)
    if settings.job_broker:  # jobs enqueued by any process are sent to the engine after commit
        from qa_app.jobs import engine as job_engine

        job_engine.attach(factory, settings)
    app.extensions["qa_sessionmaker"] = factory
    fs.secure_instance(settings.instance_dir, settings.data_dir, settings.database_url)

    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    logging.getLogger("qa_app").setLevel(logging.INFO)
    return app


def _select_locale() -> str:
    from flask_login import current_user

    lang = session.get("lang")
    if lang in LOCALES:
        return lang
    if getattr(current_user, "is_authenticated", False) and current_user.locale in LOCALES:
        return current_user.locale
    # Chinese first: the product's default wins over the browser's Accept-Language.
    return get_settings().default_locale


def register_extensions(app: Flask) -> None:
    from qa_app.web.auth import load_user

    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    # The redirect to the login page flashes this in the reader's language (rendered when flashed).
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.localize_callback = str
    # "strong": a session cookie presented from another address or browser is dropped. It only works
    # because login sessions are not permanent (web/sessions.py explains the choice).
    login_manager.session_protection = "strong"
    login_manager.user_loader(load_user)

    @app.teardown_appcontext
    def _close_db(_exc: BaseException | None) -> None:
        db = g.pop("db", None)
        if db is not None:
            db.rollback()
            db.close()


def register_blueprints(app: Flask) -> None:
    from qa_app.web import register

    register(app)


def register_errorhandlers(app: Flask) -> None:
    from qa_app.web.errors import register as register_errors

    register_errors(app)


def register_commands(app: Flask) -> None:
    from qa_app.cli import register as register_cli

    register_cli(app)
