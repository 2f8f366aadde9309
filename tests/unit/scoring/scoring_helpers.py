"""Helpers for scoring tests: a tiny transcript factory and one-criterion rubrics.

There is deliberately no conftest.py in this folder: other test packages do ``from conftest import ...``
and a second ``conftest`` module on sys.path would shadow theirs.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from rubrics import Criterion, Rubric, Scale, Section
from transcription.types import Segment, Transcript

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "scoring"

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


def load_labelled() -> ModuleType:
    """tests/fixtures/scoring/labelled.py as a module (it is not on sys.path by default)."""
    spec = importlib.util.spec_from_file_location("scoring_labelled_fixture", FIXTURES / "labelled.py")
    assert spec is not None and spec.loader is not None
    if spec.name in sys.modules:
        return sys.modules[spec.name]
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while the class is built
    spec.loader.exec_module(module)
    return module
