"""The engine's actor body and sweeper without a broker: what a delivery of an id does in each job state."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from qa_app.db.base import utcnow
from qa_app.db.models import Job, JobState
from qa_app.db.session import transaction
from qa_app.jobs import engine, registry
from qa_app.jobs.backends import Backends
from qa_app.services import jobs

RUNS: list[int] = []


@registry.job_kind("test_engine_ok")
def _ok(ctx: registry.JobContext) -> None:
    RUNS.append(ctx.job_id)


@registry.job_kind("test_engine_fail")
def _fail(ctx: registry.JobContext) -> None:
    raise RuntimeError("boom")


class Recording(engine.Publisher):
    """A publisher whose broker is a list."""

    def __init__(self, factory, settings) -> None:  # noqa: ANN001
        super().__init__(factory, settings)
        self.sent: list[tuple[list[int], object]] = []

    def send(self, job_ids, due=None) -> None:  # noqa: ANN001
        self.sent.append((list(job_ids), due))


@pytest.fixture
def runner(app):
    settings = app.extensions["qa_settings"].with_overrides(job_broker="redis://127.0.0.1:1/0")
    factory = app.extensions["qa_sessionmaker"]
    publisher = Recording(factory, settings)
    RUNS.clear()
    return engine.Runner(factory, settings, Backends(settings, _speech=object(), _scorer=object()), publisher)


def _enqueue(factory, kind: str) -> int:
    with transaction(factory) as db:
        return jobs.enqueue(db, kind, max_attempts=3).id


def _job(factory, job_id: int) -> Job:
    with factory() as s:
        return s.get(Job, job_id)


def test_a_delivered_job_runs_once_and_a_duplicate_is_dropped(runner):
    job_id = _enqueue(runner.factory, "test_engine_ok")
    assert runner(job_id) == JobState.DONE
    assert runner(job_id) == "dropped"
    assert runner(10_000) == "dropped"  # an id whose row rolled back or was removed
    assert RUNS == [job_id] and runner.publisher.sent == []


def test_a_delivery_for_a_job_a_live_worker_holds_schedules_one_recheck_after_its_lease(runner):
    job_id = _enqueue(runner.factory, "test_engine_ok")
    with transaction(runner.factory) as db:
        lease_until = jobs.claim_id(db, job_id, "other-host:1:1", 60).lease_until
    assert runner(job_id) == "resent"
    assert runner(job_id) == "dropped"  # a re-check is already due: no second one
    assert runner.publisher.sent == [([job_id], lease_until + timedelta(seconds=1))]
    assert RUNS == []
    with transaction(runner.factory) as db:  # the holder died: its lease ran out
        db.execute(update(Job).where(Job.id == job_id).values(lease_until=utcnow() - timedelta(seconds=1)))
    assert runner(job_id) == JobState.DONE and RUNS == [job_id]
    assert _job(runner.factory, job_id).attempts == 2


def test_a_failed_job_is_sent_again_for_its_retry_time(runner):
    job_id = _enqueue(runner.factory, "test_engine_fail")
    assert runner(job_id) == "resent"
    job = _job(runner.factory, job_id)
    assert job.state == JobState.FAILED and "boom" in job.last_error
    assert runner.publisher.sent == [([job_id], job.run_after)] and job.published_at == job.run_after
    assert runner(job_id) == "dropped"  # early duplicate: the retry's message is already due


def test_the_sweeper_requeues_expired_leases_and_sends_unsent_jobs_once(runner):
    factory, settings, publisher = runner.factory, runner.settings, runner.publisher
    unsent = _enqueue(factory, "test_engine_ok")  # no publisher on this session: never sent
    held = _enqueue(factory, "test_engine_ok")
    with transaction(factory) as db:
        jobs.claim_id(db, held, "gone:1:1", 60)
        jobs.mark_published(db, [held])
        db.execute(update(Job).where(Job.id == held).values(lease_until=utcnow() - timedelta(seconds=1)))
    assert engine.sweep(factory, settings, publisher) == 2
    assert publisher.sent == [([unsent, held], None)]
    assert _job(factory, held).state == JobState.QUEUED
    assert engine.sweep(factory, settings, publisher) == 0
