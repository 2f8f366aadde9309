"""Fire scheduled duties: each registered duty enqueues one job per period, across all schedulers.

Every scheduler (a worker's built-in one, or ``flask scheduler``) ticks ``fire_due`` often. For each duty
whose current period (in the configured time zone) is old enough, it inserts ``DutyRun(duty, period)``
and, only if that insert won, enqueues the duty's job in the same transaction. The primary key of
``duty_runs`` is the guarantee: with three workers ticking at the same instant one insert wins and the
others see the row and do nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from coaching.periods import period_key as calendar_period_key
from coaching.periods import period_start as calendar_period_start
from qa_app.db.base import utcnow
from qa_app.db.models import DutyRun
from qa_app.db.session import transaction
from qa_app.jobs import registry
from qa_app.jobs.registry import Duty, Period
from qa_app.services import jobs
from qa_app.settings import Settings

log = logging.getLogger("qa_app.duties")


def period_start(now: datetime, every: Period, tz: ZoneInfo) -> datetime:
    """The start (local time) of the period that contains ``now``."""
    local = now.astimezone(tz)
    if every == "hour":
        return local.replace(minute=0, second=0, microsecond=0)
    return datetime.combine(calendar_period_start(local.date(), every), time(0), tzinfo=tz)


def period_key(start: datetime, every: Period) -> str:
    """A stable name for a period: 2026-11-29T08, else the calendar key (2026-11-29, 2026-W48, 2026-11)."""
    if every == "hour":
        return start.strftime("%Y-%m-%dT%H")
    return calendar_period_key(start.date(), every)


def fire(db: Session, d: Duty, period: str, *, settings: Settings, worker: str = "") -> int | None:
    """Record (duty, period) and enqueue its job; None if some scheduler already did. Caller commits."""
    if db.get(DutyRun, (d.name, period)) is not None:
        return None
    run = DutyRun(duty=d.name, period=period, worker=worker[:80] or None)
    try:
        with db.begin_nested():
            db.add(run)
            db.flush()
    except IntegrityError:
        return None  # another scheduler won the race for this period
    kind = registry.get(d.kind)
    job = jobs.enqueue(
        db,
        d.kind,
        max_attempts=(kind.max_attempts if kind and kind.max_attempts else settings.job_max_attempts),
        payload={**d.payload(period), "duty": d.name},
        dedupe_key=f"duty:{d.name}:{period}",
    )
    run.job_id = job.id
    db.flush()
    return job.id


def fire_due(
    factory: sessionmaker[Session], settings: Settings, *, now: datetime | None = None, worker: str = ""
) -> list[tuple[str, str, int]]:
    """Fire every duty whose current period has not fired yet. Returns (duty, period, job id) fired."""
    now = now or utcnow()
    tz = ZoneInfo(settings.timezone)
    fired: list[tuple[str, str, int]] = []
    for d in registry.duties().values():
        start = period_start(now, d.every, tz)
        if now < start + d.after:
            continue
        period = period_key(start, d.every)
        with transaction(factory) as db:
            job_id = fire(db, d, period, settings=settings, worker=worker)
        if job_id is not None:
            log.info("duty %s fired for %s (job %s)", d.name, period, job_id)
            fired.append((d.name, period, job_id))
    return fired


def last_runs(db: Session) -> dict[str, DutyRun]:
    """The latest run of each duty (for the admin's jobs page)."""
    out: dict[str, DutyRun] = {}
    for run in db.scalars(select(DutyRun).order_by(DutyRun.fired_at)):
        out[run.duty] = run
    return out
