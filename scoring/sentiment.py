"""Sentiment port: per-turn positivity 0..1 (0.5 = neutral), computed once per segment.

- :class:`LexiconSentiment`: service-dialogue cue lexicon only; cheap and deterministic (the test
  fake and the engine's default when no analyzer is given).
- :class:`SnowNLPSentiment`: raw snownlp (trained on product reviews: the neutral greeting
  「您好，这里是客服中心，请问有什么可以帮您？」 scores 0.014).
- :class:`CalibratedSentiment`: snownlp + the cue lexicon + damping of neutral service phrases,
  combined by a logistic calibration fitted offline (``bench/fit_sentiment.py``; coefficients in
  ``scoring/sentiment_calibration.json``). Not fitted on the ChnSentiCorp dev set used to measure it.

snownlp loads its model at import (~2.5 s), so it is imported lazily on first use.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from importlib import resources
from typing import Protocol, runtime_checkable

from scoring.text import normalize, to_simplified
from transcription.types import Transcript


@runtime_checkable
class SentimentAnalyzer(Protocol):
    """Scores one text: 0 = negative, 0.5 = neutral, 1 = positive."""

    name: str

    def score(self, text: str) -> float: ...


# Cue weights (log-odds). Longest match wins, so 不满意 beats 满意 and 不好意思 (an apology) beats 不好.
NEGATIVE_CUES: dict[str, float] = {
    "生气": 2.0, "气死": 2.5, "太慢": 1.5, "太差": 2.0, "差劲": 2.0, "不满意": 2.0, "投诉": 2.0,
    "怎么回事": 1.5, "怎么搞的": 1.8, "搞什么": 1.8, "乱扣": 2.0, "多扣": 1.5, "扣了我": 1.5,
    "莫名其妙": 1.8, "烦死": 2.0, "真烦": 1.8, "失望": 2.0, "坑人": 2.0, "骗人": 2.2, "骗子": 2.2,
    "受不了": 2.0, "不合理": 1.5, "凭什么": 1.8, "垃圾": 2.5, "无语": 1.5, "没用": 1.5, "还没好": 1.5,
    "还没解决": 2.0, "没解决": 1.8, "一直没": 1.5, "好几次": 1.2, "不行": 1.0, "太离谱": 2.0, "离谱": 1.5,
    "糟糕": 1.8, "故障": 0.8, "坏了": 1.0, "打不通": 1.0, "上不了网": 1.0, "没信号": 1.0, "半天": 0.8,
    "等了": 0.6, "12315": 2.0, "工信部": 2.0, "曝光": 2.0, "律师": 1.8, "消协": 2.0, "算了": 1.2,
    "什么破": 2.0, "破网": 2.0, "着急": 1.0, "急死": 2.0, "太贵": 1.2, "不想用": 1.2, "退订": 0.8,
    "销户": 1.2, "再也不": 1.8, "态度差": 2.2, "不耐烦": 1.5, "不靠谱": 1.8, "不可能": 0.8,
    "什么态度": 2.0, "乱收费": 2.0, "没有信号": 1.0, "不想再说": 1.8, "能不能行": 1.5, "老是": 0.8, "断网": 1.0, "annoyed": 1.8, "annoying": 1.8,
    "angry": 2.0, "terrible": 2.0, "awful": 2.0, "ridiculous": 2.0, "unacceptable": 2.0,
    "frustrated": 2.0, "frustrating": 1.8, "upset": 1.8, "disappointed": 2.0, "complaint": 1.8,
    "worst": 2.2, "useless": 2.0, "not working": 1.2, "doesnt work": 1.2, "still not": 1.2,
    "overcharged": 1.8, "cancel my": 1.2, "lawyer": 1.8, "waste of time": 2.0, "fed up": 2.0,
}  # fmt: skip
POSITIVE_CUES: dict[str, float] = {
    "谢谢": 1.2, "感谢": 1.2, "多谢": 1.2, "解决了": 2.0, "满意": 1.8, "太好了": 2.0, "不错": 1.5,
    "明白了": 1.0, "清楚了": 1.0, "可以了": 1.0, "好了": 0.6, "行了": 0.5, "麻烦你了": 1.0,
    "辛苦": 1.0, "非常好": 2.0, "很好": 1.5, "很快": 1.2, "方便": 0.8, "挺好": 1.5, "没问题": 0.8,
    "好的": 0.4, "专业": 1.2, "耐心": 1.2, "帮了大忙": 2.0, "放心了": 1.5, "理解": 0.5,
    "thank": 1.2, "thanks": 1.2, "great": 1.5, "perfect": 1.8, "solved": 1.8, "resolved": 1.8,
    "appreciate": 1.5, "awesome": 1.8, "helpful": 1.5, "wonderful": 1.8, "excellent": 1.8,
}  # fmt: skip
NEUTRAL_CUES: tuple[str, ...] = ("不好意思", "不客气", "没关系", "问题不大")
# Service-dialogue phrasing on which snownlp's review model is unreliable (damped toward 0.5).
SERVICE_PATTERNS: tuple[str, ...] = (
    "您好", "请问", "帮您", "为您", "给您", "稍等", "查询", "查一下", "办理", "号码", "工号", "客服",
    "核实", "身份证", "验证码", "机主", "后四位", "套餐", "流量", "话费", "账单", "宽带", "短信", "业务",
    "咨询", "问一下", "营业厅", "副卡", "密码", "充值", "到账", "开通", "生效",
)  # fmt: skip
SHORT_TURN = 15  # characters: snownlp is least reliable on short conversational turns


@lru_cache(maxsize=1)
def _cue_regex() -> tuple[re.Pattern[str], dict[str, float]]:
    weights: dict[str, float] = {}
    for p, w in NEGATIVE_CUES.items():
        weights[normalize(p)] = -w
    for p, w in POSITIVE_CUES.items():
        weights.setdefault(normalize(p), w)
    for p in NEUTRAL_CUES:
        weights[normalize(p)] = 0.0
    alts = sorted(weights, key=len, reverse=True)
    return re.compile("|".join(re.escape(a) for a in alts)), weights


@lru_cache(maxsize=1)
def _service_regex() -> re.Pattern[str]:
    return re.compile("|".join(re.escape(normalize(p)) for p in SERVICE_PATTERNS))


def cue_features(text: str) -> tuple[float, float, float, bool]:
    """(sum of cue weights, negative weight, positive weight, service phrasing) for a text."""
    rx, weights = _cue_regex()
    t = normalize(text)
    neg = pos = 0.0
    for m in rx.finditer(t):
        w = weights[m.group(0)]
        if w < 0:
            neg += -w
        else:
            pos += w
    return pos - neg, neg, pos, bool(_service_regex().search(t))


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


class LexiconSentiment:
    """Cue lexicon only: fast, deterministic, no model (use in tests and as the cheap default)."""

    name = "lexicon"

    def score(self, text: str) -> float:
        total, _neg, _pos, _service = cue_features(text)
        return _sigmoid(1.2 * total)


class FixedSentiment:
    """Test fake: fixed scores for given texts, ``default`` otherwise."""

    name = "fixed"

    def __init__(self, scores: Mapping[str, float] | None = None, default: float = 0.5) -> None:
        self.scores = dict(scores or {})
        self.default = default

    def score(self, text: str) -> float:
        return self.scores.get(text, self.default)


class SnowNLPSentiment:
    """Raw snownlp sentiment (product-review model), imported lazily."""

    name = "snownlp"

    def __init__(self, simplify: bool = True) -> None:
        self.simplify = simplify
        self._cls = None

    def _snow(self):  # noqa: ANN202 - snownlp has no type hints
        if self._cls is None:
            from snownlp import SnowNLP

            self._cls = SnowNLP
        return self._cls

    def score(self, text: str) -> float:
        t = to_simplified(text) if self.simplify else text
        if not t.strip():
            return 0.5
        return float(self._snow()(t).sentiments)


FEATURES: tuple[str, ...] = (
    "bias",
    "snow_logit",
    "snow_logit_service",
    "snow_logit_short",
    "cues",
    "has_cue",
    "service",
)


def features(raw_snownlp: float, text: str) -> list[float]:
    """Calibration features for one text given its raw snownlp score."""
    p = min(max(raw_snownlp, 1e-4), 1 - 1e-4)
    logit = math.log(p / (1 - p)) / 4.0
    total, neg, pos, service = cue_features(text)
    has_cue = 1.0 if (neg or pos) else 0.0
    svc = 1.0 if service else 0.0
    short = 1.0 if len(normalize(text)) <= SHORT_TURN else 0.0
    return [1.0, logit, logit * svc, logit * short, total, has_cue, svc]


@lru_cache(maxsize=1)
def _default_coefficients() -> tuple[float, ...]:
    data = json.loads(resources.files("scoring").joinpath("sentiment_calibration.json").read_text("utf-8"))
    return tuple(float(data["coefficients"][f]) for f in FEATURES)


class CalibratedSentiment:
    """snownlp + service-dialogue cues + neutral damping, through a fitted logistic calibration."""

    name = "calibrated"

    def __init__(
        self, base: SentimentAnalyzer | None = None, coefficients: Sequence[float] | None = None
    ) -> None:
        self.base = base or SnowNLPSentiment()
        self.coefficients = tuple(coefficients) if coefficients is not None else _default_coefficients()

    def score(self, text: str) -> float:
        if not normalize(text):
            return 0.5
        x = features(self.base.score(text), text)
        return _sigmoid(sum(w * v for w, v in zip(self.coefficients, x, strict=True)))


def create(name: str = "calibrated") -> SentimentAnalyzer:
    """Analyzer by name: calibrated (default), snownlp, lexicon."""
    if name == "calibrated":
        return CalibratedSentiment()
    if name == "snownlp":
        return SnowNLPSentiment()
    if name in ("lexicon", "fake"):
        return LexiconSentiment()
    raise ValueError(f"unknown sentiment analyzer {name!r}; use calibrated, snownlp or lexicon")


def precompute(
    transcript: Transcript, analyzer: SentimentAnalyzer, roles: Iterable[str] = ("customer",)
) -> dict[int, float]:
    """Score every segment of the given roles once: segment id -> 0..1."""
    wanted = set(roles)
    return {s.id: analyzer.score(s.text) for s in transcript.segments if s.role in wanted}
