"""kill -9 a worker process in the middle of transcription: the job is picked up again and finishes once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from qa_app.db.models import AutoScorecard, Call, CallStatus, Job, JobState, TranscriptRecord
from qa_app.db.session import transaction
from qa_app.services import processing, rubrics

import factories

REPO = Path(__file__).resolve().parents[2]


def _worker_env(settings, marker: Path, sleep: float, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(
        QA_DATABASE_URL=settings.database_url,
        QA_INSTANCE_DIR=str(settings.instance_dir),
        QA_DATA_DIR=str(settings.data_dir),
        QA_SECRET_KEY=settings.secret_key,
        QA_SPEECH_BACKEND="fakes:fake_speech",
        QA_SCORING_BACKEND="fakes:lexicon_scorer",
        QA_JOB_LEASE_SECONDS="2",
        QA_FAKE_SPEECH_SLEEP=str(sleep),
        QA_FAKE_SPEECH_MARKER=str(marker),
        PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "tests")]),
        **extra,
    )
    return env


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--poll", "0.2"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_kill_9_mid_transcription_resumes_and_finishes_exactly_once(app, db, tmp_path):
    settings = app.extensions["qa_settings"]
    factory = app.extensions["qa_sessionmaker"]
    with transaction(factory) as s:
        rubrics.ensure_default(s)
    call = factories.create_call(db, settings, factories.create_agent(db))
    processing.enqueue_call(db, call, settings=settings)
    db.commit()
    marker = tmp_path / "transcription-started"

    log = tmp_path / "workers.log"
    first = _start_worker(_worker_env(settings, marker, sleep=30), log)
    try:
        _wait(lambda: marker.exists() and marker.read_text().strip(), 30, "the first worker to start")
        with factory() as s:
            job = s.scalar(select(Job).where(Job.call_id == call.id))
            assert job.state == JobState.RUNNING and job.stage in ("transcribe", "asr")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()

    second = _start_worker(_worker_env(settings, marker, sleep=0.2), log)
    try:

        def done() -> bool:
            with factory() as s:
                return s.scalar(select(Job.state).where(Job.call_id == call.id)) == JobState.DONE

        _wait(done, 60, "the second worker to finish the job\n" + log.read_text())
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
    proc = _start_worker(_worker_env(settings, tmp_path / "m", sleep=0), log)
    _wait(lambda: "started" in log.read_text(), 60, "the worker to start")  # signal handlers are installed
    proc.send_signal(getattr(signal, signal_name))
    assert proc.wait(15) == 0
