"""Compiled phrase sets: exact (one regex alternation), synonyms, regex, jieba tokens, fuzzy.

Fuzzy matching uses rapidfuzz ``partial_ratio`` on phrases of 4+ characters, with a character
bigram prefilter so the fuzzy pass only runs on turns that share some of the phrase.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from rubrics.automation import INTENT_HIGH, INTENT_LOW
from scoring.text import is_latin, normalize

DEFAULT_FUZZY = 85.0
MIN_FUZZY_LEN = 4


@dataclass(frozen=True, slots=True)
class Hit:
    """One phrase occurrence in one turn (``index`` = position in the call's segment list)."""

    index: int
    phrase: str  # the rubric phrase (canonical form, as written)
    kind: str  # exact | synonym | regex | tokens | fuzzy
    score: float  # 100 for exact matches, rapidfuzz score for fuzzy
    pos: int  # character offset in the normalised turn
    matched: str


def _bigrams(s: str) -> set[str]:
    return {s[i : i + 2] for i in range(len(s) - 1)}


NEGATIONS = frozenset("不没无未别非")


def _adds_negation(phrase: str, matched: str) -> bool:
    """True when the matched text contains a negation character the phrase does not have."""
    return any(ch in NEGATIONS and ch not in phrase for ch in matched)


def _phrase_regex(norm: str) -> str:
    esc = re.escape(norm)
    if is_latin(norm):
        return rf"(?<![a-z0-9]){esc}(?![a-z0-9])"
    return esc


class PhraseSet:
    """A compiled list of phrases (plus synonyms, regexes and token sets) to look for in turns."""

    def __init__(
        self,
        phrases: Iterable[str] = (),
        *,
        synonyms: Mapping[str, Sequence[str]] | None = None,
        regex: Iterable[str] = (),
        tokens: Iterable[str] = (),
        fuzzy: float | None = DEFAULT_FUZZY,
        exceptions: Iterable[str] = (),
    ) -> None:
        self.phrases: tuple[str, ...] = tuple(str(p) for p in phrases)
        self._canon: dict[str, tuple[str, str]] = {}  # normalised text -> (canonical phrase, kind)
        for p in self.phrases:
            n = normalize(p)
            if n:
                self._canon.setdefault(n, (p, "exact"))
        for p, alts in (synonyms or {}).items():
            for a in alts:
                n = normalize(str(a))
                if n:
                    self._canon.setdefault(n, (str(p), "synonym"))
        alts_sorted = sorted(self._canon, key=len, reverse=True)
        self._exact = re.compile("|".join(_phrase_regex(n) for n in alts_sorted)) if alts_sorted else None
        self._regexes = tuple(re.compile(r) for r in regex)
        self._tokens = tuple(str(t) for t in tokens)
        self.fuzzy = float(fuzzy) if fuzzy else 0.0
        # Threshold per phrase: at most about one edit for short phrases (a 4-character phrase
        # with one wrong character scores 75), the configured threshold for long ones.
        self._fuzzy_targets = tuple(
            (n, canon, _bigrams(n), min(self.fuzzy, 100.0 * (1 - 1 / len(n)) - 0.5))
            for n, (canon, _kind) in self._canon.items()
            if self.fuzzy and len(n) >= (MIN_FUZZY_LEN if not is_latin(n) else 8)
        )
        self._bigram_to_targets: dict[str, list[int]] = {}
        for ti, target in enumerate(self._fuzzy_targets):
            for b in target[2]:
                self._bigram_to_targets.setdefault(b, []).append(ti)
        self._target_bigrams = frozenset(self._bigram_to_targets)
        exc = sorted({normalize(e) for e in exceptions if normalize(e)}, key=len, reverse=True)
        self._exceptions = re.compile("|".join(map(re.escape, exc))) if exc else None

    @classmethod
    def from_spec(
        cls, spec: Mapping[str, Any], key: str = "any", default_fuzzy: float = DEFAULT_FUZZY
    ) -> PhraseSet:
        return cls(
            spec.get(key) or (),
            synonyms=spec.get("synonyms"),
            regex=spec.get(f"{key}_regex" if key != "any" else "regex") or (),
            tokens=spec.get("tokens") or () if key == "any" else (),
            fuzzy=spec.get("fuzzy", default_fuzzy),
            exceptions=spec.get("exceptions") or (),
        )

    def __bool__(self) -> bool:
        return bool(self._canon or self._regexes or self._tokens)

    def sample(self, limit: int = 4) -> list[str]:
        """The first phrases (quoted as written) and ``…(+N)`` for the rest: a message parameter."""
        shown = list(self.phrases[:limit])
        more = len(self.phrases) - len(shown)
        return shown + ([f"…(+{more})"] if more > 0 else [])

    def find(
        self,
        ctx: Any,
        indices: Iterable[int],
        *,
        fuzzy: bool = True,
        first_only: bool = False,
        distinct: int = 0,
        near: list[float] | None = None,
    ) -> list[Hit]:
        """Hits in the given turns (each phrase at most once per turn), in turn order.

        ``first_only`` stops at the first hit, ``distinct`` once that many different phrases were
        found; ``near`` (a one-element list) receives the best fuzzy score below the threshold.

        Exact phrases and regexes run once over the window's turns joined by newlines; the fuzzy
        pass only looks at turns sharing enough character bigrams with a phrase (inverted index).
        """
        idx = tuple(indices)
        if not idx:
            return []
        text, starts = ctx.joined(idx, self._exceptions)
        hits: list[Hit] = []
        seen: set[tuple[int, str]] = set()
        if self._exact is not None:
            for m in self._exact.finditer(text):
                k = bisect_right(starts, m.start()) - 1
                canon, kind = self._canon[m.group(0)]
                if (idx[k], canon) in seen:
                    continue
                seen.add((idx[k], canon))
                hits.append(Hit(idx[k], canon, kind, 100.0, m.start() - starts[k], m.group(0)))
                if first_only or (distinct and len({h.phrase for h in hits}) >= distinct):
                    return hits
        for rx in self._regexes:
            for m in rx.finditer(text):
                k = bisect_right(starts, m.start()) - 1
                if (idx[k], rx.pattern) in seen:
                    continue
                seen.add((idx[k], rx.pattern))
                hits.append(Hit(idx[k], rx.pattern, "regex", 100.0, m.start() - starts[k], m.group(0)))
                if first_only:
                    return hits
        if self._tokens:
            for i in idx:
                toks = ctx.tokens(i)
                for phrase in self._tokens:
                    parts = [normalize(p) for p in phrase.split()]
                    if parts and all(p in toks for p in parts) and (i, phrase) not in seen:
                        seen.add((i, phrase))
                        hits.append(
                            Hit(i, phrase, "tokens", 100.0, max(0, ctx.norm[i].find(parts[0])), phrase)
                        )
                        if first_only:
                            return hits
        if fuzzy and self._fuzzy_targets:
            # Prefilter: a target is only aligned when one of its character bigrams occurs in the
            # window text; rapidfuzz then finds the best window over the joined turns (C speed).
            cutoff_floor = 60.0 if near is not None else None
            counts: dict[int, int] = {}
            for b in self._target_bigrams & ctx.window_bigrams(idx):
                for ti in self._bigram_to_targets[b]:
                    counts[ti] = counts.get(ti, 0) + 1
            for ti in sorted(counts):
                n, canon, pbg, thr = self._fuzzy_targets[ti]
                if counts[ti] < max(1, len(pbg) - 4):
                    continue
                lo = 0
                while lo < len(text):
                    al = fuzz.partial_ratio_alignment(n, text[lo:], score_cutoff=cutoff_floor or thr)
                    if al is None:
                        break
                    if al.score < thr:
                        if near is not None:
                            near[0] = max(near[0], al.score)
                        break
                    a_start = lo + al.dest_start
                    k = bisect_right(starts, a_start) - 1
                    i = idx[k]
                    seg_end = starts[k + 1] - 1 if k + 1 < len(starts) else len(text)
                    matched = text[a_start : lo + al.dest_end]
                    if _adds_negation(n, matched):
                        # 处理不了 is not 处理好了: a fuzzy window that brings in a negation is no match
                        lo = seg_end + 1
                        continue
                    if (i, canon) not in seen and matched.strip("\n"):
                        seen.add((i, canon))
                        hits.append(Hit(i, canon, "fuzzy", al.score, a_start - starts[k], matched))
                        if first_only:
                            return hits
                    lo = seg_end + 1
        if len(hits) > 1:
            hits.sort(key=lambda h: (h.index, h.pos))
        return hits

    def first(self, ctx: Any, indices: Iterable[int]) -> list[Hit]:
        """The earliest exact/regex hit in the turns (time order), as a 0- or 1-element list."""
        idx = tuple(indices)
        if not idx:
            return []
        text, starts = ctx.joined(idx, self._exceptions)
        best: re.Match[str] | None = None
        best_kind = ""
        for rx in ((self._exact,) if self._exact is not None else ()) + self._regexes:
            m = rx.search(text)
            if m and (best is None or m.start() < best.start()):
                best, best_kind = m, ("exact" if rx is self._exact else "regex")
        if best is None:
            return []
        k = bisect_right(starts, best.start()) - 1
        if best_kind == "exact":
            canon, kind = self._canon[best.group(0)]
        else:
            canon, kind = best.re.pattern, "regex"
        return [Hit(idx[k], canon, kind, 100.0, best.start() - starts[k], best.group(0))]

    def best_near_miss(self, ctx: Any, indices: Iterable[int], floor: float = 60.0) -> float:
        """Best fuzzy score below the threshold (lowers the confidence of a 'not found')."""
        near = [0.0]
        self.find(ctx, indices, near=near)
        return near[0]


class IntentSet:
    """Intent ids a rule accepts beside its phrases (``ctx.intents``, from :mod:`scoring.intents`).

    A turn is a hit when the most probable of these intents has ``p >= low``; below ``high`` the hit
    is ``intent_review`` (counted, but the verdict goes to a human). Hits are :class:`Hit` values with
    ``phrase`` = the intent id and ``score`` = 100 p, placed at the start of the turn (``pos`` 0) or,
    with ``at_end``, after its last character (an account action spans the whole turn).
    """

    def __init__(
        self, intents: Iterable[str] = (), low: float = INTENT_LOW, high: float = INTENT_HIGH
    ) -> None:
        self.intents: tuple[str, ...] = tuple(str(i) for i in intents)
        self.low = float(low)
        self.high = max(float(high), self.low)

    def __bool__(self) -> bool:
        return bool(self.intents)

    def find(
        self, ctx: Any, indices: Iterable[int], *, first_only: bool = False, at_end: bool = False
    ) -> list[Hit]:
        hits: list[Hit] = []
        if not self.intents:
            return hits
        for i in indices:
            probs = ctx.intents[i]
            if not probs:
                continue
            p, name = max((float(probs.get(k, 0.0)), k) for k in self.intents)
            if p < self.low:
                continue
            kind = "intent" if p >= self.high else "intent_review"
            hits.append(Hit(i, name, kind, round(100.0 * p, 1), len(ctx.norm[i]) if at_end else 0, ""))
            if first_only:
                break
        return hits
