"""Well-formedness of the demo dialogues (no audio tools needed)."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from qa_app.demo.scripts import (
    AGENT_KEYS,
    CRITERIA,
    DEMO_SCRIPTS,
    LABELS,
    DemoScript,
    Turn,
    get_script,
    scripts_for_agent,
)

HAN = re.compile(r"[\u3400-\u9fff]")
# Mirrors of the default rubric's phrase lists (rubrics/default/telecom_service.yaml), kept
# local so this package's tests do not depend on another package.
ZH_PROHIBITED = (
    "这是公司规定", "公司规定的", "我已经说过了", "我都说了", "你爱找谁找谁", "不清楚", "那是你的问题",
    "你自己的问题", "不知道", "没办法", "不归我管", "你自己看", "随便你", "自己去查",
)  # fmt: skip
EN_PROHIBITED = ("company policy", "i already told you", "not my problem", "i don't know", "nothing i can do")
RISK_WORDS = (
    "投诉", "12315", "工信部", "曝光", "媒体", "律师", "消协", "找领导", "退订", "销户", "转网",
    "complaint", "complain", "miit", "regulator", "lawyer", "supervisor", "your manager",
)  # fmt: skip
HOLD_WORDS = ("稍等", "稍候", "等一下", "one moment", "just a moment", "hold on", "on hold", "bear with me")
HOLD_THANKS = ("耐心等待", "久等", "感谢您的等待", "thank you for waiting", "thanks for waiting")


def _ids(s: DemoScript) -> str:
    return s.key


def test_at_least_16_scripts_with_unique_keys():
    assert len(DEMO_SCRIPTS) >= 16
    keys = [s.key for s in DEMO_SCRIPTS]
    assert len(set(keys)) == len(keys)
    assert all(re.fullmatch(r"[a-z0-9_]+", k) for k in keys)


@pytest.mark.parametrize("script", DEMO_SCRIPTS, ids=_ids)
def test_script_is_well_formed(script: DemoScript):
    assert 6 <= len(script.turns) <= 14
    assert script.title_zh.strip() and script.title_en.strip() and script.queue.strip()
    assert script.agent_key in AGENT_KEYS
    assert script.turns[0].role == "agent", "calls open with the agent (good or bad greeting)"
    roles = {t.role for t in script.turns}
    assert roles == {"agent", "customer"}
    for t in script.turns:
        assert isinstance(t, Turn)
        assert t.text.strip()
        assert t.pause_before >= 0 and t.overlap >= 0
    assert set(script.expected) == set(CRITERIA)
    assert set(script.expected.values()) <= set(LABELS)


@pytest.mark.parametrize("script", DEMO_SCRIPTS, ids=_ids)
def test_text_matches_language(script: DemoScript):
    text = "".join(t.text for t in script.turns)
    if script.language == "zh":
        assert len(HAN.findall(text)) >= 90, "too short for 25 s of Mandarin speech"
        assert len(HAN.findall(text)) <= 260, "too long for 70 s of Mandarin speech"
        # only upper-case acronyms (三十个G) are allowed; the synth spells them
        assert not re.search(r"[a-z]", text)
    else:
        assert not HAN.search(text)
        words = len(re.findall(r"[A-Za-z']+", text))
        assert 70 <= words <= 200


@pytest.mark.parametrize("script", DEMO_SCRIPTS, ids=_ids)
def test_expected_labels_agree_with_staging(script: DemoScript):
    """Hand-written labels must be consistent with what the script actually stages."""
    exp = script.expected
    turns = script.turns
    agent_text = script.agent_text().lower()
    customer_text = script.customer_text().lower()

    # dead air: an unannounced silence over the rubric's 10 s
    longest_pause = max(t.pause_before for t in turns[1:])
    assert (exp["dead_air"] == "fail") == (longest_pause > 10.0)
    assert longest_pause <= 5.0 or longest_pause >= 12.0, "keep staged silences unambiguous"

    # overtalk: only agents interrupt; one overlap of >= 1 s fails (the common standard 无抢话, issue #10)
    assert all(t.overlap == 0 for t in turns if t.role == "customer")
    overlaps = [t.overlap for t in turns[1:] if t.role == "agent" and t.overlap > 0]
    assert all(o >= 1.2 for o in overlaps)
    assert (exp["overtalk"] == "fail") == (len(overlaps) >= 1)
    for i, t in enumerate(turns[1:], start=1):
        if t.overlap:
            assert turns[i - 1].role == "customer"

    phrases = ZH_PROHIBITED if script.language == "zh" else EN_PROHIBITED
    assert (exp["prohibited_language"] == "fail") == any(p in agent_text for p in phrases)
    assert (exp["complaint_risk"] == "fail") == any(w in customer_text for w in RISK_WORDS)

    has_hold = any(w in agent_text for w in HOLD_WORDS)
    assert (exp["hold_etiquette"] == "na") == (not has_hold)
    if exp["hold_etiquette"] == "pass":
        assert any(w in agent_text for w in HOLD_THANKS)
        assert max(t.pause_before for t in turns) <= 4.0

    first = turns[0].text
    if exp["greeting"] == "pass":
        assert ("您好" in first and "工号" in first) or ("agent number" in first.lower())
    else:
        assert "工号" not in first and "agent number" not in first.lower()
    closing_ask = ("还有其他可以帮您的吗", "anything else i can help you with")
    last_agent = " ".join(t.text for t in turns[-3:] if t.role == "agent").lower()
    assert (exp["closing"] == "pass") == any(p in last_agent for p in closing_ask)
    if exp["verification"] == "na":
        assert not any(w in agent_text for w in ("已经为您", "已经帮您", "系统显示", "your account"))
    if exp["empathy"] == "pass":
        assert any(w in agent_text for w in ("抱歉", "理解您", "sorry", "i understand"))


@pytest.mark.parametrize("criterion", CRITERIA)
def test_each_criterion_has_pass_and_fail(criterion: str):
    labels = {s.expected[criterion] for s in DEMO_SCRIPTS}
    assert {"pass", "fail"} <= labels


def test_language_quality_and_agent_mix():
    langs = Counter(s.language for s in DEMO_SCRIPTS)
    assert langs["en"] >= 3 and langs["zh"] > langs["en"]
    quality = Counter(s.quality for s in DEMO_SCRIPTS)
    assert quality["good"] >= 4 and quality["bad"] >= 4 and quality["mixed"] >= 2
    assert {s.agent_key for s in DEMO_SCRIPTS} == set(AGENT_KEYS)
    assert {s.layout for s in DEMO_SCRIPTS} == {"mono", "stereo_agent_left", "stereo_agent_right"}
    assert {s.direction for s in DEMO_SCRIPTS} == {"inbound", "outbound"}

    def fails(agents):
        ss = [s for s in DEMO_SCRIPTS if s.agent_key in agents]
        return sum(v == "fail" for s in ss for v in s.expected.values()) / len(ss)

    # veterans make fewer mistakes on average than new hires, but not uniformly
    assert fails(AGENT_KEYS[:4]) < fails(AGENT_KEYS[4:])
    assert any(s.quality != "good" for s in DEMO_SCRIPTS if s.agent_key in AGENT_KEYS[:4])
    assert any(s.quality == "good" for s in DEMO_SCRIPTS if s.agent_key in AGENT_KEYS[4:])


def test_no_real_looking_personal_data():
    for s in DEMO_SCRIPTS:
        text = " ".join(t.text for t in s.turns)
        for run in re.findall(r"\d[\d \-]{6,}\d", text):
            assert re.sub(r"\D", "", run) in {"13800000000"}, run
        assert not re.search(r"\d{15,18}", text)


def test_lookup_helpers():
    s = DEMO_SCRIPTS[0]
    assert get_script(s.key) is s
    with pytest.raises(KeyError):
        get_script("nope")
    assert sum(len(scripts_for_agent(a)) for a in AGENT_KEYS) == len(DEMO_SCRIPTS)
    assert s.channels == (1 if s.layout == "mono" else 2)


def test_dataclasses_validate():
    with pytest.raises(ValueError):
        Turn("supervisor", "hi")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Turn("agent", "  ")
    turns = (Turn("agent", "您好"), Turn("customer", "你好"))
    common = dict(
        key="k",
        title_zh="t",
        title_en="t",
        language="zh",
        agent_key="agent01",
        quality="good",
        layout="mono",
        queue="q",
        direction="inbound",
        turns=turns,
    )
    DemoScript(**common)
    with pytest.raises(ValueError):
        DemoScript(**{**common, "agent_key": "agent09"})
    with pytest.raises(ValueError):
        DemoScript(**{**common, "expected": {"greeting": "maybe"}})
    with pytest.raises(ValueError):
        DemoScript(**{**common, "turns": list(turns)})
