"""Backup and restore of the database and the audio store (``flask backup OUT_DIR`` / ``flask restore IN_DIR``).

A backup folder holds:

* ``database.sqlite3`` — SQLite, copied with SQLite's online backup API (consistent while the app runs), or
  ``database.pgdump`` — PostgreSQL, ``pg_dump --format=custom`` (restored with ``pg_restore``);
* ``data.tar`` — the data folder (audio, playback copies; not ``tmp/``), files stored as they are;
* ``manifest.json`` — format, time, database dialect and migration revision, the sha256 of the database
  file and of ``data.tar``, the sha256 and size of every file in the tar, and the row count of every table.

Restore goes into an EMPTY instance only (a database without tables, a data folder without files): it
never overwrites. It checks every checksum before touching anything, restores, checks every file again and
compares the row counts with the manifest; any difference is an error naming it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, func, inspect, select, table, text
from sqlalchemy.engine import make_url

from qa_app import fs
from qa_app.settings import Settings

FORMAT = 1
MANIFEST = "manifest.json"
DATA_TAR = "data.tar"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
SKIP_DIRS = ("tmp",)  # upload temp files: not data


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why (nothing was overwritten)."""


@dataclass(frozen=True)
class Report:
    folder: Path
    tables: dict[str, int]
    files: int
    bytes: int


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _libpq_url(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as libpq takes it (no driver suffix)."""
    u = make_url(url)
    return u.set(drivername="postgresql").render_as_string(hide_password=False)


def table_counts(engine: Engine) -> dict[str, int]:
    names = sorted(inspect(engine).get_table_names())
    out: dict[str, int] = {}
    with engine.connect() as conn:
        for name in names:
            out[name] = conn.execute(select(func.count()).select_from(table(name))).scalar_one()
    return out


def _revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:
        return None


def _data_files(data_dir: Path) -> list[Path]:
    if not data_dir.is_dir():
        return []
    out = []
    for path in sorted(data_dir.rglob("*")):
        rel = path.relative_to(data_dir)
        if rel.parts[0] in SKIP_DIRS or not path.is_file() or path.is_symlink():
            continue
        out.append(path)
    return out


def backup(settings: Settings, engine: Engine, out_dir: Path) -> Report:
    """Write a backup of the database and the data folder into ``out_dir`` (new or empty)."""
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise BackupError(f"{out_dir} is not empty: choose a new folder")
    fs.make_private_dir(out_dir)
    dialect = engine.dialect.name
    if dialect == "sqlite":
        db_file = out_dir / SQLITE_FILE
        source = fs.sqlite_path(settings.database_url)
        if source is None:
            raise BackupError("only file-based SQLite databases can be backed up")
        src = sqlite3.connect(str(source))
        dst = sqlite3.connect(str(db_file))
        try:
            with dst:
                src.backup(dst)
        finally:
            dst.close()
            src.close()
    elif dialect == "postgresql":
        if shutil.which("pg_dump") is None:
            raise BackupError("pg_dump is not installed (PostgreSQL client tools are needed)")
        db_file = out_dir / PG_FILE
        run = subprocess.run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                "--file",
                str(db_file),
                "--dbname",
                _libpq_url(settings.database_url),
            ],
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            raise BackupError(f"pg_dump failed: {run.stderr.strip()[:500]}")
    else:
        raise BackupError(f"unsupported database {dialect}")
    os.chmod(db_file, fs.FILE_MODE)
    files: dict[str, dict[str, object]] = {}
    total = 0
    tar_path = out_dir / DATA_TAR
    with tarfile.open(tar_path, "w") as tar:
        for path in _data_files(settings.data_dir):
            rel = path.relative_to(settings.data_dir).as_posix()
            size = path.stat().st_size
            files[rel] = {"sha256": sha256_file(path), "size": size}
            total += size
            tar.add(path, arcname=rel, recursive=False)
    os.chmod(tar_path, fs.FILE_MODE)
    counts = table_counts(engine)
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "dialect": dialect,
        "revision": _revision(engine),
        "database_file": db_file.name,
        "database_sha256": sha256_file(db_file),
        "data_tar_sha256": sha256_file(tar_path),
        "files": files,
        "tables": counts,
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    return Report(out_dir, counts, len(files), total)


def read_manifest(in_dir: Path) -> dict:
    path = Path(in_dir) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path}: no readable manifest ({exc.__class__.__name__})") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: unknown backup format {manifest.get('format')!r}")
    return manifest


def verify(in_dir: Path) -> dict:
    """Check the backup's own checksums (database file, data.tar); returns the manifest."""
    in_dir = Path(in_dir)
    manifest = read_manifest(in_dir)
    for name, key in ((manifest["database_file"], "database_sha256"), (DATA_TAR, "data_tar_sha256")):
        path = in_dir / Path(name).name
        if not path.is_file():
            raise BackupError(f"{path} is missing")
        if sha256_file(path) != manifest[key]:
            raise BackupError(f"{path} does not match its checksum in the manifest (damaged backup)")
    return manifest


def _require_empty(settings: Settings, engine: Engine) -> None:
    tables = inspect(engine).get_table_names()
    if tables:
        raise BackupError(
            f"the target database is not empty ({len(tables)} tables): restore needs an empty one"
        )
    if _data_files(settings.data_dir):
        raise BackupError("the target data folder holds files: restore needs an empty one")


def restore(settings: Settings, engine: Engine, in_dir: Path) -> Report:
    """Restore a backup into an empty instance, then check files and row counts against the manifest."""
    in_dir = Path(in_dir)
    manifest = verify(in_dir)
    dialect = engine.dialect.name
    if manifest["dialect"] != dialect:
        raise BackupError(f"the backup is of a {manifest['dialect']} database, the target is {dialect}")
    _require_empty(settings, engine)
    engine.dispose()
    if dialect == "sqlite":
        target = fs.sqlite_path(settings.database_url)
        if target is None:
            raise BackupError("only file-based SQLite databases can be restored")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)  # an empty database file (no tables)
        target.parent.mkdir(parents=True, exist_ok=True)
        src = sqlite3.connect(str(in_dir / SQLITE_FILE))
        dst = sqlite3.connect(str(target))
        try:
            with dst:
                src.backup(dst)
        finally:
            dst.close()
            src.close()
        os.chmod(target, fs.FILE_MODE)
    else:
        if shutil.which("pg_restore") is None:
            raise BackupError("pg_restore is not installed (PostgreSQL client tools are needed)")
        run = subprocess.run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--dbname",
                _libpq_url(settings.database_url),
                str(in_dir / PG_FILE),
            ],
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            raise BackupError(f"pg_restore failed: {run.stderr.strip()[:500]}")
    fs.make_private_dir(settings.data_dir)
    with tarfile.open(in_dir / DATA_TAR, "r") as tar:
        tar.extractall(settings.data_dir, filter="data")  # no absolute paths, no .., no devices
    problems = []
    total = 0
    for rel, meta in manifest["files"].items():
        path = settings.data_dir / rel
        if not path.is_file() or sha256_file(path) != meta["sha256"]:
            problems.append(rel)
        else:
            os.chmod(path, fs.FILE_MODE)
            total += path.stat().st_size
    if problems:
        raise BackupError(f"{len(problems)} restored file(s) differ from the manifest, e.g. {problems[0]}")
    check = create_engine(settings.database_url) if dialect == "postgresql" else engine
    counts = table_counts(check)
    if check is not engine:
        check.dispose()
    if counts != manifest["tables"]:
        diff = sorted(
            k for k in set(counts) | set(manifest["tables"]) if counts.get(k) != manifest["tables"].get(k)
        )
        raise BackupError(f"row counts differ from the manifest in: {', '.join(diff)}")
    return Report(in_dir, counts, len(manifest["files"]), total)
