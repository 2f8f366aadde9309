"""Stored transcripts (redacted; one current transcript per call)."""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from qa_app.db.base import Base, TimestampMixin


class TranscriptRecord(TimestampMixin, Base):
    __tablename__ = "transcripts"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), unique=True)
    language: Mapped[str] = mapped_column(String(8))
    data: Mapped[dict] = mapped_column(JSON)  # transcript contract JSON (redacted)
    search_text: Mapped[str] = mapped_column(default="")  # redacted plain text for search
    role_confidence: Mapped[float | None] = mapped_column(default=None)
    roles_swapped_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
