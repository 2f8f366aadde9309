"""Rubric versions in the database: default seeding, drafts, publishing, lookup.

Published rows are immutable: saving changes to one creates a new draft (version + 1). Publishing never
re-scores history; re-scoring is a separate, logged action (queueing.request_rescore).
"""

from __future__ import annotations

import copy
import dataclasses
import logging
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import yaml
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

import rubrics as rubric_domain
from qa_app.db.base import utcnow
from qa_app.db.models import RubricVersion, User
from qa_app.services import audit
from qa_app.services.errors import Conflict, Invalid, NotFound
from rubrics import Issue, Rubric, RubricImmutableError, RubricValidationError, versioning
from rubrics import io as rubric_io

log = logging.getLogger(__name__)


@lru_cache(maxsize=64)
def _parse(yaml_text: str, version: int, status: str, strict: bool) -> Rubric:
    """Parsed once per distinct stored version: the same object is reused, so the scoring engine's
    compiled-rubric cache hits too."""
    r = rubric_domain.loads(yaml_text, strict=strict)
    return dataclasses.replace(r, version=version, status=status)


def to_domain(version: RubricVersion, *, strict: bool = True) -> Rubric:
    """The domain rubric of a stored version; ``strict=False`` reads one that a later, stricter
    validator rejects (published history must stay readable)."""
    status = "published" if version.status in ("published", "archived") else "draft"
    return _parse(version.yaml_text, version.version, status, strict)


def criterion_titles(version: RubricVersion) -> dict[str, dict[str, str]]:
    r = to_domain(version, strict=False)
    out = {}
    for s in r.sections:
        for c in s.criteria:
            out[c.id] = {
                "zh": c.title_zh,
                "en": c.title_en,
                "section_zh": s.title_zh,
                "section_en": s.title_en,
                "critical": c.critical or "",
            }
    return out


def ensure_default(db: Session) -> RubricVersion:
    """Seed the shipped default rubric as published version 1 when no default exists."""
    current = db.scalar(select(RubricVersion).where(RubricVersion.is_default))
    if current is not None:
        return current
    r = rubric_domain.load_default()
    text = rubric_domain.dumps(r)
    row = RubricVersion(
        rubric_key=r.id,
        version=1,
        status="published",
        title_zh=r.title_zh,
        title_en=r.title_en,
        yaml_text=text,
        content_hash=r.content_hash,
        is_default=True,
        published_at=utcnow(),
    )
    db.add(row)
    db.flush()
    return row


# Content hashes of earlier shipped versions of the default rubric. A database whose default is still
# one of these (nobody edited it) may adopt the shipped file as a new version (adopt_shipped_default).
PREVIOUS_SHIPPED_DEFAULTS = {
    # telecom_service as shipped before issue #10: overtalk tolerated one interruption (max_count 1)
    "6cc8ebe73c0ffae89138e485eb993cb9eb53675d0e6430992fb0162e0d590d9c": "overtalk tolerated one interruption",
}


def adopt_shipped_default(db: Session, *, actor: User) -> RubricVersion | None:
    """Publish the shipped default rubric as a new version of the database's default — through the normal
    draft → publish path (audited, earlier versions archived and kept for their evaluations) — when the
    current default is an unedited earlier shipped version. Returns the new version; None when the
    default is already the shipped one. A default edited in the builder is left alone (Conflict): apply
    the change there. Calls keep their scores until re-scored (``flask rescore``)."""
    current = default_version(db)
    shipped = rubric_domain.load_default()
    if current.content_hash == shipped.content_hash:
        return None
    if current.rubric_key != shipped.id or current.content_hash not in PREVIOUS_SHIPPED_DEFAULTS:
        raise Conflict("rubrics.default_edited", rubric=current.rubric_key, version=current.version)
    draft = save_draft(db, rubric_domain.dumps(shipped), actor=actor, base_version_id=current.id)
    return publish(db, draft.id, actor=actor, make_default=True)


def default_version(db: Session) -> RubricVersion:
    row = db.scalar(
        select(RubricVersion).where(RubricVersion.is_default, RubricVersion.status == "published")
    )
    return row if row is not None else ensure_default(db)


def get_version(db: Session, version_id: int) -> RubricVersion:
    row = db.get(RubricVersion, version_id)
    if row is None:
        raise NotFound("rubrics.version_not_found")
    return row


def list_versions(db: Session) -> list[RubricVersion]:
    return list(
        db.scalars(select(RubricVersion).order_by(RubricVersion.rubric_key, RubricVersion.version.desc()))
    )


MAX_ISSUE_LINES = 12  # issues quoted in one message (flash, error page); the builder marks them all


def issues_text(issues: list[Issue] | tuple[Issue, ...]) -> dict[str, str]:
    """Rubric validation issues as one zh/en pair (one issue a line, the first MAX_ISSUE_LINES), a
    message parameter."""
    shown, rest = list(issues[:MAX_ISSUE_LINES]), len(issues) - MAX_ISSUE_LINES
    zh = [rubric_io.clip(i.text_zh) for i in shown] + ([f"……另有 {rest} 个问题"] if rest > 0 else [])
    en = [rubric_io.clip(i.text_en) for i in shown] + ([f"… and {rest} more problems"] if rest > 0 else [])
    return {"zh": "\n".join(zh), "en": "\n".join(en)}


def _validated(yaml_text: str) -> Rubric:
    try:
        r = rubric_domain.loads(yaml_text)
    except RubricValidationError as exc:
        raise Invalid("rubrics.invalid", field="yaml", issues=issues_text(exc.issues)) from exc
    except Exception as exc:  # anything else the YAML library may raise: logged, not shown
        log.warning("rubric YAML could not be read: %r", exc)
        raise Invalid("rubrics.unreadable_yaml", field="yaml") from exc
    issues = rubric_domain.validate(r)
    if issues:
        raise Invalid("rubrics.invalid", field="yaml", issues=issues_text(issues))
    return r


def save_draft(
    db: Session,
    yaml_text: str,
    *,
    actor: User,
    base_version_id: int | None = None,
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
            raise Invalid("rubrics.id_changed", field="yaml")
        if expected_lock_version is not None and base.lock_version != expected_lock_version:
            raise Conflict("rubrics.stale_draft")
        base.yaml_text, base.content_hash = text, r.content_hash
        base.title_zh, base.title_en = r.title_zh, r.title_en
        db.flush()
        row = base
    else:
        latest = (
            db.scalar(select(func.max(RubricVersion.version)).where(RubricVersion.rubric_key == r.id)) or 0
        )
        open_draft = db.scalar(
            select(RubricVersion).where(RubricVersion.rubric_key == r.id, RubricVersion.status == "draft")
        )
        if open_draft is not None:
            raise Conflict("rubrics.open_draft_exists", rubric=r.id, version=open_draft.version)
        row = RubricVersion(
            rubric_key=r.id,
            version=latest + 1,
            status="draft",
            title_zh=r.title_zh,
            title_en=r.title_en,
            yaml_text=text,
            content_hash=r.content_hash,
            created_by_id=actor.id,
        )
        db.add(row)
        db.flush()
    audit.record(db, "rubric_draft_saved", user=actor, target=f"rubric:{row.rubric_key}:v{row.version}")
    return row


def publish(db: Session, version_id: int, *, actor: User, make_default: bool = False) -> RubricVersion:
    row = get_version(db, version_id)
    try:  # the domain's rules: only a draft is published, and only when it validates
        published = versioning.publish(to_domain(row, strict=False))
    except RubricImmutableError as exc:
        raise Conflict("rubrics.publish_drafts_only") from exc
    except RubricValidationError as exc:
        raise Invalid("rubrics.invalid", field="yaml", issues=issues_text(exc.issues)) from exc
    row.status = published.status
    row.published_at = utcnow()
    # Older published versions of the same rubric are archived; evaluations keep pointing at them.
    prev_default = False
    for old in db.scalars(
        select(RubricVersion).where(
            RubricVersion.rubric_key == row.rubric_key,
            RubricVersion.status == "published",
            RubricVersion.id != row.id,
        )
    ):
        old.status = "archived"
        prev_default = prev_default or old.is_default
    if make_default or prev_default:
        db.execute(
            update(RubricVersion)
            .where(RubricVersion.id != row.id)
            .values(is_default=False)
            .execution_options(synchronize_session="fetch")
        )
        row.is_default = True
    db.flush()
    audit.record(
        db,
        "rubric_published",
        user=actor,
        target=f"rubric:{row.rubric_key}:v{row.version}",
        default=row.is_default,
    )
    return row


# --- the rubric builder (a JSON document shaped like rubrics.to_dict) ---------------------------------------


class RubricInvalid(Invalid):
    """Invalid rubric content; ``issues`` keeps each problem with its path (for the builder UI)."""

    def __init__(self, issues: list[Issue] | tuple[Issue, ...]) -> None:
        self.issues: tuple[Issue, ...] = tuple(issues)
        super().__init__("rubrics.invalid", field="document", issues=issues_text(self.issues))


def _too_deep() -> Issue:
    limit = rubric_io.MAX_DEPTH
    return Issue(
        "", "质检标准", "rubric", f"嵌套层级超过 {limit} 层", f"the document nests deeper than {limit} levels"
    )


def _builder_issue(path: str, si: int, ci: int, zh: str, en: str) -> Issue:
    return Issue(path, f"第{si + 1}节第{ci + 1}项", f"section {si + 1}, criterion {ci + 1}", zh, en)


def builder_to_dict(doc: Any, *, rubric_key: str, version: int) -> dict[str, Any]:
    """The builder's document -> the plain dict of :func:`rubrics.from_dict`.

    The builder sends each criterion's automation as ``automation: {primitive}`` plus the remaining
    parameters as YAML/JSON text in ``automation_params``; this merges them. The rubric id, version and
    status come from the stored version, never from the browser. Raises :class:`RubricInvalid`.
    """
    if not isinstance(doc, Mapping):
        raise RubricInvalid(
            [Issue("", "质检标准", "rubric", "内容必须是键值表", "the document must be a mapping")]
        )
    if rubric_io.depth_exceeds(doc):
        raise RubricInvalid([_too_deep()])
    data = copy.deepcopy(dict(doc))
    data.update(id=rubric_key, version=version, status="draft")
    issues: list[Issue] = []
    sections = data.get("sections")
    for si, sd in enumerate(sections if isinstance(sections, list) else []):
        criteria = sd.get("criteria") if isinstance(sd, dict) else None
        for ci, cd in enumerate(criteria if isinstance(criteria, list) else []):
            if not isinstance(cd, dict) or "automation_params" not in cd:
                continue
            text = cd.pop("automation_params")
            auto = cd.get("automation")
            if not isinstance(auto, dict) or not auto.get("primitive"):
                cd["automation"] = None  # manual: parameters are ignored
                continue
            params: Any = None
            if isinstance(text, str) and text.strip():
                try:
                    params = rubric_io.safe_load(text)  # no anchors/aliases: nothing can expand
                except yaml.YAMLError as exc:
                    mark = getattr(exc, "problem_mark", None)
                    at_zh = f"第{mark.line + 1}行" if mark else ""
                    at_en = f" at line {mark.line + 1}" if mark else ""
                    issues.append(
                        _builder_issue(
                            f"sections[{si}].criteria[{ci}].automation",
                            si,
                            ci,
                            f"自动评分参数{at_zh}格式错误，请填写 YAML 或 JSON 键值表",
                            f"the automation parameters cannot be read{at_en}; write a YAML or JSON mapping",
                        )
                    )
                    continue
            if params is not None and not isinstance(params, dict):
                issues.append(
                    _builder_issue(
                        f"sections[{si}].criteria[{ci}].automation",
                        si,
                        ci,
                        "自动评分参数必须是键值表（如 party: agent）",
                        "the automation parameters must be a mapping (e.g. party: agent)",
                    )
                )
                continue
            cd["automation"] = {
                "primitive": auto["primitive"],
                **{k: v for k, v in (params or {}).items() if k != "primitive"},
            }
    try:
        rubric_domain.from_dict(data)
    except RubricValidationError as exc:
        issues.extend(exc.issues)
    if issues:
        raise RubricInvalid(issues)
    return data


def parse_builder_document(doc: Any, *, rubric_key: str, version: int) -> Rubric:
    """Validate a builder document into a domain rubric (raises :class:`RubricInvalid`)."""
    r = rubric_domain.from_dict(builder_to_dict(doc, rubric_key=rubric_key, version=version))
    issues = rubric_domain.validate(r)
    if issues:
        raise RubricInvalid(issues)
    return r


def save_draft_from_dict(
    db: Session,
    doc: Any,
    *,
    actor: User,
    base_version_id: int,
    expected_lock_version: int | None = None,
) -> RubricVersion:
    """Save a builder document: a draft is updated in place (optimistic lock), a published or archived
    version gets a new draft version. Raises RubricInvalid, Conflict or NotFound."""
    base = get_version(db, base_version_id)
    if base.status == "draft":
        version = base.version
    else:
        version = (
            db.scalar(
                select(func.max(RubricVersion.version)).where(RubricVersion.rubric_key == base.rubric_key)
            )
            or 0
        ) + 1
    r = parse_builder_document(doc, rubric_key=base.rubric_key, version=version)
    return save_draft(
        db,
        rubric_domain.dumps(r),
        actor=actor,
        base_version_id=base.id,
        expected_lock_version=expected_lock_version if base.status == "draft" else None,
    )


def open_draft(db: Session, rubric_key: str) -> RubricVersion | None:
    return db.scalar(
        select(RubricVersion).where(RubricVersion.rubric_key == rubric_key, RubricVersion.status == "draft")
    )


def new_draft_from_version(db: Session, version_id: int, *, actor: User) -> tuple[RubricVersion, bool]:
    """A draft to edit, copied from ``version_id``; returns ``(draft, created)``.

    When the rubric already has an open draft, that one is returned (``created`` False) rather than
    a second draft. A draft passed in is returned as is.
    """
    base = get_version(db, version_id)
    if base.status == "draft":
        return base, False
    existing = open_draft(db, base.rubric_key)
    if existing is not None:
        return existing, False
    try:
        doc = rubric_domain.to_dict(to_domain(base))
    except RubricValidationError:
        # Stored before a stricter check existed: copy it as is; the builder lists what to fix and
        # publish() refuses it until it is valid.
        latest = db.scalar(
            select(func.max(RubricVersion.version)).where(RubricVersion.rubric_key == base.rubric_key)
        )
        row = RubricVersion(
            rubric_key=base.rubric_key,
            version=(latest or 0) + 1,
            status="draft",
            title_zh=base.title_zh,
            title_en=base.title_en,
            yaml_text=base.yaml_text,
            content_hash=base.content_hash,
            created_by_id=actor.id,
        )
        db.add(row)
        db.flush()
        audit.record(db, "rubric_draft_saved", user=actor, target=f"rubric:{row.rubric_key}:v{row.version}")
        return row, True
    return save_draft_from_dict(db, doc, actor=actor, base_version_id=base.id), True
