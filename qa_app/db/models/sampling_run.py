"""Sampling runs: one execution of a plan for one period (scheduled by the duty or started by hand)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.db.base import Base, TimestampMixin, UTCDateTime
from qa_app.db.models.sampling_plan import SamplingPlan
from qa_app.db.models.user import User


class RunTrigger(enum.StrEnum):
    DUTY = "duty"
    MANUAL = "manual"


class RunState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


RUN_PENDING = (RunState.QUEUED, RunState.RUNNING)
_SCHEDULED_SQL = text("\"trigger\" = 'duty'")


class SamplingRun(TimestampMixin, Base):
    __tablename__ = "sampling_runs"
    __table_args__ = (
        Index("ix_sampling_runs_plan", "plan_id", "id"),
        # The scheduled run of a plan for a period exists once, however many schedulers fire.
        Index(
            "uq_sampling_runs_scheduled",
            "plan_id",
            "period",
            unique=True,
            sqlite_where=_SCHEDULED_SQL,
            postgresql_where=_SCHEDULED_SQL,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("sampling_plans.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(16))  # 2026-11-29 | 2026-W48 | 2026-11
    trigger: Mapped[str] = mapped_column(String(8), default=RunTrigger.MANUAL)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    state: Mapped[str] = mapped_column(String(8), default=RunState.QUEUED)
    job_id: Mapped[int | None] = mapped_column(default=None)
    seed: Mapped[int] = mapped_column(default=0)  # replays the random draw
    # {"candidates", "picked", "assigned", "unassigned", "reviewers", "reasons": {code: n}}
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    plan: Mapped[SamplingPlan] = relationship()
    by_user: Mapped[User | None] = relationship()

    @property
    def pending(self) -> bool:
        return self.state in RUN_PENDING
