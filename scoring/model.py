"""Typed results of scoring: evidence, verdicts, answers, totals, scorecards (frozen dataclasses).

Notes are language-neutral :class:`~rubrics.messages.Message` values. ``to_dict(lang)`` writes each
note rendered in one language (``note``, the string of the scorecard contract) and the message
itself beside it (``note_message``: code + parameters), which the web renders in the reader's
language. Old stored scorecards have plain-text notes only; those are shown as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from rubrics.messages import Message, from_stored, render

Result = Literal["pass", "fail", "na"]
RESULTS: tuple[str, ...] = ("pass", "fail", "na")


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where a verdict comes from: one turn with the quoted text (as spoken), or a gap between turns
    (``text`` is then a message such as "[silence 12.5s]").

    ``searched`` marks a turn that was only looked in ("searched, not found"): it shows where a rule
    looked for something that was missing, not a fault said in that turn.
    """

    start: float
    end: float
    text: str | Message
    note: str | Message = ""
    segment: int | None = None
    speaker: str = ""
    role: str = ""
    searched: bool = False

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        d: dict[str, Any] = {
            "segment": self.segment,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "speaker": self.speaker,
            "role": self.role,
            "text": render(self.text, lang),
            "note": render(self.note, lang),
        }
        if isinstance(self.text, Message):
            d["text_message"] = self.text.to_dict()
        if isinstance(self.note, Message):
            d["note_message"] = self.note.to_dict()
        if self.searched:  # only when set: older readers and stored scorecards stay unchanged
            d["searched"] = True
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Evidence:
        return cls(
            start=float(d["start"]),
            end=float(d["end"]),
            text=from_stored(d["text_message"]) if d.get("text_message") else str(d["text"]),
            note=from_stored(d.get("note_message") or d.get("note")),
            segment=d.get("segment"),
            speaker=str(d.get("speaker") or ""),
            role=str(d.get("role") or ""),
            searched=bool(d.get("searched", False)),
        )


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a scoring primitive decided for one criterion on one call."""

    result: Result
    confidence: float
    evidence: tuple[Evidence, ...] = ()
    note: str | Message = ""
    points: float | None = None  # for points/likert scales; None = derive from result
    review: bool = False  # the primitive asks for a human look (e.g. an intent hit in the uncertain band)


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer to one criterion, from the engine or from a human reviewer.

    ``points`` is used by points scales (0..max) and likert scales (1..5); pass/fail ignores it.
    """

    result: Result
    points: float | None = None

    def __post_init__(self) -> None:
        if self.result not in RESULTS:
            raise ValueError(f"unknown result {self.result!r}; use pass, fail or na")


@dataclass(frozen=True, slots=True)
class CriticalFailure:
    """A failed critical criterion and what it zeroed."""

    criterion_id: str
    title_zh: str
    title_en: str
    level: Literal["section", "evaluation"]
    section_id: str

    @property
    def reason_zh(self) -> str:
        what = "整体评分为0" if self.level == "evaluation" else "本节评分为0"
        return f"致命项「{self.title_zh}」({self.criterion_id}) 未通过，{what}"

    @property
    def reason_en(self) -> str:
        what = "the whole evaluation scores 0" if self.level == "evaluation" else "its section scores 0"
        return f"critical item '{self.title_en}' ({self.criterion_id}) failed; {what}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "criterion": self.criterion_id,
            "title_zh": self.title_zh,
            "title_en": self.title_en,
            "level": self.level,
            "section": self.section_id,
            "reason_zh": self.reason_zh,
            "reason_en": self.reason_en,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CriticalFailure:
        return cls(
            d["criterion"], d.get("title_zh", ""), d.get("title_en", ""), d["level"], d.get("section", "")
        )


@dataclass(frozen=True, slots=True)
class CriterionScore:
    """Points earned by one criterion (N/A and unanswered criteria have points None)."""

    id: str
    section_id: str
    result: Result | None  # None = not answered
    points: float | None
    max_points: float
    zeroed_by_critical: bool = False


@dataclass(frozen=True, slots=True)
class SectionScore:
    id: str
    title_zh: str
    title_en: str
    score: float | None  # 0..100 within the section; None when every criterion is N/A
    earned: float
    possible: float
    critical_failed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title_zh": self.title_zh,
            "title_en": self.title_en,
            "score": None if self.score is None else round(self.score, 2),
            "earned": round(self.earned, 3),
            "possible": round(self.possible, 3),
            "critical_failed": self.critical_failed,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SectionScore:
        return cls(
            d["id"],
            d.get("title_zh", ""),
            d.get("title_en", ""),
            d.get("score"),
            float(d.get("earned", 0.0)),
            float(d.get("possible", 0.0)),
            bool(d.get("critical_failed", False)),
        )


@dataclass(frozen=True, slots=True)
class Totals:
    """Result of :func:`scoring.totals.compute`."""

    total: float | None  # 0..100, None when nothing is applicable
    critical_failed: bool
    critical_failures: tuple[CriticalFailure, ...]
    sections: tuple[SectionScore, ...]
    criteria: tuple[CriterionScore, ...]
    earned: float
    possible: float
    missing: tuple[str, ...] = ()  # criteria without an answer (treated as not applicable)

    def criterion(self, criterion_id: str) -> CriterionScore:
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """One row of a scorecard."""

    id: str
    section_id: str
    result: Result
    points: float | None
    max_points: float | None
    confidence: float
    needs_review: bool
    evidence: tuple[Evidence, ...]
    note: str | Message
    title_zh: str = ""
    title_en: str = ""
    automated: bool = True

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        d = {
            "id": self.id,
            "section": self.section_id,
            "title_zh": self.title_zh,
            "title_en": self.title_en,
            "result": self.result,
            "points": None if self.points is None else round(self.points, 3),
            "max_points": None if self.max_points is None else round(self.max_points, 3),
            "confidence": round(min(1.0, max(0.0, self.confidence)), 3),
            "needs_review": self.needs_review,
            "automated": self.automated,
            "evidence": [e.to_dict(lang) for e in self.evidence],
            "note": render(self.note, lang),
        }
        if isinstance(self.note, Message):
            d["note_message"] = self.note.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CriterionResult:
        return cls(
            id=str(d["id"]),
            section_id=str(d.get("section") or ""),
            result=d["result"],
            points=d.get("points"),
            max_points=d.get("max_points"),
            confidence=float(d.get("confidence", 1.0)),
            needs_review=bool(d.get("needs_review", False)),
            evidence=tuple(Evidence.from_dict(e) for e in d.get("evidence") or ()),
            note=from_stored(d.get("note_message") or d.get("note")),
            title_zh=str(d.get("title_zh") or ""),
            title_en=str(d.get("title_en") or ""),
            automated=bool(d.get("automated", True)),
        )


@dataclass(frozen=True, slots=True)
class Scorecard:
    """An automated (or human) evaluation of one call against one rubric version.

    ``to_dict`` follows ``shared/contracts/scorecard.schema.json``; ``sections``, ``metrics``,
    ``critical_failures`` and ``call_id`` are extra fields the contract allows.
    """

    rubric_id: str
    rubric_version: int | str
    total: float | None
    critical_failed: bool
    criteria: tuple[CriterionResult, ...]
    sections: tuple[SectionScore, ...] = ()
    critical_failures: tuple[CriticalFailure, ...] = ()
    metrics: Mapping[str, Any] = field(default_factory=dict)
    call_id: str | None = None
    rubric_hash: str = ""
    language: str = "zh"
    needs_review: bool = False
    # why the transcript is unreliable (scoring.reliability.gate); empty: reliable or not judged
    transcript_unreliable: tuple[Message, ...] = ()

    def criterion(self, criterion_id: str) -> CriterionResult:
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)

    def results(self) -> dict[str, str]:
        """criterion id -> pass | fail | na."""
        return {c.id: c.result for c in self.criteria}

    def answers(self) -> dict[str, Answer]:
        """The automated verdicts as answers (e.g. to pre-fill a human review form); manual rows left out."""
        return {c.id: Answer(c.result, None) for c in self.criteria if c.automated}

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        """The contract JSON; notes rendered in ``lang`` (zh or en) with their messages beside them."""
        return {
            "call_id": self.call_id,
            "rubric": {"id": self.rubric_id, "version": self.rubric_version, "hash": self.rubric_hash},
            "language": self.language,
            "total": None if self.total is None else round(self.total, 2),
            "critical_failed": self.critical_failed,
            "critical_failures": [c.to_dict() for c in self.critical_failures],
            "needs_review": self.needs_review,
            "sections": [s.to_dict() for s in self.sections],
            "criteria": [c.to_dict(lang) for c in self.criteria],
            "metrics": dict(self.metrics),
        } | (
            {"transcript_unreliable": [m.to_dict() for m in self.transcript_unreliable]}
            if self.transcript_unreliable
            else {}
        )

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Scorecard:
        rub = d["rubric"]
        return cls(
            rubric_id=str(rub["id"]),
            rubric_version=rub["version"],
            total=d.get("total"),
            critical_failed=bool(d.get("critical_failed", False)),
            criteria=tuple(CriterionResult.from_dict(c) for c in d["criteria"]),
            sections=tuple(SectionScore.from_dict(s) for s in d.get("sections") or ()),
            critical_failures=tuple(CriticalFailure.from_dict(c) for c in d.get("critical_failures") or ()),
            metrics=dict(d.get("metrics") or {}),
            call_id=d.get("call_id"),
            rubric_hash=str(rub.get("hash") or ""),
            language=str(d.get("language") or "zh"),
            needs_review=bool(d.get("needs_review", False)),
            transcript_unreliable=tuple(Message.from_dict(m) for m in d.get("transcript_unreliable") or ()),
        )
