"""Hostile audio for intake tests: FLAC files whose STREAMINFO lies about (or hides) their length, like
the 6.9 MB ten-hour file of the security test (issue #11)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def quiet_flac(path: Path, seconds: float, *, rate: int = 8000) -> Path:
    """A FLAC of a faint tone (compresses to a few hundred bytes a second)."""
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi",
         "-i", f"sine=frequency=440:sample_rate={rate}:duration={seconds}", "-af", "volume=0.00006",
         "-ac", "1", "-sample_fmt", "s16", "-c:a", "flac", str(path)],
        check=True,
    )  # fmt: skip
    return path


def declare_samples(path: Path, samples: int) -> Path:
    """Overwrite STREAMINFO's 36-bit total-samples field in place (0 = unknown)."""
    data = bytearray(path.read_bytes())
    assert data[:4] == b"fLaC" and data[4] & 0x7F == 0, "STREAMINFO must be the first metadata block"
    field = int.from_bytes(data[18:26], "big")
    field = (field & ~((1 << 36) - 1)) | samples
    data[18:26] = field.to_bytes(8, "big")
    path.write_bytes(bytes(data))
    return path
