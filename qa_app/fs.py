"""Private files: what the product writes (SQLite database and its -wal/-shm files, the secret key,
stored audio and its playback copies, upload temp files) is readable by the service account only.

Every process starts through :func:`qa_app.app.create_app` (web workers, ``flask`` CLI commands, the
job worker and scheduler), which calls :func:`private_umask` first: files are then created 0600 and
folders 0700 whatever the shell's umask was (ffmpeg and SQLite inherit it, and SQLite gives its -wal
and -shm files the database file's mode). :func:`secure_instance` also tightens a tree that an older
version created 0644 / 0755.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")

log = logging.getLogger(__name__)


def private_umask() -> None:
    """Make files this process (and its children) creates private to the service account."""
    os.umask(PRIVATE_UMASK)


def sqlite_path(database_url: str) -> Path | None:
    """The database file of a ``sqlite:///`` URL (None for other databases and in-memory SQLite)."""
    if not database_url.startswith("sqlite:///"):
        return None
    raw = database_url.removeprefix("sqlite:///").split("?", 1)[0]
    if not raw or raw == ":memory:":
        return None
    return Path(raw)


def _tighten(path: Path, mode: int) -> None:
    """chmod ``path`` to ``mode`` when it is ours and looser (never fails start-up)."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return
    if stat.S_ISLNK(st.st_mode) or st.st_uid != os.getuid() or stat.S_IMODE(st.st_mode) & ~mode == 0:
        return
    try:
        path.chmod(mode)
    except OSError as exc:
        log.warning("cannot make %s private (mode %o): %s", path, mode, exc)


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and parents) as a private folder, or tighten it if it exists."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    _tighten(path, DIR_MODE)


def secure_instance(instance_dir: Path, data_dir: Path, database_url: str) -> None:
    """Create/tighten the instance and data folders (0700) and the files at the top of the instance
    folder, the SQLite database and its companions (0600)."""
    make_private_dir(instance_dir)
    make_private_dir(data_dir)
    for sub in ("audio", "playback", "tmp"):
        _tighten(data_dir / sub, DIR_MODE)
    for child in instance_dir.iterdir():
        if child.is_file():
            _tighten(child, FILE_MODE)
    db = sqlite_path(database_url)
    if db is not None:  # wherever QA_DATABASE_URL puts it; its folder is the operator's choice
        for suffix in SQLITE_SUFFIXES:
            _tighten(Path(f"{db}{suffix}"), FILE_MODE)


def create_private_file(path: Path) -> int:
    """Open a new file for writing with mode 0600 (whatever the umask); returns the descriptor."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
