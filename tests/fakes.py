"""Test doubles for the worker's pluggable backends (QA_SPEECH_BACKEND / QA_SCORING_BACKEND).

They follow the real interfaces (SpeechPipeline.run_detailed -> PipelineResult; scorer(transcript, rubric))
so the worker, the job table and the scoring stage are exercised for real without loading models.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from transcription.config import SpeechConfig
from transcription.pipeline import PipelineResult
from transcription.types import Segment, Transcript

SCRIPT = (
    ("A", 0.0, 3.0, "您好，很高兴为您服务，我是工号1021的客服小王，请问有什么可以帮您？"),
    ("B", 3.4, 6.0, "我家宽带又断了，太慢了，我很生气。"),
    ("A", 6.3, 9.5, "非常抱歉给您带来不便，我理解您的心情，请问您的身份证后四位是多少？"),
    ("B", 9.8, 11.0, "一二三四。"),
    ("A", 11.4, 15.0, "好的，已经为您核实，我马上为您查询并安排师傅上门维修。"),
    ("B", 15.3, 16.5, "好的，谢谢。"),
    ("A", 16.8, 20.0, "请问还有其他可以帮您的吗？感谢您的来电，祝您生活愉快，再见。"),
)


def make_transcript(call_id: str | None = None) -> Transcript:
    segs = tuple(
        Segment(i, a, b, spk, text, "agent" if spk == "A" else "customer")
        for i, (spk, a, b, text) in enumerate(SCRIPT)
    )
    return Transcript(
        "zh", 20.5, segs, "mono", {"A": "agent", "B": "customer"}, call_id, {"asr": "fake"}, 0.9
    )


class FakeSpeech:
    """Returns a fixed transcript; QA_FAKE_SPEECH_SLEEP makes it slow, QA_FAKE_SPEECH_FAIL makes it raise."""

    def __init__(self, config: SpeechConfig | None = None) -> None:
        self.config = config
        self.calls = 0

    def run_detailed(
        self, audio_path, channels="mono", layout=None, language=None, progress=None, call_id=None
    ):
        self.calls += 1
        if not Path(audio_path).exists():
            raise FileNotFoundError(audio_path)
        if os.environ.get("QA_FAKE_SPEECH_FAIL"):
            raise RuntimeError("simulated ASR crash")
        marker = os.environ.get("QA_FAKE_SPEECH_MARKER")
        if marker:
            with open(marker, "a") as f:
                f.write(f"{os.getpid()}\n")
        total = float(os.environ.get("QA_FAKE_SPEECH_SLEEP", "0"))
        steps = 10
        for i in range(steps):
            if progress:
                progress("asr", i / steps)
            time.sleep(total / steps)
        return PipelineResult(make_transcript(), [], None, {"total": total})


def fake_speech(config: SpeechConfig) -> FakeSpeech:
    """The factory a worker calls when it first needs speech (QA_FAKE_SPEECH_LOADS: a file that gets one
    line per model load, i.e. per process if the worker keeps its backends)."""
    loads = os.environ.get("QA_FAKE_SPEECH_LOADS")
    if loads:
        with open(loads, "a") as f:
            f.write(f"{os.getpid()}\n")
    return FakeSpeech(config)


def lexicon_scorer():
    """The real engine with the cheap lexicon sentiment (no snownlp load)."""
    from scoring.engine import score

    return lambda transcript, rubric: score(transcript, rubric, sentiment=None)
