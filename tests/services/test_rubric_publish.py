"""Publishing follows the domain's versioning rules (rubrics.versioning): drafts only, valid only."""

from __future__ import annotations

import pytest

from qa_app.db.models import RubricVersion
from qa_app.services import rubrics
from qa_app.services.errors import Conflict, Invalid

import factories


def _draft(db, yaml_text: str) -> RubricVersion:
    row = RubricVersion(
        rubric_key="custom",
        version=1,
        status="draft",
        title_zh="自定义",
        title_en="custom",
        yaml_text=yaml_text,
        content_hash="x",
    )
    db.add(row)
    db.flush()
    return row


def test_a_published_version_cannot_be_published_again(app, db):
    admin = factories.create_user(db, "admin")
    default = rubrics.ensure_default(db)
    with pytest.raises(Conflict) as exc:
        rubrics.publish(db, default.id, actor=admin)
    assert exc.value.msg.code == "rubrics.publish_drafts_only"


def test_a_stored_draft_that_does_not_validate_is_refused_and_stays_a_draft(app, db):
    admin = factories.create_user(db, "admin")
    default = rubrics.ensure_default(db)
    bad = default.yaml_text.replace("weight: ", "weight: -", 1)
    row = _draft(db, bad)
    with pytest.raises(Invalid) as exc:
        rubrics.publish(db, row.id, actor=admin)
    assert exc.value.msg.code == "rubrics.invalid" and exc.value.field == "yaml"
    assert row.status == "draft" and row.published_at is None


def test_a_valid_draft_is_published(app, db):
    admin = factories.create_user(db, "admin")
    default = rubrics.ensure_default(db)
    row = _draft(db, default.yaml_text.replace("telecom_service", "custom", 1))
    rubrics.publish(db, row.id, actor=admin)
    assert row.status == "published" and row.published_at is not None
