"""Teams (班组) and agents (坐席)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.db.base import Base, TimestampMixin
from qa_app.db.models.user import User


class Team(TimestampMixin, Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    lead_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    lead: Mapped[User | None] = relationship(foreign_keys=[lead_user_id])


class Agent(TimestampMixin, Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_no: Mapped[str] = mapped_column(String(32), unique=True)  # 工号
    name: Mapped[str] = mapped_column(String(80))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), unique=True)
    hire_date: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    team: Mapped[Team] = relationship()
    user: Mapped[User | None] = relationship()

    def tenure_days(self, today: date) -> int:
        return (today - self.hire_date).days

    def cohort(self, today: date, new_hire_days: int) -> str:
        """'new_hire' under the threshold, else 'veteran'."""
        return "new_hire" if self.tenure_days(today) < new_hire_days else "veteran"
