"""Knowledge base (知识管理): create, edit, search and read articles.

Search is a case-insensitive substring match on title, body and tags (``LIKE``, works for Chinese where
word-splitting search would need a tokenizer); each space-separated term must match somewhere. Agents
only ever see active articles. Use cases flush, never commit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from qa_app.db.base import utcnow
from qa_app.db.models import KnowledgeArticle, KnowledgeTag, User
from qa_app.services import audit
from qa_app.services.calls import Page
from qa_app.services.coaching import MANAGERS
from qa_app.services.errors import Conflict, Forbidden, Invalid, NotFound

EDITORS = MANAGERS  # the knowledge base is written by those who coach: trainers / team leads and admins
TITLE_MAX = 200
BODY_MAX = 50_000
TAG_MAX = 64
MAX_TAGS = 20
_TAG_SPLIT = re.compile(r"[,，、;；\s]+")


@dataclass(frozen=True)
class ArticleInput:
    title: str
    body: str
    criteria: Sequence[str] = ()
    tags: Sequence[str] = ()
    active: bool = True


def parse_tags(text: str) -> list[str]:
    """Free tags typed as one line: commas (also ，、；) or spaces separate them; duplicates dropped."""
    return list(dict.fromkeys(t.strip() for t in _TAG_SPLIT.split(text or "") if t.strip()))


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _validate(data: ArticleInput, known_criteria: Iterable[str]) -> tuple[str, str, list[str], list[str]]:
    title = " ".join(data.title.split())
    body = data.body.replace("\r\n", "\n").strip()
    if not title:
        raise Invalid("knowledge.title_required", field="title")
    if len(title) > TITLE_MAX:
        raise Invalid("knowledge.title_too_long", field="title", max=TITLE_MAX)
    if not body:
        raise Invalid("knowledge.body_required", field="body")
    if len(body) > BODY_MAX:
        raise Invalid("knowledge.body_too_long", field="body", max=BODY_MAX)
    known = set(known_criteria)
    criteria = list(dict.fromkeys(data.criteria))
    unknown = [c for c in criteria if c not in known]
    if unknown:
        raise Invalid("coaching.unknown_criteria", field="criteria", criteria=unknown)
    tags = list(dict.fromkeys(t.strip() for t in data.tags if t.strip()))
    if len(tags) > MAX_TAGS:
        raise Invalid("knowledge.too_many_tags", field="tags", max=MAX_TAGS)
    too_long = [t for t in tags if len(t) > TAG_MAX]
    if too_long:
        raise Invalid("knowledge.tag_too_long", field="tags", max=TAG_MAX)
    return title, body, criteria, tags


def _set_tags(article: KnowledgeArticle, criteria: list[str], tags: list[str]) -> None:
    wanted = {("criterion", c) for c in criteria} | {("tag", t) for t in tags}
    article.tags = [t for t in article.tags if (t.kind, t.tag) in wanted]
    have = {(t.kind, t.tag) for t in article.tags}
    for kind, tag in sorted(wanted - have):
        article.tags.append(KnowledgeTag(kind=kind, tag=tag))


def _check_editor(actor: User) -> None:
    if actor.role not in EDITORS:
        raise Forbidden("knowledge.editors_only")


def create(db: Session, data: ArticleInput, *, actor: User, known_criteria: Iterable[str]) -> KnowledgeArticle:
    _check_editor(actor)
    title, body, criteria, tags = _validate(data, known_criteria)
    article = KnowledgeArticle(
        title=title, body=body, active=data.active, created_by_id=actor.id, updated_by_id=actor.id
    )
    _set_tags(article, criteria, tags)
    db.add(article)
    db.flush()
    audit.record(db, "knowledge_article_created", user=actor, target=f"article:{article.id}", title=title[:80])
    return article


def update(
    db: Session,
    article: KnowledgeArticle,
    data: ArticleInput,
    *,
    actor: User,
    expected_version: int | None,
    known_criteria: Iterable[str],
) -> KnowledgeArticle:
    """Save an edit; Conflict when someone else saved the article since ``expected_version``. Tags of
    criteria no longer in the rubric are kept (they were valid when set)."""
    _check_editor(actor)
    if expected_version is not None and article.version != expected_version:
        who = article.updated_by.display_name if article.updated_by else ""
        raise Conflict("knowledge.changed_since_opened", who=who)
    kept = [c for c in article.criteria if c in data.criteria]
    title, body, criteria, tags = _validate(data, [*known_criteria, *kept])
    article.title, article.body, article.active = title, body, data.active
    article.updated_by_id, article.updated_at = actor.id, utcnow()
    _set_tags(article, criteria, tags)
    try:
        db.flush()
    except StaleDataError as exc:
        raise Conflict("knowledge.saved_by_someone_else") from exc
    audit.record(db, "knowledge_article_edited", user=actor, target=f"article:{article.id}", title=title[:80])
    return article


def get(db: Session, article_id: int, user: User) -> KnowledgeArticle:
    """The article; an inactive one is only shown to editors (NotFound for everyone else)."""
    article = db.get(KnowledgeArticle, article_id)
    if article is None or (not article.active and user.role not in EDITORS):
        raise NotFound("knowledge.article_not_found")
    return article


def search(
    db: Session,
    user: User,
    *,
    query: str = "",
    criterion: str | None = None,
    tag: str | None = None,
    include_inactive: bool = False,
    page: int = 1,
    per_page: int = 30,
) -> Page[KnowledgeArticle]:
    """Articles matching every term of ``query`` (title, body or a tag), newest edit first."""
    stmt = select(KnowledgeArticle)
    if not (include_inactive and user.role in EDITORS):
        stmt = stmt.where(KnowledgeArticle.active.is_(True))
    for term in query.split()[:10]:
        pattern = f"%{_escape_like(term.lower())}%"
        tag_hit = exists().where(
            KnowledgeTag.article_id == KnowledgeArticle.id,
            KnowledgeTag.kind == "tag",  # criterion ids are internal; the criterion filter covers them
            func.lower(KnowledgeTag.tag).like(pattern, escape="\\"),
        )
        stmt = stmt.where(
            or_(
                func.lower(KnowledgeArticle.title).like(pattern, escape="\\"),
                func.lower(KnowledgeArticle.body).like(pattern, escape="\\"),
                tag_hit,
            )
        )
    if criterion:
        stmt = stmt.where(_tagged("criterion", [criterion]))
    if tag:
        stmt = stmt.where(_tagged("tag", [tag]))
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = max(1, page)
    items = list(
        db.scalars(
            stmt.order_by(KnowledgeArticle.updated_at.desc(), KnowledgeArticle.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return Page(items, total, page, per_page)


def _tagged(kind: str, values: Sequence[str]):  # noqa: ANN202
    return exists().where(
        KnowledgeTag.article_id == KnowledgeArticle.id, KnowledgeTag.kind == kind, KnowledgeTag.tag.in_(values)
    )


def for_criteria(db: Session, criteria: Sequence[str], *, limit: int = 20) -> list[KnowledgeArticle]:
    """Active articles tagged with any of ``criteria`` (suggested learning items), newest first."""
    if not criteria:
        return []
    return list(
        db.scalars(
            select(KnowledgeArticle)
            .where(KnowledgeArticle.active.is_(True), _tagged("criterion", list(criteria)))
            .order_by(KnowledgeArticle.updated_at.desc(), KnowledgeArticle.id.desc())
            .limit(limit)
        )
    )


def all_tags(db: Session) -> list[str]:
    """Free tags in use on active articles (for the filter list)."""
    return list(
        db.scalars(
            select(KnowledgeTag.tag)
            .join(KnowledgeArticle, KnowledgeArticle.id == KnowledgeTag.article_id)
            .where(KnowledgeTag.kind == "tag", KnowledgeArticle.active.is_(True))
            .distinct()
            .order_by(KnowledgeTag.tag)
        )
    )


def choices_for(db: Session, criteria: Sequence[str], *, limit: int = 200) -> list[KnowledgeArticle]:
    """Active articles for a picker: those tagged with ``criteria`` first, then the rest by title."""
    tagged = for_criteria(db, criteria, limit=limit)
    seen = {a.id for a in tagged}
    rest = db.scalars(
        select(KnowledgeArticle).where(KnowledgeArticle.active.is_(True)).order_by(KnowledgeArticle.title).limit(limit)
    )
    return tagged + [a for a in rest if a.id not in seen]
