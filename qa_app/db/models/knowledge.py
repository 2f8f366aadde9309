"""Knowledge base (知识管理): short articles agents can rely on, tagged with rubric criteria.

Tags live in their own table so "articles for these criteria" is one indexed query; ``kind`` tells a
rubric criterion id (``criterion``) from a free tag (``tag``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.db.base import Base, TimestampMixin, UTCDateTime, utcnow
from qa_app.db.models.user import User


class KnowledgeArticle(TimestampMixin, Base):
    __tablename__ = "knowledge_articles"
    __table_args__ = (Index("ix_knowledge_articles_active_updated", "active", "updated_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown; rendered with raw HTML escaped
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # two editors never silently overwrite each other

    tags: Mapped[list[KnowledgeTag]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="KnowledgeTag.tag"
    )
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])

    @property
    def criteria(self) -> list[str]:
        return [t.tag for t in self.tags if t.kind == "criterion"]

    @property
    def free_tags(self) -> list[str]:
        return [t.tag for t in self.tags if t.kind == "tag"]


class KnowledgeTag(Base):
    __tablename__ = "knowledge_tags"
    __table_args__ = (Index("ix_knowledge_tags_kind_tag", "kind", "tag"),)

    article_id: Mapped[int] = mapped_column(
        ForeignKey("knowledge_articles.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # criterion | tag
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
