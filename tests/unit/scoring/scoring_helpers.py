"""Helpers for scoring tests: a tiny transcript factory and one-criterion rubrics."""

from __future__ import annotations

import sys
from pathlib import Path

from rubrics import Criterion, Rubric, Scale, Section
from transcription.types import Segment, Transcript

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "scoring"
if str(FIXTURES) not in sys.path:
    sys.path.insert(0, str(FIXTURES))

SPEAKER = {"A": ("SPEAKER_00", "agent"), "C": ("SPEAKER_01", "customer"), "I": ("SPEAKER_02", "ivr")}


def make_call(
    *turns: tuple[str, float, float, str], language: str = "zh", role_confidence: float | None = None
) -> Transcript:
    """``make_call(("A", 0, 3, "您好"), ("C", 3.5, 5, "你好"))`` -> Transcript (A agent, C customer, I ivr)."""
    segs = tuple(
        Segment(i, float(s), float(e), SPEAKER[who][0], text, SPEAKER[who][1])  # type: ignore[arg-type]
        for i, (who, s, e, text) in enumerate(turns)
    )
    duration = max((s.end for s in segs), default=0.0) + 1.0
    return Transcript(
        language,
        duration,
        segs,
        speakers={v[0]: v[1] for v in SPEAKER.values()},  # type: ignore[misc]
        call_id="t",
        role_confidence=role_confidence,
    )


def one_criterion(
    automation: dict, *, allow_na: bool = True, critical: str | None = None, party: str = "agent"
) -> Rubric:
    """A one-criterion rubric around an automation spec (to test one primitive)."""
    c = Criterion(
        "x",
        "测试",
        "test",
        10.0,
        Scale(),
        allow_na=allow_na,
        critical=critical,
        party=party,
        automation=automation,
    )  # type: ignore[arg-type]
    return Rubric("t", 1, "测试", "Test", (Section("s", "节", "S", (c,)),))
