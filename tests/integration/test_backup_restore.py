"""Backup and restore round trip into an EMPTY instance: row counts per table, file checksums, a sample
call's transcript — on SQLite always, on PostgreSQL (separate databases created and dropped here) when
QA_TEST_POSTGRES_URL is set. Through the real CLI commands."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from qa_app import backup
from qa_app.app import create_app
from qa_app.db.models import TranscriptRecord

from factories import _pg_base_url, build_app, create_agent, create_scored_call, dispose, make_settings


def _populate(app, settings) -> int:
    db = app.extensions["qa_sessionmaker"]()
    agent = create_agent(db)
    call = create_scored_call(db, settings, agent)
    create_scored_call(db, settings, agent)
    playback = settings.data_dir / "playback" / f"{call.id % 256:02x}" / f"call{call.id}-k.opus"
    playback.parent.mkdir(parents=True, exist_ok=True)
    playback.write_bytes(b"\x00opus" * 100)
    (settings.data_dir / "tmp").mkdir(parents=True, exist_ok=True)
    (settings.data_dir / "tmp" / "upload.part").write_bytes(b"temp")  # not data: left out
    db.close()
    return call.id


def _files(data_dir: Path) -> dict[str, str]:
    return {
        p.relative_to(data_dir).as_posix(): backup.sha256_file(p)
        for p in sorted(data_dir.rglob("*"))
        if p.is_file() and p.relative_to(data_dir).parts[0] != "tmp"
    }


def _transcript(app, call_id: int) -> dict:
    with app.extensions["qa_sessionmaker"]() as db:
        return db.scalar(select(TranscriptRecord.data).where(TranscriptRecord.call_id == call_id))


def _round_trip(src_settings, dst_settings, template, tmp_path: Path) -> None:
    src = build_app(src_settings, template)
    call_id = _populate(src, src_settings)
    out = tmp_path / "backup"
    result = src.test_cli_runner().invoke(args=["backup", str(out)])
    assert result.exit_code == 0, result.output
    assert "backup in" in result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["tables"]["calls"] == 2 and manifest["tables"]["transcripts"] == 2
    assert not any(k.startswith("tmp/") for k in manifest["files"])
    counts_before = backup.table_counts(src.extensions["qa_engine"])
    files_before = _files(src_settings.data_dir)
    transcript_before = _transcript(src, call_id)
    dispose(src)

    dst = create_app(dst_settings)  # an EMPTY instance: no migrations, no files
    result = dst.test_cli_runner().invoke(args=["restore", str(out)])
    assert result.exit_code == 0, result.output
    assert "all match the manifest" in result.output
    dst.extensions["qa_engine"].dispose()
    assert backup.table_counts(dst.extensions["qa_engine"]) == counts_before
    assert _files(dst_settings.data_dir) == files_before
    assert len(files_before) == 3  # two recordings and the playback copy
    assert _transcript(dst, call_id) == transcript_before
    # the restored instance works: a logged-out page and the readiness check
    assert dst.test_client().get("/readyz").get_json()["checks"]["database"] == {"ok": True}

    # restore refuses a non-empty target and never overwrites
    again = dst.test_cli_runner().invoke(args=["restore", str(out)])
    assert again.exit_code != 0 and "not empty" in again.output
    assert backup.table_counts(dst.extensions["qa_engine"]) == counts_before
    dispose(dst)


def test_round_trip_sqlite(tmp_path, migrated_template):
    src, dst = tmp_path / "src", tmp_path / "dst"
    _round_trip(
        make_settings(src, database_url=f"sqlite:///{src / 'qa.sqlite3'}"),
        make_settings(dst, database_url=f"sqlite:///{dst / 'qa.sqlite3'}"),
        migrated_template,
        tmp_path,
    )


def test_damaged_backup_is_refused_before_anything_is_restored(app, settings, tmp_path):
    _populate(app, settings)
    out = tmp_path / "bk"
    backup.backup(settings, app.extensions["qa_engine"], out)
    with (out / "data.tar").open("r+b") as f:
        f.seek(600)
        f.write(b"XX")
    dst_settings = make_settings(tmp_path / "dst")
    dst = create_app(dst_settings)
    result = dst.test_cli_runner().invoke(args=["restore", str(out)])
    assert result.exit_code != 0 and "checksum" in result.output
    assert not list(dst_settings.data_dir.rglob("*.wav"))
    dispose(dst)


def test_backup_refuses_a_non_empty_folder(app, tmp_path):
    out = tmp_path / "full"
    out.mkdir()
    (out / "something").write_text("x")
    result = app.test_cli_runner().invoke(args=["backup", str(out)])
    assert result.exit_code != 0 and "not empty" in result.output
    assert (out / "something").read_text() == "x"


@pytest.fixture
def pg_databases() -> Iterator[tuple[str, str]]:
    """Two brand-new PostgreSQL databases (source, target), dropped afterwards."""
    base = _pg_base_url()
    if base is None:
        pytest.skip("QA_TEST_POSTGRES_URL is not set")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    names = [f"qa_backup_{uuid.uuid4().hex[:10]}_{side}" for side in ("src", "dst")]
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(base)
        yield tuple(url.set(database=n).render_as_string(hide_password=False) for n in names)
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.postgres
def test_round_trip_postgres(tmp_path, pg_databases):
    src_url, dst_url = pg_databases
    _round_trip(
        make_settings(tmp_path / "src", database_url=src_url),
        make_settings(tmp_path / "dst", database_url=dst_url),
        None,
        tmp_path,
    )
