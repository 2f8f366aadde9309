"""Published rubric versions are immutable; edits go to a new draft."""

from __future__ import annotations

import dataclasses

import pytest

import rubrics
from rubrics import RubricImmutableError, RubricValidationError


@pytest.fixture(scope="module")
def published():
    return rubrics.load_default()


def test_new_draft_bumps_version_and_leaves_published_untouched(published):
    draft = rubrics.new_draft_from(published)
    assert (draft.version, draft.status) == (published.version + 1, "draft")
    assert (published.version, published.status) == (1, "published")
    assert draft.sections == published.sections


def test_published_cannot_be_edited(published):
    with pytest.raises(RubricImmutableError) as exc:
        rubrics.edit(published, title_zh="改")
    assert "已发布" in str(exc.value) and "published" in str(exc.value)


def test_frozen_dataclasses(published):
    with pytest.raises(dataclasses.FrozenInstanceError):
        published.version = 9  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        published.sections[0].criteria[0].weight = 1  # type: ignore[misc]


def test_publish_validates_and_freezes(published):
    draft = rubrics.edit(rubrics.new_draft_from(published), title_en="QA standard v2")
    done = rubrics.publish(draft)
    assert done.status == "published" and done.version == 2 and done.title_en == "QA standard v2"
    with pytest.raises(RubricImmutableError):
        rubrics.publish(done)
    with pytest.raises(RubricImmutableError):
        rubrics.edit(done, title_en="x")


def test_publish_refuses_invalid_draft(published):
    draft = rubrics.new_draft_from(published)
    s0 = draft.sections[0]
    bad = rubrics.edit(
        draft,
        sections=(dataclasses.replace(s0, criteria=(s0.criteria[0], s0.criteria[0])), *draft.sections[1:]),
    )
    with pytest.raises(RubricValidationError) as exc:
        rubrics.publish(bad)
    assert any("重复" in m for m in exc.value.messages("zh"))
    assert any("duplicates" in m for m in exc.value.messages("en"))


def test_edit_cannot_change_status(published):
    with pytest.raises(ValueError):
        rubrics.edit(rubrics.new_draft_from(published), status="published")
