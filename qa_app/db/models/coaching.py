"""Coaching (辅导): a plan for one agent on weak criteria, its learning items and its sessions.

A plan targets "pass each chosen criterion on at least ``target_rate`` of the next ``target_calls``
scored calls after ``starts_at``"; the follow-up duty re-checks it and closes it as met or not met.
``baseline`` keeps the gap figures that motivated the plan (as they were on the day it was made) and
``followup`` the latest re-check, so the plan page never recomputes history. ``version`` is an
optimistic lock: a trainer's re-check and the duty closing the same plan never both win.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.db.base import Base, TimestampMixin, UTCDateTime, utcnow
from qa_app.db.models.call import Call
from qa_app.db.models.knowledge import KnowledgeArticle
from qa_app.db.models.team import Agent
from qa_app.db.models.user import User


class PlanState(enum.StrEnum):
    ACTIVE = "active"
    MET = "met"
    NOT_MET = "not_met"
    CANCELLED = "cancelled"


CLOSED_STATES = (PlanState.MET, PlanState.NOT_MET)  # closed by the re-check (measurable)


class ItemKind(enum.StrEnum):
    ARTICLE = "article"
    EXEMPLAR_CALL = "exemplar_call"
    TASK = "task"


class CoachingPlan(TimestampMixin, Base):
    __tablename__ = "coaching_plans"
    __table_args__ = (
        Index("ix_coaching_plans_agent_state", "agent_id", "state"),
        Index("ix_coaching_plans_state_due", "state", "due_date"),
        Index("ix_coaching_plans_trainer", "trainer_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    trainer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    rubric_key: Mapped[str] = mapped_column(String(64))
    criteria: Mapped[list] = mapped_column(JSON, default=list)  # criterion ids of rubric_key
    goal: Mapped[str] = mapped_column(Text, default="")
    target_rate: Mapped[float] = mapped_column(Float)  # 0 < rate <= 1
    target_calls: Mapped[int] = mapped_column()
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_date: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(12), default=PlanState.ACTIVE)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    closed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )  # None: closed by the follow-up re-check
    close_note: Mapped[str] = mapped_column(Text, default="")
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)  # by the agent
    # {criterion: {"n", "passes", "rate", "reference_rate", "gap", "ci_low", "ci_high", "enough_data"}}
    # plus "_window": {"from", "to", "min_sample"}
    baseline: Mapped[dict] = mapped_column(JSON, default=dict)
    # {criterion: {"state", "checked", "passes", "required", "calls", "call_ids", "closed_at"}}
    # plus "_checked_at"
    followup: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    agent: Mapped[Agent] = relationship()
    trainer: Mapped[User | None] = relationship(foreign_keys=[trainer_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    items: Mapped[list[PlanItem]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanItem.id"
    )
    sessions: Mapped[list[CoachingSession]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="CoachingSession.scheduled_at"
    )
    evaluation_links: Mapped[list[PlanEvaluation]] = relationship(cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:
        return self.state == PlanState.ACTIVE


class PlanEvaluation(Base):
    """The evaluations that motivated a plan (shown on the plan page as evidence)."""

    __tablename__ = "coaching_plan_evaluations"

    plan_id: Mapped[int] = mapped_column(ForeignKey("coaching_plans.id", ondelete="CASCADE"), primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(
        ForeignKey("evaluations.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class PlanItem(TimestampMixin, Base):
    """Something to learn: a knowledge article, an exemplar call (cued at the evidence) or a task."""

    __tablename__ = "coaching_plan_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("coaching_plans.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    criterion: Mapped[str | None] = mapped_column(String(64), default=None)
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("knowledge_articles.id", ondelete="SET NULL"), default=None
    )
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"), default=None)
    cue_start: Mapped[float | None] = mapped_column(Float, default=None)
    cue_end: Mapped[float | None] = mapped_column(Float, default=None)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)  # set by the agent

    plan: Mapped[CoachingPlan] = relationship(back_populates="items")
    article: Mapped[KnowledgeArticle | None] = relationship()
    call: Mapped[Call | None] = relationship()


class CoachingSession(TimestampMixin, Base):
    """A coaching conversation (辅导面谈 / 陪听): scheduled, then held (notes, commitments) or cancelled;
    the agent acknowledges it."""

    __tablename__ = "coaching_sessions"
    __table_args__ = (Index("ix_coaching_sessions_open", "held_at", "cancelled_at", "scheduled_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("coaching_plans.id", ondelete="CASCADE"), index=True)
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    topic: Mapped[str] = mapped_column(String(200), default="")
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    notes: Mapped[str] = mapped_column(Text, default="")
    commitments: Mapped[str] = mapped_column(Text, default="")  # what the agent committed to
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    held_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)

    plan: Mapped[CoachingPlan] = relationship(back_populates="sessions")
    held_by: Mapped[User | None] = relationship(foreign_keys=[held_by_id])

    @property
    def state(self) -> str:
        if self.cancelled_at is not None:
            return "cancelled"
        return "held" if self.held_at is not None else "scheduled"
