"""Durable jobs: claiming, stages, idempotence, leases, retries, dead-letter, role swap, re-score."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from qa_app.db.base import utcnow
from qa_app.db.models import AuditEvent, AutoScorecard, Call, CallStatus, Job, JobState, TranscriptRecord
from qa_app.db.session import transaction
from qa_app.jobs import scheduler, worker
from qa_app.jobs.backends import Backends
from qa_app.services import jobs, processing, queueing, rubrics

import factories
from fakes import FakeSpeech, lexicon_scorer


@pytest.fixture
def env(app, db):
    settings = app.extensions["qa_settings"]
    with transaction(app.extensions["qa_sessionmaker"]) as s:
        rubrics.ensure_default(s)
    agent = factories.create_agent(db)
    call = factories.create_call(db, settings, agent)
    queueing.enqueue_call(db, call, settings=settings)
    db.commit()
    backends = Backends(settings, _speech=FakeSpeech(), _scorer=lexicon_scorer())
    return settings, app.extensions["qa_sessionmaker"], call.id, backends


def count(factory, model, **where):
    with factory() as s:
        stmt = select(func.count()).select_from(model)
        for k, v in where.items():
            stmt = stmt.where(getattr(model, k) == v)
        return s.scalar(stmt)


def test_worker_processes_call_to_ready_with_one_transcript_and_scorecard(env):
    settings, factory, call_id, backends = env
    assert worker.run(factory, settings, backends=backends, once=True) == 1
    with factory() as s:
        call = s.get(Call, call_id)
        assert call.status == CallStatus.READY
        job = s.scalar(select(Job).where(Job.call_id == call_id))
        assert job.state == JobState.DONE and job.attempts == 1 and job.progress == 1.0
        card = s.scalar(select(AutoScorecard).where(AutoScorecard.call_id == call_id))
        assert card.total is not None and call.auto_score == card.total
        by_id = {c["id"]: c for c in card.data["criteria"]}
        assert by_id["greeting"]["result"] == "pass"
        assert by_id["greeting"]["evidence"], "a passing greeting cites the words that prove it"
        assert "您好" in by_id["greeting"]["evidence"][0]["text"]
    assert count(factory, TranscriptRecord, call_id=call_id) == 1


def test_enqueue_is_idempotent_while_pending(env, db):
    settings, factory, call_id, _ = env
    call = db.get(Call, call_id)
    again = queueing.enqueue_call(db, call, settings=settings)
    db.commit()
    assert count(factory, Job, call_id=call_id) == 1
    assert again.state == JobState.QUEUED


def test_rerunning_stages_replaces_rather_than_duplicates(env, db):
    settings, factory, call_id, backends = env
    worker.run(factory, settings, backends=backends, once=True)
    queueing.retry_call(db, db.get(Call, call_id), actor=factories.create_user(db), settings=settings)
    db.commit()
    worker.run(factory, settings, backends=backends, once=True)
    assert count(factory, TranscriptRecord, call_id=call_id) == 1
    assert count(factory, AutoScorecard, call_id=call_id) == 1
    assert backends.speech.calls == 2


def test_resumed_job_skips_stored_stages(env):
    """A job whose transcript was stored before the worker died resumes at scoring."""
    settings, factory, call_id, backends = env
    with transaction(factory) as s:
        job = jobs.claim(s, "dead-worker", 60)
        processing.store_transcript(
            s, s.get(Call, call_id), backends.speech.run_detailed("/dev/null").transcript
        )
        job.payload = {"done": ["transcribe"]}
        job.lease_until = utcnow() - timedelta(seconds=1)  # the worker died
    calls_before = backends.speech.calls
    assert worker.run(factory, settings, backends=backends, once=True) == 1
    assert backends.speech.calls == calls_before, "transcription must not run again"
    with factory() as s:
        job = s.scalar(select(Job).where(Job.call_id == call_id))
        assert job.state == JobState.DONE and job.attempts == 2
    assert count(factory, TranscriptRecord, call_id=call_id) == 1


def test_two_workers_never_own_the_same_job(env):
    _, factory, _, _ = env
    with transaction(factory) as s1:
        first = jobs.claim(s1, "w1", 60)
    with transaction(factory) as s2:
        second = jobs.claim(s2, "w2", 60)
    assert first is not None and second is None


def test_stale_worker_cannot_write_after_losing_its_lease(env):
    settings, factory, call_id, backends = env
    with transaction(factory) as s:
        job = jobs.claim(s, "w1", 60)
        job_id = job.id
        job.lease_until = utcnow() - timedelta(seconds=1)
    with transaction(factory) as s:
        assert jobs.claim(s, "w2", 60).id == job_id
    assert worker.process_job(factory, job_id, "w1", backends, settings) == "lost"
    assert count(factory, TranscriptRecord, call_id=call_id) == 0
    assert worker.process_job(factory, job_id, "w2", backends, settings) == JobState.DONE
    assert count(factory, TranscriptRecord, call_id=call_id) == 1


def test_failures_back_off_then_dead_letter(env, monkeypatch):
    settings, factory, call_id, backends = env
    monkeypatch.setenv("QA_FAKE_SPEECH_FAIL", "1")
    settings = settings.with_overrides(job_backoff_seconds=10)
    worker.run(factory, settings, backends=backends, once=True)
    with factory() as s:
        job = s.scalar(select(Job).where(Job.call_id == call_id))
        assert job.state == JobState.FAILED and "simulated ASR crash" in job.last_error
        assert job.run_after > utcnow() + timedelta(seconds=5)
        assert s.get(Call, call_id).status == CallStatus.QUEUED
    # not runnable before its backoff ends
    assert worker.run(factory, settings, backends=backends, once=True) == 0
    for _ in range(job.max_attempts - 1):
        with transaction(factory) as s:
            s.get(Job, job.id).run_after = utcnow()
        worker.run(factory, settings, backends=backends, once=True)
    with factory() as s:
        job = s.get(Job, job.id)
        call = s.get(Call, call_id)
        assert job.state == JobState.DEAD and job.attempts == job.max_attempts
        assert call.status == CallStatus.FAILED and "simulated ASR crash" in call.failure_reason


def test_missing_audio_is_a_permanent_failure(env):
    settings, factory, call_id, backends = env
    with factory() as s:
        (settings.data_dir / s.get(Call, call_id).audio_path).unlink()
    worker.run(factory, settings, backends=backends, once=True)
    with factory() as s:
        assert s.scalar(select(Job.state).where(Job.call_id == call_id)) == JobState.DEAD
        assert s.get(Call, call_id).status == CallStatus.FAILED


def test_scheduler_requeues_expired_leases_and_dead_letters_exhausted_jobs(env):
    _, factory, call_id, _ = env
    with transaction(factory) as s:
        job = jobs.claim(s, "w1", 60)
        job.lease_until = utcnow() - timedelta(seconds=1)
        job_id = job.id
    assert scheduler.requeue_expired(factory) == 1
    with factory() as s:
        job = s.get(Job, job_id)
        assert job.state == JobState.QUEUED and "stopped responding" in job.last_error
    with transaction(factory) as s:
        job = s.get(Job, job_id)
        job.state, job.attempts, job.lease_until = (
            JobState.RUNNING,
            job.max_attempts,
            utcnow() - timedelta(seconds=1),
        )
    scheduler.requeue_expired(factory)
    with factory() as s:
        assert s.get(Job, job_id).state == JobState.DEAD


def test_swap_roles_flips_speakers_and_rescores(env, db):
    settings, factory, call_id, backends = env
    worker.run(factory, settings, backends=backends, once=True)
    reviewer = factories.create_user(db, "qa_reviewer")
    processing.swap_roles(db, db.get(Call, call_id), actor=reviewer, settings=settings)
    db.commit()
    with factory() as s:
        rec = s.scalar(select(TranscriptRecord).where(TranscriptRecord.call_id == call_id))
        assert rec.data["speakers"] == {"A": "customer", "B": "agent"}
        assert rec.data["segments"][0]["role"] == "customer"
        assert (
            s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "roles_swapped"))
            == 1
        )
    assert worker.run(factory, settings, backends=backends, once=True) == 1
    with factory() as s:
        card = s.scalar(select(AutoScorecard).where(AutoScorecard.call_id == call_id))
        greeting = {c["id"]: c for c in card.data["criteria"]}["greeting"]
        assert greeting["result"] == "fail", "after the swap the 'agent' never greets"
    assert backends.speech.calls == 1, "a role swap re-scores without re-transcribing"


def test_rescore_is_explicit_and_logged(env, db):
    settings, factory, call_id, backends = env
    worker.run(factory, settings, backends=backends, once=True)
    queued = queueing.request_rescore(db, [call_id, 999_999], actor=factories.create_user(db))
    db.commit()
    assert [j.call_id for j in queued] == [call_id], "calls without transcripts are skipped"
    worker.run(factory, settings, backends=backends, once=True)
    assert count(factory, AutoScorecard, call_id=call_id) == 1
    assert count(factory, AuditEvent, action="rescore_requested") == 1


def test_scheduler_optimize_duty_runs(env):
    _, factory, _, _ = env
    scheduler.optimize(factory)  # SQLite: PRAGMA optimize refreshes planner statistics
    settings = env[0]
    jobs_scheduled = {j.id for j in scheduler.build(factory, settings).get_jobs()}
    assert jobs_scheduled == {"requeue_expired", "optimize_db", "duties"}


def test_stored_rubric_that_no_longer_validates_fails_scoring_with_a_clear_reason(env):
    from qa_app.db.models import RubricVersion

    settings, factory, call_id, backends = env
    with transaction(factory) as s:
        row = s.scalar(select(RubricVersion).where(RubricVersion.is_default))
        row.yaml_text = row.yaml_text.replace("weight: ", "weight: -", 1)
    worker.run(factory, settings, backends=backends, once=True)
    with factory() as s:
        job = s.scalar(select(Job).where(Job.call_id == call_id))
        assert job.state == JobState.DEAD
        assert "no longer validates" in job.last_error and "weight" in job.last_error
        assert count(factory, TranscriptRecord, call_id=call_id) == 1, "the transcript is kept"


def test_redacted_spans_are_muted_in_the_stored_audio_when_configured(env, monkeypatch):
    import numpy as np

    from transcription.audio import decode
    from transcription.redact import RedactionSpan

    settings, factory, call_id, backends = env
    settings = settings.with_overrides(mute_redacted_audio=True)
    original = backends.speech.run_detailed

    def with_span(*args, **kwargs):
        result = original(*args, **kwargs)
        result.redactions.append(RedactionSpan(0.3, 0.6, "phone", "B"))
        return result

    monkeypatch.setattr(backends.speech, "run_detailed", with_span)
    worker.run(factory, settings, backends=backends, once=True)
    with factory() as s:
        path = settings.data_dir / s.get(Call, call_id).audio_path
    x = decode(path, 16000, mono=True)[0]
    assert np.abs(x[int(0.35 * 16000) : int(0.55 * 16000)]).max() < 1e-3
    assert np.abs(x[int(0.8 * 16000) :]).max() > 0.05


def test_bulk_rescore_handles_more_ids_than_one_sql_statement_takes(env, db, monkeypatch):
    settings, factory, call_id, backends = env
    worker.run(factory, settings, backends=backends, once=True)
    monkeypatch.setattr(queueing, "IN_CHUNK", 3)
    ids = [call_id, *range(10_000_000, 10_000_010)]  # unknown ids are skipped, chunk boundaries crossed
    assert [j.call_id for j in queueing.request_rescore(db, ids, actor=None)] == [call_id]


def test_range_rescore_is_one_job_that_the_worker_expands(env, db):
    from datetime import UTC, datetime

    settings, factory, call_id, backends = env
    worker.run(factory, settings, backends=backends, once=True)
    started = db.get(Call, call_id).started_at
    job = queueing.request_rescore_range(
        db, started - timedelta(days=1), started + timedelta(days=1), actor=factories.create_user(db)
    )
    queueing.request_rescore_range(
        db, datetime(2001, 1, 1, tzinfo=UTC), datetime(2001, 1, 2, tzinfo=UTC), actor=None
    )
    db.commit()
    assert count(factory, AuditEvent, action="rescore_requested") == 2
    # two range jobs (one matches no call) and the one score job the other expands into
    assert worker.run(factory, settings, backends=backends, once=True) == 3
    with factory() as s:
        assert s.get(Job, job.id).payload["queued"] == 1
        assert s.scalar(select(func.count()).select_from(Job).where(Job.kind == processing.SCORE)) == 1
    assert count(factory, AutoScorecard, call_id=call_id) == 1
