"""Names of the scoring primitives a criterion's ``automation`` spec may pick.

The implementations live in :mod:`scoring.primitives` (a registry keyed by these names);
the list is kept here so a rubric can be validated without importing the scoring engine.
A unit test checks that both lists agree.
"""

from __future__ import annotations

PRIMITIVES: frozenset[str] = frozenset(
    {
        "phrase",  # required phrase(s) from a party, optionally in a window
        "absence",  # prohibited phrases (禁用语): fail when present
        "ordering",  # e.g. verification before any account action
        "triggered",  # required response only after a trigger (empathy, hold etiquette)
        "dead_air",  # silence longer than X seconds
        "overtalk",  # 抢话: overlapping speech of different parties
        "speech_rate",  # agent characters (or words) per minute
        "response_latency",  # agent response time after the customer stops
        "talk_ratio",  # agent share of talk time
        "sentiment",  # customer sentiment at start and end
        "complaint_risk",  # 投诉风险: escalation mentions (12315, 工信部, 律师 ...)
    }
)

# What each primitive does, for rubric editors (zh, en).
HELP: dict[str, tuple[str, str]] = {
    "phrase": ("要求出现的话术（任一/每组/至少N类），可限定前N句、前N秒或最后N句", "required phrases (any / every group / N kinds), optionally in a window"),
    "absence": ("禁用语：出现即不通过", "prohibited phrases: fail when present"),
    "ordering": ("先后顺序：如先核实身份再办理业务", "ordering: e.g. verify before any account action"),
    "triggered": ("触发后需回应：如客户不满后安抚、等待后致谢", "a response required after a trigger (empathy, hold etiquette)"),
    "dead_air": ("静音超过N秒", "silence longer than N seconds"),
    "overtalk": ("抢话次数", "overtalk count"),
    "speech_rate": ("语速（字/分钟，英文词/分钟）", "speech rate (characters or words per minute)"),
    "response_latency": ("坐席平均回应时间", "mean agent response latency"),
    "talk_ratio": ("坐席说话占比", "agent share of talk time"),
    "sentiment": ("客户开头与结尾情绪", "customer sentiment at the start and end"),
    "complaint_risk": ("投诉/升级风险词", "complaint and escalation mentions"),
}  # fmt: skip

_PHRASE_KEYS = {"any", "groups", "regex", "tokens", "synonyms", "fuzzy", "exceptions"}
_COMMON = {"primitive", "party"}
ALLOWED_KEYS: dict[str, set[str]] = {
    "phrase": _COMMON | _PHRASE_KEYS | {"window", "min_distinct", "min_customer_turns"},
    "absence": _COMMON | _PHRASE_KEYS | {"window"},
    "complaint_risk": _COMMON | _PHRASE_KEYS | {"window"},
    "ordering": _COMMON | {"first", "first_regex", "then", "then_regex", "fuzzy", "synonyms", "exceptions"},
    "triggered": _COMMON | {"trigger", "response", "trigger_must_include"},
    "dead_air": _COMMON | {"max_seconds", "exclude_hold"},
    "overtalk": _COMMON | {"interrupter", "min_overlap", "max_count"},
    "speech_rate": _COMMON | {"min_cpm", "max_cpm", "min_wpm", "max_wpm", "min_seconds"},
    "response_latency": _COMMON | {"max_seconds"},
    "talk_ratio": _COMMON | {"min_share", "max_share"},
    "sentiment": _COMMON | {"turns", "end_min"},
}
_LIST_KEYS = {
    "any",
    "regex",
    "tokens",
    "exceptions",
    "first",
    "first_regex",
    "then",
    "then_regex",
    "trigger_must_include",
}
_NUMBER_KEYS = {
    "fuzzy", "min_distinct", "min_customer_turns", "max_seconds", "min_overlap", "max_count", "min_cpm",
    "max_cpm", "min_wpm", "max_wpm", "min_seconds", "min_share", "max_share", "turns", "end_min",
    "after_turns", "sentiment_below", "silence_over", "first_turns", "first_seconds", "last_turns",
}  # fmt: skip
_NESTED = {"trigger", "response", "exclude_hold", "window"}


def check(spec: dict, path: str = "automation") -> list[tuple[str, str, str]]:
    """Problems in an automation spec as (path, zh, en): unknown keys, wrong types, bad regexes."""
    import re

    problems: list[tuple[str, str, str]] = []
    name = spec.get("primitive")
    allowed = ALLOWED_KEYS.get(str(name))
    if allowed is None:
        return problems  # unknown primitive is reported by the caller

    def walk(d: dict, p: str, keys: set[str] | None) -> None:
        for k, v in d.items():
            kp = f"{p}.{k}"
            if keys is not None and k not in keys:
                problems.append(
                    (kp, f"自动评分设置中有未知参数 {repr(k)[:60]}", f"unknown automation parameter {repr(k)[:60]}")
                )
                continue
            if k in _LIST_KEYS and not (isinstance(v, list) and all(isinstance(x, str) for x in v)):
                problems.append((kp, f"{k} 必须是文本列表", f"{k} must be a list of text"))
            elif k == "groups" and not (
                isinstance(v, list)
                and all(isinstance(g, list) and all(isinstance(x, str) for x in g) for g in v)
            ):
                problems.append((kp, "groups 必须是文本列表的列表", "groups must be a list of lists of text"))
            elif k in _NUMBER_KEYS and (isinstance(v, bool) or not isinstance(v, int | float) or v < 0):
                problems.append((kp, f"{k} 必须是非负数", f"{k} must be a non-negative number"))
            elif k in _NESTED:
                if not isinstance(v, dict):
                    problems.append((kp, f"{k} 必须是键值表", f"{k} must be a mapping"))
                else:
                    walk(v, kp, None)
            if k.endswith("regex") and isinstance(v, list):
                for i, rx in enumerate(v):
                    try:
                        re.compile(str(rx))
                    except re.error as e:
                        problems.append(
                            (f"{kp}[{i}]", f"正则表达式无效: {e}", f"invalid regular expression: {e}")
                        )

    walk(spec, path, allowed)
    return problems
