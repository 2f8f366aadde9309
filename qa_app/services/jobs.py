"""Durable job queue on the jobs table: enqueue, claim with a lease, heartbeat, finish, retry, dead-letter.

Claiming is a conditional UPDATE (compare-and-set on state and lease), so two workers never own the
same job, on SQLite and PostgreSQL alike. A worker that dies stops heartbeating; its lease expires and
the job is claimed again (counting an attempt). After ``max_attempts`` the job is dead-lettered.

With a broker (``QA_JOB_BROKER``, ``qa_app.jobs.engine``) a session carries a *publisher* in
``Session.info``: ``enqueue`` remembers the new job's id and the publisher sends it once the transaction
commits (a rollback sends nothing). ``published_at`` records when the latest message for a job is due, so
the scheduler's sweeper can send again what was lost (``unpublished``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, event, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qa_app.db.base import utcnow
from qa_app.db.models import ACTIVE_STATES, Job, JobState

ACTIVE = ACTIVE_STATES

#: ``Session.info`` keys: the publisher (a callable taking job ids, set on the sessionmaker by the engine)
#: and the ids of the jobs this session's transaction created, sent after it commits.
PUBLISHER = "qa_job_publisher"
TO_PUBLISH = "qa_jobs_to_publish"

Publisher = Callable[[Sequence[int]], None]


class PermanentError(Exception):
    """A failure that retrying cannot fix (bad audio, missing rubric): dead-letter at once."""


def subject_key(kind: str, subject_type: str | None, subject_id: int | None) -> str | None:
    """The default de-duplication key: one pending job of a kind per subject."""
    if subject_type is None or subject_id is None:
        return None
    return f"{kind}:{subject_type}:{subject_id}"


def enqueue(
    db: Session,
    kind: str,
    *,
    subject: tuple[str, int] | None = None,
    max_attempts: int,
    payload: dict | None = None,
    dedupe_key: str | None = None,
    run_after: datetime | None = None,
) -> Job:
    """Add a job of ``kind`` about ``subject`` = (type, id), or return the pending one with the same
    de-duplication key (default: kind + subject). The partial unique index on pending keys settles a
    race between two enqueuers: the loser gets the winner's job."""
    subject_type, subject_id = subject if subject is not None else (None, None)
    key = dedupe_key or subject_key(kind, subject_type, subject_id)
    if key is not None:
        existing = pending(db, key)
        if existing is not None:
            return existing
    job = Job(
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        dedupe_key=key,
        payload=dict(payload or {}),
        max_attempts=max_attempts,
        run_after=run_after or utcnow(),
    )
    publishing = db.info.get(PUBLISHER) is not None
    if publishing:
        job.published_at = job.run_after  # due at commit; the sweeper resends it if that send is lost
    try:
        with db.begin_nested():
            db.add(job)
            db.flush()
    except IntegrityError:
        if key is None:
            raise
        winner = pending(db, key)
        if winner is None:
            raise
        return winner
    if publishing:
        db.info.setdefault(TO_PUBLISH, []).append(job.id)
    return job


@event.listens_for(Session, "after_commit")
def _publish_committed(session: Session) -> None:
    """Send the ids of the jobs this transaction created, now that workers can see their rows (the
    event also fires when a savepoint is released: wait for the outermost commit)."""
    if session.in_nested_transaction():
        return
    ids = session.info.pop(TO_PUBLISH, None)
    publisher = session.info.get(PUBLISHER)
    if ids and publisher is not None:
        publisher(ids)  # never raises: a failed send is left to the sweeper (see qa_app.jobs.engine)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction) -> None:  # noqa: ANN001
    """A rolled-back transaction publishes nothing (a savepoint's rollback keeps the outer list: an id
    sent for a row that does not exist is dropped by the worker)."""
    if previous_transaction.parent is None:
        session.info.pop(TO_PUBLISH, None)


def pending(db: Session, dedupe_key: str) -> Job | None:
    """The pending (queued, running or waiting to retry) job with this key, if any."""
    return db.scalar(select(Job).where(Job.dedupe_key == dedupe_key, Job.state.in_(ACTIVE)))


def _claimable(now: datetime):
    return or_(
        and_(Job.state.in_((JobState.QUEUED, JobState.FAILED)), Job.run_after <= now),
        and_(Job.state == JobState.RUNNING, Job.lease_until < now),
    )


def _take(
    db: Session,
    job_id: int,
    state: str,
    lease: datetime | None,
    worker: str,
    now: datetime,
    lease_seconds: int,
) -> Job | None:
    """Compare-and-set: the job becomes ours only if its state and lease are still what we read."""
    cond = [Job.id == job_id, Job.state == state]
    cond.append(Job.lease_until == lease if lease is not None else Job.lease_until.is_(None))
    res = db.execute(
        update(Job)
        .where(*cond)
        .values(
            state=JobState.RUNNING,
            worker=worker,
            lease_until=now + timedelta(seconds=lease_seconds),
            heartbeat_at=now,
            attempts=Job.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if res.rowcount == 1:
        return db.get(Job, job_id, populate_existing=True)
    return None


def claim(db: Session, worker: str, lease_seconds: int, kinds: tuple[str, ...] | None = None) -> Job | None:
    """Claim the oldest runnable job for ``worker``; the caller commits."""
    now = utcnow()
    stmt = select(Job.id, Job.state, Job.lease_until).where(_claimable(now)).order_by(Job.id).limit(10)
    if kinds:
        stmt = stmt.where(Job.kind.in_(kinds))
    for job_id, state, lease in db.execute(stmt).all():
        job = _take(db, job_id, state, lease, worker, now, lease_seconds)
        if job is not None:
            return job
    return None


def claim_id(db: Session, job_id: int, worker: str, lease_seconds: int) -> Job | None:
    """Claim this job if it is runnable now (a delivered id); None if it is not (done, owned by a live
    worker, waiting for its retry time, or gone). The caller commits."""
    now = utcnow()
    row = db.execute(
        select(Job.id, Job.state, Job.lease_until).where(Job.id == job_id, _claimable(now))
    ).first()
    if row is None:
        return None
    return _take(db, row.id, row.state, row.lease_until, worker, now, lease_seconds)


def unpublished(db: Session, *, older_than: datetime, limit: int = 1000) -> list[int]:
    """Runnable jobs no message may be on its way for: never sent (``published_at`` empty) or sent
    before ``older_than`` (lost by the broker, or by a process that died before sending)."""
    now = utcnow()
    stmt = (
        select(Job.id)
        .where(
            Job.state.in_((JobState.QUEUED, JobState.FAILED)),
            Job.run_after <= now,
            or_(Job.published_at.is_(None), Job.published_at < older_than),
        )
        .order_by(Job.id)
        .limit(limit)
    )
    return list(db.scalars(stmt))


def clear_published(db: Session, job_ids: Sequence[int]) -> None:
    """A send failed: the next sweep sends these jobs."""
    if job_ids:
        db.execute(
            update(Job)
            .where(Job.id.in_(list(job_ids)))
            .values(published_at=None)
            .execution_options(synchronize_session=False)
        )


def mark_published(db: Session, job_ids: Sequence[int], due: datetime | None = None) -> None:
    """Record that a message for these jobs is due at ``due`` (default now)."""
    if job_ids:
        db.execute(
            update(Job)
            .where(Job.id.in_(list(job_ids)))
            .values(published_at=due or utcnow())
            .execution_options(synchronize_session=False)
        )


def heartbeat(
    db: Session,
    job_id: int,
    worker: str,
    lease_seconds: int,
    *,
    stage: str | None = None,
    progress: float | None = None,
) -> bool:
    """Extend the lease while we still own the job; False means it was taken from us."""
    values: dict = {"lease_until": utcnow() + timedelta(seconds=lease_seconds), "heartbeat_at": utcnow()}
    if stage is not None:
        values["stage"] = stage
    if progress is not None:
        values["progress"] = round(float(progress), 3)
    res = db.execute(
        update(Job)
        .where(Job.id == job_id, Job.worker == worker, Job.state == JobState.RUNNING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return res.rowcount == 1


def still_owned(db: Session, job: Job, worker: str) -> bool:
    return (
        db.scalar(select(Job.id).where(Job.id == job.id, Job.worker == worker, Job.state == JobState.RUNNING))
        is not None
    )


def complete(db: Session, job: Job) -> None:
    job.state = JobState.DONE
    job.progress = 1.0
    job.lease_until = None
    job.finished_at = utcnow()
    job.last_error = None
    db.flush()


def fail(db: Session, job: Job, error: str, *, backoff_seconds: int, permanent: bool = False) -> bool:
    """Record a failure; schedule a retry with exponential backoff or dead-letter. True if dead."""
    job.last_error = error[:4000]
    job.lease_until = None
    if permanent or job.attempts >= job.max_attempts:
        dead_letter(db, job, error)
        return True
    job.state = JobState.FAILED
    job.run_after = utcnow() + timedelta(seconds=backoff_seconds * 2 ** max(0, job.attempts - 1))
    db.flush()
    return False


def defer(db: Session, job: Job, seconds: float, reason: str = "") -> None:
    """Put a running job back in the queue to run after ``seconds`` without counting the attempt."""
    job.state = JobState.QUEUED
    job.attempts = max(0, job.attempts - 1)
    job.lease_until = None
    job.run_after = utcnow() + timedelta(seconds=seconds)
    job.stage = "waiting"
    job.last_error = reason[:4000] or None
    db.flush()


def dead_letter(db: Session, job: Job, error: str) -> None:
    job.state = JobState.DEAD
    job.last_error = error[:4000]
    job.lease_until = None
    job.finished_at = utcnow()
    db.flush()


def requeue_expired(db: Session) -> list[Job]:
    """Periodic duty: jobs whose worker stopped heartbeating go back to the queue (or die)."""
    now = utcnow()
    expired = list(db.scalars(select(Job).where(Job.state == JobState.RUNNING, Job.lease_until < now)))
    for job in expired:
        msg = f"worker {job.worker} stopped responding (lease expired)"
        if job.attempts >= job.max_attempts:
            dead_letter(db, job, msg)
        else:
            job.state = JobState.QUEUED
            job.last_error = msg
            job.lease_until = None
            job.run_after = now
    db.flush()
    return expired


def latest_for(db: Session, subject_type: str, subject_id: int) -> Job | None:
    return db.scalar(
        select(Job)
        .where(Job.subject_type == subject_type, Job.subject_id == subject_id)
        .order_by(Job.id.desc())
        .limit(1)
    )


def latest_for_call(db: Session, call_id: int) -> Job | None:
    return latest_for(db, "call", call_id)


def queue_position(db: Session, job: Job) -> int | None:
    """Where a queued job stands: 1 = the next one a worker claims (claims go by id among runnable
    jobs); None when the job is not waiting in the queue, or not runnable yet (deferred)."""
    if job.state != JobState.QUEUED or (job.run_after is not None and job.run_after > utcnow()):
        return None
    ahead = db.scalar(
        select(func.count())
        .select_from(Job)
        .where(Job.id < job.id, Job.state.in_((JobState.QUEUED, JobState.FAILED)), Job.run_after <= utcnow())
    )
    return int(ahead or 0) + 1


def job_page(db: Session, state: str | None, *, limit: int = 200) -> tuple[list[Job], dict[str, int]]:
    """The newest jobs (optionally in one state) and the count of jobs in each state."""
    stmt = select(Job).order_by(Job.id.desc()).limit(limit)
    if state:
        stmt = stmt.where(Job.state == state)
    counts = dict(db.execute(select(Job.state, func.count()).group_by(Job.state)).all())
    return list(db.scalars(stmt)), counts
