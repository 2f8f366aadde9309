"""Evaluations: one rater's scoring of one call against one rubric version.

The rater is a reviewer or the machine (the automated scorecard). Each change of an evaluation is
appended to ``evaluation_events`` with a snapshot, so history is kept and nothing is overwritten; a
re-score after a dispute creates a new evaluation that *supersedes* the old one. ``version`` is an
optimistic lock: two reviewers saving the same evaluation never silently overwrite each other.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.db.base import Base, TimestampMixin, UTCDateTime, utcnow
from qa_app.db.models.call import Call
from qa_app.db.models.rubric import RubricVersion
from qa_app.db.models.user import User


class EvalState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RELEASED = "released"  # visible to the agent
    ACKNOWLEDGED = "acknowledged"
    DISPUTED = "disputed"
    FINAL = "final"


# States in which the agent may read the evaluation.
VISIBLE_TO_AGENT = (EvalState.RELEASED, EvalState.ACKNOWLEDGED, EvalState.DISPUTED, EvalState.FINAL)
# States of a completed human review (the call counts as reviewed).
COMPLETED = (EvalState.SUBMITTED, *VISIBLE_TO_AGENT)


class RaterType(enum.StrEnum):
    MACHINE = "machine"
    HUMAN = "human"


class Purpose(enum.StrEnum):
    REVIEW = "review"  # counts for the agent
    CALIBRATION = "calibration"  # blind scoring in a calibration session; never shown to the agent


class Evaluation(TimestampMixin, Base):
    __tablename__ = "evaluations"
    __table_args__ = (
        Index("ix_evaluations_call", "call_id", "purpose", "superseded"),
        Index("ix_evaluations_rater_state", "rater_id", "state"),
        Index("ix_evaluations_state_released", "state", "released_at"),
        Index("ix_evaluations_updated_at", "updated_at"),  # the dashboards' data stamp (max)
        # "has a completed human review" (calls list filters) from the index alone
        Index("ix_evaluations_completed_reviews", "rater_type", "purpose", "state", "call_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    rubric_version_id: Mapped[int] = mapped_column(ForeignKey("rubric_versions.id"))
    rater_type: Mapped[str] = mapped_column(String(8), default=RaterType.HUMAN)
    rater_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    purpose: Mapped[str] = mapped_column(String(12), default=Purpose.REVIEW)
    calibration_session_id: Mapped[int | None] = mapped_column(default=None, index=True)
    state: Mapped[str] = mapped_column(String(12), default=EvalState.DRAFT)
    total: Mapped[float | None] = mapped_column(Float, default=None)
    critical_failed: Mapped[bool] = mapped_column(Boolean, default=False)
    # {criterion_id: {"result", "points", "comment", "reason", "machine_result", "machine_points",
    #                 "evidence": [...], "overridden": bool}}
    items: Mapped[dict] = mapped_column(JSON, default=dict)
    # [{"start", "end", "segment", "quote", "text", "author_id", "at"}] anchored to a span or selection
    comments: Mapped[list] = mapped_column(JSON, default=list)
    summary: Mapped[str] = mapped_column(Text, default="")
    auto_scorecard_id: Mapped[int | None] = mapped_column(
        ForeignKey("auto_scorecards.id", ondelete="SET NULL"), default=None
    )
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("evaluations.id"), default=None)
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)  # acknowledged / final
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    call: Mapped[Call] = relationship()
    rubric_version: Mapped[RubricVersion] = relationship()
    rater: Mapped[User | None] = relationship(foreign_keys=[rater_id])

    @property
    def is_machine(self) -> bool:
        return self.rater_type == RaterType.MACHINE


class EvaluationEvent(Base):
    """Append-only history: every save and state change with a snapshot of the scoring."""

    __tablename__ = "evaluation_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    action: Mapped[str] = mapped_column(String(24))
    state_from: Mapped[str | None] = mapped_column(String(12), default=None)
    state_to: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text, default="")
    snapshot: Mapped[dict] = mapped_column(JSON, default=dict)  # {"items", "total", "critical_failed"}

    actor: Mapped[User | None] = relationship()


class ReleaseRule(enum.StrEnum):
    """When an automated evaluation is released to the agent (set per rubric by an admin)."""

    NEVER = "never"  # only human reviews reach agents
    CLEAN = "clean"  # no critical failure and no item needing review (default)
    ALWAYS = "always"


class RubricSettings(Base):
    """Per-rubric settings kept outside the versioned YAML (they change without a new version)."""

    __tablename__ = "rubric_settings"

    rubric_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    auto_release: Mapped[str] = mapped_column(String(8), default=ReleaseRule.CLEAN)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
