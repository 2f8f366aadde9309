"""Synthetic call audio for the slow speech tests: real models on audio synthesised at test time with espeak-ng.

Mandarin uses espeak-ng's ``cmn-latn-pinyin`` voice fed tone-numbered pinyin
(pypinyin Style.TONE3): the plain ``cmn`` voice reads tone digits aloud.  Two
parties get different voice variants and pitch; sox mixes them to mono or stereo.
These tests need the models built by scripts/install_speech.sh and fail loudly
without them (CI builds them); tests that read ../shared skip when it is absent.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"

# Variants/pitches chosen for intelligibility to Whisper base (most espeak Mandarin voices
# come out as near-gibberish to it) while staying distinct for diarization.
AGENT = {"voice": "cmn-latn-pinyin+f3", "pitch": 60, "speed": 130}
CUSTOMER = {"voice": "cmn-latn-pinyin+f2", "pitch": 40, "speed": 130}
EN_AGENT = {"voice": "en-us+m3", "pitch": 35, "speed": 160}
EN_CUSTOMER = {"voice": "en-us+f4", "pitch": 80, "speed": 165}


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is required for the speech tests (apt-get install {tool})")
    return path


def to_pinyin(text: str) -> str:
    from pypinyin import Style, lazy_pinyin

    return " ".join(lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True))


def speak(text: str, out: Path, voice: dict, chinese: bool = True) -> Path:
    """espeak-ng -> 16 kHz mono 16-bit WAV."""
    raw = out.with_suffix(".raw.wav")
    spoken = to_pinyin(text) if chinese else text
    subprocess.run(
        [
            _need("espeak-ng"),
            "-v",
            voice["voice"],
            "-p",
            str(voice["pitch"]),
            "-s",
            str(voice["speed"]),
            "-w",
            str(raw),
            spoken,
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [_need("sox"), "-q", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out), "norm", "-6"],
        check=True,
    )
    raw.unlink()
    return out


def silence(out: Path, seconds: float) -> Path:
    subprocess.run(
        [_need("sox"), "-q", "-n", "-r", "16000", "-c", "1", "-b", "16", str(out), "trim", "0", str(seconds)],
        check=True,
    )
    return out


def dialogue(
    turns: list[tuple[str, str]],
    tmp: Path,
    voices: dict[str, dict],
    chinese: bool = True,
    gap: float = 0.6,
    stereo: bool = False,
) -> tuple[Path, list[tuple[float, float, str]]]:
    """Synthesize alternating turns; mono mix or stereo (first voice left).

    Returns the wav and the reference (start, end, who) turns.
    """
    parts: dict[str, list[Path]] = {who: [] for who in voices}
    ref: list[tuple[float, float, str]] = []
    t = 0.0
    names = list(voices)
    for i, (who, text) in enumerate(turns):
        clip = speak(text, tmp / f"turn{i}.wav", voices[who], chinese)
        dur = float(
            subprocess.run(
                [_need("soxi"), "-D", str(clip)], check=True, capture_output=True, text=True
            ).stdout
        )
        for other in names:
            if other == who:
                parts[other].append(clip)
            else:
                parts[other].append(silence(tmp / f"sil{i}_{other}.wav", dur))
            parts[other].append(silence(tmp / f"gap{i}_{other}.wav", gap))
        ref.append((t, t + dur, who))
        t += dur + gap
    tracks = []
    for who in names:
        track = tmp / f"track_{who}.wav"
        subprocess.run([_need("sox"), "-q", *map(str, parts[who]), str(track)], check=True)
        tracks.append(track)
    out = tmp / ("call_stereo.wav" if stereo else "call_mono.wav")
    if stereo:
        subprocess.run([_need("sox"), "-q", "-M", *map(str, tracks), str(out)], check=True)
    else:
        subprocess.run([_need("sox"), "-q", "-m", *map(str, tracks), str(out)], check=True)
    return out, ref
