"""Text clean-up for ASR output: Simplified Chinese, repetition-loop collapse."""

from __future__ import annotations

import gc
import re
import warnings
from collections.abc import Sequence

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

# A unit of 1..8 characters repeated 4+ times in a row is a decoder loop on CPU
# (e.g. 计计计计…, 我们我们我们我们…); real speech rarely says anything 4 times.
_RUN = re.compile(r"(.{1,8}?)\1{3,}", re.DOTALL)
MIN_REPEATS = 4


def to_simplified(text: str) -> str:
    """Traditional -> Simplified Chinese (Whisper often answers in Traditional)."""
    if not text or not _CJK.search(text):
        return text
    return _zhconv().convert(text, "zh-hans")


def _zhconv():  # noqa: ANN202
    """Import zhconv and load its dictionary once, quietly: it imports the deprecated
    pkg_resources and leaves its dictionary file open (ResourceWarning)."""
    global _ZHCONV
    if _ZHCONV is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import zhconv

            zhconv.convert("漢", "zh-hans")
            gc.collect()
        _ZHCONV = zhconv
    return _ZHCONV


_ZHCONV = None


def collapse_repeats(text: str) -> str:
    """Collapse any 1..8-character unit repeated 4+ times into one occurrence."""
    prev = None
    while prev != text:
        prev = text
        text = _RUN.sub(r"\1", text)
    return text


def repeated_run_mask(units: Sequence[str], max_unit: int = 8, min_repeats: int = MIN_REPEATS) -> list[bool]:
    """Return keep-flags for a token sequence, dropping all but the first copy of
    any n-gram (n <= max_unit) repeated ``min_repeats``+ times consecutively."""
    keys = [u.strip().lower() for u in units]
    keep = [True] * len(keys)
    i = 0
    n_total = len(keys)
    while i < n_total:
        jumped = False
        for n in range(1, max_unit + 1):
            if i + n * min_repeats > n_total:
                break
            gram = keys[i : i + n]
            if not any(gram):
                continue
            reps = 1
            while keys[i + reps * n : i + (reps + 1) * n] == gram:
                reps += 1
            if reps >= min_repeats:
                for k in range(i + n, i + reps * n):
                    keep[k] = False
                i += reps * n
                jumped = True
                break
        if not jumped:
            i += 1
    return keep


def collapse_word_repeats(texts: Sequence[str], min_repeats: int = MIN_REPEATS) -> list[str]:
    """Remove decoder loops from a word sequence whose tokens need not align with the
    repeated unit (e.g. "酒", "子酒", "子酒", ...).  Works on the concatenated characters;
    returns the new word texts in order, "" for words that were entirely removed."""
    chars: list[str] = []
    owner: list[int] = []
    for i, t in enumerate(texts):
        chars.extend(t)
        owner.extend([i] * len(t))
    joined = "".join(chars)
    drop = [False] * len(chars)
    pattern = re.compile(r"(\S.{0,7}?)\1{" + str(min_repeats - 1) + ",}", re.DOTALL)
    for m in pattern.finditer(joined):
        unit = len(m.group(1))
        for k in range(m.start() + unit, m.end()):
            drop[k] = True
    if not any(drop):
        return list(texts)
    out = [""] * len(texts)
    for ch, i, d in zip(chars, owner, drop, strict=True):
        if not d:
            out[i] += ch
    return out


def join_words(texts: Sequence[str]) -> str:
    """Join word texts: faster-whisper words carry their own leading spaces."""
    return re.sub(r"\s+", " ", "".join(texts)).strip()
