"""Users and roles."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from qa_app.db.base import Base, TimestampMixin, UTCDateTime


class Role(enum.StrEnum):
    ADMIN = "admin"
    QA_REVIEWER = "qa_reviewer"
    TRAINER = "trainer"
    AGENT = "agent"


class User(TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(8), default=None)
    api_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    # An API token expires (QA_API_TOKEN_DAYS after it is created); its last use is shown to admins.
    api_token_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    api_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    api_token_last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Bumped on logout / password change / deactivation: old session cookies stop working.
    session_version: Mapped[int] = mapped_column(default=1)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_agent(self) -> bool:
        return self.role == Role.AGENT

    # Flask-Login protocol (kept here as plain attributes; no Flask import).
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"
