"""Rubric versions in the database: default seeding, drafts, publishing, lookup.

Published rows are immutable: saving changes to one creates a new draft (version + 1). Publishing never
re-scores history; re-scoring is a separate, logged action (processing.request_rescore).
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

import rubrics as rubric_domain
from qa_app.db.base import utcnow
from qa_app.db.models import RubricVersion, User
from qa_app.services import audit
from qa_app.services.errors import Conflict, Invalid, NotFound
from rubrics import Rubric, RubricValidationError


@lru_cache(maxsize=64)
def _parse(yaml_text: str) -> Rubric:
    return rubric_domain.loads(yaml_text)


def to_domain(version: RubricVersion) -> Rubric:
    """The domain rubric of a stored version (parsed once per distinct text)."""
    import dataclasses

    r = _parse(version.yaml_text)
    return dataclasses.replace(r, version=version.version, status="published" if version.status == "published"
                               else "draft")


def criterion_titles(version: RubricVersion) -> dict[str, dict[str, str]]:
    r = to_domain(version)
    out = {}
    for s in r.sections:
        for c in s.criteria:
            out[c.id] = {"zh": c.title_zh, "en": c.title_en, "section_zh": s.title_zh, "section_en": s.title_en,
                         "critical": c.critical or ""}
    return out


def ensure_default(db: Session) -> RubricVersion:
    """Seed the shipped default rubric as published version 1 when no default exists."""
    current = db.scalar(select(RubricVersion).where(RubricVersion.is_default))
    if current is not None:
        return current
    r = rubric_domain.load_default()
    text = rubric_domain.dumps(r)
    row = RubricVersion(rubric_key=r.id, version=1, status="published", title_zh=r.title_zh, title_en=r.title_en,
                        yaml_text=text, content_hash=r.content_hash, is_default=True, published_at=utcnow())
    db.add(row)
    db.flush()
    return row


def default_version(db: Session) -> RubricVersion:
    row = db.scalar(select(RubricVersion).where(RubricVersion.is_default, RubricVersion.status == "published"))
    return row if row is not None else ensure_default(db)


def get_version(db: Session, version_id: int) -> RubricVersion:
    row = db.get(RubricVersion, version_id)
    if row is None:
        raise NotFound("质检标准不存在 / rubric version not found")
    return row


def list_versions(db: Session) -> list[RubricVersion]:
    return list(db.scalars(select(RubricVersion).order_by(RubricVersion.rubric_key, RubricVersion.version.desc())))


def _validated(yaml_text: str) -> Rubric:
    try:
        r = rubric_domain.loads(yaml_text)
    except RubricValidationError as exc:
        raise Invalid("\n".join(f"{i.text_zh} / {i.text_en}" for i in exc.issues), field="yaml") from exc
    except Exception as exc:  # YAML syntax errors and the like
        raise Invalid(f"无法读取 YAML / cannot read the YAML: {exc}", field="yaml") from exc
    issues = rubric_domain.validate(r)
    if issues:
        raise Invalid("\n".join(f"{i.text_zh} / {i.text_en}" for i in issues), field="yaml")
    return r


def save_draft(
    db: Session, yaml_text: str, *, actor: User, base_version_id: int | None = None,
    expected_lock_version: int | None = None,
) -> RubricVersion:
    """Save rubric content as a draft.

    Editing a draft updates it in place (optimistic locking: a concurrent edit raises Conflict);
    editing a published version (or importing a new rubric) creates a new draft version.
    """
    r = _validated(yaml_text)
    text = rubric_domain.dumps(r)
    base = db.get(RubricVersion, base_version_id) if base_version_id else None
    if base is not None and base.status == "draft":
        if base.rubric_key != r.id:
            raise Invalid("不能修改标准编号 / the rubric id cannot change in a draft", field="yaml")
        if expected_lock_version is not None and base.lock_version != expected_lock_version:
            raise Conflict("该草稿已被他人修改，请刷新后重试 / someone else saved this draft; reload and retry")
        base.yaml_text, base.content_hash = text, r.content_hash
        base.title_zh, base.title_en = r.title_zh, r.title_en
        db.flush()
        row = base
    else:
        latest = db.scalar(select(func.max(RubricVersion.version)).where(RubricVersion.rubric_key == r.id)) or 0
        open_draft = db.scalar(select(RubricVersion).where(RubricVersion.rubric_key == r.id,
                                                           RubricVersion.status == "draft"))
        if open_draft is not None:
            raise Conflict(f"标准 {r.id} 已有未发布的草稿 v{open_draft.version} / rubric {r.id} already has an "
                           f"unpublished draft v{open_draft.version}")
        row = RubricVersion(rubric_key=r.id, version=latest + 1, status="draft", title_zh=r.title_zh,
                            title_en=r.title_en, yaml_text=text, content_hash=r.content_hash, created_by_id=actor.id)
        db.add(row)
        db.flush()
    audit.record(db, "rubric_draft_saved", user=actor, target=f"rubric:{row.rubric_key}:v{row.version}")
    return row


def publish(db: Session, version_id: int, *, actor: User, make_default: bool = False) -> RubricVersion:
    row = get_version(db, version_id)
    if row.status != "draft":
        raise Conflict("只能发布草稿 / only drafts can be published")
    _validated(row.yaml_text)
    row.status = "published"
    row.published_at = utcnow()
    # Older published versions of the same rubric are archived; evaluations keep pointing at them.
    prev_default = False
    for old in db.scalars(select(RubricVersion).where(RubricVersion.rubric_key == row.rubric_key,
                                                      RubricVersion.status == "published",
                                                      RubricVersion.id != row.id)):
        old.status = "archived"
        prev_default = prev_default or old.is_default
    if make_default or prev_default:
        db.execute(update(RubricVersion).where(RubricVersion.id != row.id).values(is_default=False)
                   .execution_options(synchronize_session="fetch"))
        row.is_default = True
    db.flush()
    audit.record(db, "rubric_published", user=actor, target=f"rubric:{row.rubric_key}:v{row.version}",
                 default=row.is_default)
    return row
