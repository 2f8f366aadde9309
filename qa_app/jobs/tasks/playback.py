"""Playback jobs: transcode a long call's compressed listening copy (short ones are made on request)."""

from __future__ import annotations

from qa_app.db.models import Call
from qa_app.jobs.registry import JobContext, job_kind
from qa_app.services import playback
from qa_app.services.errors import NotFound
from transcription.audio import AudioError


@job_kind(playback.PREPARE, subject=playback.SUBJECT, permanent=(AudioError, NotFound, ValueError))
def prepare_playback(ctx: JobContext) -> None:
    """Encode every playback format outside any transaction (minutes for a long call; the heartbeat
    keeps the lease)."""
    with ctx.step() as (db, job):
        call = db.get(Call, job.subject_id)
        if call is None:
            raise NotFound("calls.not_found")
        db.expunge(call)
    sizes = {}
    for i, fmt in enumerate(playback.FORMATS):
        ctx.heartbeat.set("encode", i / len(playback.FORMATS))
        sizes[fmt] = playback.prepare(ctx.settings, call, fmt).stat().st_size
    with ctx.step() as (db, job):
        job.payload = {**job.payload, "bytes": sizes}
        ctx.finish(db, job)
