"""Review jobs: run a sampling plan, and the daily duty that schedules each active plan's due run."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from qa_app.db.models import Job, SamplingRun
from qa_app.jobs.registry import JobContext, duty, job_kind
from qa_app.services import jobs, sampling
from qa_app.services.errors import Invalid, NotFound

SAMPLING_DUTY = "sampling"


def _on_failure(db: Session, job: Job, error: str, dead: bool) -> None:
    sampling.run_failed(db, job, error, dead=dead)


def _run(db: Session, job: Job) -> SamplingRun:
    run = db.get(SamplingRun, (job.payload or {}).get("run_id"))
    if run is None:
        raise jobs.PermanentError(f"sampling run {job.payload.get('run_id')} no longer exists")
    return run


# A plan or period that no longer fits will not fit on a retry either.
@job_kind(
    sampling.SAMPLING_RUN, subject="sampling_plan", permanent=(Invalid, NotFound), on_failure=_on_failure
)
def sampling_run(ctx: JobContext) -> None:
    """Mark the run as running (visible at once), then choose, assign and notify in one transaction."""
    with ctx.step() as (db, job):
        sampling.start_run(db, _run(db, job))
    with ctx.step() as (db, job):
        run = sampling.execute_run(db, _run(db, job), ctx.settings)
        job.payload = {**job.payload, "assigned": run.counts.get("assigned", 0)}
        ctx.finish(db, job)


@job_kind(sampling.SAMPLING_DUE)
def sampling_due(ctx: JobContext) -> None:
    """Queue a run for each active plan whose last complete period has none yet."""
    with ctx.step() as (db, job):
        made = sampling.schedule_due(db, ctx.settings)
        job.payload = {**job.payload, "runs": [r.id for r in made]}
        ctx.finish(db, job)


# Daily at 01:00 local time: yesterday's calls have come in (a week plan's period ends on Sunday, a
# month plan's on the last day; each is run once, on the first tick after it ended).
duty(SAMPLING_DUTY, kind=sampling.SAMPLING_DUE, every="day", after=timedelta(hours=1))
