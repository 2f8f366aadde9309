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
