"""Alembic migrations: a full round trip on SQLite (and PostgreSQL when configured), and no drift
between the models' metadata and the migrated schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from qa_app.cli import alembic_config
from qa_app.db import models  # noqa: F401  (registers every table)
from qa_app.db.base import Base
from qa_app.db.models.transcript_segment import is_search_index_object
from qa_app.db.session import make_engine

from factories import alembic_cfg

EXPECTED_TABLES = {t.name for t in Base.metadata.sorted_tables}


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        names = set(inspect(engine).get_table_names()) - {"alembic_version"}
        return {n for n in names if not is_search_index_object(n)}  # FTS5 tables: see the model
    finally:
        engine.dispose()


def _current_revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def _schema_diffs(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            mc = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "compare_server_default": False,
                    "include_name": lambda name, _type, _parents: not is_search_index_object(name),
                },
            )
            return compare_metadata(mc, Base.metadata)
    finally:
        engine.dispose()


def _round_trip(url: str) -> None:
    cfg = alembic_cfg(url)
    head = ScriptDirectory.from_config(cfg).get_current_head()

    command.upgrade(cfg, "head")
    assert _current_revision(url) == head
    assert _tables(url) == EXPECTED_TABLES

    command.downgrade(cfg, "base")
    assert _current_revision(url) is None
    assert _tables(url) == set()

    command.upgrade(cfg, "head")
    assert _current_revision(url) == head
    assert _tables(url) == EXPECTED_TABLES
    assert _schema_diffs(url) == []


def test_single_head():
    script = ScriptDirectory.from_config(alembic_cfg("sqlite://"))
    assert len(script.get_heads()) == 1


def test_alembic_config_emits_no_warning():
    """BUG: alembic.ini has no ``path_separator``; Alembic >= 1.16 warns (DeprecationWarning) on every
    `flask db-upgrade` / `db-downgrade`. Fix: add ``path_separator = os`` to the [alembic] section."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ScriptDirectory.from_config(alembic_config("sqlite://"))


def test_sqlite_round_trip(tmp_path: Path):
    _round_trip(f"sqlite:///{tmp_path / 'mig.sqlite3'}")


def test_sqlite_models_match_migrations(migrated_template: Path):
    assert _schema_diffs(f"sqlite:///{migrated_template}") == []


@pytest.mark.filterwarnings("ignore:No path_separator found:DeprecationWarning")
def test_db_upgrade_cli(app, runner):
    """`flask db-downgrade base` / `flask db-upgrade` drive the same migrations."""
    url = app.extensions["qa_settings"].database_url
    app.extensions["qa_engine"].dispose()
    result = runner.invoke(args=["db-downgrade", "base"])
    assert result.exit_code == 0, result.output
    assert _tables(url) == set()
    result = runner.invoke(args=["db-upgrade"])
    assert result.exit_code == 0, result.output
    assert _tables(url) == EXPECTED_TABLES


@pytest.mark.postgres
def test_postgres_round_trip(pg_url: str):
    _round_trip(pg_url)
