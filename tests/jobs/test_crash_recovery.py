"""kill -9 a worker process in the middle of transcription: the job is picked up again and finishes once."""

from __future__ import annotations

import signal
import subprocess

import pytest
from sqlalchemy import func, select

from qa_app.db.models import AutoScorecard, Call, CallStatus, Job, JobState, TranscriptRecord
from qa_app.db.session import transaction
from qa_app.services import queueing, rubrics

import factories
from procs import start_worker, wait_for, worker_env


def test_kill_9_mid_transcription_resumes_and_finishes_exactly_once(app, db, tmp_path):
    settings = app.extensions["qa_settings"]
    factory = app.extensions["qa_sessionmaker"]
    with transaction(factory) as s:
        rubrics.ensure_default(s)
    call = factories.create_call(db, settings, factories.create_agent(db))
    queueing.enqueue_call(db, call, settings=settings)
    db.commit()
    marker = tmp_path / "transcription-started"

    log = tmp_path / "workers.log"
    first = start_worker(worker_env(settings, marker, sleep=30), log)
    try:
        wait_for(lambda: marker.exists() and marker.read_text().strip(), 30, "the first worker to start")
        with factory() as s:
            job = s.scalar(select(Job).where(Job.call_id == call.id))
            assert job.state == JobState.RUNNING and job.stage in ("transcribe", "asr")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()

    second = start_worker(worker_env(settings, marker, sleep=0.2), log)
    try:

        def done() -> bool:
            with factory() as s:
                return s.scalar(select(Job.state).where(Job.call_id == call.id)) == JobState.DONE

        wait_for(done, 60, "the second worker to finish the job\n" + log.read_text())
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(15)
        except subprocess.TimeoutExpired:
            second.kill()

    pids = marker.read_text().split()
    assert len(pids) == 2 and pids[0] != pids[1], "transcription ran once per worker"
    with factory() as s:
        job = s.scalar(select(Job).where(Job.call_id == call.id))
        assert job.attempts == 2
        assert s.get(Call, call.id).status == CallStatus.READY
        n_tr = s.scalar(
            select(func.count()).select_from(TranscriptRecord).where(TranscriptRecord.call_id == call.id)
        )
        n_sc = s.scalar(
            select(func.count()).select_from(AutoScorecard).where(AutoScorecard.call_id == call.id)
        )
    assert (n_tr, n_sc) == (1, 1)


@pytest.mark.parametrize("signal_name", ["SIGTERM"])
def test_worker_stops_cleanly_on_sigterm(app, tmp_path, signal_name):
    settings = app.extensions["qa_settings"]
    log = tmp_path / "w.log"
    proc = start_worker(worker_env(settings, tmp_path / "m", sleep=0), log)
    wait_for(lambda: "started" in log.read_text(), 60, "the worker to start")  # signal handlers are installed
    proc.send_signal(getattr(signal, signal_name))
    assert proc.wait(15) == 0
