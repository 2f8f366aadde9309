"""Calibration: a daily duty reminds reviewers of calibration scores due tomorrow or overdue."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from qa_app.jobs.registry import JobContext, duty, job_kind
from qa_app.services import calibration

CALIBRATION_REMINDERS = "calibration_reminders"


@job_kind(CALIBRATION_REMINDERS)
def calibration_reminders(ctx: JobContext) -> None:
    """Notify raters with unsubmitted scores in sessions due by tomorrow (once per session and day)."""
    with ctx.step() as (db, job):
        today = datetime.now(ZoneInfo(ctx.settings.timezone)).date()
        sent = calibration.remind_due(db, today=today, period=str(job.payload.get("period") or today))
        job.payload = {**job.payload, "notified": sent}
        ctx.finish(db, job)


# mornings, so the reminder arrives at the start of the working day
duty("calibration-reminders", kind=CALIBRATION_REMINDERS, every="day", after=timedelta(hours=8))
