"""Rubric versions (质检标准). Published versions are immutable; edits make a new draft."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qa_app.db.base import Base, TimestampMixin, UTCDateTime


class RubricVersion(TimestampMixin, Base):
    __tablename__ = "rubric_versions"
    __table_args__ = (UniqueConstraint("rubric_key", "version", name="uq_rubric_versions_key_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_key: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(12), default="draft")  # draft | published | archived
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    yaml_text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    lock_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": lock_version}  # concurrent draft edits raise StaleDataError
