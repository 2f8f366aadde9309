"""Utterance intents: what a turn does (asks for ID, performs an account action, apologises ...).

A linear model over character n-grams (1-4, within words) of the normalised text
(:func:`scoring.text.normalize`: traditional -> simplified, Chinese digits -> 0-9, punctuation
gone), one logistic regression per intent (one-vs-rest: a turn may apologise *and* thank for
waiting), each with a Platt calibration fitted on cross-validated scores so ``p`` reads as a
probability. Fitted offline by ``bench/train_intents.py``; the weights ship as JSON
(``scoring/intents_model.json``: vocabulary, idf, coefficients), so prediction needs numpy only.

Like sentiment, intents are computed once per turn (:func:`precompute`) and handed to the engine;
primitives read ``ctx.intents[i]`` (intent id -> probability).
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from typing import Any

import numpy as np

from scoring.text import normalize
from transcription.types import Transcript

INTENTS: tuple[str, ...] = (
    "identity_request",  # agent asks for identifying details
    "identity_confirmed",  # agent states the check passed
    "account_action",  # agent performs or reads out something on the account / order now
    "problem_statement",  # customer describes a problem or unmet need
    "dissatisfaction",  # customer displeasure, complaint, sarcasm, threats
    "empathy",  # agent apology / acknowledging feelings
    "hold_announcement",  # agent asks the customer to wait
    "thanks_for_waiting",  # agent thanks the customer for waiting
    "closing_question",  # "anything else?"
    "farewell",  # thanks for calling / goodbye
)

MIN_N, MAX_N = 1, 4
MODEL_FILE = "intents_model.json"

IntentScores = Mapping[str, float]


def features(text: str) -> list[str]:
    """Character n-grams (1-4) of each word of the normalised text, padded with a space at both ends
    (scikit-learn's ``char_wb``); a Chinese run without spaces is one word."""
    out: list[str] = []
    for w in normalize(text).split():
        w = f" {w} "
        n_w = len(w)
        for n in range(MIN_N, MAX_N + 1):
            if n > n_w:
                break
            out.extend(w[i : i + n] for i in range(n_w - n + 1))
    return out


class IntentModel:
    """The fitted intent classifier (load with :meth:`load`, or :func:`default_model`)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.intents: tuple[str, ...] = tuple(data["intents"])
        self.vocab: dict[str, int] = {f: i for i, f in enumerate(data["vocabulary"])}
        self.idf = np.asarray(data["idf"], dtype=np.float64)
        self.coef = np.asarray(data["coef"], dtype=np.float64)  # features x intents
        self.intercept = np.asarray(data["intercept"], dtype=np.float64)
        self.platt_a = np.asarray(data["platt_a"], dtype=np.float64)
        self.platt_b = np.asarray(data["platt_b"], dtype=np.float64)
        self.meta: dict[str, Any] = dict(data.get("meta") or {})
        if self.coef.shape != (len(self.vocab), len(self.intents)):
            raise ValueError("intent model: coefficient matrix does not match vocabulary and intents")

    @classmethod
    def load(cls, path: str | None = None) -> IntentModel:
        if path is None:
            text = resources.files("scoring").joinpath(MODEL_FILE).read_text(encoding="utf-8")
        else:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        return cls(json.loads(text))

    def decision(self, text: str) -> np.ndarray:
        """Raw linear scores per intent (before calibration)."""
        counts = Counter(f for f in features(text) if f in self.vocab)
        if not counts:
            return self.intercept.copy()
        idx = np.fromiter((self.vocab[f] for f in counts), dtype=np.int64, count=len(counts))
        tf = np.fromiter((1.0 + math.log(c) for c in counts.values()), dtype=np.float64, count=len(counts))
        x = tf * self.idf[idx]
        x /= np.sqrt(x @ x)
        return x @ self.coef[idx] + self.intercept

    def proba(self, text: str) -> np.ndarray:
        z = self.platt_a * self.decision(text) + self.platt_b
        return 1.0 / (1.0 + np.exp(-z))

    def predict(self, texts: Iterable[str]) -> list[dict[str, float]]:
        """Per text: intent id -> calibrated probability (0..1)."""
        return [dict(zip(self.intents, map(float, self.proba(t)), strict=True)) for t in texts]


_DEFAULT: IntentModel | None = None
_LOCK = threading.Lock()


def default_model() -> IntentModel:
    """The shipped model, loaded once per process."""
    global _DEFAULT
    with _LOCK:
        if _DEFAULT is None:
            _DEFAULT = IntentModel.load()
        return _DEFAULT


def precompute(
    transcript: Transcript, model: IntentModel | None = None, roles: Sequence[str] = ("agent", "customer")
) -> dict[int, dict[str, float]]:
    """Intents of every agent and customer turn: segment id -> {intent id: probability}."""
    m = model or default_model()
    wanted = set(roles)
    segs = [s for s in transcript.segments if s.role in wanted and s.text.strip()]
    return {s.id: p for s, p in zip(segs, m.predict(s.text for s in segs), strict=True)}
