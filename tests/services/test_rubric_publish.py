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


def _seed_old_default(db) -> RubricVersion:
    """A database seeded before issue #10: the shipped default with overtalk tolerating one interruption."""
    import rubrics as rubric_domain

    shipped = rubric_domain.dumps(rubric_domain.load_default())
    assert "max_count: 0" in shipped
    old = rubric_domain.loads(shipped.replace("max_count: 0", "max_count: 1", 1))
    row = RubricVersion(
        rubric_key=old.id,
        version=1,
        status="published",
        title_zh=old.title_zh,
        title_en=old.title_en,
        yaml_text=rubric_domain.dumps(old),
        content_hash=old.content_hash,
        is_default=True,
    )
    db.add(row)
    db.flush()
    return row


def test_an_unedited_old_default_adopts_the_shipped_rubric_through_the_publish_path(app, db, monkeypatch):
    from sqlalchemy import select

    from qa_app.db.models import AuditEvent

    admin = factories.create_user(db, "admin")
    old = _seed_old_default(db)
    monkeypatch.setitem(rubrics.PREVIOUS_SHIPPED_DEFAULTS, old.content_hash, "test: the pre-issue-10 default")
    new = rubrics.adopt_shipped_default(db, actor=admin)
    assert (new.version, new.status, new.is_default) == (2, "published", True)
    assert (old.status, old.is_default) == ("archived", False)  # kept for the evaluations made with it
    overtalk = next(c for c in rubrics.to_domain(new).criteria() if c.id == "overtalk")
    assert overtalk.automation["max_count"] == 0 and overtalk.automation["min_overlap"] == 1.0
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "rubric_published")).user_id == admin.id
    assert rubrics.adopt_shipped_default(db, actor=admin) is None  # idempotent


def test_an_edited_default_is_left_to_its_owners(app, db):
    admin = factories.create_user(db, "admin")
    _seed_old_default(db)  # its hash is not a known shipped one: treated as edited
    with pytest.raises(Conflict) as exc:
        rubrics.adopt_shipped_default(db, actor=admin)
    assert exc.value.msg.code == "rubrics.default_edited"
    assert rubrics.default_version(db).version == 1


def test_the_known_previous_default_is_the_shipped_file_with_one_tolerated_interruption():
    import rubrics as rubric_domain

    shipped = rubric_domain.load_default()
    assert shipped.content_hash not in rubrics.PREVIOUS_SHIPPED_DEFAULTS
    overtalk = next(c for c in shipped.criteria() if c.id == "overtalk")
    assert (overtalk.automation["max_count"], overtalk.automation["min_overlap"]) == (0, 1.0)
