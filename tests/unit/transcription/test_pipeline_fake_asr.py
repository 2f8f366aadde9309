"""Pipeline orchestration with a fake Whisper model (no ML libraries, real ffmpeg decode)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from transcription.backends.asr import transcribe
from transcription.config import SpeechConfig
from transcription.errors import BadAudioError
from transcription.pipeline import SpeechPipeline


@dataclass
class FakeWord:
    start: float
    end: float
    word: str
    probability: float = 0.9


@dataclass
class FakeSegment:
    start: float
    end: float
    text: str
    words: list[FakeWord]


@dataclass
class FakeInfo:
    language: str = "zh"


class FakeWhisper:
    """Answers with a script per call; records the decoding options it was given."""

    def __init__(self, scripts: list[list[FakeSegment]]):
        self.scripts = list(scripts)
        self.calls: list[dict] = []

    def transcribe(self, samples, **kwargs):
        self.calls.append(kwargs)
        return iter(self.scripts.pop(0) if self.scripts else []), FakeInfo()


def _seg(start: float, chars: str, step: float = 0.25) -> FakeSegment:
    words = [FakeWord(start + i * step, start + (i + 1) * step, c) for i, c in enumerate(chars)]
    return FakeSegment(start, words[-1].end, chars, words)


def test_decoding_options_and_text_cleanup():
    cfg = SpeechConfig(hotwords=("宽带", "工号"), beam_size=3)
    model = FakeWhisper([[_seg(0.0, "請問您的寬帶計計計計計計計有問題嗎")]])
    res = transcribe(model, np.zeros(16000 * 8, dtype=np.float32), cfg, offset=10.0)
    kw = model.calls[0]
    assert kw["hotwords"] == "宽带 工号" and kw["beam_size"] == 3 and kw["language"] == "zh"
    assert kw["word_timestamps"] is True and kw["vad_filter"] is True
    assert kw["condition_on_previous_text"] is False and "initial_prompt" not in kw
    assert res.segments[0].text == "请问您的宽带计有问题吗"
    assert res.segments[0].start == pytest.approx(10.0)


def test_auto_language_passes_none():
    model = FakeWhisper([[]])
    res = transcribe(model, np.zeros(16000, dtype=np.float32), SpeechConfig(), language="auto")
    assert model.calls[0]["language"] is None and res.language == "zh"


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
def test_stereo_run_orchestrates_all_stages(tmp_path: Path):
    import soundfile as sf

    sr = 16000
    t = np.arange(sr * 8) / sr
    tone = (0.2 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
    left = np.where(t < 3.5, tone, 0).astype(np.float32)
    right = np.where((t > 4) & (t < 7.8), tone, 0).astype(np.float32)
    wav = tmp_path / "call.wav"
    sf.write(wav, np.stack([left, right], axis=1), sr)

    p = SpeechPipeline(SpeechConfig(model_dir=tmp_path / "no-models"))
    p._asr_model = FakeWhisper(
        [
            [_seg(0.2, "您好工号一零二四很高兴为您服务")],  # left = agent
            [_seg(4.1, "我的手机号是幺三八一二三四五六七八")],  # right = customer
        ]
    )
    stages: list[tuple[str, float]] = []
    result = p.run_detailed(wav, channels="stereo", progress=lambda s, f: stages.append((s, f)))
    tr = result.transcript
    assert tr.channels == "stereo" and [s.speaker for s in tr.segments] == ["LEFT", "RIGHT"]
    assert tr.speakers == {"LEFT": "agent", "RIGHT": "customer"} and tr.role_confidence > 0.5
    assert tr.segments[1].text == "我的手机号是" + "*" * 11
    assert [r.kind for r in result.redactions] == ["phone"]
    assert result.redactions[0].start == pytest.approx(4.1 + 6 * 0.25)
    assert {s for s, _ in stages} >= {"decode", "asr", "diarize", "merge", "roles", "redact"}
    assert set(result.timings) >= {"asr", "diarize", "total", "audio_seconds"}

    p._asr_model = FakeWhisper([[_seg(0.2, "喂")], [_seg(4.1, "您好")]])
    tr = p.run(wav, channels="stereo", layout="stereo_agent_right")
    assert tr.speakers == {"LEFT": "customer", "RIGHT": "agent"} and tr.role_confidence == 1.0


def test_bad_audio_is_a_speech_error(tmp_path: Path):
    bogus = tmp_path / "x.wav"
    bogus.write_bytes(b"not audio at all")
    p = SpeechPipeline()
    with pytest.raises(BadAudioError):
        p.load_audio(bogus)
    with pytest.raises(BadAudioError):
        p.load_audio(tmp_path / "missing.wav")
    with pytest.raises(BadAudioError):
        p.load_audio(bogus, channels="quad")
