"""The engine path (QA_JOB_BROKER) with a real broker: Redis and RabbitMQ, each skipped when none answers.

What is checked: ids are sent only after the commit (a rollback sends nothing), the sweeper sends what
was never sent, a real engine worker process runs jobs end to end with the fake backends, loading them
once per process, duplicate deliveries do no duplicate work, and a worker killed with SIGKILL mid-job is
taken over so the job completes exactly once. The embedded default needs no broker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from qa_app.db.models import AutoScorecard, Call, CallStatus, Job, JobState, TranscriptRecord
from qa_app.db.session import make_session_factory, transaction
from qa_app.jobs import engine
from qa_app.services import jobs, queueing, rubrics
from qa_app.settings import Settings

import factories
from procs import start_worker, wait_for, worker_env

BROKERS = {
    "redis": os.environ.get("QA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
    "rabbitmq": os.environ.get("QA_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
}


@pytest.fixture(params=sorted(BROKERS))
def broker(request, tmp_path):
    """(url, queue) of a live broker with a queue of this test's own (deleted afterwards)."""
    url = BROKERS[request.param]
    probe = factories.make_settings(tmp_path / "probe", job_broker=url)
    ok, detail = engine.ping(probe, timeout=1.0)
    if not ok:
        pytest.skip(f"no {request.param} broker answers: {detail}")
    queue = f"qa_test_{uuid.uuid4().hex[:10]}"
    yield url, queue
    engine.delete_queue(url, queue)


@pytest.fixture
def engine_app(make_app, broker):
    url, queue = broker
    app = make_app(job_broker=url, job_queue=queue, job_lease_seconds=2)
    yield app
    engine.publisher_of(app.extensions["qa_sessionmaker"]).close()


def drain(settings: Settings, quiet: float = 1.5) -> list[int]:
    """Take every message off the test queue (acknowledging it); the job ids in order."""
    broker = engine.make_broker(settings.job_broker, settings.job_queue)
    if settings.job_broker.startswith("amqp"):
        broker.declare_queue(settings.job_queue, ensure=True)
    consumer = broker.consume(settings.job_queue, prefetch=100, timeout=200)
    ids: list[int] = []
    last = time.monotonic()
    try:
        while time.monotonic() - last < quiet:
            message = next(consumer)
            if message is None:
                continue
            ids.append(message.args[0])
            consumer.ack(message)
            last = time.monotonic()
    finally:
        consumer.close()
        broker.close()
    return ids


def test_broker_setting_is_parsed_and_bad_values_stop_start_up(tmp_path):
    base = {"QA_INSTANCE_DIR": str(tmp_path), "QA_SECRET_KEY": "x"}
    assert Settings.from_env(base).job_broker == ""
    for url in ("redis://127.0.0.1:6379/0", "amqp://guest:guest@127.0.0.1:5672/"):
        assert Settings.from_env({**base, "QA_JOB_BROKER": url}).job_broker == url
    for bad in ("127.0.0.1:6379", "kafka://x:9092", "redis://", "amqp:/x"):
        with pytest.raises(ValueError, match="QA_JOB_BROKER must be empty"):
            Settings.from_env({**base, "QA_JOB_BROKER": bad})
    with pytest.raises(ValueError, match="QA_JOB_QUEUE"):
        Settings.from_env({**base, "QA_JOB_QUEUE": "a queue"})


def test_the_embedded_default_needs_no_broker(app, db, runner):
    settings = app.extensions["qa_settings"]
    assert settings.job_broker == "" and engine.ping(settings) == (True, "embedded worker (no broker)")
    assert engine.publisher_of(app.extensions["qa_sessionmaker"]) is None
    job = jobs.enqueue(db, "maintenance", max_attempts=1)
    db.commit()
    assert job.published_at is None
    result = runner.invoke(args=["worker", "--processes", "2"])
    assert result.exit_code != 0 and "QA_JOB_BROKER" in result.output


def test_ping_reports_an_unreachable_broker_without_its_password(tmp_path):
    settings = factories.make_settings(tmp_path, job_broker="amqp://guest:s3cret@127.0.0.1:1/")
    ok, detail = engine.ping(settings, timeout=0.5)
    assert not ok and "s3cret" not in detail and "127.0.0.1:1" in detail
    ok, detail = engine.ping(settings.with_overrides(job_broker="redis://:s3cret@127.0.0.1:1/0"), timeout=0.5)
    assert not ok and "s3cret" not in detail


def test_ping_a_live_broker(broker, tmp_path):
    url, _ = broker
    assert engine.ping(factories.make_settings(tmp_path, job_broker=url)) == (True, engine.redact(url))


def test_ids_are_sent_after_commit_and_a_rollback_sends_nothing(engine_app):
    settings = engine_app.extensions["qa_settings"]
    factory = engine_app.extensions["qa_sessionmaker"]
    with factory() as db:
        first = jobs.enqueue(db, "maintenance", max_attempts=1, dedupe_key="t:first")
        with db.begin_nested():  # a savepoint that commits with the outer transaction
            second = jobs.enqueue(db, "maintenance", max_attempts=1, dedupe_key="t:second")
        assert drain(settings, quiet=0.5) == []  # nothing before the commit
        db.commit()
        assert first.published_at is not None
    assert sorted(drain(settings)) == sorted([first.id, second.id])

    with factory() as db:
        # a use case writes before it enqueues (pysqlite only begins a transaction at a write)
        db.execute(update(Job).where(Job.id == first.id).values(stage="touched"))
        jobs.enqueue(db, "maintenance", max_attempts=1, dedupe_key="t:rolled-back")
        db.rollback()
        same = jobs.enqueue(db, "maintenance", max_attempts=1, dedupe_key="t:first")  # pending: no new job
        assert same.id == first.id
        db.commit()
    assert drain(settings) == []
    with factory() as db:
        assert db.scalar(select(func.count()).select_from(Job)) == 2


def test_the_sweeper_sends_jobs_whose_message_never_left(engine_app):
    settings = engine_app.extensions["qa_settings"]
    factory = engine_app.extensions["qa_sessionmaker"]
    unpublished = make_session_factory(engine_app.extensions["qa_engine"])  # as if the send was lost
    with transaction(unpublished) as db:
        lost = jobs.enqueue(db, "maintenance", max_attempts=1).id
    with transaction(factory) as db:
        sent = jobs.enqueue(db, "maintenance", max_attempts=1, dedupe_key="t:sent").id
    assert drain(settings) == [sent]
    assert engine.sweep(factory, settings) == 1
    assert drain(settings) == [lost]
    assert engine.sweep(factory, settings) == 0  # sent once, not again before QA_JOB_REPUBLISH_SECONDS


def _engine_env(settings: Settings, tmp_path: Path, sleep: float, **extra: str) -> dict[str, str]:
    return worker_env(
        settings,
        tmp_path / "transcriptions",
        sleep=sleep,
        QA_JOB_BROKER=settings.job_broker,
        QA_JOB_QUEUE=settings.job_queue,
        QA_JOB_SWEEP_SECONDS="1",
        QA_FAKE_SPEECH_LOADS=str(tmp_path / "model-loads"),
        **extra,
    )


def _stop(proc: subprocess.Popen) -> int | None:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        return None


def _counts(factory, call_id: int) -> tuple[int, int]:
    with factory() as s:
        n_tr = s.scalar(
            select(func.count()).select_from(TranscriptRecord).where(TranscriptRecord.call_id == call_id)
        )
        n_sc = s.scalar(
            select(func.count()).select_from(AutoScorecard).where(AutoScorecard.call_id == call_id)
        )
    return n_tr, n_sc


def _queue_calls(engine_app, db, n: int) -> list[int]:
    settings = engine_app.extensions["qa_settings"]
    with transaction(engine_app.extensions["qa_sessionmaker"]) as s:
        rubrics.ensure_default(s)
    agent = factories.create_agent(db)
    calls = [factories.create_call(db, settings, agent) for _ in range(n)]
    for call in calls:
        queueing.enqueue_call(db, call, settings=settings)
    db.commit()  # sent to the broker here
    return [c.id for c in calls]


def _all_done(factory, call_ids: list[int]) -> bool:
    with factory() as s:
        states = s.scalars(select(Job.state).where(Job.subject_type == "call", Job.subject_id.in_(call_ids)))
        return all(state == JobState.DONE for state in states)


def test_an_engine_worker_runs_jobs_once_each_and_loads_the_models_once(engine_app, tmp_path):
    settings = engine_app.extensions["qa_settings"]
    factory = engine_app.extensions["qa_sessionmaker"]
    with factory() as db:
        call_ids = _queue_calls(engine_app, db, 3)
        job_ids = [db.scalar(select(Job.id).where(Job.for_call(c))) for c in call_ids]
    publisher = engine.publisher_of(factory)
    publisher.send(job_ids + job_ids)  # every id delivered three times in all

    log = tmp_path / "worker.log"
    proc = start_worker(_engine_env(settings, tmp_path, sleep=0.3), log)
    try:
        wait_for(lambda: _all_done(factory, call_ids), 90, "the engine worker to finish\n" + log.read_text())
    finally:
        code = _stop(proc)
    assert code == 0, log.read_text()
    assert "engine worker started" in log.read_text()
    assert len((tmp_path / "transcriptions").read_text().split()) == 3  # one transcription per call
    assert (tmp_path / "model-loads").read_text().split() == [str(proc.pid)]  # loaded once in the process
    with factory() as s:
        for call_id in call_ids:
            assert s.get(Call, call_id).status == CallStatus.READY
            assert _counts(factory, call_id) == (1, 1)
        assert all(j.attempts == 1 for j in s.scalars(select(Job).where(Job.id.in_(job_ids))))


def test_a_worker_killed_mid_job_is_taken_over_and_the_job_completes_exactly_once(engine_app, tmp_path):
    settings = engine_app.extensions["qa_settings"]
    factory = engine_app.extensions["qa_sessionmaker"]
    with factory() as db:
        (call_id,) = _queue_calls(engine_app, db, 1)
    marker = tmp_path / "transcriptions"
    log = tmp_path / "workers.log"
    first = start_worker(_engine_env(settings, tmp_path, sleep=30), log)
    try:
        wait_for(lambda: marker.exists() and marker.read_text().strip(), 60, "the first worker to start\n")
        with factory() as s:
            assert s.scalar(select(Job.state).where(Job.for_call(call_id))) == JobState.RUNNING
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()

    env = _engine_env(settings, tmp_path, sleep=0.2)
    env["QA_JOB_LEASE_SECONDS"] = "10"  # its own lease: not lost to a busy SQLite on a loaded machine
    second = start_worker(env, log)
    try:
        wait_for(lambda: _all_done(factory, [call_id]), 90, "the second worker to finish\n" + log.read_text())
    finally:
        _stop(second)
    pids = marker.read_text().split()
    assert len(pids) == 2 and pids[0] != pids[1], "transcription ran once per worker"
    with factory() as s:
        job = s.scalar(select(Job).where(Job.for_call(call_id)))
        assert job.attempts == 2, log.read_text()
        assert job.worker.startswith(f"{os.uname().nodename}:{second.pid}:")
        assert s.get(Call, call_id).status == CallStatus.READY
    assert _counts(factory, call_id) == (1, 1)
