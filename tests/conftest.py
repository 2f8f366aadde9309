"""Shared fixtures for the application tests (Flask tutorial style).

* ``settings``: everything under ``tmp_path`` (instance dir, SQLite file, data dir), fixed secret key.
* ``app``: ``create_app(settings)`` on a database built by the real Alembic migrations. The migrations
  run once per session into a template file that is copied for every test (fast, still the real schema).
* ``client``, ``db`` (a session from the app's sessionmaker), ``auth`` (login / logout helper),
  ``csrf_token(client)`` (reads the token out of a rendered form) and the factories in tests/factories.py.
* ``pg_url``: a fresh PostgreSQL schema when ``QA_TEST_POSTGRES_URL`` is set (skipped otherwise).

CSRF protection stays enabled (the app default): tests that POST read a real token from a page.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import factories
import pytest
from alembic import command
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from qa_app.app import create_app
from qa_app.cli import alembic_config
from qa_app.settings import Settings

SECRET_KEY = "test-secret-key-not-for-production"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


# --- settings / app ---------------------------------------------------------------------------------------


def make_settings(base: Path, **overrides: object) -> Settings:
    base.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        database_url=f"sqlite:///{base / 'qa.sqlite3'}",
        secret_key=SECRET_KEY,
        data_dir=base / "data",
        instance_dir=base / "instance",
        testing=True,
        login_max_failures=5,
        login_window_minutes=15,
    )
    return settings.with_overrides(**overrides) if overrides else settings


def alembic_cfg(url: str):
    """The app's Alembic config plus ``path_separator`` (alembic.ini lacks it: a DeprecationWarning that
    test_migrations.py::test_alembic_config_emits_no_warning reports on its own)."""
    cfg = alembic_config(url)
    if cfg.get_main_option("path_separator") is None:
        cfg.set_main_option("path_separator", "os")
    return cfg


def migrate(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_cfg(url), revision)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session (copied per test)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    migrate(f"sqlite:///{path}")
    return path


def build_app(settings: Settings, template: Path | None) -> Flask:
    """Create the app on a migrated database (copy of the template for SQLite, migrations otherwise)."""
    if settings.database_url.startswith("sqlite:///") and template is not None:
        target = Path(settings.database_url.removeprefix("sqlite:///"))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, target)
        for suffix in ("-wal", "-shm"):
            src = Path(f"{template}{suffix}")
            if src.exists():
                shutil.copyfile(src, Path(f"{target}{suffix}"))
    else:
        migrate(settings.database_url)
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    return create_app(settings)


def dispose(app: Flask) -> None:
    app.extensions["qa_engine"].dispose()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def app(settings: Settings, migrated_template: Path) -> Iterator[Flask]:
    app = build_app(settings, migrated_template)
    yield app
    dispose(app)


@pytest.fixture
def make_app(tmp_path: Path, migrated_template: Path) -> Iterator[Callable[..., Flask]]:
    """Build an extra app with settings overrides: ``make_app(max_upload_mb=1)``."""
    apps: list[Flask] = []

    def _make(**overrides: object) -> Flask:
        s = make_settings(tmp_path / f"app{len(apps)}", **overrides)
        a = build_app(s, migrated_template)
        apps.append(a)
        return a

    yield _make
    for a in apps:
        dispose(a)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    session = app.extensions["qa_sessionmaker"]()
    yield session
    session.rollback()
    session.close()


def new_session(app: Flask) -> Session:
    return app.extensions["qa_sessionmaker"]()


# --- CSRF / auth helpers ----------------------------------------------------------------------------------


def extract_csrf(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "no csrf_token field in the page"
    return m.group(1) or m.group(2)


def csrf_token(client: FlaskClient, url: str = "/login") -> str:
    """Fetch a page that renders a form (every page has the language form) and return its CSRF token."""
    resp = client.get(url, follow_redirects=True)
    return extract_csrf(resp.get_data(as_text=True))


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def login(self, username: str, password: str = factories.DEFAULT_PASSWORD, next_url: str | None = None):
        token = csrf_token(self._client, "/login")
        url = "/login" if next_url is None else "/login?" + urlencode({"next": next_url})
        return self._client.post(url, data={"username": username, "password": password, "csrf_token": token})

    def logout(self):
        token = csrf_token(self._client, "/")
        return self._client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


def post_form(client: FlaskClient, url: str, data: dict | None = None, *, token_from: str = "/login", **kw):
    """POST with a valid CSRF token (read from ``token_from``)."""
    payload = dict(data or {})
    payload["csrf_token"] = csrf_token(client, token_from)
    return client.post(url, data=payload, **kw)


def post_multipart(client: FlaskClient, url: str, fields: dict, files: list[tuple[str, bytes, str]], **kw):
    """POST multipart/form-data encoded in memory.

    (The test client spools bodies over 500 KB to a TemporaryFile it never closes: a ResourceWarning,
    i.e. an error under filterwarnings=error. Encoding the body ourselves avoids that.)
    """
    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import encode_multipart

    values = MultiDict(list(fields.items()))
    for field, content, name in files:
        values.add(
            field, FileStorage(io.BytesIO(content), filename=name, content_type="application/octet-stream")
        )
    boundary, body = encode_multipart(values)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}", **kw)


def logged_in_client(
    app: Flask, username: str, password: str = factories.DEFAULT_PASSWORD, *, lang: str | None = None
) -> FlaskClient:
    """A new client logged in as ``username``; ``lang="en"`` also switches the UI to English (to assert
    on WTForms' own messages, which are translated once the catalogs are compiled)."""
    c = app.test_client()
    resp = AuthActions(c).login(username, password)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    if lang is not None:
        assert c.post(f"/lang/{lang}", data={"csrf_token": csrf_token(c)}).status_code == 302
    return c


@pytest.fixture
def login_as(app: Flask, db: Session) -> Callable[[str], tuple[FlaskClient, object]]:
    """``client, user = login_as("trainer")``: a new user with that role, logged in on its own client."""

    def _login(role: str) -> tuple[FlaskClient, object]:
        user = factories.create_user(db, role)
        return logged_in_client(app, user.username), user

    return _login


def data_files(settings: Settings) -> list[Path]:
    """Every regular file under the data dir (audio/, tmp/, ...)."""
    if not settings.data_dir.exists():
        return []
    return sorted(p for p in settings.data_dir.rglob("*") if p.is_file())


# --- PostgreSQL -------------------------------------------------------------------------------------------


def _pg_base_url() -> str | None:
    url = os.environ.get("QA_TEST_POSTGRES_URL", "").strip()
    if not url:
        return None
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _with_search_path(url: str, schema: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "options"]
    query.append(("options", f"-csearch_path={schema}"))
    return urlunsplit(parts._replace(query=urlencode(query)))


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A SQLAlchemy URL whose search_path is a brand-new schema (dropped afterwards)."""
    base = _pg_base_url()
    if base is None:
        pytest.skip("QA_TEST_POSTGRES_URL is not set")
    from sqlalchemy import create_engine, text

    schema = f"qa_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _with_search_path(base, schema)
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


# Known app-level warnings that would otherwise fail every test rendering a form (filterwarnings=error).
# Each one is reported by a dedicated test that turns warnings into errors on its own:
#   WTForms >= 3.3 deprecates tuple choices (qa_app/web/forms.py):
#     tests/web/test_pages.py::test_forms_render_without_deprecation_warnings
KNOWN_APP_WARNINGS = ("ignore:Passing SelectField choices as tuples is deprecated:DeprecationWarning",)
_OWN_DIRS = ("web", "integration")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if "pg_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)
        try:
            rel = Path(str(item.path)).relative_to(here)
        except ValueError:
            continue
        if rel.parts and rel.parts[0] in _OWN_DIRS:
            for spec in KNOWN_APP_WARNINGS:
                item.add_marker(pytest.mark.filterwarnings(spec))
