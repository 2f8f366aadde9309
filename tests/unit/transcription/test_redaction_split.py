"""Redaction of numbers written or said in pieces (issue #11, item 3): digit groups separated by a slash
or a line break, a number split over segments of one speaker that have no word timestamps, and a number
read out in parts with the other speaker's turns in between or given partly to the other speaker."""

from __future__ import annotations

import pytest

from transcription.redact import find_numbers, redact_text, redact_transcript
from transcription.types import Segment, Transcript, Word

VISA = "4111111111111111"
CN = dict(zip("0123456789", "零一二三四五六七八九", strict=True))
DIGITS = set("0123456789零一二三四五六七八九幺两")


def cn(digits: str) -> str:
    return "".join(CN[d] for d in digits)


def _transcript(*turns: tuple[str, str], words: bool = False) -> Transcript:
    """Turns (speaker, text), one second each; ``words=True`` gives each segment one word per character."""
    segs = []
    for i, (spk, text) in enumerate(turns):
        ws = tuple(Word(i + k / len(text), i + (k + 1) / len(text), ch) for k, ch in enumerate(text))
        segs.append(
            Segment(
                i, float(i), i + 1.0, spk, text, "customer" if spk == "C" else "agent", ws if words else ()
            )
        )
    return Transcript("zh", float(len(turns)), tuple(segs), speakers={"C": "customer", "A": "agent"})


def _digits_left(t: Transcript) -> str:
    return "".join(ch for s in t.segments for ch in s.text + "".join(w.text for w in s.words) if ch in DIGITS)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("卡号4111/1111/1111/1111", "bank_card"),
        ("手机 138／1234／5678", "phone"),
        ("手机号\n138\n1234\n5678\n谢谢", "phone"),
        ("卡号 4111 1111\r\n1111 1111", "bank_card"),
    ],
)
def test_slashes_and_line_breaks_between_groups(text, kind):
    assert [k for _, k in find_numbers(text)] == [kind]
    assert not any(ch.isdigit() for ch in redact_text(text))


def test_dates_and_short_numbers_with_slashes_stay():
    for text in ("日期 2026/11/20", "第3/4期", "套餐 58/月"):
        assert redact_text(text) == text


def test_number_over_segments_of_one_speaker_without_word_timestamps():
    t = _transcript(("C", "我的手机是一三八一二"), ("C", "三四五六七八，对"))
    red, spans = redact_transcript(t)
    assert [s.text for s in red.segments] == ["我的手机是*****", "******，对"]
    # without word timestamps the whole segments are reported (for muting the audio)
    assert [(sp.start, sp.end, sp.kind, sp.speaker) for sp in spans] == [(0.0, 2.0, "phone", "C")]


@pytest.mark.parametrize("words", [False, True])
def test_number_read_out_in_parts_between_the_agents_turns(words):
    t = _transcript(
        ("C", f"卡号是{cn('4111')}"),
        ("A", "嗯，您说"),
        ("C", f"{cn('1111')} {cn('1111')}"),
        ("A", "好的"),
        ("C", f"{cn('1111')}。"),
        words=words,
    )
    red, spans = redact_transcript(t)
    assert _digits_left(red) == ""
    assert red.segments[1].text == "嗯，您说" and red.segments[3].text == "好的"
    assert {sp.kind for sp in spans} == {"bank_card"} and {sp.speaker for sp in spans} == {"C"}


@pytest.mark.parametrize("words", [False, True])
def test_number_whose_parts_went_to_both_speakers(words):
    """The customer reads the number; diarization gives its second half to the agent (or the agent
    completes it): the digits of both turns are masked."""
    t = _transcript(("C", f"手机号{cn('138123')}"), ("A", f"{cn('45678')}是吧"), ("C", "对"), words=words)
    red, spans = redact_transcript(t)
    assert _digits_left(red) == ""
    assert red.segments[0].text.startswith("手机号") and red.segments[1].text.endswith("是吧")
    assert {(sp.kind, sp.speaker) for sp in spans} == {("phone", "C"), ("phone", "A")}


def test_agent_echoing_each_part_is_masked_too():
    t = _transcript(
        ("C", cn("138")),
        ("A", cn("138")),
        ("C", cn("1234")),
        ("A", cn("1234")),
        ("C", cn("5678")),
        ("A", cn("5678")),
    )
    red, _spans = redact_transcript(t)
    assert _digits_left(red) == ""


def test_ordinary_turns_with_short_numbers_are_left_alone():
    t = _transcript(
        ("A", "您好，工号1021为您服务"),
        ("C", "我的订单128元"),
        ("A", "请拨打10086"),
        ("C", "好的，谢谢"),
        ("A", "请按1"),
        ("C", "2号线"),
    )
    red, spans = redact_transcript(t)
    assert [s.text for s in red.segments] == [s.text for s in t.segments]
    assert spans == []


def test_redacting_twice_changes_nothing():
    t = _transcript(("C", f"手机号{cn('138123')}"), ("A", f"{cn('45678')}是吧"), ("C", f"卡号{VISA}"))
    once, _ = redact_transcript(t)
    twice, spans = redact_transcript(once)
    assert twice == once and spans == []
