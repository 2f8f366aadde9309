"""In-app notifications (assignments, disputes, rulings, coaching reminders)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from qa_app.db.base import Base, TimestampMixin, UTCDateTime


class Notification(TimestampMixin, Base):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))  # message code, rendered in the reader's language
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    url: Mapped[str] = mapped_column(String(255), default="")
    # Unique when set: a duty that runs on several workers (or twice) notifies once.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True, default=None)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
