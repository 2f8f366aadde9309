"""Review assignments: a sampled call in one reviewer's queue, until its review is submitted."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.db.base import Base, UTCDateTime, utcnow
from qa_app.db.models.call import Call
from qa_app.db.models.sampling_plan import SamplingPlan
from qa_app.db.models.user import User


class AssignmentState(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    SKIPPED = "skipped"


_OPEN_SQL = text("state = 'open'")


class ReviewAssignment(Base):
    __tablename__ = "review_assignments"
    __table_args__ = (
        # a re-run of a plan never assigns a call twice in a period
        UniqueConstraint("plan_id", "period", "call_id", name="uq_review_assignments_plan_period_call"),
        # and a call is in at most one open queue, even when two plans run at once
        Index(
            "uq_review_assignments_open_call",
            "call_id",
            unique=True,
            sqlite_where=_OPEN_SQL,
            postgresql_where=_OPEN_SQL,
        ),
        Index("ix_review_assignments_reviewer_state", "reviewer_id", "state", "due_at"),
        Index("ix_review_assignments_call", "call_id"),
        Index("ix_review_assignments_completed", "completed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("sampling_plans.id", ondelete="SET NULL"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("sampling_runs.id", ondelete="SET NULL"))
    period: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list] = mapped_column(JSON, default=list)  # codes of scoring.sampling.REASONS
    state: Mapped[str] = mapped_column(String(8), default=AssignmentState.OPEN)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)  # done or skipped
    completed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    evaluation_id: Mapped[int | None] = mapped_column(
        ForeignKey("evaluations.id", ondelete="SET NULL"), default=None
    )
    skip_reason: Mapped[str] = mapped_column(Text, default="")

    call: Mapped[Call] = relationship()
    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])
    plan: Mapped[SamplingPlan | None] = relationship()

    def overdue(self, now: datetime) -> bool:
        return self.state == AssignmentState.OPEN and self.due_at < now
