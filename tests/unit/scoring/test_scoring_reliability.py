"""scoring.reliability: the one definition of an unreliable transcript (sampling's rule, the coaching
statistics and dashboards; its SQL twin is checked against it in tests/services/test_reliability.py)."""

from __future__ import annotations

import pytest

from scoring.reliability import (
    MIN_CHARS_PER_SECOND,
    MIN_ROLE_CONFIDENCE,
    MIN_SECONDS_FOR_DENSITY,
    MIN_TURNS_PER_MINUTE,
    TranscriptFacts,
    unreliable,
)


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
        ({"duration": 30.0, "turns": 1, "text_chars": 15}, False),
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
