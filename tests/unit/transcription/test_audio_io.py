"""transcription.audio: format sniffing, probing (validation) and muting of redacted spans."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf

from transcription.audio import AudioError, decode, mute_file, probe, sniff_format

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")


def _tone(path, seconds=2.0, sr=16000, channels=1):
    t = np.arange(int(seconds * sr)) / sr
    x = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    sf.write(path, np.stack([x] * channels, axis=1) if channels > 1 else x, sr, subtype="PCM_16")
    return path


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "wav"),
        (b"fLaC\x00", "flac"),
        (b"OggS\x00", "ogg"),
        (b"ID3\x04", "mp3"),
        (b"\xff\xfb\x90\x00", "mp3"),
        (b"\x00\x00\x00\x20ftypM4A ", "m4a"),
        (b"%PDF-1.7", None),
        (b"hello world", None),
        (b"", None),
    ],
)
def test_sniff_format(head, fmt):
    assert sniff_format(head) == fmt


def test_probe_reads_duration_and_channels(tmp_path):
    info = probe(_tone(tmp_path / "a.wav", seconds=2.0, channels=2))
    assert info.format == "wav" and info.channels == 2 and abs(info.duration - 2.0) < 0.05


def test_probe_refuses_over_long_recordings(tmp_path):
    with pytest.raises(AudioError) as err:
        probe(_tone(tmp_path / "a.wav", seconds=3.0), max_duration=2.0)
    assert err.value.code == "too_long"


def test_probe_refuses_truncated_mp3(tmp_path):
    wav = _tone(tmp_path / "a.wav", seconds=3.0)
    mp3 = tmp_path / "a.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), str(mp3)], check=True)
    data = mp3.read_bytes()
    mp3.write_bytes(data[: len(data) // 2])
    with pytest.raises(AudioError) as err:
        probe(mp3)
    assert err.value.code in ("truncated", "corrupt")


def test_mute_file_silences_only_the_spans(tmp_path):
    wav = _tone(tmp_path / "a.wav", seconds=3.0)
    mute_file(wav, [(1.0, 1.5)], pad=0.0)
    x = decode(wav, 16000, mono=True)[0]
    assert np.abs(x[int(1.05 * 16000) : int(1.45 * 16000)]).max() < 1e-3
    assert np.abs(x[: int(0.9 * 16000)]).max() > 0.2 and np.abs(x[int(1.6 * 16000) :]).max() > 0.2
    assert probe(wav).format == "wav", "the stored copy keeps its format"
