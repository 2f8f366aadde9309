from transcription.text import (
    collapse_repeats,
    collapse_word_repeats,
    join_words,
    repeated_run_mask,
    to_simplified,
)


def test_traditional_to_simplified():
    assert to_simplified("請問有什麼可以幫您") == "请问有什么可以帮您"
    assert to_simplified("hello") == "hello"


def test_collapse_character_loop():
    assert collapse_repeats("我要计计计计计计计计计算") == "我要计算"
    assert collapse_repeats("谢谢谢谢谢谢谢谢") == "谢"


def test_collapse_keeps_normal_repetition():
    assert collapse_repeats("对对对，好的") == "对对对，好的"
    assert collapse_repeats("谢谢您") == "谢谢您"


def test_word_mask_drops_repeated_ngrams():
    words = ["我", "想", "问", "一", "下", "一", "下", "一", "下", "一", "下", "宽", "带"]
    keep = repeated_run_mask(words)
    assert [w for w, k in zip(words, keep, strict=True) if k] == ["我", "想", "问", "一", "下", "宽", "带"]


def test_word_mask_single_token_loop_and_spaces():
    words = [" the", " the", " the", " the", " the", " end"]
    keep = repeated_run_mask(words)
    assert [w for w, k in zip(words, keep, strict=True) if k] == [" the", " end"]
    assert join_words([" hello", " world"]) == "hello world"


def test_character_loop_across_misaligned_tokens():
    words = ["好", "的", "酒", "子酒", "子酒", "子酒", "子酒", "子", "谢谢"]
    out = collapse_word_repeats(words)
    assert "".join(out) == "好的酒子谢谢"
    assert len(out) == len(words)
    assert collapse_word_repeats(["对", "对", "对"]) == ["对", "对", "对"]
