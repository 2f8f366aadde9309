"""Prometheus metrics (prometheus_client), served at ``/metrics`` by ``qa_app/web/ops.py``.

Counted in the process where they happen (any process: web, worker, CLI):

* ``qa_http_request_duration_seconds{endpoint,method,status}`` — histogram; ``endpoint`` is the Flask
  endpoint of the route rule (``calls.detail``), never the raw path (no ids, bounded label set);
* ``qa_job_failures_total{kind,outcome}`` — a job attempt failed; outcome ``retry`` or ``dead``;
* ``qa_transcription_rtf{stage}`` — histogram of processing seconds per second of audio, per pipeline
  stage (``decode``, ``asr``, ``diarize`` …, and ``total``), from the pipeline's timings of each call.

Computed from the jobs table at scrape time (always the truth across every process and machine):

* ``qa_jobs_queued{kind}`` — jobs waiting (queued, or failed and waiting for a retry);
* ``qa_jobs_running{kind}``, ``qa_jobs_dead{kind}``;
* ``qa_jobs_oldest_queued_age_seconds{kind}`` — age of the oldest waiting job since it became due.

Several processes (gunicorn workers, job workers): set ``PROMETHEUS_MULTIPROC_DIR`` to a directory shared
by all of them on the machine, emptied before they start (``scripts/prod.sh`` does it); each scrape then
adds up every process's files. Without it each process counts only its own.

Other areas report through the small API below: :func:`observe_rtf`, :func:`observe_transcription`,
:func:`job_failed`.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from transcription.pipeline import stage_rtf

log = logging.getLogger("qa_app.metrics")

# Buckets: web requests 5 ms .. 30 s; real-time factors 0.005 .. 4 (1 = as long as the audio).
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0, 30.0)
_RTF_BUCKETS = (0.005, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.35, 0.5, 0.75, 1.0, 2.0, 4.0)

REQUEST_LATENCY = Histogram(
    "qa_http_request_duration_seconds",
    "Web request latency by route endpoint, method and status",
    ("endpoint", "method", "status"),
    buckets=_LATENCY_BUCKETS,
)
JOB_FAILURES = Counter(
    "qa_job_failures", "Failed job attempts by job kind and outcome (retry | dead)", ("kind", "outcome")
)
TRANSCRIPTION_RTF = Histogram(
    "qa_transcription_rtf",
    "Transcription real-time factor (processing seconds per audio second) by pipeline stage",
    ("stage",),
    buckets=_RTF_BUCKETS,
)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def observe_request(endpoint: str | None, method: str, status: int, seconds: float) -> None:
    REQUEST_LATENCY.labels(endpoint or "unmatched", method, str(status)).observe(seconds)


def observe_rtf(stage: str, value: float) -> None:
    """One real-time factor (seconds of processing / seconds of audio) for one pipeline stage."""
    if value >= 0 and math.isfinite(value):
        TRANSCRIPTION_RTF.labels(stage).observe(value)


def observe_transcription(timings: Mapping[str, float]) -> None:
    """The pipeline's timings of one call (stage -> seconds, ``audio_seconds``) as real-time factors per
    stage (wall and ``*_cpu``), computed by :func:`transcription.pipeline.stage_rtf` (model set-up is not
    per-call work and is left out)."""
    for stage, value in stage_rtf(dict(timings)).items():
        observe_rtf(stage, value)


def job_failed(kind: str, dead: bool) -> None:
    JOB_FAILURES.labels(kind, "dead" if dead else "retry").inc()


# --- scrape ---------------------------------------------------------------------------------------------


class QueueStats:
    """What the jobs table says at scrape time (filled by ``qa_app.services.jobs.queue_stats``)."""

    def __init__(
        self,
        queued: Mapping[str, int],
        running: Mapping[str, int],
        dead: Mapping[str, int],
        oldest_due: Mapping[str, datetime],
        now: datetime,
    ) -> None:
        self.queued, self.running, self.dead, self.oldest_due, self.now = (
            queued,
            running,
            dead,
            oldest_due,
            now,
        )


class _QueueCollector:
    def __init__(self, stats: Callable[[], QueueStats]) -> None:
        self._stats = stats

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily("qa_jobs_stats_up", "1 when the jobs table could be read for this scrape")
        try:
            s = self._stats()
        except Exception:
            log.warning("metrics: the jobs table could not be read", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        for name, doc, values in (
            ("qa_jobs_queued", "Jobs waiting to run (queued or waiting for a retry)", s.queued),
            ("qa_jobs_running", "Jobs being run by a worker", s.running),
            ("qa_jobs_dead", "Jobs dead-lettered after their last attempt", s.dead),
        ):
            g = GaugeMetricFamily(name, doc, labels=["kind"])
            for kind, n in sorted(values.items()):
                g.add_metric([kind], n)
            yield g
        age = GaugeMetricFamily(
            "qa_jobs_oldest_queued_age_seconds",
            "Seconds since the oldest waiting job became due",
            labels=["kind"],
        )
        for kind, due in sorted(s.oldest_due.items()):
            age.add_metric([kind], max(0.0, (s.now - due).total_seconds()))
        yield age


def render(queue_stats: Callable[[], QueueStats] | None = None) -> bytes:
    """The exposition text: this process's (or every process's, in multiprocess mode) metrics plus the
    queue figures computed now."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        for collector in (REQUEST_LATENCY, JOB_FAILURES, TRANSCRIPTION_RTF):
            registry.register(collector)
    if queue_stats is not None:
        registry.register(_QueueCollector(queue_stats))
    return generate_latest(registry)


def mark_process_dead(pid: int) -> None:
    """gunicorn ``child_exit`` hook: drop a dead worker's live gauges (multiprocess mode only)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
