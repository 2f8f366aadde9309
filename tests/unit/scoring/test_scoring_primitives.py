"""Every primitive: pass, fail and (where it applies) N/A, each verdict with evidence or a search note."""

from __future__ import annotations

import pytest
from scoring_helpers import make_call, one_criterion

from rubrics.messages import render
from scoring import score
from scoring.sentiment import FixedSentiment


def english(note) -> str:
    """A note (a message) as the English UI shows it."""
    return render(note, "en")


def verdict(automation: dict, transcript, *, allow_na: bool = True, sentiment=None, **kw):
    card = score(transcript, one_criterion(automation, allow_na=allow_na, **kw), sentiment=sentiment)
    (row,) = card.criteria
    return row


def assert_evidenced(row):
    """Every verdict quotes turns (with times) or, for absence-type passes, says what was searched."""
    assert row.note
    for e in row.evidence:
        assert e.end >= e.start and e.text and e.note
    if row.result == "fail":
        assert row.evidence


GREETING = {
    "primitive": "phrase",
    "party": "agent",
    "window": {"first_turns": 1, "first_seconds": 15},
    "groups": [["您好", "你好"], ["客服", "工号"]],
}


def test_phrase_groups_in_window_pass_and_fail():
    ok = verdict(GREETING, make_call(("A", 0.5, 3, "您好，移动客服，工号1234"), ("C", 4, 6, "你好")))
    assert ok.result == "pass" and {e.segment for e in ok.evidence} == {0}
    assert_evidenced(ok)
    late = verdict(
        GREETING, make_call(("A", 0.5, 2, "喂？"), ("C", 3, 4, "喂"), ("A", 5, 8, "您好，移动客服"))
    )
    assert late.result == "fail"  # the greeting came in the second agent turn
    assert_evidenced(late)
    assert "first 1 agent turns" in english(late.note)


def test_phrase_first_seconds_window():
    spec = dict(GREETING, window={"first_seconds": 10})
    assert verdict(spec, make_call(("C", 0, 2, "喂"), ("A", 20, 23, "您好，移动客服"))).result == "fail"


def test_phrase_last_turns_and_min_distinct():
    closing = {
        "primitive": "phrase",
        "party": "agent",
        "window": {"last_turns": 1},
        "any": ["还有其他", "再见"],
    }
    t = make_call(("A", 0, 2, "还有其他问题吗"), ("C", 3, 4, "没有"), ("A", 5, 6, "好的"))
    assert verdict(closing, t).result == "fail"
    polite = {
        "primitive": "phrase",
        "party": "agent",
        "min_distinct": 2,
        "fuzzy": 0,
        "any": ["请", "谢谢", "抱歉"],
    }
    assert verdict(polite, make_call(("A", 0, 3, "请稍等"), ("A", 4, 6, "谢谢"))).result == "pass"
    one = verdict(polite, make_call(("A", 0, 3, "请稍等"), ("A", 4, 6, "请说")))
    assert one.result == "fail" and "only 1 kinds" in english(one.note)


def test_phrase_na_on_short_calls_and_no_turns():
    spec = {"primitive": "phrase", "party": "agent", "any": ["您是说"], "min_customer_turns": 3}
    row = verdict(spec, make_call(("A", 0, 2, "您好"), ("C", 3, 4, "打错了")))
    assert row.result == "na" and "only 1 customer turns" in english(row.note)
    assert (
        verdict(
            {"primitive": "phrase", "party": "agent", "any": ["您好"]}, make_call(("C", 0, 1, "喂"))
        ).result
        == "na"
    )


def test_phrase_fuzzy_match_lowers_confidence_and_flags_review():
    spec = {"primitive": "phrase", "party": "agent", "any": ["感谢您的耐心等待"]}
    row = verdict(spec, make_call(("A", 0, 3, "感谢您的耐心等代")))
    assert row.result == "pass" and row.confidence < 0.95
    assert "fuzzy" in english(row.evidence[0].note)


PROHIBITED = {
    "primitive": "absence",
    "party": "agent",
    "any": ["不清楚", "那是你的问题"],
    "exceptions": ["不清楚的地方"],
}


def test_absence_pass_says_what_was_searched():
    row = verdict(
        PROHIBITED,
        make_call(("A", 0, 2, "您好"), ("C", 3, 4, "那是你的问题"), ("A", 5, 7, "还有不清楚的地方吗")),
    )
    assert row.result == "pass" and row.evidence == ()
    assert "2 agent turns" in english(row.note) and "不清楚" in english(row.note)


def test_absence_fail_quotes_the_turn():
    row = verdict(
        PROHIBITED, make_call(("A", 0, 2, "您好"), ("A", 3, 6, "那是你的問題")), critical="evaluation"
    )
    assert row.result == "fail" and row.evidence[0].segment == 1 and row.evidence[0].text == "那是你的問題"
    assert row.needs_review  # critical failures always go to a human


VERIFY = {
    "primitive": "ordering",
    "party": "agent",
    "first": ["身份证后四位", "服务密码"],
    "then_regex": ["(帮|为)您(查询|办理)"],
    "then": ["系统显示"],
}


def test_ordering_pass_fail_na():
    ok = make_call(("A", 0, 3, "请提供身份证后四位"), ("C", 4, 5, "1234"), ("A", 6, 9, "好的，帮您查询"))
    row = verdict(VERIFY, ok)
    assert row.result == "pass" and [e.segment for e in row.evidence] == [0, 2]
    late = make_call(("A", 0, 3, "系统显示您欠费"), ("A", 4, 6, "请提供服务密码"))
    row = verdict(VERIFY, late)
    assert row.result == "fail" and row.evidence[0].segment == 0 and "before verification" in english(row.note)
    none = make_call(("A", 0, 3, "系统显示您欠费"))
    assert "without any verification" in english(verdict(VERIFY, none).note)
    na = verdict(VERIFY, make_call(("A", 0, 3, "宽带资费是每月九十九元")))
    assert na.result == "na" and "no account action" in english(na.note)


def test_ordering_same_turn_uses_character_order():
    t = make_call(("A", 0, 5, "请提供服务密码，我帮您查询"))
    assert verdict(VERIFY, t).result == "pass"
    t = make_call(("A", 0, 5, "我帮您查询，请提供服务密码"))
    assert verdict(VERIFY, t).result == "fail"


EMPATHY = {
    "primitive": "triggered",
    "trigger": {"party": "customer", "any": ["太慢", "生气"], "sentiment_below": 0.1},
    "response": {"party": "agent", "after_turns": 2, "any": ["抱歉", "理解您"]},
}


def test_triggered_na_pass_fail():
    calm = make_call(("C", 0, 2, "我想查话费"), ("A", 3, 5, "好的"))
    row = verdict(EMPATHY, calm)
    assert row.result == "na" and "no trigger" in english(row.note)
    t = make_call(("C", 0, 2, "网速太慢了"), ("A", 3, 5, "请提供号码"), ("A", 6, 8, "非常抱歉"))
    row = verdict(EMPATHY, t)
    assert row.result == "pass" and [e.segment for e in row.evidence] == [0, 2]
    t = make_call(
        ("C", 0, 2, "网速太慢了"), ("A", 3, 5, "请提供号码"), ("A", 6, 8, "好的"), ("A", 9, 10, "抱歉")
    )
    row = verdict(EMPATHY, t)
    assert row.result == "fail" and row.evidence[0].segment == 0


def test_triggered_by_sentiment_score():
    t = make_call(("C", 0, 2, "我真的是服了"), ("A", 3, 5, "好的"))
    row = verdict(EMPATHY, t, sentiment=FixedSentiment({"我真的是服了": 0.02}))
    assert row.result == "fail" and "negative sentiment" in english(row.evidence[0].note)
    assert row.confidence < 0.6 and row.needs_review  # sentiment-only triggers are uncertain


HOLD = {
    "primitive": "triggered",
    "trigger": {"party": "agent", "any": ["稍等", "等一下"]},
    "trigger_must_include": ["请", "您"],
    "response": {"party": "agent", "after_turns": 2, "any": ["久等", "耐心等待"]},
}


def test_hold_etiquette():
    good = make_call(("A", 0, 2, "请您稍等"), ("A", 30, 33, "感谢您的耐心等待"))
    assert verdict(HOLD, good).result == "pass"
    rude = make_call(("A", 0, 2, "等一下"), ("A", 30, 33, "感谢您的耐心等待"))
    row = verdict(HOLD, rude)
    assert row.result == "fail" and "without asking" in english(row.note)
    no_thanks = make_call(("A", 0, 2, "请您稍等"), ("A", 30, 33, "系统显示"))
    assert verdict(HOLD, no_thanks).result == "fail"
    assert verdict(HOLD, make_call(("A", 0, 2, "您好"))).result == "na"


DEAD_AIR = {"primitive": "dead_air", "max_seconds": 10, "exclude_hold": {"any": ["稍等"], "max_seconds": 60}}


def test_dead_air():
    row = verdict(DEAD_AIR, make_call(("A", 20, 22, "您好"), ("C", 23, 24, "你好")))
    assert row.result == "pass"  # silence before the first turn does not count
    assert_evidenced(row)
    row = verdict(DEAD_AIR, make_call(("A", 0, 2, "您好"), ("C", 14.5, 16, "喂？")))
    assert row.result == "fail" and row.evidence[0].start == 2 and row.evidence[0].end == 14.5
    assert "12.5" in english(row.evidence[0].text)
    held = make_call(("A", 0, 2, "请您稍等"), ("A", 40, 42, "让您久等了"))
    row = verdict(DEAD_AIR, held)
    assert row.result == "pass" and "announced hold" in english(row.evidence[0].note)
    too_long = make_call(("A", 0, 2, "请您稍等"), ("A", 100, 102, "让您久等了"))
    assert verdict(DEAD_AIR, too_long).result == "fail"


OVERTALK = {"primitive": "overtalk", "interrupter": "agent", "min_overlap": 1.0, "max_count": 0}


def test_overtalk_ignores_backchannels_and_customer_interruptions():
    t = make_call(("C", 0, 5, "我上个月的话费有问题"), ("A", 3, 6, "嗯嗯"), ("A", 7, 9, "您说"))
    assert verdict(OVERTALK, t).result == "pass"
    t = make_call(("A", 0, 5, "我来给您解释一下"), ("C", 3, 6, "我不要听解释"))
    assert verdict(OVERTALK, t).result == "pass"  # the customer interrupted
    t = make_call(("C", 0, 5, "我上个月的话费有问题"), ("A", 3, 7, "您是说话费不对吗"))
    row = verdict(OVERTALK, t)
    assert row.result == "fail" and row.evidence[0].segment == 1 and "2.0" in english(row.evidence[0].note)


def test_speech_rate_zh_en_and_na():
    spec = {
        "primitive": "speech_rate",
        "party": "agent",
        "min_cpm": 150,
        "max_cpm": 320,
        "min_wpm": 100,
        "max_wpm": 190,
    }
    text = "您好这里是中国移动客服很高兴为您服务请问有什么可以帮您" * 2  # 54 characters
    ok = verdict(spec, make_call(("A", 0, 13.5, text)))  # 240 per minute
    assert ok.result == "pass" and "240" in english(ok.note)
    fast = verdict(spec, make_call(("A", 0, 8.1, text), ("A", 9, 17.1, text)))  # 400 per minute
    assert fast.result == "fail"
    en = " ".join(["word"] * 30)
    assert verdict(spec, make_call(("A", 0, 12, en), language="en")).result == "pass"  # 150 wpm
    assert verdict(spec, make_call(("A", 0, 30, en), language="en")).result == "fail"  # 60 wpm
    assert verdict(spec, make_call(("A", 0, 2, "您好"))).result == "na"


def test_response_latency_and_talk_ratio():
    t = make_call(
        ("C", 0, 2, "我想查话费"), ("A", 8, 10, "好的"), ("C", 11, 12, "谢谢"), ("A", 19, 20, "不客气")
    )
    assert verdict({"primitive": "response_latency", "max_seconds": 4}, t).result == "fail"
    assert verdict({"primitive": "response_latency", "max_seconds": 8}, t).result == "pass"
    row = verdict({"primitive": "talk_ratio", "min_share": 0.2, "max_share": 0.5}, t)
    assert row.result == "pass" and row.evidence
    assert verdict({"primitive": "talk_ratio", "max_share": 0.4}, t).result == "fail"


SENT = {"primitive": "sentiment", "party": "customer", "turns": 1, "end_min": 0.4}


def test_sentiment_start_end():
    t = make_call(("C", 0, 2, "气死我了"), ("A", 3, 4, "抱歉"), ("C", 5, 6, "好的谢谢"))
    fake = FixedSentiment({"气死我了": 0.05, "好的谢谢": 0.9})
    row = verdict(SENT, t, sentiment=fake)
    assert row.result == "pass" and "improved" in english(row.note) and len(row.evidence) == 2
    fake = FixedSentiment({"气死我了": 0.05, "好的谢谢": 0.2})
    assert verdict(SENT, t, sentiment=fake).result == "fail"
    assert verdict(SENT, make_call(("A", 0, 2, "您好"))).result == "na"


def test_sentiment_accepts_precomputed_scores():
    t = make_call(("C", 0, 2, "随便说点什么"))
    assert verdict(SENT, t, sentiment={0: 0.1}).result == "fail"
    assert verdict(SENT, t, sentiment={0: 0.8}).result == "pass"


RISK = {"primitive": "complaint_risk", "party": "customer", "any": ["投诉", "12315", "lawyer"]}


@pytest.mark.parametrize(
    ("text", "language", "result"),
    [
        ("我要打幺二三幺五", "zh", "fail"),
        ("我要投訴你們", "zh", "fail"),
        ("I'll call my lawyer", "en", "fail"),
        ("谢谢", "zh", "pass"),
    ],
)
def test_complaint_risk(text, language, result):
    row = verdict(RISK, make_call(("C", 0, 2, text), language=language), party="customer")
    assert row.result == result
    assert_evidenced(row)
    if result == "fail":
        assert row.needs_review


def test_agent_mentions_do_not_count_as_customer_risk():
    assert verdict(RISK, make_call(("A", 0, 2, "您的投诉已记录")), party="customer").result == "pass"


def test_low_role_confidence_lowers_confidence():
    t = make_call(("A", 0, 3, "您好，移动客服，工号1"), role_confidence=0.2)
    row = verdict(GREETING, t)
    assert row.result == "pass" and row.confidence < 0.8


def test_silent_hold_counts_as_hold():
    spec = dict(HOLD, trigger={"party": "agent", "any": ["稍等"], "silence_over": 10})
    row = verdict(spec, make_call(("A", 0, 2, "我查查"), ("A", 20, 22, "系统显示")))
    assert row.result == "fail" and "silence" in english(row.evidence[0].note)
    polite = make_call(("A", 0, 2, "请您稍等"), ("A", 20, 22, "让您久等了"))
    assert verdict(spec, polite).result == "pass"
