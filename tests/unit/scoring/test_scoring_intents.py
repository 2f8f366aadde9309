"""Utterance intents: the shipped classifier, and primitives that use intents beside phrases."""

from __future__ import annotations

from pathlib import Path

import pytest
from scoring_helpers import make_call, one_criterion

import rubrics
from rubrics.automation import INTENTS as RUBRIC_INTENTS
from rubrics.automation import check
from rubrics.messages import render
from scoring import score
from scoring.intents import INTENTS, IntentModel, default_model, features, precompute

ROOT = Path(__file__).resolve().parents[3]
WRITTEN = ROOT / "bench" / "data" / "intents_written.tsv"


def test_rubric_validation_knows_the_same_intents():
    assert tuple(RUBRIC_INTENTS) == INTENTS


def test_shipped_model_loads_and_is_deterministic():
    m = IntentModel.load()
    assert m.intents == INTENTS
    assert m.meta["trained_on"]["written"] > 400
    a = m.predict(["请您稍等，我帮您查一下", "still broken"])
    b = IntentModel.load().predict(["请您稍等，我帮您查一下", "still broken"])
    assert a == b
    assert all(0.0 <= p <= 1.0 for d in a for p in d.values())


def test_features_are_character_ngrams_of_the_normalised_text():
    f = features("請稍等")  # traditional -> simplified before the n-grams
    assert " 请" in f and "请稍等" in f and "稍等 " in f
    assert features("") == []


# Lines written for this test, none of them in the training data (checked below).
UNSEEN = {
    "identity_request": [
        "麻烦您报一下身份证号的最后四位数字",
        "could you confirm the date of birth on the account",
    ],
    "identity_confirmed": ["好的，您的身份已核实无误"],
    "account_action": ["我这边已经帮您把国际长途关掉了", "I've credited fifteen dollars to your account"],
    "problem_statement": ["我家的宽带这几天总是连不上"],
    "dissatisfaction": ["你们这样处理我非常不满意，太过分了"],
    "empathy": ["真是抱歉，给您添了这么多麻烦"],
    "hold_announcement": ["请您稍等一下，我帮您查询"],
    "thanks_for_waiting": ["感谢您耐心的等待"],
    "closing_question": ["请问您还有其他需要办理的吗"],
    "farewell": ["多谢您打进来，祝您一天顺利，拜拜"],
}
NONE_OF_THEM = ["您好，联通客服，工号8899", "那我下午再打过来吧", "how much is the family plan"]


def test_unseen_lines_get_their_intent():
    written = WRITTEN.read_text(encoding="utf-8")
    m = default_model()
    for intent, lines in UNSEEN.items():
        for line in lines:
            assert line not in written
            p = m.predict([line])[0]
            assert max(p, key=p.get) == intent, (line, p)
            assert p[intent] >= 0.5, (line, p)
    for line in NONE_OF_THEM:
        assert line not in written
        assert max(default_model().predict([line])[0].values()) < 0.5, line


def test_precompute_scores_agent_and_customer_turns_once():
    call = make_call(("I", 0, 2, "欢迎致电"), ("A", 2, 4, "请您稍等"), ("C", 5, 6, "好的"))
    got = precompute(call)
    assert set(got) == {1, 2}
    assert got[1]["hold_announcement"] > 0.5


# --- primitives with intents (probabilities given, so these tests do not depend on the model) --------------

VERIFY = {
    "primitive": "ordering",
    "party": "agent",
    "first": ["身份证"],
    "then": ["已为您"],
    "first_intents": ["identity_request", "identity_confirmed"],
    "then_intents": ["account_action"],
}


def _call():
    return make_call(
        ("A", 0, 3, "您好，客服中心"),
        ("C", 3, 5, "我要改一下套餐"),
        ("A", 5, 8, "麻烦说一下出生年月"),  # identity request in words the list lacks
        ("C", 8, 9, "八五年三月"),
        ("A", 9, 12, "改好了，下个月起是五十八的"),  # an account action the list lacks
        ("C", 12, 13, "好"),
    )


def test_ordering_uses_intents_and_cites_them():
    r = one_criterion(VERIFY)
    card = score(_call(), r, intents={2: {"identity_request": 0.93}, 4: {"account_action": 0.91}})
    row = card.criterion("x")
    assert row.result == "pass" and not row.needs_review
    notes = [render(e.note, "en") for e in row.evidence]
    assert notes == [
        "verification: semantic: identity request, p = 0.93",
        "first account action: semantic: account action, p = 0.91",
    ]
    assert row.evidence[0].note.params["hit"].code == "match.intent"


def test_phrase_only_engine_sees_no_account_action():
    row = score(_call(), one_criterion(VERIFY), intents={}).criterion("x")
    assert row.result == "na"


def test_intent_in_the_uncertain_band_needs_review_and_below_it_does_not_count():
    r = one_criterion(VERIFY)
    band = score(_call(), r, intents={2: {"identity_request": 0.95}, 4: {"account_action": 0.7}})
    row = band.criterion("x")
    assert row.result == "pass" and row.needs_review
    assert render(row.evidence[1].note, "en").endswith("semantic, to check: account action, p = 0.70")
    low = score(_call(), r, intents={2: {"identity_request": 0.95}, 4: {"account_action": 0.4}})
    assert low.criterion("x").result == "na"
    # thresholds come from the rule
    strict = one_criterion(VERIFY | {"intent_low": 0.3, "intent_high": 0.35})
    row = score(_call(), strict, intents={2: {"identity_request": 0.95}, 4: {"account_action": 0.4}})
    assert row.criterion("x").result == "pass" and not row.criterion("x").needs_review


def test_action_before_identity_check_fails_on_intents():
    call = make_call(
        ("A", 0, 3, "您好"),
        ("A", 3, 6, "改好了，下个月起是五十八的"),
        ("A", 6, 9, "麻烦说一下出生年月"),
    )
    row = score(
        call, one_criterion(VERIFY), intents={1: {"account_action": 0.9}, 2: {"identity_request": 0.9}}
    )
    assert row.criterion("x").result == "fail"


EMPATHY = {
    "primitive": "triggered",
    "trigger": {"party": "customer", "any": ["生气"], "intents": ["problem_statement", "dissatisfaction"]},
    "response": {"party": "agent", "after_turns": 2, "any": ["抱歉"], "intents": ["empathy"]},
}


def test_triggered_by_a_problem_in_plain_words_and_answered_semantically():
    call = make_call(
        ("A", 0, 2, "您好"), ("C", 2, 5, "家里电视看不了了"), ("A", 5, 8, "这确实挺闹心的，我来看看")
    )
    card = score(call, one_criterion(EMPATHY), intents={1: {"problem_statement": 0.9}, 2: {"empathy": 0.88}})
    row = card.criterion("x")
    assert row.result == "pass"
    assert [render(e.note, "zh") for e in row.evidence] == [
        "触发: 语义: 客户陈述问题，p = 0.90",
        "回应: 语义: 安抚致歉，p = 0.88",
    ]
    unanswered = score(call, one_criterion(EMPATHY), intents={1: {"problem_statement": 0.9}})
    assert unanswered.criterion("x").result == "fail"
    assert "安抚致歉" in render(unanswered.criterion("x").note, "zh")  # the note names the wanted intent
    assert score(call, one_criterion(EMPATHY), intents={}).criterion("x").result == "na"


def test_closing_groups_accept_intents():
    spec = {
        "primitive": "phrase",
        "party": "agent",
        "window": {"last_turns": 2},
        "groups": [["还有其他"], ["再见"]],
        "group_intents": [["closing_question"], ["farewell"]],
    }
    call = make_call(("A", 0, 2, "您好"), ("A", 2, 4, "别的还要办吗"), ("A", 4, 6, "那先这样，回头聊"))
    ints = {1: {"closing_question": 0.95}, 2: {"farewell": 0.9}}
    assert score(call, one_criterion(spec), intents=ints).criterion("x").result == "pass"
    assert score(call, one_criterion(spec), intents={}).criterion("x").result == "fail"


def test_complaint_risk_with_intents_goes_to_review():
    spec = {
        "primitive": "complaint_risk",
        "party": "customer",
        "any": ["投诉"],
        "intents": ["dissatisfaction"],
    }
    call = make_call(("A", 0, 2, "您好"), ("C", 2, 4, "你们这也太离谱了"))
    row = score(call, one_criterion(spec, allow_na=False), intents={1: {"dissatisfaction": 0.97}}).criterion(
        "x"
    )
    assert row.result == "fail" and row.needs_review
    assert render(row.note, "en") == "customer mentioned a complaint or escalation: dissatisfaction (review)"


def test_default_rubric_uses_intents_and_the_engine_runs_the_shipped_model():
    rubric = rubrics.load_default()
    specs = {c.id: c.automation for c in rubric.criteria() if c.automation}
    assert specs["verification"]["then_intents"] == ["account_action"]
    assert "empathy" in specs["empathy"]["response"]["intents"]
    call = make_call(
        ("A", 0, 3, "您好，中国移动客服，工号1234"),
        ("C", 3, 5, "我想把彩铃取消掉"),
        ("A", 5, 8, "好的，我这边已经帮您把彩铃关掉了"),
        ("C", 8, 9, "好的"),
    )
    row = score(call, rubric).criterion("verification")
    assert row.result == "fail"  # an account action (recognised by intent only) with no verification first
    assert row.evidence[0].note.params["hit"].code.startswith("match.intent")


# --- rubric validation --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ({"primitive": "ordering", "then_intents": ["acount_action"]}, "unknown intent 'acount_action'"),
        ({"primitive": "ordering", "then_intents": "account_action"}, "must be a list of intent names"),
        ({"primitive": "triggered", "trigger": {"intents": ["refund"]}}, "unknown intent 'refund'"),
        ({"primitive": "phrase", "group_intents": ["farewell"]}, "must be a list of intent names"),
        ({"primitive": "phrase", "group_intents": "farewell"}, "list of lists of intents"),
        ({"primitive": "phrase", "intent_low": 1.5}, "between 0 and 1"),
        ({"primitive": "phrase", "intent_low": 0.9, "intent_high": 0.7}, "must not exceed"),
        ({"primitive": "dead_air", "intents": ["farewell"]}, "unknown automation parameter 'intents'"),
    ],
)
def test_validation_rejects_bad_intent_settings(spec, problem):
    problems = check(spec)
    assert any(problem in en for _p, _zh, en in problems), problems


def test_validation_accepts_intent_settings():
    spec = {
        "primitive": "phrase",
        "groups": [["还有其他"], ["再见"]],
        "group_intents": [["closing_question"], ["farewell"]],
        "intents": ["farewell"],
        "intent_low": 0.55,
        "intent_high": 0.9,
    }
    assert check(spec) == []
    assert check(VERIFY) == [] and check(EMPATHY) == []
