"""Dashboard response times on a large center: the demo history copied until the database holds ~100k
evaluated calls (six months), then every dashboard page and a KPI export requested as an admin.

    python bench/dashboards.py [--copies 25] [--keep DIR]

SQLite in a temporary directory; the dashboard rollups are rebuilt after the copies (timed); the copies are the demo-history calls shifted by a few minutes (with
their evaluations), so the per-call work is the real one. Prints one line per page: wall-clock seconds
and CPU seconds of this process (the latter is what to compare on a busy shared machine).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from sqlalchemy import func, select, text  # noqa: E402

from qa_app.db.models import Call  # noqa: E402
from qa_app.services import aggregates, demo  # noqa: E402

from factories import AuthActions, build_app, make_settings, migrate  # noqa: E402

PAGES = [
    "/",
    "/dashboards/trends",
    "/dashboards/criteria",
    "/dashboards/cohorts",
    "/dashboards/proficiency",
    "/dashboards/coverage",
    "/dashboards/complaints",
    "/dashboards/kpis",
    "/dashboards/kpis?by=agent",
    "/dashboards/kpis.xlsx?by=agent",
    "/dashboards/criteria.xlsx",  # the page was just built: its tables are remembered
]
CALL_COLS = (
    "agent_id, team_id, duration, direction, queue, customer_ref_hash, channel_layout, language, status, "
    "audio_bytes, original_filename, source, auto_score, wait_seconds, hold_seconds, wrap_seconds, csat, nps, "
    "resolved, created_at"
)
EVAL_COLS = (
    "rubric_version_id, rater_type, rater_id, purpose, state, total, critical_failed, items, comments, summary, "
    "superseded, submitted_at, released_at, closed_at, updated_at, version, created_at"
)


def multiply(db, copies: int) -> None:
    """Copy the calls (ids shifted by k x the highest id, start times by k minutes) and their evaluations."""
    top_call = db.scalar(select(func.max(Call.id)))
    top_eval = db.execute(text("SELECT max(id) FROM evaluations")).scalar()
    for k in range(1, copies + 1):
        db.execute(
            text(
                f"INSERT INTO calls (id, external_id, started_at, {CALL_COLS}) "  # noqa: S608 - constants only
                f"SELECT id + :dc, external_id || '-' || :k, datetime(started_at, '+' || :k || ' minutes'), "
                f"{CALL_COLS} FROM calls WHERE id <= :top"
            ),
            {"dc": k * top_call, "k": k, "top": top_call},
        )
        db.execute(
            text(
                f"INSERT INTO evaluations (id, call_id, {EVAL_COLS}) "  # noqa: S608 - constants only
                f"SELECT id + :de, call_id + :dc, {EVAL_COLS} FROM evaluations WHERE id <= :top"
            ),
            {"de": k * top_eval, "dc": k * top_call, "top": top_eval},
        )
    db.commit()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=25)
    ap.add_argument("--keep", type=Path, default=None, help="build the database here and keep it")
    args = ap.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="qa-bench-dash-"))
    template = base / "template.sqlite3"
    migrate(f"sqlite:///{template}")
    settings = make_settings(base / "app")
    app = build_app(settings, template)
    t = time.perf_counter()
    with app.extensions["qa_sessionmaker"]() as db:
        demo.seed(db, settings, audio=False)
        db.commit()
        multiply(db, args.copies)
        calls = db.scalar(select(func.count()).select_from(Call))
        print(f"{calls} calls built in {time.perf_counter() - t:.0f} s")
        # the copies went in with bulk SQL (no dirty marks): summarise everything, as after an upgrade
        t, cpu = time.perf_counter(), time.process_time()
        rows = aggregates.rebuild(db, settings=settings)
        db.commit()
        print(
            f"rollups rebuilt ({rows} rows) in {time.perf_counter() - t:.1f} s, {time.process_time() - cpu:.1f} s CPU"
        )
    client = app.test_client()
    assert AuthActions(client).login("admin", demo.DEMO_PASSWORD).status_code == 302
    for url in PAGES:
        t, cpu = time.perf_counter(), time.process_time()
        resp = client.get(url)
        wall, cpu = time.perf_counter() - t, time.process_time() - cpu
        print(f"{wall:6.2f} s wall {cpu:6.2f} s CPU  {resp.status_code}  {url}")


if __name__ == "__main__":
    main()
