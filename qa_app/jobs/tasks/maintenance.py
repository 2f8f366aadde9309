"""Housekeeping: a daily maintenance job (no subject), fired by a duty."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from qa_app.db.base import utcnow
from qa_app.db.models import DutyRun, Job, JobState
from qa_app.jobs.registry import JobContext, duty, job_kind

MAINTENANCE = "maintenance"
KEEP_DONE_JOBS_DAYS = 30
KEEP_DUTY_RUNS_DAYS = 400


@job_kind(MAINTENANCE)
def maintenance(ctx: JobContext) -> None:
    """Delete finished job rows older than 30 days (dead ones stay for the admin) and old duty
    records."""
    with ctx.step() as (db, job):
        now = utcnow()
        removed = db.execute(
            delete(Job).where(
                Job.state == JobState.DONE,
                Job.finished_at < now - timedelta(days=KEEP_DONE_JOBS_DAYS),
                Job.id != job.id,
            )
        ).rowcount
        db.execute(delete(DutyRun).where(DutyRun.fired_at < now - timedelta(days=KEEP_DUTY_RUNS_DAYS)))
        job.payload = {**job.payload, "jobs_removed": removed}
        ctx.finish(db, job)


duty("daily-maintenance", kind=MAINTENANCE, every="day")
