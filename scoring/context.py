"""Per-call precomputation shared by every criterion: normalised text, role indexes, sentiment, intents."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

from rubrics.messages import Message
from scoring.metrics import CallMetrics, compute_metrics
from scoring.model import Evidence
from scoring.text import count_latin_words, is_backchannel, normalize, spoken_units
from transcription.types import Segment, Transcript


class CallContext:
    """A transcript prepared for rule evaluation (built once per scorecard)."""

    def __init__(
        self,
        transcript: Transcript,
        sentiment: Mapping[int, float] | None = None,
        intents: Mapping[int, Mapping[str, float]] | None = None,
    ) -> None:
        self.transcript = transcript
        self.segs: tuple[Segment, ...] = transcript.segments
        self.language = "en" if transcript.language.lower().startswith("en") else "zh"
        self.norm: list[str] = [normalize(s.text) for s in self.segs]
        self.by_role: dict[str, list[int]] = {"agent": [], "customer": [], "ivr": [], "unknown": []}
        for i, s in enumerate(self.segs):
            self.by_role.setdefault(s.role, []).append(i)
        # sentiment by segment position (the mapping is keyed by segment id)
        sent = sentiment or {}
        self.sentiment: list[float | None] = [sent.get(s.id) for s in self.segs]
        # intent probabilities by segment position (scoring.intents.precompute, keyed by segment id)
        ints = intents or {}
        self.intents: list[Mapping[str, float]] = [ints.get(s.id) or {} for s in self.segs]
        self._window_bigrams: dict[tuple[tuple[int, ...], int], set[str]] = {}
        self._seg_bigrams: list[set[str] | None] = [None] * len(self.segs)
        self._joined: dict[tuple[tuple[int, ...], int], tuple[str, list[int]]] = {}
        self._tokens: dict[int, set[str]] = {}
        self.backchannel: list[bool] = [is_backchannel(t) for t in self.norm]
        self.units: list[float] = [spoken_units(s.text) for s in self.segs]
        self.words: list[int] = (
            [count_latin_words(s.text) for s in self.segs] if self.language == "en" else [0] * len(self.segs)
        )
        role_conf = transcript.role_confidence
        # Lower every verdict's confidence when speaker roles themselves are uncertain.
        self.role_factor = 1.0 if role_conf is None else 0.6 + 0.4 * max(0.0, min(1.0, float(role_conf)))

    @cached_property
    def metrics(self) -> CallMetrics:
        return compute_metrics(self)

    def turns(self, party: str) -> list[int]:
        if party in ("any", "call"):
            return [i for i, s in enumerate(self.segs) if s.role in ("agent", "customer")]
        return self.by_role.get(party, [])

    def window(self, party: str, window: Mapping[str, Any] | None) -> list[int]:
        """Turns of ``party`` restricted to first N turns / first N seconds / last N turns."""
        idx = self.turns(party)
        if not window:
            return idx
        if "first_seconds" in window:
            t0 = self.segs[0].start if self.segs else 0.0
            idx = [i for i in idx if self.segs[i].start - t0 <= float(window["first_seconds"])]
        if "first_turns" in window:
            idx = idx[: int(window["first_turns"])]
        if "last_turns" in window:
            n = int(window["last_turns"])
            idx = idx[-n:] if n > 0 else []
        return idx

    def substantive(self, idx: Sequence[int]) -> list[int]:
        bc = self.backchannel
        return [i for i in idx if not bc[i]]

    def joined(
        self, idx: tuple[int, ...], exceptions: re.Pattern[str] | None = None
    ) -> tuple[str, list[int]]:
        """The normalised turns ``idx`` joined by newlines (exception phrases blanked) + start offsets."""
        key = (idx, id(exceptions))
        hit = self._joined.get(key)
        if hit is None:
            parts = [self.norm[i] for i in idx]
            starts, pos = [], 0
            for p in parts:
                starts.append(pos)
                pos += len(p) + 1
            text = "\n".join(parts)
            if exceptions is not None:
                text = exceptions.sub(lambda m: "|" * len(m.group(0)), text)
            hit = (text, starts)
            self._joined[key] = hit
        return hit

    def window_bigrams(self, idx: tuple[int, ...]) -> set[str]:
        """Character bigrams of the turns ``idx`` (fuzzy prefilter; a superset when exceptions apply)."""
        key = (idx, 0)
        hit = self._window_bigrams.get(key)
        if hit is None:
            per = self._seg_bigrams
            for i in idx:
                if per[i] is None:
                    t = self.norm[i]
                    per[i] = set(map(str.__add__, t, t[1:]))
            hit = set().union(*(per[i] for i in idx))  # type: ignore[arg-type]
            self._window_bigrams[key] = hit
        return hit

    def tokens(self, i: int) -> set[str]:
        t = self._tokens.get(i)
        if t is None:
            import jieba  # lazy: only token rules need it

            t = {normalize(w) for w in jieba.lcut(self.segs[i].text)}
            t.discard("")
            self._tokens[i] = t
        return t

    def evidence(self, i: int, note: str | Message = "", *, searched: bool = False) -> Evidence:
        """Turn ``i`` as evidence; ``searched``: a turn looked in where nothing was found."""
        s = self.segs[i]
        return Evidence(s.start, s.end, s.text, note, s.id, s.speaker, s.role, searched)
