"""Job kinds and scheduled duties: dispatch by kind, unknown kinds, a non-call kind end to end,
de-duplication keys, and duties that fire once per period — also with three real worker processes."""

from __future__ import annotations

import signal
import subprocess
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from qa_app.db.base import utcnow
from qa_app.db.models import DutyRun, Job, JobState
from qa_app.db.session import transaction
from qa_app.jobs import duties, registry, worker
from qa_app.jobs.backends import Backends
from qa_app.jobs.tasks.maintenance import MAINTENANCE
from qa_app.services import jobs

from procs import start_worker, wait_for, worker_env

SEEN: list[tuple[int, dict]] = []


@registry.job_kind("test_echo", subject="widget")
def _echo(ctx: registry.JobContext) -> None:
    with ctx.step() as (db, job):
        SEEN.append((job.subject_id, dict(job.payload)))
        job.payload = {**job.payload, "echoed": True}


WAITS: list[int] = []


@registry.job_kind("test_wait")
def _wait_then_finish(ctx: registry.JobContext) -> None:
    WAITS.append(ctx.job_id)
    if len(WAITS) < 3:
        raise registry.Deferred(0, "prerequisites not ready")


@pytest.fixture
def ctx(app):
    settings = app.extensions["qa_settings"]
    factory = app.extensions["qa_sessionmaker"]
    return settings, factory, Backends(settings, _speech=object(), _scorer=object())


def _job(factory, job_id: int) -> Job:
    with factory() as s:
        return s.get(Job, job_id)


def test_every_registered_kind_is_found_and_call_kinds_name_their_subject():
    kinds = registry.kinds()
    assert {"process_call", "score_call", "rescore_range", MAINTENANCE} <= set(kinds)
    assert kinds["process_call"].subject == "call" and kinds[MAINTENANCE].subject is None
    assert "daily-maintenance" in registry.duties()


def test_a_kind_cannot_be_registered_twice_with_another_handler():
    with pytest.raises(ValueError, match="registered twice"):
        registry.job_kind("test_echo")(lambda ctx: None)


def test_unknown_kind_is_dead_lettered_with_its_reason(ctx):
    settings, factory, backends = ctx
    with transaction(factory) as s:
        job_id = jobs.enqueue(s, "no_such_kind", max_attempts=4).id
    assert worker.run(factory, settings, backends=backends, once=True) == 1
    job = _job(factory, job_id)
    assert job.state == JobState.DEAD and job.attempts == 1
    assert "unknown job kind 'no_such_kind'" in job.last_error


def test_a_non_call_kind_runs_end_to_end(ctx):
    settings, factory, backends = ctx
    SEEN.clear()
    with transaction(factory) as s:
        job_id = jobs.enqueue(s, "test_echo", subject=("widget", 7), max_attempts=2, payload={"x": 1}).id
    assert worker.run(factory, settings, backends=backends, once=True) == 1
    assert SEEN == [(7, {"x": 1})]
    job = _job(factory, job_id)
    assert job.state == JobState.DONE and job.payload == {"x": 1, "echoed": True}
    assert (job.subject_type, job.subject_id, job.call_id) == ("widget", 7, None)


def test_maintenance_job_removes_old_finished_jobs_and_keeps_dead_ones(ctx):
    settings, factory, backends = ctx
    old = utcnow() - timedelta(days=45)
    with transaction(factory) as s:
        done = Job(kind="test_echo", state=JobState.DONE, finished_at=old)
        dead = Job(kind="test_echo", state=JobState.DEAD, finished_at=old, last_error="x")
        recent = Job(kind="test_echo", state=JobState.DONE, finished_at=utcnow())
        s.add_all([done, dead, recent])
        s.flush()
        ids = done.id, dead.id, recent.id
        m_id = jobs.enqueue(s, MAINTENANCE, max_attempts=2).id
    assert worker.run(factory, settings, backends=backends, once=True) == 1
    with factory() as s:
        assert s.get(Job, ids[0]) is None
        assert s.get(Job, ids[1]) is not None and s.get(Job, ids[2]) is not None
        m = s.get(Job, m_id)
        assert m.state == JobState.DONE and m.payload["jobs_removed"] == 1


def test_enqueue_returns_the_pending_job_with_the_same_key_and_allows_a_new_one_after(ctx):
    _, factory, _ = ctx
    with transaction(factory) as s:
        a = jobs.enqueue(s, "test_echo", subject=("widget", 1), max_attempts=2)
        b = jobs.enqueue(s, "test_echo", subject=("widget", 1), max_attempts=2)
        c = jobs.enqueue(s, "test_echo", subject=("widget", 2), max_attempts=2)
        assert a.id == b.id != c.id and a.dedupe_key == "test_echo:widget:1"
        jobs.complete(s, a)
        d = jobs.enqueue(s, "test_echo", subject=("widget", 1), max_attempts=2)
        assert d.id != a.id, "a finished job does not block the next one"


def test_the_database_settles_a_race_between_two_enqueuers(ctx, monkeypatch):
    """Both enqueuers saw no pending job; the partial unique index makes the loser return the winner."""
    _, factory, _ = ctx
    with transaction(factory) as s:
        winner = jobs.enqueue(s, "test_echo", max_attempts=2, dedupe_key="export:42").id
    real_pending = jobs.pending
    calls = []

    def blind_then_real(db, key):
        calls.append(key)
        return None if len(calls) == 1 else real_pending(db, key)

    monkeypatch.setattr(jobs, "pending", blind_then_real)
    with transaction(factory) as s:
        assert jobs.enqueue(s, "test_echo", max_attempts=2, dedupe_key="export:42").id == winner
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Job).where(Job.dedupe_key == "export:42")) == 1


@pytest.mark.parametrize(
    ("every", "now", "key"),
    [
        ("hour", datetime(2026, 11, 29, 16, 5, tzinfo=UTC), "2026-11-30T00"),  # Shanghai is UTC+8
        ("day", datetime(2026, 11, 29, 15, 59, tzinfo=UTC), "2026-11-29"),
        ("day", datetime(2026, 11, 29, 16, 0, tzinfo=UTC), "2026-11-30"),
        ("week", datetime(2026, 11, 29, 12, 0, tzinfo=UTC), "2026-W48"),
        ("week", datetime(2026, 11, 29, 16, 0, tzinfo=UTC), "2026-W49"),  # Monday in Shanghai
        ("month", datetime(2026, 11, 30, 16, 0, tzinfo=UTC), "2026-12"),
    ],
)
def test_period_keys_follow_the_configured_time_zone(every, now, key):
    from zoneinfo import ZoneInfo

    start = duties.period_start(now, every, ZoneInfo("Asia/Shanghai"))
    assert duties.period_key(start, every) == key


def test_a_duty_fires_once_per_period_and_again_the_next(ctx):
    settings, factory, _ = ctx
    day1 = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
    first = duties.fire_due(factory, settings, now=day1)
    again = duties.fire_due(factory, settings, now=day1 + timedelta(hours=3))
    next_day = duties.fire_due(factory, settings, now=day1 + timedelta(days=1))
    assert ("daily-maintenance", "2026-11-29") in [(d, p) for d, p, _ in first]
    assert not [f for f in again if f[0] == "daily-maintenance"]
    assert ("daily-maintenance", "2026-11-30") in [(d, p) for d, p, _ in next_day]
    with factory() as s:
        runs = s.scalars(select(DutyRun).where(DutyRun.duty == "daily-maintenance")).all()
        assert sorted(r.period for r in runs) == ["2026-11-29", "2026-11-30"]
        job = s.get(Job, runs[0].job_id)
        assert job.kind == MAINTENANCE and job.payload["duty"] == "daily-maintenance"


def test_a_duty_waits_until_its_period_is_old_enough(ctx, monkeypatch):
    settings, factory, _ = ctx
    monkeypatch.setattr(registry, "_DUTIES", registry.duties())  # the test duty leaves with the test
    d = registry.duty("test-late-duty", kind="test_echo", every="day", after=timedelta(hours=6))
    early = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)  # 04:00 in Shanghai
    assert d.name not in [f[0] for f in duties.fire_due(factory, settings, now=early)]
    late = datetime(2026, 11, 28, 23, 0, tzinfo=UTC)  # 07:00
    assert d.name in [f[0] for f in duties.fire_due(factory, settings, now=late)]


def test_a_finished_duty_job_does_not_let_the_duty_fire_again_in_its_period(ctx):
    settings, factory, backends = ctx
    now = datetime(2026, 11, 29, 5, 0, tzinfo=UTC)
    duties.fire_due(factory, settings, now=now)
    worker.run(factory, settings, backends=backends, once=True)
    assert not duties.fire_due(factory, settings, now=now + timedelta(minutes=1))


def test_three_worker_processes_fire_a_daily_duty_exactly_once(app, tmp_path):
    """Three real workers with their built-in schedulers ticking every 0.2 s: one job per (duty, period)."""
    settings = app.extensions["qa_settings"]
    factory = app.extensions["qa_sessionmaker"]
    log = tmp_path / "workers.log"
    env = worker_env(settings, tmp_path / "marker", sleep=0, QA_DUTY_TICK_SECONDS="0.2")
    procs = [start_worker(env, log) for _ in range(3)]
    try:
        wait_for(lambda: log.read_text().count("started") >= 3, 60, "three workers to start\n" + log.read_text())

        def maintenance_done() -> bool:
            with factory() as s:
                return bool(
                    s.scalar(
                        select(func.count())
                        .select_from(Job)
                        .where(Job.kind == MAINTENANCE, Job.state == JobState.DONE)
                    )
                )

        wait_for(maintenance_done, 30, "the daily duty's job to run\n" + log.read_text())
        import time

        time.sleep(2.0)  # ten more ticks per worker
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
    with factory() as s:
        runs = s.scalars(select(DutyRun).where(DutyRun.duty == "daily-maintenance")).all()
        maint = s.scalars(select(Job).where(Job.kind == MAINTENANCE)).all()
    per_period = Counter(r.period for r in runs)
    assert runs and set(per_period.values()) == {1}, per_period
    assert len(maint) == len(runs), "one job per (duty, period)"
    assert {j.dedupe_key for j in maint} == {f"duty:daily-maintenance:{r.period}" for r in runs}
    assert all(j.state == JobState.DONE for j in maint)


def test_a_deferred_job_waits_without_using_up_its_attempts(ctx):
    settings, factory, backends = ctx
    WAITS.clear()
    with transaction(factory) as s:
        job_id = jobs.enqueue(s, "test_wait", max_attempts=1).id
    assert worker.run(factory, settings, backends=backends, once=True) == 3
    job = _job(factory, job_id)
    assert WAITS == [job_id] * 3
    assert job.state == JobState.DONE and job.attempts == 1, "two deferrals did not count as attempts"
