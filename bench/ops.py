"""Operations endpoints at scale: /metrics scrape (queue figures from the jobs table) with many finished
jobs, /readyz, and the cost of the request hooks (request id, log line, latency histogram).

    .venv/bin/python bench/ops.py [--done 1000000] [--waiting 20000] [--url postgresql+psycopg://...]

A provincial center finishes ~200k jobs a day and keeps finished job rows 30 days (maintenance duty):
the jobs table holds millions of done rows, and every scrape must not read them. Compared in the same run:
the scrape's query as shipped (state IN the unfinished states: index range) against the obvious peer
(state != 'done': reads every row). The request-hook cost is /healthz with JSON logs against the same
app with the hooks' work disabled (the peer: no observability). Prints median and worst of each.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from alembic import command  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from qa_app import logs  # noqa: E402
from qa_app.app import create_app  # noqa: E402
from qa_app.cli import alembic_config  # noqa: E402
from qa_app.db.models import Job  # noqa: E402
from qa_app.db.session import make_engine, optimize_database  # noqa: E402
from qa_app.services import health  # noqa: E402
from qa_app.settings import Settings  # noqa: E402

KINDS = ("process_call", "score_call", "prepare_playback", "maintenance")


def seed(engine, done: int, waiting: int) -> None:
    start = datetime(2026, 10, 1, tzinfo=UTC)
    with engine.begin() as conn:
        batch = []
        for i in range(done + waiting):
            state = "done" if i < done else ("queued" if i % 10 else "running")
            t = start + timedelta(seconds=i)
            batch.append(
                {
                    "kind": KINDS[i % len(KINDS)],
                    "state": state,
                    "payload": {},
                    "run_after": t,
                    "finished_at": t if state == "done" else None,
                    "dedupe_key": None,
                }
            )
            if len(batch) == 20_000:
                conn.execute(insert(Job), batch)
                batch = []
        if batch:
            conn.execute(insert(Job), batch)
    optimize_database(engine)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE jobs")


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def summary(ms: list[float]) -> dict[str, float]:
    return {"median_ms": round(statistics.median(ms), 2), "worst_ms": round(max(ms), 2)}


def not_done_peer(engine) -> None:
    with Session(engine) as db:
        list(
            db.execute(
                select(Job.kind, Job.state, func.count(), func.min(Job.run_after))
                .where(Job.state != "done")
                .group_by(Job.kind, Job.state)
            )
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--done", type=int, default=1_000_000)
    ap.add_argument("--waiting", type=int, default=20_000)
    ap.add_argument("--url", default="")
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-ops-"))
    url = args.url or f"sqlite:///{tmp / 'ops.sqlite3'}"
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    t = time.perf_counter()
    seed(engine, args.done, args.waiting)
    print(
        f"seeded {args.done} done + {args.waiting} waiting jobs on {engine.dialect.name} in {time.perf_counter() - t:.0f} s"
    )

    settings = Settings.from_env(
        {"QA_INSTANCE_DIR": str(tmp), "QA_SECRET_KEY": "bench", "QA_DATABASE_URL": url}
    )
    settings = settings.with_overrides(testing=True)
    app = create_app(settings)
    client = app.test_client()
    buf = io.StringIO()
    handler = logs.configure("json", stream=buf)
    results: dict[str, dict[str, float]] = {}
    stats = health.queue_stats(engine)
    assert sum(stats.queued.values()) + sum(stats.running.values()) == args.waiting, stats.queued

    results["metrics scrape (GET /metrics)"] = summary(timed(lambda: client.get("/metrics"), args.runs))
    results["queue query as shipped (state IN unfinished)"] = summary(
        timed(lambda: health.queue_stats(engine), args.runs)
    )
    results["peer: state != 'done'"] = summary(timed(lambda: not_done_peer(engine), args.runs))
    results["GET /readyz"] = summary(timed(lambda: client.get("/readyz"), args.runs))

    healthz = summary(timed(lambda: client.get("/healthz"), args.runs * 20))
    results["GET /healthz with request id + JSON log + histogram"] = healthz
    # the peer: the same view with the observability hooks unregistered
    bare = create_app(settings)
    for funcs in (bare.before_request_funcs, bare.after_request_funcs):
        funcs[None] = [f for f in funcs.get(None, []) if f.__name__ not in ("_start", "_finish")]
    bare_client = bare.test_client()
    results["peer: GET /healthz without the hooks"] = summary(
        timed(lambda: bare_client.get("/healthz"), args.runs * 20)
    )
    logging.getLogger().removeHandler(handler)

    width = max(len(k) for k in results)
    for name, r in results.items():
        print(f"{name:<{width}}  median {r['median_ms']:8.2f} ms   worst {r['worst_ms']:8.2f} ms")
    shipped = results["queue query as shipped (state IN unfinished)"]["median_ms"]
    peer = results["peer: state != 'done'"]["median_ms"]
    print(f"queue query: peer / shipped = {peer / shipped:.1f}x")
    hooks = results["GET /healthz with request id + JSON log + histogram"]["median_ms"]
    base = results["peer: GET /healthz without the hooks"]["median_ms"]
    print(f"request hooks add {hooks - base:.2f} ms per request (median)")
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"ops_{engine.dialect.name}.json").write_text(
        json.dumps({"done": args.done, "waiting": args.waiting, "results": results}, indent=1)
    )


if __name__ == "__main__":
    main()
