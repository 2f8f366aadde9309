"""Job execution on an existing distributed engine (Dramatiq), chosen by ``QA_JOB_BROKER``.

The engine only *delivers job ids*; the ``jobs`` table stays the source of truth:

* ``services.jobs.enqueue`` remembers the new job's id; once the transaction commits the session's
  publisher (``attach``) sends it to the broker (a rollback sends nothing). ``published_at`` records when
  the latest message for a job is due.
* The actor (``Runner``) receives an id and claims the row with the same compare-and-set as the polling
  worker (``jobs.claim_id``), then runs ``worker.process_job`` (registered handler, heartbeats extending
  the lease, ``ctx.step()``/``finish()``). A second delivery of the same id finds the job running or done
  and does nothing, so duplicates are harmless.
* A job that must run later (retry back-off, ``Deferred``) is sent again with a delay; a delivery for a
  job that another live worker holds is re-checked once its lease would expire (at most one such message
  per job, by ``published_at``), so a worker killed mid-job is taken over even without a scheduler.
* ``sweep`` (run by the scheduler): leases that expired go back to the queue and are sent at once, and
  runnable jobs whose message is older than ``QA_JOB_REPUBLISH_SECONDS`` (or was never sent: the
  process died between commit and send, or the broker was down) are sent again.

Messages are acknowledged after the actor returns (Dramatiq's default), so a worker killed mid-job has its
message redelivered by the broker (RabbitMQ: when its connection drops; Redis: when its broker heartbeat
is older than ``REDIS_HEARTBEAT_TIMEOUT_MS``); the claim decides who runs it, so it completes once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy.orm import Session, sessionmaker

from qa_app.db.base import utcnow
from qa_app.db.models import Job, JobState
from qa_app.db.session import transaction
from qa_app.services import jobs
from qa_app.settings import Settings

if TYPE_CHECKING:
    from dramatiq import Broker

    from qa_app.jobs.backends import Backends

log = logging.getLogger("qa_app.engine")

ACTOR = "qa_job"
#: Redis broker: a worker process whose broker heartbeat (any command it sends; its delay-queue consumer
#: polls every few seconds while jobs run) is older than this is dead and its unacknowledged messages go
#: back to the queue.
REDIS_HEARTBEAT_TIMEOUT_MS = 60_000
#: Redis broker: commands per million that run that maintenance (Dramatiq's default is 1,000).
REDIS_MAINTENANCE_CHANCE = 20_000
#: How long an idle consumer waits between polls at most (ms).
WORKER_POLL_MS = 250
#: Transport-level retries (the actor raising: e.g. the database unreachable). Job failures are not
#: retried by Dramatiq: ``process_job`` records them on the row (attempts, back-off, dead letter).
ACTOR_MAX_RETRIES = 20


def enabled(settings: Settings) -> bool:
    return bool(settings.job_broker)


def redact(url: str) -> str:
    """The broker URL without its password (for logs, errors and readiness)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def make_broker(url: str, queue: str) -> Broker:
    """A Dramatiq broker for ``url`` (redis:// or amqp://) with the job ``queue`` declared."""
    from dramatiq.middleware import Retries

    middleware = [Retries(max_retries=ACTOR_MAX_RETRIES, min_backoff=1_000, max_backoff=60_000)]
    if url.startswith(("redis://", "rediss://")):
        from dramatiq.brokers.redis import RedisBroker

        broker: Broker = RedisBroker(
            url=url,
            middleware=middleware,
            namespace="qa",
            heartbeat_timeout=REDIS_HEARTBEAT_TIMEOUT_MS,
            maintenance_chance=REDIS_MAINTENANCE_CHANCE,
        )
    else:
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        # Publisher confirms: enqueue returns once RabbitMQ has the (persistent) message.
        broker = RabbitmqBroker(url=url, middleware=middleware, confirm_delivery=True)
    broker.declare_queue(queue)
    return broker


def delete_queue(url: str, queue: str) -> None:
    """Remove ``queue`` with its delay and dead-letter queues (and Redis ack sets) from the broker: for
    tests and benchmarks that use a queue of their own."""
    if url.startswith(("redis://", "rediss://")):
        import redis

        client = redis.Redis.from_url(url)
        try:
            for key in client.scan_iter(f"qa:*{queue}*"):
                client.delete(key)
        finally:
            client.close()
    else:
        import pika

        conn = pika.BlockingConnection(pika.URLParameters(url))
        try:
            channel = conn.channel()
            for name in (queue, f"{queue}.DQ", f"{queue}.XQ"):
                channel.queue_delete(name)
        finally:
            conn.close()


def ping(settings: Settings, *, timeout: float = 2.0) -> tuple[bool, str]:
    """Broker readiness for /readyz: (ok, detail). The embedded worker needs no broker (always ok)."""
    url = settings.job_broker
    if not url:
        return True, "embedded worker (no broker)"
    try:
        if url.startswith(("redis://", "rediss://")):
            import redis

            client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
            try:
                client.ping()
            finally:
                client.close()
        else:
            import pika

            params = pika.URLParameters(url)
            params.socket_timeout = timeout
            params.blocked_connection_timeout = timeout
            params.connection_attempts = 1
            pika.BlockingConnection(params).close()
    except Exception as exc:  # any failure is "not ready", with its reason
        return False, f"{redact(url)}: {type(exc).__name__}: {exc}"
    return True, redact(url)


def _message(job_id: int, queue: str):  # noqa: ANN202
    from dramatiq import Message

    return Message(queue_name=queue, actor_name=ACTOR, args=(int(job_id),), kwargs={}, options={})


class Publisher:
    """Sends job ids to the broker; thread-safe, connects on first use. Called after a commit it never
    raises: a failed send clears ``published_at`` so the next sweep sends the job."""

    def __init__(
        self, factory: sessionmaker[Session], settings: Settings, broker: Broker | None = None
    ) -> None:
        self.factory, self.url, self.queue = factory, settings.job_broker, settings.job_queue
        self._broker = broker
        self._lock = threading.Lock()

    @property
    def broker(self) -> Broker:
        with self._lock:
            if self._broker is None:
                self._broker = make_broker(self.url, self.queue)
            return self._broker

    def send(self, job_ids: Sequence[int], due: datetime | None = None) -> None:
        """Send the ids now (or due at ``due``); raises if the broker refuses."""
        delay = None
        if due is not None:
            ms = int((due - utcnow()).total_seconds() * 1000)
            delay = ms if ms > 0 else None
        broker = self.broker
        for job_id in job_ids:
            broker.enqueue(_message(job_id, self.queue), delay=delay)

    def __call__(self, job_ids: Sequence[int]) -> None:
        try:
            self.send(job_ids)
        except Exception as exc:
            log.warning(
                "could not send job(s) %s to %s (%s); the scheduler's sweeper will",
                list(job_ids),
                redact(self.url),
                exc,
            )
            try:
                with transaction(self.factory) as db:
                    jobs.clear_published(db, job_ids)
            except Exception:
                log.exception("could not mark job(s) %s unsent", list(job_ids))

    def resend(self, job_id: int, due: datetime) -> None:
        """Send again, due at ``due``, and record it (send first: a crash in between only duplicates)."""
        self.send([job_id], due)
        with transaction(self.factory) as db:
            jobs.mark_published(db, [job_id], due)

    def close(self) -> None:
        with self._lock:
            if self._broker is not None:
                self._broker.close()
                self._broker = None


def attach(factory: sessionmaker[Session], settings: Settings) -> Publisher | None:
    """Give every session of ``factory`` a publisher (engine mode only): jobs enqueued in a session are
    sent once its transaction commits."""
    if not enabled(settings):
        return None
    publisher = Publisher(factory, settings)
    info = dict(factory.kw.get("info") or {})
    info[jobs.PUBLISHER] = publisher
    factory.kw["info"] = info
    return publisher


def publisher_of(factory: sessionmaker[Session]) -> Publisher | None:
    return (factory.kw.get("info") or {}).get(jobs.PUBLISHER)


class Runner:
    """The actor's body in a worker process: claim the delivered id, run it, or decide when to look again.
    One per process; the backends (speech models, scorer) are built once and reused for every job."""

    def __init__(
        self, factory: sessionmaker[Session], settings: Settings, backends: Backends, publisher: Publisher
    ) -> None:
        self.factory, self.settings, self.backends, self.publisher = factory, settings, backends, publisher

    def __call__(self, job_id: int) -> str:
        from qa_app.jobs import worker

        wid = f"{worker.worker_id()}:{threading.get_native_id()}"
        with transaction(self.factory) as db:
            job = jobs.claim_id(db, job_id, wid, self.settings.job_lease_seconds)
            claimed = job is not None
            follow = None if claimed else self._follow_up(db, job_id)
        if claimed:
            state = worker.process_job(self.factory, job_id, wid, self.backends, self.settings)
            log.info("job %s -> %s", job_id, state)
            if state in (JobState.QUEUED, JobState.FAILED):  # deferred or waiting for its retry
                with transaction(self.factory) as db:
                    follow = self._follow_up(db, job_id)
            else:
                return state
        if follow is not None:
            self.publisher.resend(job_id, follow)
            return "resent"
        return "dropped"

    def _follow_up(self, db: Session, job_id: int) -> datetime | None:
        """When to look at a job this delivery could not run, or None (done, dead, gone, or another
        message is already due for it)."""
        job = db.get(Job, job_id)
        if job is None or job.state in (JobState.DONE, JobState.DEAD):
            return None
        now = utcnow()
        if job.state == JobState.RUNNING and job.lease_until is not None:
            due = job.lease_until + timedelta(seconds=1)  # its owner is alive until then
            threshold = job.lease_until
        elif job.state in (JobState.QUEUED, JobState.FAILED) and job.run_after > now:
            due = threshold = job.run_after
        else:
            return None  # runnable: a concurrent delivery won the claim race for it
        if job.published_at is not None and job.published_at >= threshold:
            return None  # a message due at or after that time is already on its way
        return due


def sweep(factory: sessionmaker[Session], settings: Settings, publisher: Publisher | None = None) -> int:
    """Requeue expired leases and send every runnable job no message is on its way for. Returns sent."""
    publisher = publisher or publisher_of(factory) or Publisher(factory, settings)
    with transaction(factory) as db:
        expired = jobs.requeue_expired(db)
        requeued = [j.id for j in expired if j.state == JobState.QUEUED]
    if expired:
        log.warning("requeued %d job(s) whose worker stopped responding", len(expired))
    with transaction(factory) as db:
        older = utcnow() - timedelta(seconds=settings.job_republish_seconds)
        ids = sorted(set(requeued) | set(jobs.unpublished(db, older_than=older)))
    if not ids:
        return 0
    try:
        publisher.send(ids)
    except Exception as exc:
        log.warning("sweeper could not send %d job(s) to %s: %s", len(ids), redact(publisher.url), exc)
        return 0
    with transaction(factory) as db:
        jobs.mark_published(db, ids)
    log.info("sweeper sent %d job(s)", len(ids))
    return len(ids)


def serve(
    factory: sessionmaker[Session],
    settings: Settings,
    *,
    threads: int = 1,
    stop: threading.Event,
    backends: Backends | None = None,
) -> None:
    """Run one engine worker process until ``stop`` is set: a Dramatiq worker with ``threads`` threads
    consuming the job queue. Each thread has one message waiting beside the one it runs (without it the
    consumer sleeps between jobs); a killed process's waiting messages come back with its running one."""
    import dramatiq

    from qa_app.jobs import registry
    from qa_app.jobs.backends import Backends

    registry.load()
    broker = make_broker(settings.job_broker, settings.job_queue)
    publisher = Publisher(factory, settings, broker=broker)
    runner = Runner(factory, settings, backends or Backends(settings), publisher)

    def qa_job(job_id: int) -> None:
        runner(job_id)

    dramatiq.actor(
        qa_job, broker=broker, actor_name=ACTOR, queue_name=settings.job_queue, max_retries=ACTOR_MAX_RETRIES
    )
    worker = dramatiq.Worker(
        broker, queues={settings.job_queue}, worker_threads=threads, worker_timeout=WORKER_POLL_MS
    )
    worker.queue_prefetch = 2 * threads
    worker.start()
    log.info("engine worker started: %s, %d thread(s)", redact(settings.job_broker), threads)
    try:
        stop.wait()
    finally:
        worker.stop(timeout=int(settings.job_lease_seconds * 1000 * 5))
        broker.close()
        log.info("engine worker stopped")


def supervise(target: Callable[[int], None], *, processes: int, threads: int, stop: threading.Event) -> None:
    """Run ``target(threads)`` in ``processes`` fresh (spawned) processes until ``stop``; a process that
    dies is started again. On stop each gets SIGTERM and finishes its current job."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")  # no inherited database or broker connections

    def start() -> multiprocessing.process.BaseProcess:
        proc = ctx.Process(target=target, args=(threads,), name="qa-engine-worker")
        proc.start()
        return proc

    procs = [start() for _ in range(processes)]
    try:
        while not stop.wait(1.0):
            for i, proc in enumerate(procs):
                if not proc.is_alive():
                    log.warning("engine worker %s exited (%s); starting another", proc.pid, proc.exitcode)
                    procs[i] = start()
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        for proc in procs:
            proc.join()
