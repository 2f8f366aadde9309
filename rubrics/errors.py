"""Rubric errors with plain-language messages in Chinese and English."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Issue:
    """One validation problem: where (machine path + human label) and what (zh + en)."""

    path: str  # e.g. "sections[1].criteria[2].weight"
    where_zh: str  # e.g. "第2节第3项"
    where_en: str  # e.g. "section 2, criterion 3"
    message_zh: str
    message_en: str

    @property
    def text_zh(self) -> str:
        return f"{self.where_zh}: {self.message_zh}" if self.where_zh else self.message_zh

    @property
    def text_en(self) -> str:
        return f"{self.where_en}: {self.message_en}" if self.where_en else self.message_en

    def __str__(self) -> str:
        return f"{self.text_zh} / {self.text_en}"

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "zh": self.text_zh, "en": self.text_en}


class RubricError(Exception):
    """Base class of rubric errors."""


class RubricValidationError(RubricError, ValueError):
    """The rubric is invalid; ``issues`` lists every problem found (not just the first)."""

    def __init__(self, issues: list[Issue] | tuple[Issue, ...]):
        self.issues: tuple[Issue, ...] = tuple(issues)
        super().__init__("\n".join(str(i) for i in self.issues) or "invalid rubric")

    def messages(self, lang: str = "zh") -> list[str]:
        return [i.text_en if lang.startswith("en") else i.text_zh for i in self.issues]


class RubricImmutableError(RubricError):
    """A published rubric version cannot be changed; make a new draft instead."""

    def __init__(self, rubric_id: str, version: int):
        self.rubric_id = rubric_id
        self.version = version
        super().__init__(
            f"质检标准 {rubric_id} 第{version}版已发布，不能修改；请基于它创建新草稿 / "
            f"rubric {rubric_id} version {version} is published and cannot be changed; create a new draft from it"
        )
