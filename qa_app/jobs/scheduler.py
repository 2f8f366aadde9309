"""Periodic duties on APScheduler, run by the worker process or `flask scheduler`; never by web workers."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy.orm import Session, sessionmaker

from qa_app.db.session import optimize_database, transaction
from qa_app.services import jobs

log = logging.getLogger("qa_app.scheduler")


def requeue_expired(factory: sessionmaker[Session]) -> int:
    with transaction(factory) as db:
        expired = jobs.requeue_expired(db)
        if expired:
            log.warning("requeued %d job(s) whose worker stopped responding", len(expired))
        return len(expired)


def optimize(factory: sessionmaker[Session]) -> None:
    optimize_database(factory.kw["bind"])


def build(factory: sessionmaker[Session], *, blocking: bool = False, interval: int = 30):
    sched = (
        BlockingScheduler(timezone="UTC") if blocking else BackgroundScheduler(timezone="UTC", daemon=True)
    )
    sched.add_job(
        requeue_expired,
        "interval",
        seconds=interval,
        args=[factory],
        id="requeue_expired",
        max_instances=1,
        coalesce=True,
    )
    sched.add_job(
        optimize, "interval", hours=1, args=[factory], id="optimize_db", max_instances=1, coalesce=True
    )
    return sched
