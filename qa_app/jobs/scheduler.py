"""Periodic duties on APScheduler, run by the worker process or `flask scheduler`; never by web workers.

Two kinds of periodic work:
* local, idempotent upkeep every ``interval`` seconds (give expired leases back to the queue; with a
  broker, ``engine.sweep`` also sends every runnable job whose message was lost);
* registered duties (``qa_app.jobs.registry.duty``): the tick fires each at most once per period across
  every scheduler, by enqueueing one durable job (``qa_app.jobs.duties``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy.orm import Session, sessionmaker

from qa_app.db.session import optimize_database, transaction
from qa_app.jobs import duties, engine
from qa_app.services import jobs
from qa_app.settings import Settings

log = logging.getLogger("qa_app.scheduler")


def requeue_expired(factory: sessionmaker[Session]) -> int:
    with transaction(factory) as db:
        expired = jobs.requeue_expired(db)
        if expired:
            log.warning("requeued %d job(s) whose worker stopped responding", len(expired))
        return len(expired)


def optimize(factory: sessionmaker[Session]) -> None:
    optimize_database(factory.kw["bind"])


def tick(factory: sessionmaker[Session], settings: Settings, worker: str = "") -> None:
    try:
        duties.fire_due(factory, settings, worker=worker)
    except Exception:  # a locked database or a broken duty must not stop the scheduler
        log.exception("firing scheduled duties failed")


def build(
    factory: sessionmaker[Session],
    settings: Settings,
    *,
    blocking: bool = False,
    interval: float | None = None,
    worker: str = "",
):
    interval = interval or settings.job_sweep_seconds
    sched = (
        BlockingScheduler(timezone="UTC") if blocking else BackgroundScheduler(timezone="UTC", daemon=True)
    )
    if engine.enabled(settings):  # expired leases back to the queue, and every runnable job sent
        sched.add_job(
            engine.sweep,
            "interval",
            seconds=interval,
            args=[factory, settings],
            id="sweep",
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
        )
    else:
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
        tick,
        "interval",
        seconds=settings.duty_tick_seconds,
        args=[factory, settings, worker],
        id="duties",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )
    sched.add_job(
        optimize, "interval", hours=1, args=[factory], id="optimize_db", max_instances=1, coalesce=True
    )
    return sched
