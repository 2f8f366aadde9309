"""Disputes (申诉): an agent contests specific criteria of a released evaluation; a lead rules."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.db.base import Base, TimestampMixin, UTCDateTime
from qa_app.db.models.evaluation import Evaluation
from qa_app.db.models.user import User


class DisputeState(enum.StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"  # re-scored as the agent asked
    PARTLY_ACCEPTED = "partly_accepted"  # some criteria re-scored
    REJECTED = "rejected"


class Dispute(TimestampMixin, Base):
    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"), index=True)
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # [{"criterion_id": ..., "reason": ...}]
    criteria: Mapped[list] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default=DisputeState.OPEN, index=True)
    ruled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    ruling_reason: Mapped[str] = mapped_column(Text, default="")
    # {criterion_id: {"accepted": bool, "result": ..., "points": ...}}
    ruling: Mapped[dict] = mapped_column(JSON, default=dict)
    ruled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    result_evaluation_id: Mapped[int | None] = mapped_column(ForeignKey("evaluations.id"), default=None)

    evaluation: Mapped[Evaluation] = relationship(foreign_keys=[evaluation_id])
    raised_by: Mapped[User | None] = relationship(foreign_keys=[raised_by_id])
    ruled_by: Mapped[User | None] = relationship(foreign_keys=[ruled_by_id])
