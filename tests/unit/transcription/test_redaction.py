import numpy as np
import pytest

from transcription.redact import (
    RedactionSpan,
    find_numbers,
    id_checksum_valid,
    luhn_valid,
    mute_spans,
    redact_text,
    redact_transcript,
)
from transcription.types import Segment, Transcript, Word

CARD = "6222021234567890128"  # Luhn-valid, 19 digits
VISA = "4111111111111111"
ID = "11010519491231002X"
CN = dict(zip("0123456789", "零一二三四五六七八九", strict=True))


def cn(digits: str) -> str:
    return "".join(CN[d] for d in digits)


def test_luhn():
    assert luhn_valid(CARD) and luhn_valid(VISA)
    assert not luhn_valid("4111111111111112")
    assert not luhn_valid("abc")


def test_id_checksum():
    assert id_checksum_valid(ID)
    assert id_checksum_valid(ID.lower())
    assert not id_checksum_valid("110105194912310021")
    assert not id_checksum_valid("1101051949123100")


@pytest.mark.parametrize(
    "text,kind",
    [
        (f"卡号{VISA}谢谢", "bank_card"),
        ("卡号 4111 1111 1111 1111 谢谢", "bank_card"),
        ("卡号4111-1111-1111-1111", "bank_card"),
        (f"卡号是{cn(VISA)}", "bank_card"),
        (f"身份证号{ID}", "id_card"),
        (f"身份证号{cn(ID[:17])}叉", "id_card"),
        ("手机13812345678", "phone"),
        ("手机幺三八幺二三四五六七八", "phone"),
        ("电话一三八 一二三四 五六七八", "phone"),
        ("电话+86 138 1234 5678", "phone"),
        ("打幺五九两两两两三三三三", "phone"),
    ],
)
def test_finds_numbers_in_all_forms(text, kind):
    found = find_numbers(text)
    assert [k for _, k in found] == [kind]
    masked = redact_text(text)
    assert not any(ch.isdigit() for ch in masked)
    assert not any(c in masked for c in "零一二三四五六七八九幺两")
    assert "*" in masked


def test_leaves_ordinary_text_and_short_numbers():
    for text in ("我今年三十五岁", "工号一零二四", "订单金额128元", "一二三四五", "请按1"):
        assert redact_text(text) == text


def test_invalid_long_number_masked_but_its_last_four_by_default():
    assert redact_text("卡号4111111111111112") == "卡号" + "*" * 12 + "1112"
    assert redact_text("卡号4111111111111112", mask_long_numbers=False) == "卡号4111111111111112"


def test_two_numbers_back_to_back():
    found = find_numbers("13812345678" + "13987654321")
    assert [k for _, k in found] == ["phone", "phone"]


def _word_transcript():
    words = (
        Word(1.0, 1.3, "我的"),
        Word(1.3, 1.5, "手机"),
        Word(1.5, 1.6, "是"),
        Word(1.6, 2.0, "幺三八"),
        Word(2.0, 2.6, "幺二三四"),
    )
    words2 = (Word(3.0, 3.6, "五六七八"), Word(3.6, 3.9, "谢谢"))
    segs = (
        Segment(0, 1.0, 2.6, "S1", "我的手机是幺三八幺二三四", words=words),
        Segment(1, 3.0, 3.9, "S1", "五六七八谢谢", words=words2),
        Segment(2, 4.0, 5.0, "S2", "好的，卡号4111 1111 1111 1111对吗"),
    )
    return Transcript("zh", 6.0, segs, speakers={"S1": "customer", "S2": "agent"})


def test_transcript_redaction_masks_words_text_and_reports_spans():
    red, spans = redact_transcript(_word_transcript())
    s0, s1, s2 = red.segments
    assert s0.text == "我的手机是*******"
    assert [w.text for w in s0.words] == ["我的", "手机", "是", "***", "****"]
    assert s1.text == "****谢谢" and s1.words[0].text == "****"
    assert s2.text == "好的，卡号**** **** **** ****对吗"
    kinds = [(round(sp.start, 2), round(sp.end, 2), sp.kind, sp.speaker) for sp in spans]
    assert kinds == [(1.6, 3.6, "phone", "S1"), (4.0, 5.0, "bank_card", "S2")]
    dumped = str(red.to_dict())
    assert "幺三八" not in dumped and "4111" not in dumped
    assert red.models["redaction"] == "digits-v3"


def test_mute_spans_zeroes_audio_with_padding():
    x = np.ones((2, 16000 * 3), dtype=np.float32)
    y = mute_spans(x, 16000, [RedactionSpan(1.0, 1.5, "phone"), (2.5, 10.0)], pad=0.1)
    assert y[0, int(0.85 * 16000)] == 1 and y[1, int(0.95 * 16000)] == 0 and y[0, int(1.55 * 16000)] == 0
    assert y[0, -1] == 0 and x.min() == 1  # input untouched
    assert mute_spans(np.ones(100), 100, []).sum() == 100
