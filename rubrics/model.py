"""Rubric domain model: Rubric -> Section -> Criterion (frozen dataclasses).

Pure domain code: no web framework, no ORM. A rubric is identified by ``(id, version)``;
published versions never change (see :mod:`rubrics.versioning`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

ScaleKind = Literal["pass_fail", "points", "likert"]
Critical = Literal["section", "evaluation"]
Party = Literal["agent", "customer", "call"]
Status = Literal["draft", "published"]

SCALE_KINDS: tuple[str, ...] = ("pass_fail", "points", "likert")
CRITICAL_LEVELS: tuple[str, ...] = ("section", "evaluation")
PARTIES: tuple[str, ...] = ("agent", "customer", "call")
STATUSES: tuple[str, ...] = ("draft", "published")


@dataclass(frozen=True, slots=True)
class Scale:
    """How a criterion is answered: pass/fail, points 0..max_points, or likert 1..5."""

    kind: ScaleKind = "pass_fail"
    max_points: int | None = None  # only for kind == "points"

    @property
    def minimum(self) -> int:
        return 1 if self.kind == "likert" else 0

    @property
    def maximum(self) -> int:
        if self.kind == "likert":
            return 5
        if self.kind == "points":
            return int(self.max_points or 0)
        return 1

    def points_for(self, result: str) -> float | None:
        """The answer on this scale a pass/fail verdict stands for (a rule's pass is the top of a points or
        1–5 scale, a fail the bottom); None on a pass/fail scale and for N/A."""
        if self.kind == "pass_fail" or result not in ("pass", "fail"):
            return None
        return float(self.maximum if result == "pass" else self.minimum)

    def fraction(self, points: float | None, passed: bool) -> float:
        """Map an answer on this scale to 0..1 (share of the criterion weight earned)."""
        if self.kind == "pass_fail" or points is None:
            return 1.0 if passed else 0.0
        lo, hi = self.minimum, self.maximum
        if hi <= lo:
            return 1.0 if passed else 0.0
        value = min(max(float(points), lo), hi)
        return (value - lo) / (hi - lo)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"type": self.kind}
        if self.kind == "points":
            d["max"] = self.max_points
        return d


@dataclass(frozen=True, slots=True)
class Criterion:
    """One QA item (质检项)."""

    id: str
    title_zh: str
    title_en: str
    weight: float
    scale: Scale = field(default_factory=Scale)
    guidance_zh: str = ""
    guidance_en: str = ""
    allow_na: bool = False
    critical: Critical | None = None
    party: Party = "agent"
    automation: Mapping[str, Any] | None = None

    def title(self, lang: str = "zh") -> str:
        return self.title_en if lang.startswith("en") else self.title_zh

    @property
    def primitive(self) -> str | None:
        return str(self.automation.get("primitive")) if self.automation else None


@dataclass(frozen=True, slots=True)
class Section:
    """A group of criteria (开场 / 业务处理 / ...)."""

    id: str
    title_zh: str
    title_en: str
    criteria: tuple[Criterion, ...] = ()

    def title(self, lang: str = "zh") -> str:
        return self.title_en if lang.startswith("en") else self.title_zh

    @property
    def weight(self) -> float:
        return sum(c.weight for c in self.criteria)


@dataclass(frozen=True, slots=True)
class Rubric:
    """A versioned scorecard definition (质检标准)."""

    id: str
    version: int
    title_zh: str
    title_en: str
    sections: tuple[Section, ...] = ()
    status: Status = "draft"
    description_zh: str = ""
    description_en: str = ""
    language: str = "zh"

    def title(self, lang: str = "zh") -> str:
        return self.title_en if lang.startswith("en") else self.title_zh

    @property
    def is_published(self) -> bool:
        return self.status == "published"

    def criteria(self) -> Iterator[Criterion]:
        for s in self.sections:
            yield from s.criteria

    def criterion(self, criterion_id: str) -> Criterion:
        for c in self.criteria():
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)

    def section_of(self, criterion_id: str) -> Section:
        for s in self.sections:
            if any(c.id == criterion_id for c in s.criteria):
                return s
        raise KeyError(criterion_id)

    @property
    def criterion_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.criteria())

    @property
    def content_hash(self) -> str:
        """sha256 of the scoring content (everything except id, version and status)."""
        from rubrics.io import to_dict  # local import: io depends on this module

        d = to_dict(self)
        for key in ("id", "version", "status"):
            d.pop(key, None)
        blob = json.dumps(d, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()
