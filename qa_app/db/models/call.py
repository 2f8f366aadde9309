"""Calls: one recorded conversation, its audio file and its contact-center KPI fields.

A call normally has a recording. Demo-history calls (source ``demo-history``) are metadata and
evaluations only: their audio columns are NULL (``has_audio`` is False) and nothing processes them.
The KPI fields (wait, hold and wrap seconds, CSAT 1–5, NPS 0–10, the agent's resolved disposition) come
from the telephony / survey systems and are all optional; the ranges are checked at intake
(qa_app.services.calls) and again by CHECK constraints.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import JSON, Boolean, CheckConstraint, Float, ForeignKey, Index, SmallInteger, String, Text
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


DEMO_HISTORY = "demo-history"  # Call.source of the seeded history: no audio, clearly marked in the UI


class Call(TimestampMixin, Base):
    __tablename__ = "calls"
    __table_args__ = (
        Index("ix_calls_started", "started_at", "id"),
        Index("ix_calls_agent_started", "agent_id", "started_at"),
        Index("ix_calls_team_started", "team_id", "started_at"),
        Index("ix_calls_status_started", "status", "started_at"),
        Index("ix_calls_score", "auto_score", "id"),
        Index("ix_calls_duration", "duration", "id"),
        Index("ix_calls_unreliable_started", "transcript_unreliable", "started_at"),
        CheckConstraint("csat BETWEEN 1 AND 5", name="csat_range"),
        CheckConstraint("nps BETWEEN 0 AND 10", name="nps_range"),
        CheckConstraint(
            "wait_seconds >= 0 AND hold_seconds >= 0 AND wrap_seconds >= 0", name="kpi_seconds_non_negative"
        ),
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
    # NULL only for calls without a recording (demo history)
    audio_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    audio_path: Mapped[str | None] = mapped_column(String(255))  # relative to QA_DATA_DIR, generated
    audio_format: Mapped[str | None] = mapped_column(String(8))
    audio_bytes: Mapped[int] = mapped_column(default=0)
    original_filename: Mapped[str] = mapped_column(String(255), default="")
    source: Mapped[str] = mapped_column(String(12), default="upload")  # upload|import|api|demo|demo-history
    auto_score: Mapped[float | None] = mapped_column(Float, default=None)  # latest automated total
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # contact-center KPI fields (all optional; see the module docstring)
    wait_seconds: Mapped[float | None] = mapped_column(Float, default=None)  # time to answer
    hold_seconds: Mapped[float | None] = mapped_column(Float, default=None)
    wrap_seconds: Mapped[float | None] = mapped_column(Float, default=None)  # after-call work
    csat: Mapped[int | None] = mapped_column(SmallInteger, default=None)  # 1..5
    nps: Mapped[int | None] = mapped_column(SmallInteger, default=None)  # 0..10
    resolved: Mapped[bool | None] = mapped_column(Boolean, default=None)  # the agent's disposition
    # retention (qa_app/services/retention.py): when the audio / the transcript were deleted
    audio_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    transcript_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # The transcript-reliability gate (scoring.reliability), decided once when the call is scored:
    # ``transcript_unreliable`` is what lists, averages, releases and sampling read — True while the rule
    # flags the transcript and no reviewer has confirmed it; the reasons are stored message dicts
    # ({"code", "params"}) and stay after a confirmation (who, when and why are kept beside them). A purged
    # transcript keeps its verdict (retention leaves these columns alone).
    transcript_unreliable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa.false())
    transcript_reasons: Mapped[list | None] = mapped_column(JSON, default=list)
    # the confirming user's id, no FOREIGN KEY: adding one to ``calls`` on SQLite means copying the table,
    # whose DROP cascades into every child row (the audit log records the confirmation as well)
    transcript_confirmed_by_id: Mapped[int | None] = mapped_column(default=None)
    transcript_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    transcript_confirmed_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    agent: Mapped[Agent] = relationship()
    team: Mapped[Team] = relationship()

    @property
    def has_audio(self) -> bool:
        return bool(self.audio_path)

    @property
    def is_purged(self) -> bool:
        return self.audio_purged_at is not None or self.transcript_purged_at is not None

    @property
    def transcript_confirmed(self) -> bool:
        return self.transcript_confirmed_at is not None

    @property
    def is_demo_history(self) -> bool:
        return self.source == DEMO_HISTORY
