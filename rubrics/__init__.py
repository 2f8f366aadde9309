"""Rubrics (质检标准): versioned scorecard definitions, YAML import/export, validation.

Pure domain package: never imports flask, sqlalchemy, wtforms or qa_app.
"""

from __future__ import annotations

from importlib import resources

from rubrics.automation import PRIMITIVES
from rubrics.errors import Issue, RubricError, RubricImmutableError, RubricValidationError
from rubrics.io import dump, dumps, from_dict, load, loads, to_dict, validate
from rubrics.model import Criterion, Rubric, Scale, Section
from rubrics.versioning import edit, new_draft_from, publish

DEFAULT_RUBRIC = "telecom_service"

__all__ = [
    "PRIMITIVES",
    "Criterion",
    "Issue",
    "Rubric",
    "RubricError",
    "RubricImmutableError",
    "RubricValidationError",
    "Scale",
    "Section",
    "default_names",
    "dump",
    "dumps",
    "edit",
    "from_dict",
    "load",
    "load_default",
    "loads",
    "new_draft_from",
    "publish",
    "to_dict",
    "validate",
]


def default_names() -> list[str]:
    """Names of the rubrics shipped in ``rubrics/default``."""
    return sorted(
        p.name.removesuffix(".yaml")
        for p in resources.files("rubrics.default").iterdir()
        if p.name.endswith(".yaml")
    )


def load_default(name: str = DEFAULT_RUBRIC) -> Rubric:
    """Load a shipped rubric (package data, works from an installed wheel)."""
    text = resources.files("rubrics.default").joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    return loads(text)
