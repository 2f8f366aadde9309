"""Dashboard rollups at provincial volume (issue #12): full rebuild, incremental refresh, and each
rollup-backed dashboard read against the live computation it replaces, on a kept PostgreSQL database
(bench/load.py's ``qa_load``: 200k calls, 1M evaluations).

    python bench/rollups.py [--db qa_load] [--runs 5] [--live-runs 1] [--touch 200] [--keep-schema]

The database is only read: the rollup tables are created in a separate schema (``dash_agg_bench``, first on
the search path, so ``public`` keeps its tables and its ``alembic_version``) and dropped at the end unless
``--keep-schema``. The dirty marks of ``--touch`` random calls are written into that schema (no evaluation is
changed) to time an incremental refresh. Ranges: the default 13 weeks up to the last call's day. Prints
wall-clock and CPU seconds of this process (PostgreSQL's own CPU is not in the latter), median and worst.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from coaching import DEFAULT_MIN_SAMPLE  # noqa: E402
from coaching.periods import local_date  # noqa: E402
from qa_app.db.base import Base  # noqa: E402
from qa_app.db.models import AggregateDirty, AggregateState, Call, ScoreDaily, VerdictDaily  # noqa: E402
from qa_app.services import aggregates, analytics, timeparse  # noqa: E402
from qa_app.services.analytics import Scope  # noqa: E402

from factories import _with_search_path, make_settings  # noqa: E402

SCHEMA = "dash_agg_bench"
TABLES = [VerdictDaily.__table__, ScoreDaily.__table__, AggregateDirty.__table__, AggregateState.__table__]


def timed(fn, runs: int) -> tuple[float, float, float, object]:
    """(median wall, worst wall, median CPU) over ``runs`` calls, and the last result."""
    walls, cpus, out = [], [], None
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), max(walls), statistics.median(cpus), out


def line(name: str, stats: tuple) -> None:
    med, worst, cpu, _ = stats
    print(f"  {name:<44} median {med:8.3f} s  worst {worst:8.3f} s  CPU {cpu:8.3f} s", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="qa_load")
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--live-runs", type=int, default=1, help="runs of the live (old) computations; 0 skips")
    ap.add_argument("--touch", type=int, default=200)
    ap.add_argument("--keep-schema", action="store_true")
    args = ap.parse_args()
    base = f"{args.pg}/{args.db}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"'))
    engine = create_engine(_with_search_path(base, f"{SCHEMA},public"))
    settings = make_settings(Path(tempfile.mkdtemp(prefix="qa-bench-rollups-")), database_url=str(engine.url))
    try:
        with engine.begin() as conn:
            for t in TABLES:
                t.drop(conn, checkfirst=True)
            Base.metadata.create_all(conn, tables=TABLES)
        with Session(engine) as db:
            calls = db.scalar(select(func.count()).select_from(Call))
            last_at = db.scalar(select(func.max(Call.started_at)))
            print(f"{args.db}: {calls} calls", flush=True)

            t, c = time.perf_counter(), time.process_time()
            rows = aggregates.rebuild(db, settings=settings)
            db.commit()
            print(
                f"full rebuild: {rows} verdict rows, {db.scalar(select(func.count()).select_from(ScoreDaily))} "
                f"score rows in {time.perf_counter() - t:.1f} s wall, {time.process_time() - c:.1f} s CPU",
                flush=True,
            )

            last = local_date(last_at, settings.timezone)
            first = last - timedelta(days=13 * 7 - 1)
            since, until = timeparse.local_days(first, last, settings.timezone)
            scope = Scope()
            print(f"reads over {first}..{last} (13 weeks), every team:", flush=True)
            rolled = {
                "heat map": lambda: aggregates.heat_map(
                    db, scope, first, last, min_sample=DEFAULT_MIN_SAMPLE
                ),
                "score trends (week)": lambda: aggregates.score_trends(db, scope, first, last, period="week"),
                "new hires vs veterans": lambda: aggregates.cohort_gaps(
                    db, scope, first, last, min_sample=DEFAULT_MIN_SAMPLE
                ),
            }
            results = {}
            for name, fn in rolled.items():
                stats = timed(fn, args.runs)
                results[name] = stats[3]
                line(f"rollup  {name}", stats)
            if args.live_runs:
                stats = timed(
                    lambda: analytics.score_trends(
                        db, scope, since, until, period="week", tz=settings.timezone
                    ),
                    args.live_runs,
                )
                line("live    score trends (week)", stats)
                assert [(p.period, p.n) for p in stats[3].overall] == [
                    (p.period, p.n) for p in results["score trends (week)"].overall
                ]
                stats = timed(
                    lambda: analytics.scope_verdicts(db, scope, since, until, settings=settings),
                    args.live_runs,
                )
                line("live    load verdicts (both pages)", stats)
                verdicts = stats[3]
                stats = timed(lambda: analytics.heat_map(verdicts), args.live_runs)
                line("live    heat map (after loading)", stats)
                live_heat = {(a.agent_id, g.criterion): (g.n, g.passes) for a in stats[3] for g in a.gaps}
                rolled_heat = {
                    (a.agent_id, g.criterion): (g.n, g.passes) for a in results["heat map"] for g in a.gaps
                }
                print(
                    f"  heat map cells equal: {live_heat == rolled_heat} ({len(live_heat)} cells)", flush=True
                )
                stats = timed(lambda: analytics.cohort_gaps(verdicts), args.live_runs)
                line("live    new hires vs veterans (after loading)", stats)
                print(f"  cohort gaps equal: {stats[3] == results['new hires vs veterans']}", flush=True)

            ids = list(db.scalars(select(Call.id).where(Call.started_at >= since)))
            touched = random.Random(12).sample(ids, min(args.touch, len(ids)))
            db.execute(AggregateDirty.__table__.insert(), [{"call_id": i} for i in touched])
            db.commit()
            t, c = time.perf_counter(), time.process_time()
            done = aggregates.refresh(db, settings=settings)
            db.commit()
            print(
                f"incremental refresh of {len(touched)} touched calls: {done.cells} cells in "
                f"{time.perf_counter() - t:.2f} s wall, {time.process_time() - c:.2f} s CPU",
                flush=True,
            )
            t = time.perf_counter()
            done = aggregates.refresh(db, settings=settings)
            db.commit()
            print(
                f"refresh with nothing touched: {done.cells} cells in {time.perf_counter() - t:.3f} s",
                flush=True,
            )
    finally:
        engine.dispose()
        if not args.keep_schema:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
