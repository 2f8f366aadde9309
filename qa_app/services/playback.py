"""Playback copies of call audio: a compressed stream for the browser player and waveform peaks.

The stored recording (often a WAV of tens of megabytes) stays the reference and the download; listening
uses a mono Opus/Ogg or MP3 copy, transcoded once and kept under ``<data dir>/playback/`` with a generated
name. The name carries a fingerprint of the stored file (size, modification time), so when the worker
rewrites the recording — e.g. muting redacted numbers — the old copy is never served again and is
removed by the next preparation. Short calls are transcoded inside the request; long ones by a job
(``prepare_playback``) while the player falls back to the original.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path

from sqlalchemy.orm import Session

from qa_app import fs
from qa_app.db.models import Call, Job
from qa_app.services import calls, jobs
from qa_app.settings import Settings
from transcription import audio

PREPARE = "prepare_playback"
SUBJECT = "call_audio"  # not "call": this job is not the call's processing (no progress bar, no retry)
FORMATS = {"ogg": "audio/ogg", "mp3": "audio/mpeg"}
# Transcoding runs at ~200x real time on one core: up to 10 minutes of audio (~3 s) is done in the
# request that first asks for it; longer calls are queued and played from the original meanwhile.
INLINE_MAX_SECONDS = 600.0
PEAKS_PER_SECOND = 20.0
MAX_PEAKS = 20000  # enough for any screen; a two-hour call gets ~3 peaks per second


def _fingerprint(settings: Settings, call: Call) -> tuple[Path, str]:
    src = calls.audio_file(settings, call)
    st = src.stat()
    key = hashlib.sha256(f"{call.audio_path}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:16]
    return src, key


def _dir(settings: Settings, call: Call) -> Path:
    return settings.data_dir / "playback" / f"{call.id % 256:02x}"


def _path(settings: Settings, call: Call, key: str, ext: str) -> Path:
    return _dir(settings, call) / f"call{call.id}-{key}.{ext}"


def _write_atomically(target: Path, write) -> None:  # noqa: ANN001
    """``write(tmp_path)`` then rename: readers see a whole file or none; racing writers both succeed."""
    fs.make_private_dir(target.parent)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")
    try:
        write(tmp)
        os.chmod(tmp, fs.FILE_MODE)  # private like the recording it is made from (qa_app/fs.py)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _drop_stale(settings: Settings, call: Call, keep: Path, ext: str) -> None:
    for old in _dir(settings, call).glob(f"call{call.id}-*.{ext}"):
        if old != keep:
            old.unlink(missing_ok=True)


def cached(settings: Settings, call: Call, fmt: str) -> Path | None:
    """The current playback copy in ``fmt``, or None when it has not been made (or the audio changed)."""
    _, key = _fingerprint(settings, call)
    path = _path(settings, call, key, fmt)
    return path if path.exists() else None


def prepare(settings: Settings, call: Call, fmt: str) -> Path:
    """Make (or find) the playback copy in ``fmt``; older copies of the call in that format are removed."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown playback format {fmt!r}")
    src, key = _fingerprint(settings, call)
    target = _path(settings, call, key, fmt)
    if not target.exists():
        _write_atomically(target, lambda tmp: audio.encode_for_playback(src, tmp, fmt))
    _drop_stale(settings, call, target, fmt)
    return target


def inline(call: Call) -> bool:
    """Whether a request may transcode this call itself (short enough)."""
    return (call.duration or 0.0) <= INLINE_MAX_SECONDS


def queue(db: Session, settings: Settings, call: Call) -> Job:
    """Queue the preparation of a long call's copies (one pending job per call, for every format: a
    browser that cannot play the first falls through to the next <source> and must not queue again)."""
    return jobs.enqueue(db, PREPARE, subject=(SUBJECT, call.id), max_attempts=settings.job_max_attempts)


def waveform(settings: Settings, call: Call) -> dict:
    """``{"duration", "per_second", "peaks"}`` for the waveform (computed once, then read from disk)."""
    src, key = _fingerprint(settings, call)
    target = _path(settings, call, key, "peaks.json")
    if target.exists():
        try:
            return json.loads(target.read_text(encoding="utf-8"))
        except ValueError:
            target.unlink(missing_ok=True)  # a damaged cache file is rebuilt below
    duration = float(call.duration or 0.0)
    per_second = PEAKS_PER_SECOND if duration <= 0 else min(PEAKS_PER_SECOND, MAX_PEAKS / duration)
    values = audio.peaks(src, per_second)
    data = {"duration": duration or len(values) / per_second, "per_second": per_second, "peaks": values}

    def write(tmp: Path) -> None:
        tmp.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")

    _write_atomically(target, write)
    _drop_stale(settings, call, target, "peaks.json")
    return data
