"""Precomputed dashboard aggregates (README "Dashboards", issue #12).

``verdict_daily``: the counting verdicts (``services.verdicts.load`` then ``coaching.effective``) summed
per local calendar day of the call, agent, the call's team, the agent's cohort that day, criterion and
source; ``score_daily``: the totals of each call's current evaluation per day, agent and team.
``aggregate_dirty``: cells to recompute, written by a session hook in the same transaction as the
change (a call id, or an agent with or without a start time: every day of that agent).
``aggregate_state``: when the rollups were last brought up to date (the pages' "data as of").
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, Index, Integer, String, event, insert, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column

from qa_app.db.base import Base, UTCDateTime, utcnow


class VerdictDaily(Base):
    __tablename__ = "verdict_daily"
    __table_args__ = (Index("ix_verdict_daily_agent_day", "agent_id", "day"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    agent_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    criterion: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(8), primary_key=True)  # machine | human
    cohort: Mapped[str] = mapped_column(String(16))  # the agent's cohort on that day
    passes: Mapped[int] = mapped_column(default=0)
    fails: Mapped[int] = mapped_column(default=0)
    nas: Mapped[int] = mapped_column(default=0)
    points_sum: Mapped[float] = mapped_column(Float, default=0.0)
    points_max: Mapped[float] = mapped_column(Float, default=0.0)
    pointed: Mapped[int] = mapped_column(default=0)  # verdicts carrying points


class ScoreDaily(Base):
    __tablename__ = "score_daily"
    __table_args__ = (Index("ix_score_daily_agent_day", "agent_id", "day"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    agent_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    calls: Mapped[int] = mapped_column(default=0)  # calls with a scored current evaluation
    total_sum: Mapped[float] = mapped_column(Float, default=0.0)


class AggregateDirty(Base):
    __tablename__ = "aggregate_dirty"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int | None] = mapped_column(default=None)
    agent_id: Mapped[int | None] = mapped_column(default=None)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class AggregateState(Base):
    __tablename__ = "aggregate_state"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# --- dirty marks: written in the flush that changes what the rollups summarise ---------------------------


def _marks(session: Session) -> list[dict[str, Any]]:
    from qa_app.db.models.call import Call
    from qa_app.db.models.evaluation import Evaluation
    from qa_app.db.models.team import Agent
    from qa_app.db.models.transcript import TranscriptRecord
    from qa_app.db.models.transcript_segment import TranscriptSegment

    out: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()

    def mark(
        call_id: int | None = None, agent_id: int | None = None, started_at: datetime | None = None
    ) -> None:
        key = (call_id, agent_id, started_at)
        if key not in seen and (call_id is not None or agent_id is not None):
            seen.add(key)
            out.append({"call_id": call_id, "agent_id": agent_id, "started_at": started_at})

    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Evaluation | TranscriptRecord | TranscriptSegment):
            mark(call_id=obj.call_id)
        elif isinstance(obj, Call):
            mark(agent_id=obj.agent_id, started_at=obj.started_at)  # also when the call is deleted
            for name in ("agent_id", "started_at", "team_id"):
                old = inspect(obj).attrs[name].history.deleted
                if old:  # the cell the call moved out of
                    agent = old[0] if name == "agent_id" else obj.agent_id
                    started = old[0] if name == "started_at" else obj.started_at
                    mark(agent_id=agent, started_at=started)
        elif isinstance(obj, Agent) and obj.id is not None:
            if obj in session.deleted or inspect(obj).attrs["hire_date"].history.deleted:
                mark(agent_id=obj.id)  # cohort of every day of this agent
    return out


@event.listens_for(Session, "after_flush")
def _mark_dirty(session: Session, _ctx: object) -> None:
    rows = _marks(session)
    if rows:
        session.connection().execute(insert(AggregateDirty.__table__), rows)
