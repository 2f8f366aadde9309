"""Speech and scoring backends for the worker, chosen by configuration.

The worker depends on two small protocols, not on the concrete pipeline:

* ``SpeechBackend.run_detailed(audio, ...) -> PipelineResult`` — the real one is
  ``transcription.pipeline.SpeechPipeline``;
* ``Scorer(transcript, rubric) -> Scorecard`` — the real one is ``scoring.engine.score`` with the
  calibrated snownlp sentiment.

QA_SPEECH_BACKEND / QA_SCORING_BACKEND name a ``module:callable`` factory (a plug-in point, e.g. a
remote GPU service, or a lightweight double in tests): the speech factory is called with the parsed
``SpeechConfig``, the scoring factory with no argument. Empty means the real local pipeline.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from qa_app.settings import Settings
from rubrics import Rubric
from scoring.model import Scorecard
from transcription.config import SpeechConfig
from transcription.pipeline import PipelineResult
from transcription.types import Transcript

ProgressFn = Callable[[str, float], None]


@runtime_checkable
class SpeechBackend(Protocol):
    def run_detailed(
        self,
        audio_path: str | Path,
        channels: str = "mono",
        layout: str | None = None,
        language: str | None = None,
        progress: ProgressFn | None = None,
        call_id: str | None = None,
    ) -> PipelineResult: ...


class Scorer(Protocol):
    def __call__(self, transcript: Transcript, rubric: Rubric) -> Scorecard: ...


SpeechFactory = Callable[[SpeechConfig], SpeechBackend]
ScorerFactory = Callable[[], Scorer]


def _load(spec: str) -> object:
    module, _, attr = spec.partition(":")
    obj: object = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise TypeError(f"{spec} is not callable")
    return obj


def default_speech(config: SpeechConfig) -> SpeechBackend:
    from transcription.pipeline import SpeechPipeline

    return SpeechPipeline(config)


def default_scorer() -> Scorer:
    from scoring import sentiment
    from scoring.engine import score

    analyzer = sentiment.create("calibrated")

    def _score(transcript: Transcript, rubric: Rubric) -> Scorecard:
        return score(transcript, rubric, sentiment=analyzer)

    return _score


@dataclass
class Backends:
    """Built once per worker process and kept for every job it runs (the speech models load once); the
    lock keeps two threads of an engine worker from loading them twice."""

    settings: Settings
    _speech: SpeechBackend | None = None
    _scorer: Scorer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def speech(self) -> SpeechBackend:
        with self._lock:
            return self._build_speech()

    def _build_speech(self) -> SpeechBackend:
        if self._speech is None:
            factory: SpeechFactory = (
                _load(self.settings.speech_backend)  # type: ignore[assignment]
                if self.settings.speech_backend
                else default_speech
            )
            self._speech = factory(self.settings.speech)
        return self._speech

    @property
    def scorer(self) -> Scorer:
        with self._lock:
            return self._build_scorer()

    def _build_scorer(self) -> Scorer:
        if self._scorer is None:
            factory: ScorerFactory = (
                _load(self.settings.scoring_backend)  # type: ignore[assignment]
                if self.settings.scoring_backend
                else default_scorer
            )
            self._scorer = factory()
        return self._scorer
