"""Automated scorecards: one per (call, rubric version); re-scoring replaces it."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Float, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.db.base import Base, TimestampMixin
from qa_app.db.models.rubric import RubricVersion


class AutoScorecard(TimestampMixin, Base):
    __tablename__ = "auto_scorecards"
    __table_args__ = (UniqueConstraint("call_id", "rubric_version_id", name="uq_auto_scorecards_call_rubric"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    rubric_version_id: Mapped[int] = mapped_column(ForeignKey("rubric_versions.id"))
    total: Mapped[float | None] = mapped_column(Float)
    critical_failed: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_review: Mapped[int] = mapped_column(default=0)
    data: Mapped[dict] = mapped_column(JSON)  # scorecard contract JSON

    rubric_version: Mapped[RubricVersion] = relationship()
