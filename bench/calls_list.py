"""Calls list at scale: 100k calls in the embedded SQLite (or QA_DATABASE_URL), filtered, sorted, paginated.

    .venv/bin/python bench/calls_list.py [--calls 100000] [--url sqlite:////tmp/x.sqlite3]

Prints the median time of each list query as the web view runs it (count + one page), and writes
bench/results/calls_list.json.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from alembic import command  # noqa: E402
from sqlalchemy import insert  # noqa: E402
from staff import seed_staff  # noqa: E402

from qa_app.cli import alembic_config  # noqa: E402
from qa_app.db.models import Call, User  # noqa: E402
from qa_app.db.session import make_engine, make_session_factory, optimize_database  # noqa: E402
from qa_app.services import calls  # noqa: E402


def seed(factory, n_calls: int) -> tuple[User, User]:
    rnd = random.Random(7)
    with factory() as db:
        admin, agent_user, agents = seed_staff(db)
        start = datetime(2026, 1, 1, tzinfo=UTC)
        statuses = ["ready"] * 8 + ["queued", "failed"]
        rows = []
        for i in range(n_calls):
            a = agents[rnd.randrange(len(agents))]
            rows.append(
                {
                    "agent_id": a.id,
                    "team_id": a.team_id,
                    "started_at": start + timedelta(seconds=rnd.randrange(300 * 86400)),
                    "duration": rnd.uniform(30, 900),
                    "direction": "inbound",
                    "queue": "宽带报障",
                    "channel_layout": "mono",
                    "language": "zh",
                    "status": rnd.choice(statuses),
                    "audio_sha256": f"{i:064x}",
                    "audio_path": f"audio/x/{i}.wav",
                    "audio_format": "wav",
                    "audio_bytes": 1,
                    "original_filename": "x.wav",
                    "source": "import",
                    "auto_score": rnd.uniform(40, 100),
                    "created_at": start,
                }
            )
            if len(rows) == 5000:
                db.execute(insert(Call), rows)
                rows = []
        if rows:
            db.execute(insert(Call), rows)
        db.commit()
        return admin, agent_user


def timed(fn, repeat: int = 7) -> float:
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=100_000)
    ap.add_argument("--url", default=None)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="qa-bench-")
    url = args.url or f"sqlite:///{tmp}/bench.sqlite3"
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    factory = make_session_factory(engine)
    t0 = time.perf_counter()
    admin, agent_user = seed(factory, args.calls)
    print(f"seeded {args.calls} calls in {time.perf_counter() - t0:.1f} s ({url.split(':')[0]})")
    optimize_database(engine)  # what the scheduler's periodic duty does in production
    d0, d1 = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    cases = {
        "all, newest first, page 1": (admin, calls.CallFilter(), 1),
        "all, page 1000 (deep offset)": (admin, calls.CallFilter(), 1000),
        "team + month, newest first": (admin, calls.CallFilter(team_id=3, date_from=d0, date_to=d1), 1),
        "agent, sorted by score": (admin, calls.CallFilter(agent_id=5, sort="score"), 1),
        "status failed, by duration": (admin, calls.CallFilter(status="failed", sort="duration"), 1),
        "all, sorted by score asc": (admin, calls.CallFilter(sort="score", descending=False), 1),
        "agent's own calls (agent login)": (agent_user, calls.CallFilter(), 1),
    }
    results = {}
    with factory() as db:
        for name, (user, flt, page) in cases.items():
            sec = timed(lambda u=user, f=flt, p=page: calls.list_calls(db, u, f, page=p, per_page=50))
            results[name] = round(sec * 1000, 1)
            print(f"{name:<36} {sec * 1000:8.1f} ms")
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "calls_list.json").write_text(json.dumps({"calls": args.calls, "ms": results}, indent=2))
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
