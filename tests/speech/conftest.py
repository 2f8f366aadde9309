"""Fixtures for the slow speech tests (real models; see synth.py for the audio)."""

from __future__ import annotations

from pathlib import Path

import pytest

from speech.synth import SHARED
from transcription.config import SpeechConfig


@pytest.fixture(scope="session")
def speech_config() -> SpeechConfig:
    cfg = SpeechConfig()
    missing = [
        p
        for p in (Path(cfg.asr_model) / "model.bin", Path(cfg.diarization_pipeline) / "config.yaml")
        if not p.is_file()
    ]
    if missing:
        pytest.fail(f"speech models missing ({', '.join(map(str, missing))}): run scripts/install_speech.sh")
    return cfg


@pytest.fixture(scope="session")
def pipeline(speech_config):
    from transcription.pipeline import SpeechPipeline

    p = SpeechPipeline(speech_config)
    yield p
    p.release()


@pytest.fixture(scope="session")
def shared_eval() -> Path:
    if not (SHARED / "eval").is_dir():
        pytest.skip("../shared/eval is not present")
    return SHARED / "eval"
