"""Shared fixtures for the application tests (Flask tutorial style).

* ``settings``: everything under ``tmp_path`` (instance dir, SQLite file, data dir), fixed secret key.
* ``app``: ``create_app(settings)`` on a database built by the real Alembic migrations. The migrations
  run once per session into a template file that is copied for every test (fast, still the real schema).
* ``client``, ``db`` (a session from the app's sessionmaker), ``auth`` (login / logout helper),
  ``csrf_token(client)`` (reads the token out of a rendered form) and the helpers and factories in tests/factories.py.
* ``pg_url``: a fresh PostgreSQL schema when ``QA_TEST_POSTGRES_URL`` is set (skipped otherwise).

CSRF protection stays enabled (the app default): tests that POST read a real token from a page.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from qa_app.settings import Settings

from factories import (
    AuthActions,
    SuiteDatabase,
    _pg_base_url,
    _with_search_path,
    build_app,
    create_user,
    dispose,
    logged_in_client,
    make_settings,
    migrate,
)


@pytest.fixture(scope="session", autouse=True)
def _suite_database() -> Iterator[None]:
    """QA_TEST_DATABASE=postgres: every app fixture gets its own PostgreSQL database (see SuiteDatabase)."""
    if not SuiteDatabase.wanted():
        yield
        return
    if _pg_base_url() is None:
        pytest.exit("QA_TEST_DATABASE=postgres needs QA_TEST_POSTGRES_URL", returncode=2)
    SuiteDatabase.create_template()
    try:
        yield
    finally:
        SuiteDatabase.drop_all()


@pytest.fixture(scope="module", autouse=True)
def _module_databases() -> Iterator[None]:
    mark = len(SuiteDatabase.taken)
    yield
    SuiteDatabase.release_since(mark)


@pytest.fixture(autouse=True)
def _test_databases() -> Iterator[None]:
    mark = len(SuiteDatabase.taken)
    yield
    SuiteDatabase.release_since(mark)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session (copied per test)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    migrate(f"sqlite:///{path}")
    return path


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


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def login_as(app: Flask, db: Session) -> Callable[[str], tuple[FlaskClient, object]]:
    """``client, user = login_as("trainer")``: a new user with that role, logged in on its own client."""

    def _login(role: str) -> tuple[FlaskClient, object]:
        user = create_user(db, role)
        return logged_in_client(app, user.username), user

    return _login


# --- PostgreSQL -------------------------------------------------------------------------------------------


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
KNOWN_APP_WARNINGS: tuple[str, ...] = ()
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
