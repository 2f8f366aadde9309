"""Text normalisation that makes phrase rules robust to ASR output.

- traditional -> simplified (character table from zhconv, applied with ``str.translate``:
  ~1 us per turn instead of ~12 us for ``zhconv.convert``),
- Chinese digits (一二三 / 幺 / 〇) -> 0-9, so 一二三一五 and 12315 match,
- full-width -> half-width, lower-case,
- punctuation and spaces between Chinese characters removed (ASR output often has none).

Phrases in a rubric go through the same function, so matching is consistent.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from functools import lru_cache

_DIGITS = {"零": "0", "〇": "0", "一": "1", "幺": "1", "二": "2", "三": "3", "四": "4", "五": "5"}
_DIGITS.update({"六": "6", "七": "7", "八": "8", "九": "9", "两": "2"})

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_NON_WORD_RE = re.compile(rf"[^0-9a-z{_CJK}]+")
_SPACE_AROUND_CJK_RE = re.compile(rf"(?<=[{_CJK}0-9]) (?=[{_CJK}])|(?<=[{_CJK}]) (?=[{_CJK}0-9])")
_CJK_CHAR_RE = re.compile(rf"[{_CJK}]")
_LATIN_WORD_RE = re.compile(r"[a-z0-9']+")


@lru_cache(maxsize=1)
def _table() -> dict[int, str]:
    """Traditional->simplified single-character table plus digits (built once, lazily)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zhconv imports pkg_resources (deprecated)
        from zhconv import zhconv

        conv = zhconv.getdict("zh-cn")
    table = {ord(k): v for k, v in conv.items() if len(k) == 1 and len(v) == 1 and k != v}
    for k, v in _DIGITS.items():
        table[ord(k)] = v
    return table


def to_simplified(text: str) -> str:
    """Traditional -> simplified (character level, fast); digits untouched."""
    table = _table()
    return "".join(table.get(ord(ch), ch) if ch not in _DIGITS else ch for ch in text)


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """Canonical matching form of a turn or a phrase (see module docstring)."""
    t = unicodedata.normalize("NFKC", text).lower().translate(_table())
    t = _NON_WORD_RE.sub(" ", t).strip()
    return _SPACE_AROUND_CJK_RE.sub("", t)


def count_latin_words(text: str) -> int:
    return len(_LATIN_WORD_RE.findall(text.lower()))


def is_latin(phrase: str) -> bool:
    return not _CJK_CHAR_RE.search(phrase)


def spoken_units(text: str) -> float:
    """Chinese characters plus English words x 1.5 (a Chinese-equivalent length)."""
    return len(_CJK_CHAR_RE.findall(text)) + 1.5 * len(_LATIN_WORD_RE.findall(text.lower()))


BACKCHANNELS: frozenset[str] = frozenset(
    {
        "嗯", "嗯嗯", "嗯嗯嗯", "啊", "哦", "噢", "喔", "呃", "好", "好的", "好好", "对", "对对", "对对对", "是",
        "是的", "是是", "行", "可以", "没问题", "明白", "知道了", "ok", "okay", "yeah", "yes", "uh huh", "mhm",
        "right", "sure", "i see", "hmm", "mm", "嗯好", "哦哦", "嗯对", "好嘞",
    }
)  # fmt: skip


def is_backchannel(norm_text: str, max_chars: int = 4) -> bool:
    """Short acknowledgements (嗯 / 好的 / 对) that do not count as taking the turn."""
    t = norm_text.strip()
    if not t:
        return True
    return t in BACKCHANNELS or (len(t) <= max_chars and all(ch in "嗯啊哦噢喔呃好对是行" for ch in t))
