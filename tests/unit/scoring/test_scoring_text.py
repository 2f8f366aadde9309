"""Normalisation and phrase matching robust to ASR noise."""

from __future__ import annotations

from scoring_helpers import make_call

from scoring.context import CallContext
from scoring.matching import PhraseSet
from scoring.text import is_backchannel, normalize, spoken_units


def test_normalize_traditional_digits_punctuation_case():
    assert normalize("您好，這裡是客服中心！") == "您好这里是客服中心"
    assert normalize("我要打幺二三幺五") == normalize("我要打12315") == "我要打12315"
    assert normalize("Thank you, I'm SURE.") == "thank you i m sure"
    assert normalize("好 的 谢 谢") == "好的谢谢"
    assert normalize("ＡＢＣ１２３") == "abc123"


def test_spoken_units_and_backchannels():
    assert spoken_units("您好ok") == 2 + 1.5
    assert is_backchannel(normalize("嗯嗯")) and is_backchannel(normalize("好的。")) and is_backchannel("")
    assert not is_backchannel(normalize("好的，我明白您的意思"))


def _ctx(*texts: str) -> CallContext:
    return CallContext(make_call(*[("A", i * 5, i * 5 + 4, t) for i, t in enumerate(texts)]))


def test_exact_synonym_regex_tokens_and_fuzzy():
    ctx = _ctx("宁好，移动客服", "你爱找水找谁吧", "帮您查询一下", "我们的套餐资费很便宜")
    assert PhraseSet(["您好"], synonyms={"您好": ["宁好"]}).find(ctx, [0])[0].kind == "synonym"
    (h,) = PhraseSet(["你爱找谁找谁"]).find(ctx, [0, 1, 2, 3])
    assert (h.index, h.kind) == (1, "fuzzy") and h.score >= 80
    assert PhraseSet(regex=[r"(帮|为)您查询"]).find(ctx, [2])[0].kind == "regex"
    assert PhraseSet(tokens=["套餐 资费"]).find(ctx, [3])[0].kind == "tokens"
    assert PhraseSet(["你爱找谁找谁"], fuzzy=0).find(ctx, [1]) == []


def test_latin_phrases_match_whole_words_only():
    ctx = _ctx("this is fine", "hi there")
    hits = PhraseSet(["hi"]).find(ctx, [0, 1])
    assert [h.index for h in hits] == [1]


def test_exceptions_blank_out_allowed_uses():
    ctx = _ctx("不知道您方便吗", "这个我不知道")
    hits = PhraseSet(["不知道"], exceptions=["不知道您"]).find(ctx, [0, 1])
    assert [h.index for h in hits] == [1]


def test_short_phrases_are_exact_only():
    ctx = _ctx("头诉")
    assert PhraseSet(["投诉"]).find(ctx, [0]) == []  # 2 characters: too short for fuzzy matching


def test_fuzzy_match_never_adds_a_negation():
    ctx = _ctx("我们这边处理不了", "已经处理好啦")
    hits = PhraseSet(["处理好了"]).find(ctx, [0, 1])
    assert [h.index for h in hits] == [1]  # 处理不了 is the opposite of 处理好了
