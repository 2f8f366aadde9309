"""Retention (PIPL): the daily duty that deletes audio and transcripts past their retention period."""

from __future__ import annotations

from datetime import timedelta

from qa_app.jobs.registry import JobContext, duty, job_kind
from qa_app.services import retention

RETENTION = "retention"
MAX_BATCHES = 10_000  # a bound, never reached in practice: 2M calls a run at 200 a batch


@job_kind(RETENTION)
def purge_expired(ctx: JobContext) -> None:
    """Purge batch after batch (one transaction each) until nothing is due; safe to re-run."""
    audio = transcripts = 0
    for _ in range(MAX_BATCHES):
        with ctx.step() as (db, job):
            result = retention.purge_batch(db, ctx.settings)
            audio += len(result.audio_calls)
            transcripts += len(result.transcript_calls)
            job.payload = {**job.payload, "audio_purged": audio, "transcripts_purged": transcripts}
            if result.empty:
                ctx.finish(db, job)
                return


# 02:30 local: after the sampling run (01:00) has picked its calls, before the working day.
duty("daily-retention", kind=RETENTION, every="day", after=timedelta(hours=2, minutes=30))
