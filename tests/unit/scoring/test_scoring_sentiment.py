"""Sentiment port: cheap lexicon fake, calibration with a fake base, one real snownlp check."""

from __future__ import annotations

import pytest
from scoring_helpers import make_call

from scoring.sentiment import (
    CalibratedSentiment,
    FixedSentiment,
    LexiconSentiment,
    SentimentAnalyzer,
    create,
    cue_features,
    precompute,
)

GREETING = "您好，这里是客服中心，请问有什么可以帮您？"


def test_lexicon_is_neutral_on_service_phrasing_and_handles_negation():
    lex = LexiconSentiment()
    assert lex.score(GREETING) == pytest.approx(0.5)
    assert lex.score("我对你们的服务很不满意") < 0.2  # 不满意 wins over 满意
    assert lex.score("太好了，问题解决了，谢谢") > 0.9
    assert lex.score("不好意思") == pytest.approx(0.5)  # an apology, not 不好
    assert lex.score("我要投訴") < 0.2  # traditional characters


def test_cue_features():
    total, neg, pos, service = cue_features("请问怎么回事，太慢了")
    assert neg > 0 and pos == 0 and total < 0 and service


class FakeSnow:
    name = "fake-snow"

    def __init__(self, value: float) -> None:
        self.value = value

    def score(self, text: str) -> float:
        return self.value


def test_calibration_damps_snownlp_on_neutral_service_lines():
    cal = CalibratedSentiment(base=FakeSnow(0.014))  # what snownlp says about the greeting
    assert cal.score(GREETING) > 0.25
    assert cal.score("气死了，我要投诉") < cal.score(GREETING)
    assert CalibratedSentiment(base=FakeSnow(0.99)).score("非常满意，谢谢") > 0.9
    assert cal.score("") == 0.5


def test_protocol_and_factory():
    assert isinstance(LexiconSentiment(), SentimentAnalyzer)
    assert create("lexicon").name == "lexicon"
    with pytest.raises(ValueError):
        create("bert")


def test_precompute_only_customer_turns_by_segment_id():
    t = make_call(("A", 0, 2, "您好"), ("C", 3, 5, "气死了"), ("C", 6, 7, "谢谢"))
    scores = precompute(t, FixedSentiment({"气死了": 0.1}, default=0.7))
    assert scores == {1: 0.1, 2: 0.7}


def test_real_snownlp_calibrated():
    """The one test that loads snownlp (about 2.5 s)."""
    cal = CalibratedSentiment()
    raw = cal.base.score(GREETING)
    assert raw < 0.05  # the review model calls a neutral greeting negative
    assert cal.score(GREETING) > raw + 0.2
    assert cal.score("你们这服务太差了，我要投诉") < 0.2
    assert cal.score("问题解决了，非常感谢") > 0.8
