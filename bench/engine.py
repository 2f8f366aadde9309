"""Job execution through the engine (QA_JOB_BROKER) on PostgreSQL: scoring throughput with 1, 2 and 4
worker processes beside the embedded polling worker, and a kill -9 soak.

    createdb -h 127.0.0.1 -U postgres qa_engine_bench
    .venv/bin/python bench/engine.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/qa_engine_bench]
        [--broker redis://127.0.0.1:6379/0] [--jobs 300] [--workers 1,2,4] [--repeat 3]
        [--soak 500] [--skip-throughput] [--skip-soak]

Every run works in a schema of its own (dropped at the end) and a broker queue of its own.

(a) Throughput: --jobs calls with a stored transcript; for each mode (embedded: W ``flask worker``
    processes polling the table; engine: W ``flask worker`` processes with QA_JOB_BROKER; supervised: one
    ``flask worker --processes W``) and W, the workers are
    started and warmed up (batches until every process has finished a job: models loaded), then one transaction enqueues a score job per call (the real
    scorer: rule engine + calibrated snownlp sentiment) and the clock runs from its commit until every
    job is done. Repeated --repeat times: median and worst jobs/s, and the ratios 2w/1w and 4w/1w.
(b) Soak: --soak calls queued for ``process_call`` (fake speech sleeping 0.3 s, the lexicon scorer),
    two engine worker processes and one ``flask scheduler``; every 5-15 s one of the workers that is in the
    middle of a job (picked at random) is killed with SIGKILL and started again, until every job is
    finished. Lost = a job that never reached ``done``;
    duplicated = a call with more than one transcript row, more than one automated scorecard or more
    than one machine evaluation (a re-run of scoring that committed twice leaves two, the older one
    superseded). Work re-run after a kill (transcriptions started more than once) is counted apart.
``uptime`` load is printed beside the figures: the machine's 2 cores are shared. Each command runs in a
session of its own, and Linux's scheduler autogroups share the CPU between sessions first: on a busy
machine W processes in one session (supervised) get one session's share, W sessions get W shares.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from alembic import command  # noqa: E402
from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402
from staff import seed_staff  # noqa: E402

from qa_app.cli import alembic_config  # noqa: E402
from qa_app.db.models import AutoScorecard, Call, Evaluation, Job, JobState, TranscriptRecord  # noqa: E402
from qa_app.db.models.evaluation import RaterType  # noqa: E402
from qa_app.db.session import make_engine, make_session_factory, transaction  # noqa: E402
from qa_app.jobs import engine  # noqa: E402
from qa_app.services import jobs, processing, queueing, rubrics  # noqa: E402
from qa_app.settings import Settings  # noqa: E402

from fakes import make_transcript  # noqa: E402

SECRET = "bench-engine-secret"


def load() -> str:
    """The 1, 5 and 15 minute load averages (the cores are shared with other work)."""
    return " ".join(Path("/proc/loadavg").read_text().split(" ")[0:3])


def with_schema(url: str, schema: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "options"]
    query.append(("options", f"-csearch_path={schema}"))
    return urlunsplit(parts._replace(query=urlencode(query)))


class World:
    """A migrated schema, an instance dir, a broker queue; the settings every process of the run shares."""

    def __init__(self, url: str, broker: str, tmp: Path) -> None:
        self.base_url, self.schema = url, f"engine_bench_{uuid.uuid4().hex[:8]}"
        with create_engine(url).begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
        self.url = with_schema(url, self.schema)
        cfg = alembic_config(self.url)
        cfg.set_main_option("path_separator", "os")
        command.upgrade(cfg, "head")
        self.tmp = tmp
        self.queue = f"qa_bench_{uuid.uuid4().hex[:8]}"
        self.broker = broker
        self.settings = Settings(
            database_url=self.url,
            secret_key=SECRET,
            data_dir=tmp / "data",
            instance_dir=tmp / "instance",
            job_broker=broker,
            job_queue=self.queue,
        )
        self.factory = make_session_factory(make_engine(self.url))
        engine.attach(self.factory, self.settings)
        audio = self.settings.data_dir / "audio" / "bench.wav"
        audio.parent.mkdir(parents=True, exist_ok=True)
        with wave.open(str(audio), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(b"\0\0" * 8000)

    def env(self, *, broker: bool, lease: int = 30, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
        env.update(
            QA_DATABASE_URL=self.url,
            QA_INSTANCE_DIR=str(self.settings.instance_dir),
            QA_DATA_DIR=str(self.settings.data_dir),
            QA_SECRET_KEY=SECRET,
            QA_SPEECH_BACKEND="fakes:fake_speech",
            QA_JOB_LEASE_SECONDS=str(lease),
            QA_JOB_QUEUE=self.queue,
            PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "tests")]),
            **extra,
        )
        if broker:
            env["QA_JOB_BROKER"] = self.broker
        return env

    def seed_calls(self, n: int, *, transcribed: bool) -> list[int]:
        start = datetime(2026, 11, 1, tzinfo=UTC)
        with transaction(self.factory) as db:
            if db.scalar(select(func.count()).select_from(Call)) == 0:
                seed_staff(db)
                rubrics.ensure_default(db)
            agent_id, team_id = db.execute(text("SELECT id, team_id FROM agents ORDER BY id LIMIT 1")).one()
            first = db.scalar(select(func.coalesce(func.max(Call.id), 0)))
            rows = [
                {
                    "agent_id": agent_id,
                    "team_id": team_id,
                    "started_at": start + timedelta(minutes=first + i),
                    "duration": 20.5,
                    "direction": "inbound",
                    "queue": "宽带报障",
                    "channel_layout": "mono",
                    "language": "zh",
                    "status": "ready" if transcribed else "queued",
                    "audio_sha256": f"{first + i:064x}",
                    "audio_path": "audio/bench.wav",
                    "audio_format": "wav",
                    "audio_bytes": 16044,
                    "original_filename": "bench.wav",
                    "source": "import",
                }
                for i in range(n)
            ]
            db.execute(insert(Call), rows)
            ids = list(db.scalars(select(Call.id).where(Call.id > first).order_by(Call.id)))
            if transcribed:
                transcript = make_transcript()
                for call_id in ids:
                    processing.store_transcript(db, db.get(Call, call_id), transcript)
        return ids

    def enqueue(self, kind: str, call_ids: list[int]) -> tuple[list[int], float]:
        """One transaction (sent to the broker after its commit); returns the job ids and the commit time."""
        with self.factory() as db:
            out = [jobs.enqueue(db, kind, subject=("call", c), max_attempts=4).id for c in call_ids]
            db.commit()
            return out, time.monotonic()

    def unfinished(self, job_ids: list[int]) -> int:
        with self.factory() as db:
            n = 0
            for i in range(0, len(job_ids), 1000):
                chunk = job_ids[i : i + 1000]
                n += db.scalar(
                    select(func.count())
                    .select_from(Job)
                    .where(Job.id.in_(chunk), Job.state.not_in((JobState.DONE, JobState.DEAD)))
                )
            return n

    def warm_up(self, call_ids: list[int], processes: int, what: str, log: Path) -> None:
        """Run small batches until every worker process has finished a job (its models are loaded)."""
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            ids, _ = self.enqueue(processing.SCORE, call_ids[: 4 * processes])
            if not self.wait(ids, 300):
                break
            with self.factory() as db:
                owners = db.scalars(select(Job.worker).where(Job.id.in_(ids)))
                if len({w.split(":")[1] for w in owners if w}) >= processes:
                    return
        raise SystemExit(f"{what}: warm-up did not reach every process\n{log.read_text()[-3000:]}")

    def running_pids(self) -> set[int]:
        """Processes that own a running job now (worker ids are host:pid:thread)."""
        with self.factory() as db:
            owners = db.scalars(select(Job.worker).where(Job.state == JobState.RUNNING))
            return {int(w.split(":")[1]) for w in owners if w and w.count(":") >= 1}

    def wait(self, job_ids: list[int], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.unfinished(job_ids) == 0:
                return True
            time.sleep(0.05)
        return False

    def drop(self) -> None:
        self.factory.kw["bind"].dispose()
        engine.publisher_of(self.factory).close()
        with create_engine(self.base_url).begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{self.schema}" CASCADE'))
        engine.delete_queue(self.broker, self.queue)


def flask(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


#: embedded: W ``flask worker`` (polling); engine: W ``flask worker`` with QA_JOB_BROKER; supervised: one
#: ``flask worker --processes W`` (its processes share one session, hence one scheduler autogroup).
MODES = ("embedded", "engine", "supervised")


def throughput(world: World, call_ids: list[int], workers: list[int], repeat: int) -> dict:
    results: dict = {}
    for mode in MODES:
        for w in workers:
            if mode == "supervised" and w == 1:
                continue
            log = world.tmp / f"{mode}-{w}.log"
            env = world.env(broker=mode != "embedded")
            if mode == "supervised":
                procs = [flask(["worker", "--no-scheduler", "--processes", str(w)], env, log)]
            elif mode == "engine":
                procs = [flask(["worker", "--no-scheduler"], env, log) for _ in range(w)]
            else:
                procs = [flask(["worker", "--no-scheduler", "--poll", "0.2"], env, log) for _ in range(w)]
            try:
                world.warm_up(call_ids, w, f"{mode} x{w}", log)
                rates = []
                for _ in range(repeat):
                    ids, t0 = world.enqueue(processing.SCORE, call_ids)
                    if not world.wait(ids, 900):
                        raise SystemExit(f"{mode} x{w}: jobs did not finish\n{log.read_text()[-3000:]}")
                    rates.append(len(ids) / (time.monotonic() - t0))
            finally:
                stop(procs)
            results[f"{mode}:{w}"] = {
                "median": statistics.median(rates),
                "worst": min(rates),
                "runs": rates,
                "load": load(),
            }
            r = results[f"{mode}:{w}"]
            print(
                f"  {mode:8} {w} worker(s): median {r['median']:6.1f} jobs/s, worst {r['worst']:6.1f} "
                f"({len(call_ids)} jobs x {repeat}; load {r['load']})",
                flush=True,
            )
    for mode in MODES:
        one = results.get(f"{mode}:1") or results.get("engine:1")
        for w in workers:
            if one and w != 1 and f"{mode}:{w}" in results:
                r = results[f"{mode}:{w}"]
                r["ratio_median"] = r["median"] / one["median"]
                r["ratio_worst"] = r["worst"] / one["worst"]
                print(
                    f"  {mode:8} {w}w/1w: median {r['ratio_median']:.2f}x, worst {r['ratio_worst']:.2f}x",
                    flush=True,
                )
    for w in workers:
        e, m = results[f"engine:{w}"], results[f"embedded:{w}"]
        print(f"  engine/embedded at {w} worker(s): median {e['median'] / m['median']:.2f}x", flush=True)
    return results


def soak(world: World, n: int, n_workers: int = 2, seed: int = 12) -> dict:
    rnd = random.Random(seed)
    call_ids = world.seed_calls(n, transcribed=False)
    marker = world.tmp / "transcriptions"
    env = world.env(
        broker=True,
        lease=5,
        QA_FAKE_SPEECH_SLEEP="0.3",
        QA_SCORING_BACKEND="fakes:lexicon_scorer",  # the soak is about delivery: quick worker start-up
        QA_FAKE_SPEECH_MARKER=str(marker),
        QA_JOB_SWEEP_SECONDS="2",
        QA_JOB_REPUBLISH_SECONDS="30",
    )
    log = world.tmp / "soak.log"
    workers = [flask(["worker", "--no-scheduler"], env, log) for _ in range(n_workers)]
    scheduler = flask(["scheduler"], env, log)
    with world.factory() as db:
        for c in call_ids:
            queueing.enqueue_call(db, db.get(Call, c), settings=world.settings)
        db.commit()
        job_ids = list(db.scalars(select(Job.id).where(Job.kind == processing.PROCESS)))
    t0 = time.monotonic()
    kills = 0
    deadline = t0 + 900
    try:
        next_kill = time.monotonic() + rnd.uniform(5, 15)
        while world.unfinished(job_ids) and time.monotonic() < deadline:
            time.sleep(0.1)
            if time.monotonic() < next_kill:
                continue
            busy = world.running_pids()  # kill a worker in the middle of a job
            candidates = [i for i, p in enumerate(workers) if p.pid in busy]
            if not candidates:
                continue
            i = rnd.choice(candidates)
            os.killpg(workers[i].pid, signal.SIGKILL)
            workers[i].wait()
            kills += 1
            workers[i] = flask(["worker", "--no-scheduler"], env, log)
            next_kill = time.monotonic() + rnd.uniform(5, 15)
        elapsed = time.monotonic() - t0
    finally:
        stop([*workers, scheduler])
    with world.factory() as db:
        states = dict(
            db.execute(select(Job.state, func.count()).where(Job.id.in_(job_ids)).group_by(Job.state)).all()
        )
        attempts = dict(
            db.execute(
                select(Job.attempts, func.count()).where(Job.id.in_(job_ids)).group_by(Job.attempts)
            ).all()
        )

        def over_one(model, *where) -> int:
            sub = (
                select(model.call_id)
                .where(model.call_id.in_(call_ids), *where)
                .group_by(model.call_id)
                .having(func.count() > 1)
                .subquery()
            )
            return db.scalar(select(func.count()).select_from(sub))

        dup_transcripts = over_one(TranscriptRecord)
        dup_cards = over_one(AutoScorecard)
        dup_evals = over_one(Evaluation, Evaluation.rater_type == RaterType.MACHINE)
        missing = db.scalar(
            select(func.count()).select_from(Call).where(Call.id.in_(call_ids), Call.status != "ready")
        )
    runs = len(marker.read_text().split()) if marker.exists() else 0
    out = {
        "jobs": n,
        "kills": kills,
        "seconds": elapsed,
        "states": states,
        "attempts": attempts,
        "lost": n - states.get(JobState.DONE, 0),
        "calls_not_ready": missing,
        "duplicated": {
            "transcripts": dup_transcripts,
            "scorecards": dup_cards,
            "machine_evaluations": dup_evals,
        },
        "transcriptions_started": runs,
        "load": load(),
    }
    print(
        f"  {n} jobs, {kills} kill -9 in {elapsed:.0f} s: lost {out['lost']} (calls not ready {missing}), "
        f"duplicated: transcripts {dup_transcripts}, scorecards {dup_cards}, machine evaluations {dup_evals}; "
        f"transcriptions started {runs} (re-run after kills: {runs - n}); attempts {attempts}; "
        f"states {states}; load {out['load']}",
        flush=True,
    )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/qa_engine_bench")
    ap.add_argument("--broker", default="redis://127.0.0.1:6379/0")
    ap.add_argument("--jobs", type=int, default=300)
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--soak", type=int, default=500)
    ap.add_argument("--skip-throughput", action="store_true")
    ap.add_argument("--skip-soak", action="store_true")
    args = ap.parse_args()
    ok, detail = engine.ping(Settings("", "", Path("."), Path("."), job_broker=args.broker))
    if not ok:
        raise SystemExit(f"broker not reachable: {detail}")
    report: dict = {"broker": engine.redact(args.broker), "cpus": os.cpu_count(), "load_before": load()}
    print(f"broker {report['broker']}, {report['cpus']} CPUs, load {report['load_before']}", flush=True)
    with tempfile.TemporaryDirectory(prefix="engine-bench-") as tmp:
        world = World(args.url, args.broker, Path(tmp))
        try:
            if not args.skip_throughput:
                print(f"(a) scoring throughput, {args.jobs} score jobs per run:", flush=True)
                call_ids = world.seed_calls(args.jobs, transcribed=True)
                workers = [int(w) for w in args.workers.split(",")]
                report["throughput"] = throughput(world, call_ids, workers, args.repeat)
            if not args.skip_soak:
                print(
                    f"(b) kill -9 soak, {args.soak} process_call jobs, 2 engine workers + scheduler:",
                    flush=True,
                )
                report["soak"] = soak(world, args.soak)
        finally:
            world.drop()
    out = REPO / "bench" / "results" / "engine.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str))
    print(f"written {out}")


if __name__ == "__main__":
    main()
