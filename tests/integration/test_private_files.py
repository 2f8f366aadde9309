"""Private files (issue #11, item 4): the SQLite database and its -wal/-shm files, the secret key, the
instance and data folders, stored audio and upload temp files are readable by the service account only,
whatever umask the process was started with (every process starts through create_app)."""

from __future__ import annotations

import io
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from qa_app.app import create_app
from qa_app.services import calls, playback

import factories

REPO = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask():
    """Start like a shell with the common umask 022 (files 0644, folders 0755)."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_app_start_tightens_an_old_tree_and_new_files_are_private(tmp_path, migrated_template, loose_umask):
    # SQLite file modes are the subject: a SQLite database also in the PostgreSQL suite pass
    settings = factories.make_settings(tmp_path / "site", database_url=f"sqlite:///{tmp_path / 'site' / 'qa.sqlite3'}")
    settings.instance_dir.mkdir(parents=True)
    (settings.data_dir / "audio").mkdir(parents=True)
    db_file = Path(settings.database_url.removeprefix("sqlite:///"))
    shutil.copyfile(migrated_template, db_file)
    secret = settings.instance_dir / "secret_key"
    secret.write_text("x" * 64)
    assert mode(db_file) == 0o644 and mode(settings.instance_dir) == 0o755  # as an older version left them

    app = create_app(settings)
    try:
        assert os.umask(0o077) == 0o077, "create_app sets the process umask"
        assert mode(settings.instance_dir) == 0o700
        assert mode(settings.data_dir) == 0o700 and mode(settings.data_dir / "audio") == 0o700
        assert mode(secret) == 0o600 and mode(db_file) == 0o600

        db = app.extensions["qa_sessionmaker"]()
        db.execute(text("CREATE TABLE probe_wal (x INTEGER)"))  # a write: SQLite creates -wal and -shm
        db.commit()
        for suffix in ("-wal", "-shm"):
            companion = Path(f"{db_file}{suffix}")
            assert companion.exists(), suffix
            assert mode(companion) == 0o600, suffix

        seen: dict[str, int] = {}
        real_probe = calls.probe

        def spy(path, **kw):  # the upload temp file, while it is being checked
            seen["tmp"] = mode(Path(path))
            seen["tmp_dir"] = mode(Path(path).parent)
            return real_probe(path, **kw)

        calls.probe = spy
        try:
            call = factories.create_call(db, settings, factories.create_agent(db))
        finally:
            calls.probe = real_probe
        assert seen == {"tmp": 0o600, "tmp_dir": 0o700}
        stored = settings.data_dir / call.audio_path
        assert mode(stored) == 0o600
        assert mode(stored.parent) == 0o700 and mode(stored.parent.parent) == 0o700
        db.close()
    finally:
        factories.dispose(app)


def test_spooled_upload_is_private_whatever_the_umask(tmp_path, loose_umask):
    tmp, _sha, size = calls._spool(io.BytesIO(b"RIFF" + b"\0" * 100), tmp_path / "tmp", 1024)
    assert size == 104 and mode(tmp) == 0o600 and mode(tmp.parent) == 0o700


def test_playback_copies_are_private_whatever_the_umask(app, db, loose_umask):
    settings = app.extensions["qa_settings"]
    call = factories.create_call(db, settings, factories.create_agent(db))
    made = [playback.prepare(settings, call, fmt) for fmt in playback.FORMATS]
    playback.waveform(settings, call)
    made += list(made[0].parent.glob("*.peaks.json"))
    assert len(made) == 3
    for path in made:
        assert mode(path) == 0o600, path.name
    assert mode(made[0].parent) == 0o700


def _flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["sh", "-c", 'umask 022; exec "$0" -m flask --app wsgi "$@"', sys.executable, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_processes_create_a_private_instance(tmp_path):
    """A real `flask` process started with umask 022: the generated secret, the database and the
    folders are private (the worker and gunicorn start through the same create_app)."""
    instance = tmp_path / "instance"
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(QA_INSTANCE_DIR=str(instance), PYTHONPATH=str(REPO))
    done = _flask(env, "db-upgrade")
    assert done.returncode == 0, done.stderr
    assert mode(instance) == 0o700
    assert mode(instance / "secret_key") == 0o600
    assert mode(instance / "qa.sqlite3") == 0o600
    assert mode(instance / "data") == 0o700
    done = _flask(env, "worker", "--once")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in instance.iterdir() if mode(p) & 0o077) == []
