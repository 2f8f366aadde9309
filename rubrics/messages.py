"""Language-neutral messages: a code plus parameters, rendered in one language when shown.

Domain packages and services return :class:`Message` values instead of text; whoever shows them
(the web layer in the reader's language, a CLI in the language asked for) calls :func:`render`.
Every package registers its codes with :func:`register` as ``code -> (zh template, en template)``
(``str.format`` syntax). Besides the usual format specs (``{seconds:.1f}``) templates know:

* ``{party:@party}``: the parameter names a term; it is rendered as the message ``party.<value>``
  (坐席 / agent), so stored parameters stay codes (``"agent"``);
* a parameter that is a list is joined with the language's separator (``、`` / ``, ``); the spec
  ``;`` joins with ``；`` / ``; `` instead (``{groups:;}``);
* a parameter that is itself a :class:`Message` (or its dict form) is rendered in the same language;
  a ``{"zh": ..., "en": ...}`` mapping is a ready pair (e.g. rubric validation issues).

Quotes (rubric phrases, transcript text, names) are passed as plain strings and shown as they are.
Pure Python: used by rubrics, scoring and qa_app alike.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

LANGS: tuple[str, ...] = ("zh", "en")

CATALOGUE: dict[str, dict[str, str]] = {}

_SEPARATORS = {"": ("、", ", "), ",": ("、", ", "), ";": ("；", "; ")}


def join(parts: list[str] | tuple[str, ...], lang: str | None, spec: str = "") -> str:
    """Join texts with the language's list separator (``、`` / ``, ``; ``spec`` ``;``: ``；`` / ``; ``)."""
    zh, en = _SEPARATORS.get(spec, _SEPARATORS[""])
    return (en if lang_of(lang) == "en" else zh).join(parts)


def lang_of(lang: str | None) -> str:
    """``en``, ``en-US``, ``en_GB`` -> ``en``; anything else -> ``zh`` (the product's first language)."""
    return "en" if (lang or "").lower().startswith("en") else "zh"


@dataclass(frozen=True, slots=True)
class Message:
    """A message code with parameters (numbers, codes, quotes, nested messages)."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, lang: str = "zh") -> str:
        return render(self, lang)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "params": {k: _param_to_json(v) for k, v in self.params.items()}}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Message:
        params = d.get("params") or {}
        return cls(str(d["code"]), {str(k): _param_from_json(v) for k, v in params.items()})

    def __str__(self) -> str:  # logs, exception text: English
        return render(self, "en")


def msg(code: str, /, **params: Any) -> Message:
    """``msg("silence.over_limit", count=2, limit=10)``."""
    return Message(code, params)


def _param_to_json(v: Any) -> Any:
    if isinstance(v, Message):
        return v.to_dict()
    if isinstance(v, list | tuple):
        return [_param_to_json(x) for x in v]
    if isinstance(v, Mapping):
        return {str(k): _param_to_json(x) for k, x in v.items()}
    return v


def _param_from_json(v: Any) -> Any:
    if isinstance(v, Mapping) and "code" in v and set(v) <= {"code", "params"}:
        return Message.from_dict(v)
    if isinstance(v, list):
        return [_param_from_json(x) for x in v]
    return v


def from_stored(value: Any) -> Message | str:
    """A stored note: a Message dict -> Message; anything else (old rows: plain text) -> str."""
    if isinstance(value, Message):
        return value
    if isinstance(value, Mapping) and "code" in value:
        return Message.from_dict(value)
    return "" if value is None else str(value)


def register(entries: Mapping[str, tuple[str, str]]) -> None:
    """Add ``code -> (zh, en)`` templates; registering the same code with other text is an error."""
    for code, (zh, en) in entries.items():
        new = {"zh": zh, "en": en}
        old = CATALOGUE.get(code)
        if old is not None and old != new:
            raise ValueError(f"message code {code!r} registered twice with different text")
        CATALOGUE[code] = new


def is_pair(value: Any) -> bool:
    return isinstance(value, Mapping) and bool(value) and set(value) <= set(LANGS)


class _Formatter(string.Formatter):
    def __init__(self, lang: str, strict: bool) -> None:
        self.lang = lang
        self.strict = strict

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec.startswith("@"):
            term = f"{format_spec[1:]}.{value}"
            if term not in CATALOGUE and not self.strict:
                return str(value)
            return render(Message(term), self.lang, strict=self.strict)
        if isinstance(value, Message) or (isinstance(value, Mapping) and "code" in value):
            return render(value, self.lang, strict=self.strict)
        if is_pair(value):
            return str(value.get(self.lang) or next(iter(value.values())) or "")
        if isinstance(value, list | tuple):
            return join([self.format_field(v, "") for v in value], self.lang, format_spec)
        return super().format_field(value, format_spec)


_SPACES = re.compile(r"(?<=\S) {2,}(?=\S)")


def render(value: Any, lang: str | None = "zh", *, strict: bool = False) -> str:
    """Text of a Message (or its dict form, a zh/en pair, plain text) in ``lang`` (zh or en).

    Plain strings (old stored notes, quotes) are returned unchanged. An unknown code or a template
    that does not fit its parameters never raises: the code and parameters are shown instead
    (``strict=True``, for tests, raises instead).
    """
    lang = lang_of(lang)
    if value is None:
        return ""
    if isinstance(value, Mapping) and "code" in value:
        value = Message.from_dict(value)
    if is_pair(value):
        return str(value.get(lang) or next(iter(value.values())) or "")
    if not isinstance(value, Message):
        return str(value)
    entry = CATALOGUE.get(value.code)
    if entry is None:
        if strict:
            raise KeyError(f"unknown message code {value.code!r}")
        return f"{value.code} {dict(value.params)}" if value.params else value.code
    try:
        text = _Formatter(lang, strict).vformat(entry[lang], (), dict(value.params))
    except (KeyError, IndexError, ValueError, TypeError, AttributeError):
        if strict:
            raise
        return f"{entry[lang]} {dict(value.params)}"
    # an empty term (the English "any party") leaves a double space behind
    return _SPACES.sub(" ", text).strip() if lang == "en" else text


def fields(template: str) -> set[str]:
    """Parameter names a template uses (for catalogue checks)."""
    return {
        name.split(".")[0].split("[")[0] for _t, name, _s, _c in string.Formatter().parse(template) if name
    }


def terms(template: str) -> set[str]:
    """Term prefixes (``@party``) a template uses."""
    return {
        spec[1:]
        for _t, name, spec, _c in string.Formatter().parse(template)
        if name and spec and spec.startswith("@")
    }


# Terms shared by every package.
register(
    {
        "party.agent": ("坐席", "agent"),
        "party.customer": ("客户", "customer"),
        "party.any": ("双方", ""),
        "party.call": ("双方", ""),
    }
)
