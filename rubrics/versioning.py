"""Rubric versioning: published versions are immutable; edits go to a new draft."""

from __future__ import annotations

import dataclasses
from typing import Any

from rubrics.errors import RubricImmutableError, RubricValidationError
from rubrics.io import validate
from rubrics.model import Rubric


def new_draft_from(published: Rubric) -> Rubric:
    """A draft copy of ``published`` with version + 1 (the published one is untouched)."""
    return dataclasses.replace(published, version=published.version + 1, status="draft")


def edit(draft: Rubric, **changes: Any) -> Rubric:
    """Return a changed copy of a draft; refuse to change a published version."""
    if draft.is_published:
        raise RubricImmutableError(draft.id, draft.version)
    if "status" in changes:
        raise ValueError("use publish() to change the status")
    return dataclasses.replace(draft, **changes)


def publish(draft: Rubric) -> Rubric:
    """Validate and freeze a draft; raise RubricValidationError when it is invalid."""
    if draft.is_published:
        raise RubricImmutableError(draft.id, draft.version)
    issues = validate(draft)
    if issues:
        raise RubricValidationError(issues)
    return dataclasses.replace(draft, status="published")
