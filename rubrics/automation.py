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

# Utterance intents (scoring.intents, a classifier per turn) a rule may use beside its phrases:
# id -> (zh label, en label, zh meaning, en meaning). A unit test checks scoring.intents.INTENTS agrees.
INTENTS: dict[str, tuple[str, str, str, str]] = {
    "identity_request": ("要求核实身份", "identity request", "坐席询问身份信息（姓名、证件号、服务密码、验证码）", "the agent asks for identifying details"),
    "identity_confirmed": ("身份核实通过", "identity confirmed", "坐席说明身份核实已通过", "the agent states the check passed"),
    "account_action": ("账户操作", "account action", "坐席正在办理或读出账户/订单信息（复述资料、改设置、办理/变更/取消业务、登记工单、退款、远程操作、扣款）", "the agent performs or reads out something on the account or order now"),
    "problem_statement": ("客户陈述问题", "problem statement", "客户描述问题或未满足的需求", "the customer describes a problem or unmet need"),
    "dissatisfaction": ("客户不满", "dissatisfaction", "客户表达不满、抱怨（含反讽、威胁投诉）", "customer displeasure or complaint, sarcasm and threats included"),
    "empathy": ("安抚致歉", "empathy", "坐席致歉或体谅客户感受", "the agent apologises or acknowledges feelings"),
    "hold_announcement": ("请客户等待", "hold announcement", "坐席请客户稍等", "the agent asks the customer to wait"),
    "thanks_for_waiting": ("感谢等待", "thanks for waiting", "坐席感谢客户等待", "the agent thanks the customer for waiting"),
    "closing_question": ("询问其他需求", "closing question", "坐席询问还有没有其他问题", "the agent asks whether there is anything else"),
    "farewell": ("致谢道别", "farewell", "坐席致谢、道别", "the agent thanks the caller or says goodbye"),
}  # fmt: skip
INTENT_LOW, INTENT_HIGH = 0.6, 0.85  # defaults: a hit from p >= low; below high it needs a human look

_PHRASE_KEYS = {"any", "groups", "regex", "tokens", "synonyms", "fuzzy", "exceptions"}
_INTENT_KEYS = {"intents", "intent_low", "intent_high"}
_COMMON = {"primitive", "party"}
ALLOWED_KEYS: dict[str, set[str]] = {
    "phrase": _COMMON
    | _PHRASE_KEYS
    | _INTENT_KEYS
    | {"window", "min_distinct", "min_customer_turns", "group_intents"},
    "absence": _COMMON | _PHRASE_KEYS | _INTENT_KEYS | {"window"},
    "complaint_risk": _COMMON | _PHRASE_KEYS | _INTENT_KEYS | {"window"},
    "ordering": _COMMON
    | {"first", "first_regex", "then", "then_regex", "fuzzy", "synonyms", "exceptions"}
    | {"first_intents", "then_intents", "intent_low", "intent_high"},
    "triggered": _COMMON | {"trigger", "response", "trigger_must_include", "intent_low", "intent_high"},
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
_INTENT_LIST_KEYS = {"intents", "first_intents", "then_intents"}
_NUMBER_KEYS = {
    "fuzzy", "min_distinct", "min_customer_turns", "max_seconds", "min_overlap", "max_count", "min_cpm",
    "max_cpm", "min_wpm", "max_wpm", "min_seconds", "min_share", "max_share", "turns", "end_min",
    "after_turns", "sentiment_below", "silence_over", "first_turns", "first_seconds", "last_turns",
    "intent_low", "intent_high",
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
                    (
                        kp,
                        f"自动评分设置中有未知参数 {repr(k)[:60]}",
                        f"unknown automation parameter {repr(k)[:60]}",
                    )
                )
                continue
            if k in _INTENT_LIST_KEYS or k == "group_intents":
                problems.extend(_check_intents(kp, k, v))
            elif k in _LIST_KEYS and not (isinstance(v, list) and all(isinstance(x, str) for x in v)):
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
    lo, hi = spec.get("intent_low", INTENT_LOW), spec.get("intent_high", INTENT_HIGH)
    for k, v in (("intent_low", lo), ("intent_high", hi)):
        if isinstance(v, int | float) and not isinstance(v, bool) and v > 1:
            problems.append((f"{path}.{k}", f"{k} 必须在 0 到 1 之间", f"{k} must be between 0 and 1"))
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lo, hi)) and lo > hi:
        problems.append(
            (
                f"{path}.intent_low",
                "intent_low 不能大于 intent_high",
                "intent_low must not exceed intent_high",
            )
        )
    return problems


def _check_intents(kp: str, k: str, v: object) -> list[tuple[str, str, str]]:
    """``intents`` (a list of intent ids) or ``group_intents`` (a list of such lists)."""
    lists = v if k == "group_intents" and isinstance(v, list) else [v]
    if k == "group_intents" and not isinstance(v, list):
        return [
            (kp, "group_intents 必须是意图列表的列表", "group_intents must be a list of lists of intents")
        ]
    out: list[tuple[str, str, str]] = []
    for one in lists:
        if not (isinstance(one, list) and all(isinstance(x, str) for x in one)):
            out.append((kp, f"{k} 必须是意图名称列表", f"{k} must be a list of intent names"))
            continue
        for x in one:
            if x not in INTENTS:
                known = ", ".join(INTENTS)
                out.append(
                    (
                        kp,
                        f"未知意图 {repr(x)[:60]}（可用: {known}）",
                        f"unknown intent {repr(x)[:60]} (available: {known})",
                    )
                )
    return out
