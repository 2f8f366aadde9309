"""Speech and scoring backends for the worker, chosen by configuration.

QA_SPEECH_BACKEND / QA_SCORING_BACKEND name a ``module:callable`` factory (a plug-in point, e.g. a
remote GPU service, or a lightweight double in tests); empty means the real local pipeline.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from qa_app.settings import Settings


def _load(spec: str) -> Callable[..., Any]:
    module, _, attr = spec.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def default_speech(env: dict[str, str]) -> Any:
    from transcription.pipeline import SpeechPipeline

    return SpeechPipeline.from_env(env)


def default_scorer() -> Callable[..., Any]:
    from scoring import sentiment
    from scoring.engine import score

    analyzer = sentiment.create("calibrated")

    def _score(transcript: Any, rubric: Any) -> Any:
        return score(transcript, rubric, sentiment=analyzer)

    return _score


@dataclass
class Backends:
    settings: Settings
    _speech: Any = None
    _scorer: Any = None

    @property
    def speech(self) -> Any:
        if self._speech is None:
            factory = _load(self.settings.speech_backend) if self.settings.speech_backend else default_speech
            self._speech = factory(dict(self.settings.speech_env))
        return self._speech

    @property
    def scorer(self) -> Callable[..., Any]:
        if self._scorer is None:
            factory = (
                _load(self.settings.scoring_backend) if self.settings.scoring_backend else default_scorer
            )
            self._scorer = factory()
        return self._scorer
