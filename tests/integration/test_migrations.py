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


def _dummy(col_type: str, name: str, n: int) -> object:
    t = col_type.upper()
    if "INT" in t or "BOOL" in t:
        return n
    if any(k in t for k in ("FLOAT", "REAL", "NUMERIC", "DECIMAL")):
        return 1.0
    if "DATE" in t or "TIME" in t:
        return "2026-01-01 00:00:00.000000"
    if "JSON" in t:
        return "{}"
    return f"{name}-{n}"


def _insert_row(con, table: str, n: int, fixed: dict[str, object] | None = None) -> int:
    """Insert a row filling every required column; required foreign keys get a parent row of their own."""
    fixed = dict(fixed or {})
    fks = {fk[3]: fk[2] for fk in con.execute(f"PRAGMA foreign_key_list({table})")}
    cols = [c for c in con.execute(f"PRAGMA table_info({table})") if c[3] and c[4] is None and not c[5]]
    values = []
    for c in cols:
        if c[1] in fixed:
            values.append(fixed.pop(c[1]))
        elif c[1] in fks:
            values.append(_insert_row(con, fks[c[1]], n * 10 + len(values)))
        else:
            values.append(_dummy(c[2], c[1], n))
    names = [c[1] for c in cols] + list(fixed)
    values += list(fixed.values())
    cur = con.execute(
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",  # noqa: S608
        values,
    )
    return cur.lastrowid


def test_sqlite_upgrade_keeps_child_rows_of_copied_tables(tmp_path: Path):
    """SQLite copies a table to alter it (batch mode); with foreign keys on, dropping the old copy deleted
    every row that cascades from it (a call's transcript, evaluations...). Migrations run with foreign keys
    off and check them after: an upgrade through such a migration (7a4e2c9b1d36 copies ``calls``) keeps
    the children."""
    import sqlite3

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    cfg = alembic_cfg(url)
    command.upgrade(cfg, "c7e3a91f5d20")  # the revision before 7a4e2c9b1d36
    con = sqlite3.connect(tmp_path / "old.sqlite3")
    con.execute("PRAGMA foreign_keys=ON")
    children = sorted(
        {
            t
            for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'")
            if any(fk[2] == "calls" for fk in con.execute(f"PRAGMA foreign_key_list({t})"))
        }
    )
    assert children, "no table refers to calls"
    call_id = _insert_row(con, "calls", 1)
    for i, table in enumerate(children, start=2):
        refs = {fk[3]: call_id for fk in con.execute(f"PRAGMA foreign_key_list({table})") if fk[2] == "calls"}
        _insert_row(con, table, i, refs)
    con.commit()
    before = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in children}  # noqa: S608
    con.close()

    command.upgrade(cfg, "head")
    con = sqlite3.connect(tmp_path / "old.sqlite3")
    after = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in children}  # noqa: S608
    con.close()
    assert after == before
