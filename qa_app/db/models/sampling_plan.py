"""Sampling plans (抽检计划): which calls go to human review each period, and to whom."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from qa_app.db.base import Base, TimestampMixin, UTCDateTime, utcnow


class SamplingPeriod(enum.StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class SamplingPlan(TimestampMixin, Base):
    __tablename__ = "sampling_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    period: Mapped[str] = mapped_column(String(8), default=SamplingPeriod.WEEK)
    random_per_agent: Mapped[int] = mapped_column(default=0)
    # scoring.sampling.Rules as JSON: targeted rules and the new-hire rate
    rules: Mapped[dict] = mapped_column(JSON, default=dict)
    team_ids: Mapped[list] = mapped_column(JSON, default=list)  # empty: every team
    reviewer_ids: Mapped[list] = mapped_column(JSON, default=list)  # empty: every active QA reviewer
    due_days: Mapped[int] = mapped_column(default=3)
    max_per_reviewer: Mapped[int | None] = mapped_column(default=None)  # per period; None: no cap
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
