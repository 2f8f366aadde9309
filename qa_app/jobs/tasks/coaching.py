"""Coaching follow-up: a daily duty enqueues one ``coaching_followup`` job that re-checks every active
plan's target (closing the decided ones) and sends the session / due-date reminders.

Each reminder carries a dedupe key, so a second run of the job (a retry, a second worker, a manual
re-run) never notifies twice; closing a plan is guarded by the plan's version.
"""

from __future__ import annotations

from datetime import timedelta

from qa_app.jobs.registry import JobContext, duty, job_kind
from qa_app.services import coaching
from qa_app.services.coaching_insights import Context

COACHING_FOLLOWUP = "coaching_followup"


@job_kind(COACHING_FOLLOWUP)
def coaching_followup(ctx: JobContext) -> None:
    with ctx.step() as (db, job):
        summary = coaching.run_followup(db, Context.from_settings(ctx.settings))
        job.payload = {**job.payload, **summary.as_dict()}
        ctx.finish(db, job)


# 07:00 local: reminders are waiting when the day shift starts.
duty("daily-coaching-followup", kind=COACHING_FOLLOWUP, every="day", after=timedelta(hours=7))
