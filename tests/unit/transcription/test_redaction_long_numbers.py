"""The policy for long digit runs (transcription/redact.py): personal numbers are masked completely, also
when ASR broke their checksum; any other run of 12+ digits (an order or ticket number, a card with a failed
Luhn check) keeps only its last four digits, so a reviewer can match an order by its 尾号."""

from __future__ import annotations

import pytest

from transcription.redact import find_numbers, id_checksum_valid, luhn_valid, redact_text, redact_transcript
from transcription.types import Segment, Transcript, Word

BAD_ID = "110101199003074515"  # ID-shaped (region 110101, born 1990-03-07), checksum fails
CN = dict(zip("0123456789", "零幺二三四五六七八九", strict=True))
DIGITS = set("0123456789零〇一二三四五六七八九幺两")


def cn(digits: str) -> str:
    return "".join(CN[d] for d in digits)


def visible_digits(text: str) -> str:
    return "".join(ch for ch in text if ch in DIGITS)


def test_the_examples_are_what_they_claim():
    assert not id_checksum_valid(BAD_ID)
    assert not luhn_valid(BAD_ID)
    assert not luhn_valid("6222021234567890123")


@pytest.mark.parametrize(
    "text",
    [
        f"编号{BAD_ID}",  # the gap: a phone-shaped piece inside used to leave 110101 and 5 readable
        "身份证 1101 0119 9003 074515",  # ASR spacing
        "身份证号1101-0119-9003-0745-15",
        f"身份证号是{cn(BAD_ID)}",  # 幺零幺…
        f"身份证{BAD_ID[:17]}叉",  # ends in X, checksum fails
        f"身份证{BAD_ID[:17]}",  # the last digit dropped (17 left, birth date still in place)
        f"身份证{BAD_ID}7",  # a digit doubled (19)
    ],
)
def test_id_numbers_with_a_broken_checksum_are_masked_completely(text):
    found = find_numbers(text)
    assert [k for _, k in found] == ["id_card"]
    assert visible_digits(redact_text(text)) == ""


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("座机010-62345678", "phone"),
        ("座机 0755 8888 6666", "phone"),
        ("打到零二幺六二三四五六七八", "phone"),
        ("卡号6222021234567890128", "bank_card"),
        ("手机+86 138 1234 5678", "phone"),
    ],
)
def test_phones_landlines_and_valid_cards_are_masked_completely(text, kind):
    assert [k for _, k in find_numbers(text)] == [kind]
    assert visible_digits(redact_text(text)) == ""


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("订单号2023110512345678", "订单号************5678"),
        ("工单号 2026 1129 0007 31", "工单号 **** **** **07 31"),
        ("卡号6222021234567890123", "卡号***************0123"),  # Luhn fails: only the 尾号 stays
        ("运单号幺二三四五六七八九零幺二", "运单号********九零幺二"),
    ],
)
def test_other_long_numbers_keep_only_their_last_four_digits(text, masked):
    assert [k for _, k in find_numbers(text)] == ["long_number"]
    assert redact_text(text) == masked
    assert redact_text(redact_text(text)) == masked  # redacting twice changes nothing


def test_long_numbers_can_be_left_alone_but_personal_numbers_cannot():
    assert redact_text("订单号2023110512345678", mask_long_numbers=False) == "订单号2023110512345678"
    assert visible_digits(redact_text(f"编号{BAD_ID}", mask_long_numbers=False)) == ""
    # a phone inside an order number stays masked even then
    assert redact_text("订单2023110513812345678", mask_long_numbers=False) == "订单20231105***********"


def test_numbers_said_back_to_back_are_split_only_when_they_fill_the_run():
    assert [k for _, k in find_numbers("1381234567813987654321")] == ["phone", "phone"]
    assert [k for _, k in find_numbers("11010519491231002X13812345678")] == ["id_card", "phone"]
    # a phone followed by an order number: the whole run is a long number, the phone is inside the mask
    text = "13812345678 20231105"
    assert [k for _, k in find_numbers(text)] == ["long_number"]
    assert redact_text(text) == "*********** ****1105"


def test_short_numbers_stay():
    for text in ("工号10086", "金额12345.67元", "客服电话4008123123", "订单12345678901"):
        assert redact_text(text) == text


def test_bad_id_split_over_words_and_segments_is_masked_and_muted():
    words1 = (Word(0.0, 0.5, "编号"), Word(0.5, 1.0, "幺幺零幺"), Word(1.0, 1.5, "零幺幺九"))
    words2 = (Word(2.0, 2.5, "九零零三"), Word(2.5, 3.0, "零七四五"), Word(3.0, 3.3, "幺五"))
    segs = (
        Segment(0, 0.0, 1.5, "S1", "编号幺幺零幺零幺幺九", words=words1),
        Segment(1, 1.6, 1.9, "S2", "嗯", words=(Word(1.6, 1.9, "嗯"),)),
        Segment(2, 2.0, 3.3, "S1", "九零零三零七四五幺五", words=words2),
    )
    red, spans = redact_transcript(Transcript("zh", 4.0, segs, speakers={"S1": "customer", "S2": "agent"}))
    assert [s.text for s in red.segments] == ["编号********", "嗯", "**********"]
    assert [(sp.start, sp.end, sp.kind) for sp in spans] == [(0.5, 3.3, "id_card")]


def test_an_order_number_keeps_its_last_four_in_text_and_audio():
    words = (
        Word(0.0, 0.5, "订单号"),
        Word(0.5, 1.5, "20231105"),
        Word(1.5, 2.0, "1234"),
        Word(2.0, 2.5, "5678"),
    )
    segs = (Segment(0, 0.0, 2.5, "S1", "订单号2023110512345678", words=words),)
    red, spans = redact_transcript(Transcript("zh", 3.0, segs, speakers={"S1": "customer"}))
    assert red.segments[0].text == "订单号************5678"
    assert [w.text for w in red.segments[0].words] == ["订单号", "********", "****", "5678"]
    assert [(sp.start, sp.end, sp.kind) for sp in spans] == [(0.5, 2.0, "long_number")]
