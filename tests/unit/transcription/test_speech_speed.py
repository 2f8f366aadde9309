"""Issue #13 settings and timings: decoding ladder, batched decoding, diarization step, timings."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from qa_app.jobs.tasks.calls import log_speech_rtf
from transcription.backends import asr as asr_backend
from transcription.backends.diarize import configure
from transcription.config import (
    BEFORE_13,
    FULL_LADDER,
    ConfigError,
    SpeechConfig,
)
from transcription.pipeline import SpeechPipeline, stage_rtf, summarize_timings


class FakeWhisper:
    """Answers with a script per call; records the decoding options it was given."""

    def __init__(self, scripts):
        self.scripts = list(scripts)
        self.calls: list[dict] = []

    def transcribe(self, samples, **kwargs):
        self.calls.append(kwargs)
        return iter(self.scripts.pop(0) if self.scripts else []), SimpleNamespace(language="zh")


def _seg(start: float, chars: str, step: float = 0.25):
    words = [
        SimpleNamespace(start=start + i * step, end=start + (i + 1) * step, word=c, probability=0.9)
        for i, c in enumerate(chars)
    ]
    return SimpleNamespace(start=start, end=words[-1].end, text=chars, words=words)


def test_speed_settings_are_read_from_the_environment():
    c = SpeechConfig.from_mapping(
        {
            "QA_ASR_TEMPERATURES": "0, 0.4，0.8",
            "QA_ASR_BATCH_SIZE": "8",
            "QA_DIARIZATION_STEP": "0.5",
            "QA_DIARIZATION_BATCH_SIZE": "64",
            "QA_DIARIZATION_PARTIAL_HOP": "0.8",
        }
    )
    assert c.temperatures == (0.0, 0.4, 0.8) and c.max_redecodes == 2
    assert c.asr_batch_size == 8
    assert (c.diarization_step, c.diarization_batch_size, c.diarization_partial_hop) == (0.5, 64, 0.8)


def test_default_decoding_never_re_decodes_and_before_profile_is_the_old_one():
    assert SpeechConfig().temperatures == (0.0,) and SpeechConfig().max_redecodes == 0
    before = SpeechConfig(**BEFORE_13)  # type: ignore[arg-type]
    assert before.temperatures == FULL_LADDER and before.max_redecodes == 5
    assert (before.diarization_step, before.diarization_batch_size, before.diarization_partial_hop) == (
        0.1,
        16,
        0.8,
    )
    assert before != SpeechConfig()


@pytest.mark.parametrize(
    "env",
    [
        {"QA_ASR_TEMPERATURES": "0,hot"},
        {"QA_ASR_TEMPERATURES": "0.4,0"},  # must increase
        {"QA_ASR_TEMPERATURES": "0,1.5"},
        {"QA_ASR_TEMPERATURES": ","},
        {"QA_ASR_BATCH_SIZE": "-2"},
        {"QA_DIARIZATION_STEP": "0"},
        {"QA_DIARIZATION_STEP": "1.5"},
        {"QA_DIARIZATION_STEP": "fast"},
        {"QA_DIARIZATION_BATCH_SIZE": "x"},
        {"QA_DIARIZATION_PARTIAL_HOP": "3"},
    ],
)
def test_bad_speed_settings_name_the_key(env):
    with pytest.raises(ConfigError) as err:
        SpeechConfig.from_mapping(env)
    assert next(iter(env)) in str(err.value)


def test_decoder_gets_the_ladder_and_batching_is_chosen_by_batch_size(monkeypatch):
    model = FakeWhisper([[_seg(0.0, "您好")]])
    asr_backend.transcribe(model, np.zeros(16000 * 2, np.float32), SpeechConfig(temperatures=(0.0, 0.5)))
    assert model.calls[0]["temperature"] == [0.0, 0.5]
    assert model.calls[0]["hallucination_silence_threshold"] == 2.0

    used: list[dict] = []

    class FakeBatched:
        def __init__(self, inner):
            assert inner is model

        def transcribe(self, samples, **kwargs):
            used.append(kwargs)
            return iter([_seg(0.0, "好的")]), SimpleNamespace(language="zh")

    import faster_whisper

    monkeypatch.setattr(faster_whisper, "BatchedInferencePipeline", FakeBatched)
    res = asr_backend.transcribe(model, np.zeros(16000 * 2, np.float32), SpeechConfig(asr_batch_size=4))
    assert used[0]["batch_size"] == 4 and "hallucination_silence_threshold" not in used[0]
    assert len(model.calls) == 1 and res.segments[0].text == "好的"


def test_timings_keep_model_set_up_apart_from_the_call():
    laps = {
        "decode": 0.5,
        "decode_cpu": 0.4,
        "setup_asr": 3.0,
        "setup_asr_cpu": 2.0,
        "asr": 6.0,
        "asr_cpu": 10.0,
        "setup_diarize": 1.0,
        "setup_diarize_cpu": 1.0,
        "diarize": 2.0,
        "diarize_cpu": 3.5,
        "merge": 0.1,
        "merge_cpu": 0.1,
    }
    t = summarize_timings(laps, 60.0)
    assert t["total"] == 8.6 and t["total_cpu"] == 14.0
    assert t["setup"] == 4.0 and t["setup_cpu"] == 3.0 and t["audio_seconds"] == 60.0
    rtf = stage_rtf(t)
    assert rtf["asr"] == 0.1 and rtf["total_cpu"] == pytest.approx(14.0 / 60, abs=1e-4)
    assert not any(k.startswith("setup") for k in rtf)
    assert stage_rtf({"asr": 1.0}) == {}


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
def test_run_detailed_times_model_loading_once(tmp_path: Path, monkeypatch):
    import soundfile as sf

    sr = 16000
    wav = tmp_path / "call.wav"
    t = np.arange(int(sr * 4)) / sr
    tone = (0.2 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
    sf.write(wav, np.stack([tone, tone], axis=1), sr)
    loads: list[int] = []

    def fake_load(config):
        loads.append(1)
        return FakeWhisper([[_seg(0.2, "您好")], [_seg(0.2, "喂")]] * 2)

    monkeypatch.setattr(asr_backend, "load_model", fake_load)
    p = SpeechPipeline(SpeechConfig(model_dir=tmp_path / "no-models"))
    cold = p.run_detailed(wav, channels="stereo").timings
    warm = p.run_detailed(wav, channels="stereo").timings
    assert loads == [1]
    assert "setup_asr" in cold and "setup_asr" not in warm and warm["setup"] == 0.0
    assert "setup_diarize" not in cold  # stereo calls are split by channel: no diarizer loaded
    for timings in (cold, warm):
        assert timings["total"] == pytest.approx(
            sum(timings[s] for s in ("decode", "asr", "diarize", "merge", "roles", "redact")), abs=0.002
        )
        assert timings["asr_cpu"] >= 0 and timings["audio_seconds"] == 4.0


def test_configure_sets_step_batch_and_partial_hop():
    seg = SimpleNamespace(duration=10.0, step=1.0)
    encoder = SimpleNamespace(partial_hop=80)
    pipe = SimpleNamespace(
        _segmentation=seg,
        segmentation_step=0.1,
        embedding_batch_size=16,
        _embedding=SimpleNamespace(model_=encoder),
    )
    configure(pipe, step=0.25, embedding_batch_size=32, partial_hop=1.6)
    assert (pipe.segmentation_step, seg.step, pipe.embedding_batch_size) == (0.25, 2.5, 32)
    assert encoder.partial_hop == 160
    other = SimpleNamespace()  # another pipeline class: left alone
    configure(other, step=0.5, embedding_batch_size=8, partial_hop=0.8)
    assert vars(other) == {}


def test_worker_logs_stage_rtf(caplog):
    timings = summarize_timings(
        {"decode": 1.0, "decode_cpu": 1.0, "asr": 12.0, "asr_cpu": 20.0, "diarize": 3.0, "diarize_cpu": 5.0},
        120.0,
    )
    with caplog.at_level(logging.INFO, logger="qa_app.jobs.tasks.calls"):
        rtf = log_speech_rtf(7, timings)
    assert rtf["asr"] == 0.1 and rtf["diarize_cpu"] == pytest.approx(5 / 120, abs=1e-4)
    assert "speech job 7" in caplog.text and "asr=0.100" in caplog.text and "total=0.133" in caplog.text
    assert log_speech_rtf(8, {}) == {}
