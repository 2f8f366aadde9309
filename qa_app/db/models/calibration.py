"""Calibration sessions (校准): several reviewers — and optionally the machine — score the same calls
blind; the lead then compares the answers (agreement per criterion, spread of totals, each reviewer
against the consensus and an expert), leads the discussion and records the agreed outcome.

The reviewers' scores are ``Evaluation`` rows with ``purpose = "calibration"`` and
``calibration_session_id`` set; this module only holds the session, its calls and its raters.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.db.base import Base, TimestampMixin, UTCDateTime, utcnow
from qa_app.db.models.call import Call
from qa_app.db.models.rubric import RubricVersion
from qa_app.db.models.user import User


class CalibrationState(enum.StrEnum):
    OPEN = "open"  # being set up: calls and raters may change, nobody has been asked to score yet
    SCORING = "scoring"  # the raters score blind
    DISCUSSION = "discussion"  # scores frozen, results shown to the raters, agreed outcome recorded
    CLOSED = "closed"  # read-only


class CalibrationSession(TimestampMixin, Base):
    __tablename__ = "calibration_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(12), default=CalibrationState.OPEN, index=True)
    rubric_version_id: Mapped[int] = mapped_column(ForeignKey("rubric_versions.id"))
    include_machine: Mapped[bool] = mapped_column(Boolean, default=False)
    # the reference rater (also one of the raters); each reviewer is compared with them
    expert_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    due_date: Mapped[date | None] = mapped_column(Date, default=None)
    discussion_notes: Mapped[str] = mapped_column(Text, default="")
    # {"<call_id>": {"items": {criterion_id: {"result", "points"}}, "total": float | None,
    #                "critical_failed": bool}}
    agreed: Mapped[dict] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)  # scoring began
    discussion_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    lock_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": lock_version}  # two leads editing the outcome never overwrite

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    expert: Mapped[User | None] = relationship(foreign_keys=[expert_user_id])
    rubric_version: Mapped[RubricVersion] = relationship()
    calls: Mapped[list[CalibrationCall]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="CalibrationCall.position"
    )
    raters: Mapped[list[CalibrationRater]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="CalibrationRater.id"
    )


class CalibrationCall(Base):
    """A call of the session; ``machine_evaluation_id`` freezes the machine's answers when scoring
    starts (a later re-score must not change a session's results)."""

    __tablename__ = "calibration_calls"
    __table_args__ = (UniqueConstraint("session_id", "call_id", name="uq_calibration_calls_session_call"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("calibration_sessions.id", ondelete="CASCADE"))
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    machine_evaluation_id: Mapped[int | None] = mapped_column(
        ForeignKey("evaluations.id", ondelete="SET NULL"), default=None
    )
    position: Mapped[int] = mapped_column(default=0)

    session: Mapped[CalibrationSession] = relationship(back_populates="calls")
    call: Mapped[Call] = relationship()


class CalibrationRater(Base):
    """A reviewer asked to score every call of the session."""

    __tablename__ = "calibration_raters"
    __table_args__ = (UniqueConstraint("session_id", "user_id", name="uq_calibration_raters_session_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("calibration_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    session: Mapped[CalibrationSession] = relationship(back_populates="raters")
    user: Mapped[User] = relationship()
