"""Call jobs: transcribe + score a call, re-score a call, expand a date-range re-score."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from qa_app import metrics
from qa_app.db.models import Call, Job
from qa_app.jobs.registry import JobContext, LostLease, job_kind
from qa_app.services import processing
from transcription.audio import AudioError, mute_file
from transcription.errors import BadAudioError
from transcription.pipeline import stage_rtf
from transcription.redact import redact_transcript

log = logging.getLogger(__name__)

# Failures a retry cannot fix: the job is dead-lettered at once.
BAD_INPUT = (AudioError, BadAudioError, FileNotFoundError)


def _on_failure(db: Session, job: Job, error: str, dead: bool) -> None:
    processing.record_failure(db, job, error, dead=dead)


@job_kind(processing.PROCESS, subject="call", permanent=BAD_INPUT, on_failure=_on_failure)
def process_call(ctx: JobContext) -> None:
    """Transcribe (unless a previous attempt stored the transcript), then score."""
    with ctx.step() as (db, job):
        call = processing.start(db, job)
        done = list(job.payload.get("done", []))
        audio = ctx.settings.data_dir / call.audio_path
        layout, language = call.channel_layout, call.language
    hb = ctx.heartbeat
    if "transcribe" not in done:
        hb.set("transcribe", 0.0)
        result = ctx.backends.speech.run_detailed(
            audio,
            channels="mono" if layout == "mono" else "stereo",
            layout=layout,
            language=None if language == "auto" else language,
            progress=hb.progress,
        )
        log_speech_rtf(ctx.job_id, getattr(result, "timings", None) or {})
        if hb.lost:
            raise LostLease(f"job {ctx.job_id} lease lost during transcription")
        metrics.observe_transcription(getattr(result, "timings", None) or {})
        # Redacted again here (a plug-in backend may not redact; store_transcript redacts too), so
        # muting also covers the numbers the backend left in.
        transcript, spans = redact_transcript(result.transcript)
        spans = [*result.redactions, *spans]
        if ctx.settings.mute_redacted_audio and spans:
            mute_file(audio, [(s.start, s.end) for s in spans])
        with ctx.step() as (db, job):
            processing.store_transcript(db, db.get(Call, job.call_id), transcript)
            job.payload = {**job.payload, "done": [*done, "transcribe"]}
            job.stage, job.progress = "score", 0.9
    _score(ctx)


def log_speech_rtf(job_id: int, timings: dict[str, float]) -> dict[str, float]:
    """Log the real-time factor of each speech stage (wall and CPU) and the model set-up time;
    returns the RTFs (empty when the backend reported no timings)."""
    rtf = stage_rtf(timings)
    if not rtf:
        return rtf
    stages = " ".join(f"{k}={v:.3f}" for k, v in rtf.items())
    log.info(
        "speech job %s: %.1f s audio, set-up %.2f s, RTF %s",
        job_id,
        timings.get("audio_seconds", 0.0),
        timings.get("setup", 0.0),
        stages,
    )
    return rtf


@job_kind(processing.SCORE, subject="call", on_failure=_on_failure)
def score_call(ctx: JobContext) -> None:
    """Score the stored transcript again (rubric change, role swap, explicit re-score)."""
    with ctx.step() as (db, job):
        processing.start(db, job)
    _score(ctx)


def _score(ctx: JobContext) -> None:
    ctx.heartbeat.set("score", 0.9)
    with ctx.step() as (db, job):
        call = db.get(Call, job.call_id)
        processing.score_call(
            db, call, ctx.backends.scorer, rubric_version_id=job.payload.get("rubric_version_id")
        )
        processing.mark_ready(db, job, call)
        ctx.finish(db, job)


@job_kind(processing.RESCORE_RANGE)
def rescore_range(ctx: JobContext) -> None:
    """Queue one score job per transcribed call in the range (pending ones are reused)."""
    with ctx.step() as (db, job):
        processing.expand_rescore_range(db, job)
        ctx.finish(db, job)
