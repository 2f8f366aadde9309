"""Synthetic call audio for the slow speech tests, made by the demo's synthesizer (qa_app.demo.synth).

The tests fix their own voices (espeak-ng ``cmn-latn-pinyin`` fed tone-numbered pinyin, and ``en-us``):
variants, pitches and slower speeds chosen for intelligibility to Whisper base while the two parties
stay distinct for diarization. These tests need the models built by scripts/install_speech.sh and fail
loudly without them (CI builds them); tests that read ../shared skip when it is absent.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qa_app.demo import synth as demo_synth
from qa_app.demo.scripts import DemoScript, Turn
from qa_app.demo.synth import VoiceProfile

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"

AGENT = VoiceProfile("f3", 60, 130)
CUSTOMER = VoiceProfile("f2", 40, 130)
EN_AGENT = VoiceProfile("m3", 35, 160)
EN_CUSTOMER = VoiceProfile("f4", 80, 165)


def _need(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} required for the speech tests (apt-get install espeak-ng sox)")


def speak(text: str, out: Path, voice: VoiceProfile, chinese: bool = True) -> Path:
    """One utterance -> 16 kHz mono 16-bit WAV."""
    _need("espeak-ng", "sox")
    demo_synth.synthesize_text(text, "zh" if chinese else "en", "agent", out, profile=voice)
    return out


def dialogue(
    turns: list[tuple[str, str]],
    tmp: Path,
    voices: dict[str, VoiceProfile],
    chinese: bool = True,
    gap: float = 0.6,
    stereo: bool = False,
) -> tuple[Path, list[tuple[float, float, str]]]:
    """Alternating agent/customer turns; mono mix or stereo (agent left).

    Returns the wav and the reference (start, end, who) turns.
    """
    _need("espeak-ng", "sox")
    script = DemoScript(
        key="speech-test",
        title_zh="测试",
        title_en="test",
        language="zh" if chinese else "en",
        agent_key="agent01",
        quality="good",
        layout="stereo_agent_left" if stereo else "mono",
        queue="test",
        direction="inbound",
        turns=tuple(Turn(who, text, pause_before=gap if i else 0.0) for i, (who, text) in enumerate(turns)),
    )
    out = tmp / ("call_stereo.wav" if stereo else "call_mono.wav")
    ref = demo_synth.synthesize(script, out, noise_db=None, voices=voices)
    return out, [(r.start, r.end, r.role) for r in ref]
