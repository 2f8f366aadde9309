"""scoring.reliability: the one definition of an unreliable transcript, judged once at scoring time (the
stored verdict is what sampling, the coaching statistics, dashboards and releases read)."""

from __future__ import annotations

import pytest
from scoring_helpers import make_call

from rubrics.messages import render
from scoring.engine import score
from scoring.reliability import (
    MAX_NO_SPEECH_PROB,
    MIN_AVG_LOGPROB,
    MIN_CHARS_PER_SECOND,
    MIN_CHARS_PER_SPEECH_SECOND,
    MIN_ROLE_CONFIDENCE,
    MIN_SECONDS_FOR_DENSITY,
    MIN_SPEECH_SECONDS,
    MIN_TURNS_PER_MINUTE,
    TranscriptFacts,
    assess,
    facts_of,
    gate,
    unreliable,
)
from transcription.types import AsrQuality, Segment, Transcript


def facts(**kw) -> TranscriptFacts:
    base = {"duration": 120.0, "role_confidence": 0.9, "turns": 40, "text_chars": 600}
    return TranscriptFacts(**{**base, **kw})


def test_the_thresholds():
    assert (MIN_ROLE_CONFIDENCE, MIN_SECONDS_FOR_DENSITY, MIN_TURNS_PER_MINUTE, MIN_CHARS_PER_SECOND) == (
        0.5,
        30.0,
        1.0,
        0.5,
    )
    assert (MIN_CHARS_PER_SPEECH_SECOND, MIN_SPEECH_SECONDS, MIN_AVG_LOGPROB, MAX_NO_SPEECH_PROB) == (
        1.0,
        10.0,
        -1.0,
        0.6,
    )


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({}, False),
        # roles are a guess, unless a person confirmed them (a swap stores confidence 1.0 as well)
        ({"role_confidence": 0.49}, True),
        ({"role_confidence": 0.5}, False),
        ({"role_confidence": 0.2, "roles_confirmed": True}, False),
        ({"role_confidence": 1.0}, False),
        ({"role_confidence": None}, False),  # unknown (older transcripts) is no evidence
        # too little speech for the recording, on calls of 30 s or more
        ({"turns": 1}, True),  # < 1 turn a minute over 2 minutes
        ({"turns": 2, "text_chars": 60}, False),  # exactly 1 turn/min and 0.5 chars/s
        ({"text_chars": 59}, True),
        ({"duration": 29.9, "turns": 0, "text_chars": 0}, False),  # too short to judge
        ({"duration": 30.0, "turns": 0, "text_chars": 0}, True),
        ({"duration": 30.0, "turns": 2, "text_chars": 15}, False),
        ({"duration": 30.0, "turns": 1, "text_chars": 15}, True),  # one segment for a 30 s call
        ({"duration": 29.9, "turns": 1, "text_chars": 5}, False),
        # characters per second of detected speech (VAD), judged on 10 s of speech or more
        ({"speech_seconds": 100.0, "text_chars": 100}, False),
        ({"speech_seconds": 100.0, "text_chars": 99}, True),
        ({"duration": 20.0, "turns": 3, "speech_seconds": 15.0, "text_chars": 14}, True),  # short call too
        ({"duration": 20.0, "turns": 3, "speech_seconds": 9.9, "text_chars": 2}, False),  # too little speech
        # with the detector's figure, silences and holds in the recording do not count against the text
        ({"duration": 300.0, "turns": 10, "speech_seconds": 30.0, "text_chars": 100}, False),
        ({"duration": 300.0, "turns": 10, "text_chars": 100}, True),  # without it: 0.33 chars a second
        # the recogniser's own confidence
        ({"avg_logprob": -0.99}, False),
        ({"avg_logprob": -1.01}, True),
        ({"no_speech_prob": 0.6}, False),
        ({"no_speech_prob": 0.61}, True),
        ({"roles_confirmed": True, "text_chars": 10}, True),  # confirmed roles do not excuse an empty text
        # no transcript: unreliable for a recording (the machine read nothing); a call without a recording
        # (demo history) is not judged on a transcript it cannot have
        ({"has_transcript": False, "turns": 0, "text_chars": 0}, True),
        ({"has_transcript": False, "has_recording": False, "turns": 0, "text_chars": 0}, False),
        ({"has_transcript": False, "duration": 5.0, "turns": 0, "text_chars": 0}, True),
    ],
)
def test_unreliable(kw, expected):
    assert unreliable(facts(**kw)) is expected


def codes(**kw) -> list[str]:
    return [m.code for m in assess(facts(**kw))]


def test_reasons_are_message_codes_with_parameters():
    assert codes() == []
    # demo call 6 of the issue: 64 s, one two-character segment, 50 s of detected speech
    six = assess(facts(duration=64.0, turns=1, text_chars=2, speech_seconds=50.0))
    assert [m.code for m in six] == ["reliability.one_segment", "reliability.slow_speech"]
    assert six[0].params == {"seconds": 64, "chars": 2}
    assert render(six[0], "zh") == "64 秒的通话只转写出一段话（2 个字）"
    assert render(six[0], "en") == "a 64 s call came out as one segment (2 characters)"
    assert codes(duration=180.0, turns=2, text_chars=600) == ["reliability.few_turns"]
    assert codes(role_confidence=0.2) == ["reliability.roles_uncertain"]
    assert codes(speech_seconds=100.0, text_chars=80) == ["reliability.slow_speech"]
    assert codes(avg_logprob=-1.4, no_speech_prob=0.8) == ["reliability.low_logprob", "reliability.no_speech"]
    assert codes(has_transcript=False) == ["reliability.no_transcript"]


def _transcript(asr: AsrQuality | None, n: int = 12) -> Transcript:
    segs = tuple(
        Segment(
            i,
            i * 5.0,
            i * 5.0 + 4,
            "A" if i % 2 else "B",
            "您好请问有什么可以帮您",
            "agent" if i % 2 else "customer",
        )
        for i in range(n)
    )
    return Transcript("zh", 60.0, segs, role_confidence=0.9, asr=asr)


def test_facts_of_a_transcript_and_old_transcripts_without_asr_fields():
    t = _transcript(AsrQuality(40.0, -0.3, 0.05))
    f = facts_of(t, 61.0)
    assert (f.duration, f.turns, f.text_chars, f.speech_seconds, f.avg_logprob, f.no_speech_prob) == (
        61.0,
        12,
        132,
        40.0,
        -0.3,
        0.05,
    )
    # the transcript JSON keeps the recogniser's figures; an older transcript has none and is judged on
    # what it has (no reason from the missing signals)
    back = Transcript.from_dict(t.to_dict())
    assert back.asr == AsrQuality(40.0, -0.3, 0.05)
    old = t.to_dict()
    del old["asr"]
    f_old = facts_of(Transcript.from_dict(old))
    assert (f_old.speech_seconds, f_old.avg_logprob, f_old.no_speech_prob) == (None, None, None)
    assert assess(f_old) == ()
    assert codes(speech_seconds=None, avg_logprob=None, no_speech_prob=None, turns=1) == [
        "reliability.one_segment"
    ]
    assert facts_of(None, 30.0).has_transcript is False


def test_gate_flags_every_automated_verdict_for_review_and_keeps_the_reasons():
    import rubrics

    t = make_call(("A", 0, 3, "您好，移动客服，工号1"), ("C", 3, 6, "我要查话费"), role_confidence=0.9)
    card = score(t, rubrics.load_default())
    assert not all(c.needs_review for c in card.criteria if c.automated)
    reasons = assess(facts(duration=64.0, turns=1, text_chars=2))
    gated = gate(card, reasons)
    assert all(c.needs_review for c in gated.criteria if c.automated) and gated.needs_review
    assert [c.result for c in gated.criteria] == [c.result for c in card.criteria]  # verdicts unchanged
    assert gated.transcript_unreliable == reasons
    d = gated.to_dict("en")
    assert [m["code"] for m in d["transcript_unreliable"]] == [
        "reliability.one_segment",
        "reliability.little_text",
    ]
    assert type(gated).from_dict(d).transcript_unreliable == reasons
    assert gate(card, ()) is card and "transcript_unreliable" not in card.to_dict()


def test_the_score_cli_applies_the_gate(tmp_path):
    import json

    from scoring.cli import score_file

    seg = Segment(0, 10.0, 11.0, "A", "喂喂", "agent")
    path = tmp_path / "t.json"
    path.write_text(
        json.dumps(Transcript("zh", 64.0, (seg,), role_confidence=0.9).to_dict()), encoding="utf-8"
    )
    card = score_file(path, lang="en")
    assert [m["code"] for m in card["transcript_unreliable"]] == [
        "reliability.one_segment",
        "reliability.little_text",
    ]
    assert all(c["needs_review"] for c in card["criteria"] if c["automated"])
