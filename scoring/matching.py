"""Compiled phrase sets: exact (one regex alternation), synonyms, regex, jieba tokens, fuzzy.

Fuzzy matching uses rapidfuzz ``partial_ratio`` on phrases of 4+ characters, with a character
bigram prefilter so the fuzzy pass only runs on turns that share some of the phrase.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

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

    def describe(self, limit: int = 4) -> str:
        shown = list(self.phrases[:limit])
        more = len(self.phrases) - len(shown)
        return "、".join(shown) + (f" …(+{more})" if more > 0 else "")

    def _text(self, ctx: Any, i: int) -> str:
        t = ctx.norm[i]
        if self._exceptions is not None:
            t = self._exceptions.sub(lambda m: "|" * len(m.group(0)), t)
        return t

    def find(
        self, ctx: Any, indices: Iterable[int], *, fuzzy: bool = True, first_only: bool = False
    ) -> list[Hit]:
        """Hits in the given turns (each phrase at most once per turn), in turn order."""
        hits: list[Hit] = []
        idx = list(indices)
        for i in idx:
            t = self._text(ctx, i)
            found: set[str] = set()
            if self._exact is not None:
                for m in self._exact.finditer(t):
                    canon, kind = self._canon[m.group(0)]
                    if canon not in found:
                        found.add(canon)
                        hits.append(Hit(i, canon, kind, 100.0, m.start(), m.group(0)))
            for rx in self._regexes:
                m = rx.search(t)
                if m and rx.pattern not in found:
                    found.add(rx.pattern)
                    hits.append(Hit(i, rx.pattern, "regex", 100.0, m.start(), m.group(0)))
            if self._tokens:
                toks = ctx.tokens(i)
                for phrase in self._tokens:
                    parts = [normalize(p) for p in phrase.split()]
                    if parts and all(p in toks for p in parts) and phrase not in found:
                        found.add(phrase)
                        hits.append(Hit(i, phrase, "tokens", 100.0, t.find(parts[0]), phrase))
            if first_only and hits:
                return hits
        if fuzzy and self._fuzzy_targets:
            exact_keys = {(h.index, h.phrase) for h in hits}
            for i in idx:
                t = self._text(ctx, i)
                bg = ctx.bigrams(i)
                for n, canon, pbg, thr in self._fuzzy_targets:
                    if (i, canon) in exact_keys or len(pbg & bg) < max(1, len(pbg) - 4):
                        continue
                    al = fuzz.partial_ratio_alignment(n, t, score_cutoff=thr)
                    if al is not None and al.score >= thr:
                        exact_keys.add((i, canon))
                        hits.append(
                            Hit(i, canon, "fuzzy", al.score, al.dest_start, t[al.dest_start : al.dest_end])
                        )
                        if first_only:
                            return hits
            hits.sort(key=lambda h: (h.index, h.pos))
        return hits

    def best_near_miss(self, ctx: Any, indices: Iterable[int], floor: float = 60.0) -> float:
        """Best fuzzy score below the threshold (for lowering confidence of a 'not found')."""
        best = 0.0
        for i in indices:
            t = ctx.norm[i]
            for n, _canon, _pbg, thr in self._fuzzy_targets:
                s = fuzz.partial_ratio(n, t, score_cutoff=floor)
                if s < thr:
                    best = max(best, s)
        return best
