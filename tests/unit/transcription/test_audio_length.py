"""Intake measures a recording's length by decoding it (issue #11, item 1) and keeps ffmpeg's output,
which names server paths, out of the error shown to users (item 6).

The hostile file of the security test: a FLAC whose STREAMINFO total-samples field is zeroed (or says
one second) while the stream holds much more audio.
"""

from __future__ import annotations

import logging
import random
import shutil
import tracemalloc
from pathlib import Path

import pytest

from transcription.audio import AudioError, probe

from hostile_audio import declare_samples, quiet_flac

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")


@pytest.fixture(scope="module")
def flacs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("flac")
    return {
        "zeroed_10s": declare_samples(quiet_flac(d / "zeroed.flac", 10), 0),
        "says_1s_is_10s": declare_samples(quiet_flac(d / "liar.flac", 10), 8000),
        "zeroed_20min": declare_samples(quiet_flac(d / "long.flac", 1200), 0),
    }


def test_header_without_a_length_does_not_skip_the_limit(flacs):
    with pytest.raises(AudioError) as err:
        probe(flacs["zeroed_10s"], max_duration=3.0)
    assert err.value.code == "too_long"


def test_header_claiming_less_does_not_skip_the_limit(flacs):
    with pytest.raises(AudioError) as err:
        probe(flacs["says_1s_is_10s"], max_duration=3.0)
    assert err.value.code == "too_long"
    assert err.value.params == {"limit": 3.0 / 60}
    assert "longer than" in err.value.message


def test_stored_duration_is_the_decoded_length_not_the_header(flacs):
    assert probe(flacs["says_1s_is_10s"]).duration == pytest.approx(10.0, abs=0.05)
    assert probe(flacs["zeroed_10s"], max_duration=60).duration == pytest.approx(10.0, abs=0.05)


@pytest.mark.parametrize("limit", [60.0, None])
def test_measuring_holds_one_chunk_not_the_whole_decode(flacs, limit):
    """20 minutes decode to 19 MB of PCM; the measurement must never hold it (nor the first minute)."""
    tracemalloc.start()
    try:
        try:
            probe(flacs["zeroed_20min"], max_duration=limit)
        except AudioError as exc:
            assert limit is not None and exc.code == "too_long"
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB while measuring"


def test_ffmpeg_messages_and_paths_are_logged_not_shown(tmp_path, caplog):
    bad = tmp_path / "secret-server-dir" / "upload-1234.part"
    bad.parent.mkdir()
    bad.write_bytes(b"fLaC" + random.Random(3).randbytes(20_000))  # sniffs as FLAC, ffprobe fails
    with caplog.at_level(logging.WARNING, logger="transcription.audio"), pytest.raises(AudioError) as err:
        probe(bad)
    shown = f"{err.value.message} {err.value.params} {err.value}"
    assert "secret-server-dir" not in shown and "upload-1234" not in shown
    assert err.value.code == "undecodable" and err.value.params == {"format": "FLAC"}
    assert "upload-1234" in caplog.text, "the detail stays in the server log"
