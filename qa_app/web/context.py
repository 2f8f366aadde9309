"""The request's context for views: its database session and the settings (Flask ``g`` / app
extensions). Its own module, so that views never import the application factory (qa_app.app)."""

from __future__ import annotations

from flask import g
from sqlalchemy.orm import Session

from qa_app.settings import Settings

LOCALES = ("zh", "en")


def get_db() -> Session:
    """The request's session (created on first use, closed at teardown)."""
    from flask import current_app

    if "db" not in g:
        g.db = current_app.extensions["qa_sessionmaker"]()
    return g.db


def get_settings() -> Settings:
    from flask import current_app

    return current_app.extensions["qa_settings"]
