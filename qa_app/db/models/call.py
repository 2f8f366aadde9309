"""Calls: one recorded conversation and its audio file."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.db.base import Base, TimestampMixin, UTCDateTime
from qa_app.db.models.team import Agent, Team


class CallStatus(enum.StrEnum):
    UPLOADED = "uploaded"
    QUEUED = "queued"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class ChannelLayout(enum.StrEnum):
    MONO = "mono"
    STEREO_AGENT_LEFT = "stereo_agent_left"
    STEREO_AGENT_RIGHT = "stereo_agent_right"


class Call(TimestampMixin, Base):
    __tablename__ = "calls"
    __table_args__ = (
        Index("ix_calls_started", "started_at", "id"),
        Index("ix_calls_agent_started", "agent_id", "started_at"),
        Index("ix_calls_team_started", "team_id", "started_at"),
        Index("ix_calls_status_started", "status", "started_at"),
        Index("ix_calls_score", "auto_score", "id"),
        Index("ix_calls_duration", "duration", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(100), index=True, default=None)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration: Mapped[float] = mapped_column(Float)
    direction: Mapped[str] = mapped_column(String(10), default="inbound")
    queue: Mapped[str] = mapped_column(String(80), default="")
    customer_ref_hash: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    channel_layout: Mapped[str] = mapped_column(String(24), default=ChannelLayout.MONO)
    language: Mapped[str] = mapped_column(String(8), default="zh")
    status: Mapped[str] = mapped_column(String(12), default=CallStatus.UPLOADED)
    failure_reason: Mapped[str | None] = mapped_column(Text, default=None)
    audio_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    audio_path: Mapped[str] = mapped_column(String(255))  # relative to QA_DATA_DIR, generated
    audio_format: Mapped[str] = mapped_column(String(8))
    audio_bytes: Mapped[int] = mapped_column(default=0)
    original_filename: Mapped[str] = mapped_column(String(255), default="")
    source: Mapped[str] = mapped_column(String(12), default="upload")  # upload | import | api | demo
    auto_score: Mapped[float | None] = mapped_column(Float, default=None)  # latest automated total
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    agent: Mapped[Agent] = relationship()
    team: Mapped[Team] = relationship()
